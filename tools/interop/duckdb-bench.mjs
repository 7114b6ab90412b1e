// Peer side of bench/FhirRisk.Bench (DESIGN §8): times DuckDB on the same files in the same run and prints ONE
// JSON object on stdout.
//
//   node duckdb-bench.mjs parquet --input <ours.parquet> --output <duckdb.parquet> [--repeat N]
//   node duckdb-bench.mjs tokenize --request <request.json>
//
// parquet (single-threaded, like our code): loads <input> into a table (not timed), times COPY ... TO <output> (zstd),
// and times a query that touches every value of every MEDS column over <input> and over <output>; times are the best
// of N, in ms.
// tokenize: fits the timeline language (lib/duckdb-tokenizer.mjs) on the request's fit shards and encodes every shard
// into Parquet token files with `threads` threads; times fit and encode once each, then describes what it produced
// (not timed) for the bench to compare with ours. The request holds settings, fit_files, model_dir, threads and
// shards [{input, tokens, statics}].
import { DuckDBInstance } from '@duckdb/node-api';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { describeFit, describeShard, encode, fit } from './lib/duckdb-tokenizer.mjs';

const commands = { parquet: runParquet, tokenize: runTokenize };

function parseArguments(argv) {
  const [command, ...rest] = argv;
  const options = {};
  for (let i = 0; i < rest.length; i += 2) {
    if (!rest[i].startsWith('--') || i + 1 >= rest.length) throw new Error(`bad argument '${rest[i]}'`);
    options[rest[i].slice(2)] = rest[i + 1];
  }
  return { command, options };
}

function sqlString(text) {
  return `'${text.replaceAll("'", "''")}'`;
}

async function connectSingleThreaded() {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await instance.connect();
  await connection.run('SET threads = 1');
  return connection;
}

async function firstRow(connection, sql) {
  const reader = await connection.runAndReadAll(sql);
  const names = reader.columnNames();
  const row = reader.getRows()[0];
  return Object.fromEntries(names.map((name, i) => [name, row[i]]));
}

/** Best wall time of `repeats` runs of `action` in ms, and the last run's value. */
async function bestOf(repeats, action) {
  let best = Infinity;
  let value;
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    value = await action();
    best = Math.min(best, performance.now() - start);
  }
  return { ms: best, value };
}

// The same aggregates as MedsAggregates in the bench: 64-bit sums are HUGEINT and leave as decimal strings
// (beyond JavaScript's safe integers); the float sum is a DOUBLE.
function aggregatesSql(path) {
  return `SELECT
      count(*)::VARCHAR AS rows,
      sum(subject_id)::VARCHAR AS subject_id_sum,
      count(time)::VARCHAR AS time_count,
      sum(epoch_us(time))::VARCHAR AS time_sum,
      sum(length(code))::VARCHAR AS code_length_sum,
      count(numeric_value)::VARCHAR AS numeric_count,
      sum(numeric_value)::DOUBLE AS numeric_sum,
      count(text_value)::VARCHAR AS text_count,
      sum(length(text_value))::VARCHAR AS text_length_sum,
      count(encounter_id)::VARCHAR AS encounter_count,
      sum(encounter_id)::VARCHAR AS encounter_sum
    FROM read_parquet(${sqlString(path)})`;
}

async function runParquet(options) {
  const input = options.input;
  const output = options.output;
  const repeats = Number.parseInt(options.repeat ?? '3', 10);
  if (!input || !output || !(repeats >= 1)) throw new Error('parquet needs --input, --output and --repeat >= 1');

  const connection = await connectSingleThreaded();
  const version = (await firstRow(connection, 'SELECT version() AS v')).v;
  const loadStart = performance.now();
  await connection.run(`CREATE TABLE meds AS SELECT * FROM read_parquet(${sqlString(input)})`);
  const loadMs = performance.now() - loadStart;

  const write = await bestOf(repeats, () =>
    connection.run(`COPY meds TO ${sqlString(output)} (FORMAT parquet, COMPRESSION zstd)`));
  const readInput = await bestOf(repeats, () => firstRow(connection, aggregatesSql(input)));
  const readOutput = await bestOf(repeats, () => firstRow(connection, aggregatesSql(output)));

  return {
    duckdb_version: version,
    node_version: process.version,
    threads: Number((await firstRow(connection, "SELECT current_setting('threads') AS t")).t),
    load_ms: loadMs,
    write_ms: write.ms,
    read_input_ms: readInput.ms,
    read_output_ms: readOutput.ms,
    input_aggregates: readInput.value,
    output_aggregates: readOutput.value,
  };
}

async function runTokenize(options) {
  if (!options.request) throw new Error('tokenize needs --request <request.json>');
  const request = JSON.parse(await readFile(options.request, 'utf8'));
  const instance = await DuckDBInstance.create(':memory:', { threads: String(request.threads) });
  const connection = await instance.connect();
  const version = (await firstRow(connection, 'SELECT version() AS v')).v;

  const fitStart = performance.now();
  await fit(connection, request.settings, request.fit_files, request.model_dir);
  const fitMs = performance.now() - fitStart;

  const encodeStart = performance.now();
  for (const shard of request.shards) await encode(connection, request.settings, shard.input, shard.tokens, shard.statics);
  const encodeMs = performance.now() - encodeStart;

  const shards = [];
  for (const shard of request.shards) shards.push(await describeShard(connection, shard.tokens, shard.statics));
  return {
    duckdb_version: version,
    node_version: process.version,
    threads: Number((await firstRow(connection, "SELECT current_setting('threads') AS t")).t),
    fit_ms: fitMs,
    encode_ms: encodeMs,
    fit: await describeFit(connection),
    shards,
  };
}

try {
  const { command, options } = parseArguments(process.argv.slice(2));
  const run = commands[command];
  if (!run) throw new Error(`unknown command '${command}'; known: ${Object.keys(commands).join(', ')}`);
  const result = await run(options);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (error) {
  process.stderr.write(`duckdb-bench: ${error.message}\n`);
  process.exitCode = 1;
}
