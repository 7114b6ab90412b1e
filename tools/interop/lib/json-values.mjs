// Converts DuckDB values (from @duckdb/node-api) into plain JSON that the C# tests can compare exactly.
//
// Encoding (the C# side, FhirRisk.Testing.DuckDbValue, decodes the same rules):
//   NULL                    -> null
//   BOOLEAN                 -> true / false
//   TINYINT..INTEGER        -> JSON number (exact in a double)
//   BIGINT, HUGEINT, U*INT  -> decimal string (a JSON number would lose precision above 2^53)
//   FLOAT, DOUBLE           -> JSON number, the shortest text that round-trips the double (a FLOAT is widened
//                              exactly to double first); NaN, +/-Infinity and -0 as the strings
//                              "NaN", "Infinity", "-Infinity", "-0" because JSON has no literal for them
//   VARCHAR                 -> string
//   BLOB                    -> lowercase hex string
//   TIMESTAMP[_S|_MS], TIMESTAMPTZ -> decimal string of microseconds since the Unix epoch
//   TIMESTAMP_NS            -> decimal string of nanoseconds since the Unix epoch (micros would lose digits)
//   DATE                    -> JSON number of days since the Unix epoch
//   LIST / ARRAY            -> JSON array of encoded elements
//   STRUCT                  -> object of encoded fields
//   anything else           -> DuckDB's own text form
import {
  DuckDBArrayValue,
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBListValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
} from '@duckdb/node-api';

export function encodeNumber(n) {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  if (n === 0 && 1 / n < 0) return '-0';
  return n;
}

export function toHex(bytes) {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function encodeValue(value) {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'boolean':
    case 'string':
      return value;
    case 'number':
      return encodeNumber(value);
    case 'bigint':
      return value.toString();
    default:
      return encodeObject(value);
  }
}

function encodeObject(value) {
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue) return value.items.map(encodeValue);
  if (value instanceof DuckDBBlobValue) return toHex(value.bytes);
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) return value.micros.toString();
  if (value instanceof DuckDBTimestampMillisecondsValue) return (value.millis * 1000n).toString();
  if (value instanceof DuckDBTimestampSecondsValue) return (value.seconds * 1000000n).toString();
  if (value instanceof DuckDBTimestampNanosecondsValue) return value.nanos.toString();
  if (value instanceof DuckDBDateValue) return value.days;
  if (value instanceof DuckDBStructValue) {
    const out = {};
    for (const [name, field] of Object.entries(value.entries)) out[name] = encodeValue(field);
    return out;
  }
  return value.toString();
}

/** Encodes every row of a result reader as arrays of JSON values. */
export function encodeRows(reader) {
  return reader.getRows().map((row) => row.map(encodeValue));
}
