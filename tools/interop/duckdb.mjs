#!/usr/bin/env node
// DuckDB as an independent Parquet peer for the FhirRisk tests (DESIGN §1): it reads the files our writer makes and
// writes files for our reader. Every subcommand prints one JSON document to stdout; errors go to stderr, exit 1.
//
//   schema   <file>                          DuckDB column names/types, parquet_schema() and parquet_metadata() rows
//   dump     <file> [--limit N]              every row, values encoded as described in lib/json-values.mjs
//   checksum <file>                          row count and per-column checksums, defined in lib/checksum.mjs
//   write    <out.parquet> --sql "<SELECT>" --codec zstd|snappy|gzip|uncompressed
//            [--row-group-size N] [--parquet-version v1|v2]
//                                            COPY (query) TO the file; prints the rows written
//   query    --sql "<sql>"                   any SQL; prints column names, types and rows
//   batch    <requests.json | ->             runs a JSON array of requests in one process (saves DuckDB start-up):
//            {"command":"dump","file":F,"limit":N} {"command":"checksum","file":F} {"command":"schema","file":F}
//            {"command":"write","file":F,"sql":S,"codec":C,"rowGroupSize":N,"parquetVersion":"v2"}
//            {"command":"query","sql":S}     -> {"results":[...]} in request order
import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { columnChecksum, quoteIdent } from './lib/checksum.mjs';
import { encodeRows } from './lib/json-values.mjs';

const CODECS = new Set(['zstd', 'snappy', 'gzip', 'uncompressed']);

class UsageError extends Error {}

function sqlString(text) {
  return `'${String(text).replaceAll("'", "''")}'`;
}

function readParquet(file) {
  return `read_parquet(${sqlString(file)})`;
}

async function rowsOf(connection, sql) {
  const reader = await connection.runAndReadAll(sql);
  const names = reader.columnNames();
  return encodeRows(reader).map((row) => Object.fromEntries(names.map((n, i) => [n, row[i]])));
}

async function describe(connection, file) {
  const rows = await rowsOf(connection, `DESCRIBE SELECT * FROM ${readParquet(file)}`);
  return rows.map((r) => ({ name: r.column_name, type: r.column_type }));
}

async function schema(connection, { file }) {
  const metadataColumns = [
    'row_group_id', 'row_group_num_rows', 'column_id', 'path_in_schema', 'type', 'num_values', 'compression',
    'encodings', 'stats_null_count', 'stats_min_value', 'stats_max_value', 'total_compressed_size',
    'total_uncompressed_size',
  ].join(', ');
  return {
    columns: await describe(connection, file),
    parquet_schema: await rowsOf(connection, `SELECT * EXCLUDE (file_name) FROM parquet_schema(${sqlString(file)})`),
    parquet_metadata: await rowsOf(connection,
      `SELECT ${metadataColumns} FROM parquet_metadata(${sqlString(file)}) ORDER BY row_group_id, column_id`),
  };
}

async function dump(connection, { file, limit }) {
  const limitSql = limit === undefined ? '' : ` LIMIT ${Number.parseInt(limit, 10)}`;
  const reader = await connection.runAndReadAll(`SELECT * FROM ${readParquet(file)}${limitSql}`);
  return { columns: await describe(connection, file), rows: encodeRows(reader) };
}

async function checksum(connection, { file }) {
  const from = readParquet(file);
  const count = await connection.runAndReadAll(`SELECT count(*) FROM ${from}`);
  const columns = [];
  for (const { name, type } of await describe(connection, file))
    columns.push({ name, type, checksum: await columnChecksum(connection, from, name, type) });
  return { row_count: Number(count.getRows()[0][0]), columns };
}

async function write(connection, { file, sql, codec, rowGroupSize, parquetVersion }) {
  if (!file || !sql) throw new UsageError('write needs an output file and --sql');
  if (!CODECS.has(codec)) throw new UsageError(`--codec must be one of ${[...CODECS].join('|')}, got ${codec}`);
  const options = ['FORMAT parquet', `COMPRESSION ${codec}`];
  if (rowGroupSize !== undefined) options.push(`ROW_GROUP_SIZE ${Number.parseInt(rowGroupSize, 10)}`);
  if (parquetVersion !== undefined) {
    if (!/^v[12]$/.test(parquetVersion)) throw new UsageError(`--parquet-version must be v1 or v2, got ${parquetVersion}`);
    options.push(`PARQUET_VERSION ${parquetVersion.toUpperCase()}`);
  }
  const reader = await connection.runAndReadAll(`COPY (${sql}) TO ${sqlString(file)} (${options.join(', ')})`);
  return { file, rows: Number(reader.getRows()[0][0]) };
}

async function query(connection, { sql }) {
  if (!sql) throw new UsageError('query needs --sql');
  const reader = await connection.runAndReadAll(sql);
  const types = reader.columnTypes().map((t) => t.toString());
  return { columns: reader.columnNames().map((name, i) => ({ name, type: types[i] })), rows: encodeRows(reader) };
}

const COMMANDS = { schema, dump, checksum, write, query };

async function batch(connection, { file }) {
  const requests = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8'));
  if (!Array.isArray(requests)) throw new UsageError('batch input must be a JSON array of requests');
  const results = [];
  for (const [index, request] of requests.entries()) {
    const run = COMMANDS[request.command];
    if (!run) throw new UsageError(`request ${index}: unknown command ${request.command}`);
    try {
      results.push(await run(connection, request));
    } catch (error) {
      error.message = `request ${index} (${request.command} ${request.file ?? request.sql}): ${error.message}`;
      throw error;
    }
  }
  return { results };
}

function parseArguments(argv) {
  const [command, ...rest] = argv;
  const request = { command };
  const flags = { '--limit': 'limit', '--sql': 'sql', '--codec': 'codec', '--row-group-size': 'rowGroupSize',
    '--parquet-version': 'parquetVersion' };
  for (let i = 0; i < rest.length; i++) {
    const flag = flags[rest[i]];
    if (flag) {
      if (i + 1 >= rest.length) throw new UsageError(`${rest[i]} needs a value`);
      request[flag] = rest[++i];
    } else if (rest[i].startsWith('--')) {
      throw new UsageError(`unknown option ${rest[i]}`);
    } else if (request.file === undefined) {
      request.file = rest[i];
    } else {
      throw new UsageError(`unexpected argument ${rest[i]}`);
    }
  }
  const needsFile = ['schema', 'dump', 'checksum', 'write', 'batch'];
  if (needsFile.includes(command) && request.file === undefined) throw new UsageError(`${command} needs a file`);
  return request;
}

async function main() {
  const request = parseArguments(process.argv.slice(2));
  const run = request.command === 'batch' ? batch : COMMANDS[request.command];
  if (!run) throw new UsageError(`unknown command '${request.command ?? ''}'; use schema|dump|checksum|write|query|batch`);
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const result = await run(connection, request);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

main().catch((error) => {
  process.stderr.write(`duckdb.mjs: ${error.message}\n`);
  process.exitCode = error instanceof UsageError ? 2 : 1;
});
