// Per-column checksums computed inside DuckDB, defined so that the C# tests can recompute them from the values
// our reader returns (FhirRisk.Testing.ColumnChecksum implements the same rules). DuckDB's hash() is not used:
// its algorithm is internal to DuckDB and cannot be reproduced elsewhere.
//
// Every checksum has "kind" and "count" (number of non-null values). By kind (chosen from the DuckDB type):
//   boolean   true_count
//   integer   sum, min, max: decimal strings; the sum is exact (HUGEINT)
//   float     FLOAT and DOUBLE. nan_count, pos_inf_count, neg_inf_count; over the finite values only:
//             min, max (exact, JSON-encoded as in json-values.mjs; a FLOAT widened exactly to double),
//             sum and sum_abs (doubles, Kahan-summed by fsum). Summation order changes the last bits, so compare
//             sum with tolerance 1e-9 * max(1, sum_abs); min and max compare exactly
//   string    VARCHAR. distinct_count; byte_length_sum (UTF-8 bytes, strlen; decimal string); min, max (DuckDB orders strings
//             by their UTF-8 bytes, which is not .NET's UTF-16 ordinal order above U+FFFF)
//   blob      BLOB. distinct_count; byte_length_sum (octet_length; decimal string); min, max as lowercase hex (byte order)
//   timestamp TIMESTAMP[_S|_MS], TIMESTAMPTZ: unit "us"; TIMESTAMP_NS: unit "ns". sum, min, max of the epoch
//             value in that unit, as decimal strings (exact, HUGEINT)
//   date      sum, min, max of days since the Unix epoch (decimal strings)
//   list      any T[]: count = non-null lists; element_count = sum of list lengths (null elements included);
//             elements = the checksum of all elements of all lists (UNNEST; null elements count as nulls)
//   other     count only
import { encodeValue } from './json-values.mjs';

const INTEGER_TYPES = new Set([
  'TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT',
  'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT',
]);

export function quoteIdent(name) {
  return `"${name.replaceAll('"', '""')}"`;
}

export function checksumKind(type) {
  if (type.endsWith('[]')) return 'list';
  if (type === 'BOOLEAN') return 'boolean';
  if (INTEGER_TYPES.has(type)) return 'integer';
  if (type === 'FLOAT' || type === 'DOUBLE') return 'float';
  if (type === 'VARCHAR') return 'string';
  if (type === 'BLOB') return 'blob';
  if (type.startsWith('TIMESTAMP')) return 'timestamp';
  if (type === 'DATE') return 'date';
  return 'other';
}

/** SELECT-list expressions (alias -> SQL) for a non-list column expression `x` of DuckDB type `type`. */
function aggregates(kind, type, x) {
  const finite = `FILTER (WHERE isfinite(${x}))`;
  switch (kind) {
    case 'boolean':
      return { true_count: `count(*) FILTER (WHERE ${x})` };
    case 'integer':
    case 'date': {
      const v = kind === 'date' ? `(${x} - DATE '1970-01-01')` : x;
      return { sum: `sum(${v}::HUGEINT)::VARCHAR`, min: `min(${v})::VARCHAR`, max: `max(${v})::VARCHAR` };
    }
    case 'float':
      return {
        nan_count: `count(*) FILTER (WHERE isnan(${x}))`,
        pos_inf_count: `count(*) FILTER (WHERE isinf(${x}) AND ${x} > 0)`,
        neg_inf_count: `count(*) FILTER (WHERE isinf(${x}) AND ${x} < 0)`,
        min: `min(${x}) ${finite}`,
        max: `max(${x}) ${finite}`,
        sum: `fsum(${x}::DOUBLE) ${finite}`,
        sum_abs: `fsum(abs(${x}::DOUBLE)) ${finite}`,
      };
    case 'string':
      return {
        distinct_count: `count(DISTINCT ${x})`,
        byte_length_sum: `sum(strlen(${x}))::VARCHAR`,
        min: `min(${x})`,
        max: `max(${x})`,
      };
    case 'blob':
      return {
        distinct_count: `count(DISTINCT ${x})`,
        byte_length_sum: `sum(octet_length(${x}))::VARCHAR`,
        min: `lower(hex(min(${x})))`,
        max: `lower(hex(max(${x})))`,
      };
    case 'timestamp': {
      const epoch = type === 'TIMESTAMP_NS' ? `epoch_ns(${x})` : `epoch_us(${x})`;
      return { sum: `sum(${epoch}::HUGEINT)::VARCHAR`, min: `min(${epoch})::VARCHAR`, max: `max(${epoch})::VARCHAR` };
    }
    default:
      return {};
  }
}

async function scalarChecksum(connection, fromSql, expression, type) {
  const kind = checksumKind(type);
  const parts = { count: `count(${expression})`, ...aggregates(kind, type, expression) };
  const aliases = Object.keys(parts);
  const select = aliases.map((alias) => `${parts[alias]} AS ${quoteIdent(alias)}`).join(', ');
  const reader = await connection.runAndReadAll(`SELECT ${select} FROM ${fromSql}`);
  const row = reader.getRows()[0];
  const result = { kind };
  if (kind === 'timestamp') result.unit = type === 'TIMESTAMP_NS' ? 'ns' : 'us';
  aliases.forEach((alias, i) => { result[alias] = normalizeCount(alias, encodeValue(row[i])); });
  return result;
}

// Counts are BIGINT in DuckDB (strings after encoding); they are small, so emit them as JSON numbers.
function normalizeCount(alias, value) {
  return alias.endsWith('count') && typeof value === 'string' ? Number(value) : value;
}

async function listChecksum(connection, fromSql, column, type) {
  const x = quoteIdent(column);
  const head = await connection.runAndReadAll(
    `SELECT count(${x}), coalesce(sum(len(${x})), 0)::VARCHAR FROM ${fromSql}`);
  const [count, elementCount] = head.getRows()[0];
  const elementType = type.slice(0, -2);
  const unnested = `(SELECT unnest(${x}) AS e FROM ${fromSql})`;
  const elements = await columnChecksum(connection, unnested, 'e', elementType);
  return { kind: 'list', count: Number(count), element_count: Number(elementCount), elements };
}

export async function columnChecksum(connection, fromSql, column, type) {
  if (checksumKind(type) === 'list') return listChecksum(connection, fromSql, column, type);
  return scalarChecksum(connection, fromSql, quoteIdent(column), type);
}
