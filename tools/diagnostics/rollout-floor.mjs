#!/usr/bin/env node
// How close to the oracle zero-shot rollouts can come at all (docs/inference.md, "How far rollouts can reach"). A
// diagnostic for issue 7's rollout target, not part of the product. A perfect generative model reading the record
// would put each stay's risk at the record reference (docs/simulator.md §6: the true probability averaged over what
// the record leaves unknown), and estimating that risk from n rollouts adds counting noise: k ~ Binomial(n, p), the
// estimate k / n. This script takes a `fhirrisk predict --truth` output folder (oracle.predictions.parquet and
// oracle_record.predictions.parquet of the same points) and reports, for n = 20, 50, 100, 200 and without counting,
// the mean AUROC over R draws of the oracle and of the record reference estimated from n rollouts each, and their gap
// to the oracle. Uses DuckDB from tools/interop (run `npm ci` there first).
//
//   node tools/diagnostics/rollout-floor.mjs --predictions <predict --out folder> [--task hospital_mortality]
//        [--draws 20] [--seed 1]
import { DuckDBInstance } from '../interop/node_modules/@duckdb/node-api/lib/index.js';

const argv = process.argv.slice(2);
const args = Object.fromEntries(argv.flatMap((a, i) => (a.startsWith('--') ? [[a.slice(2), argv[i + 1]]] : [])));
if (!args.predictions) {
  console.error('usage: rollout-floor.mjs --predictions <folder> [--task hospital_mortality] [--draws 20] [--seed 1]');
  process.exit(2);
}
const task = args.task ?? 'hospital_mortality';
const draws = Number(args.draws ?? 20);
const quote = (s) => `'${String(s).replaceAll("'", "''")}'`;

const instance = await DuckDBInstance.create(':memory:');
const db = await instance.connect();
const file = (name) => quote(`${args.predictions}/${name}.predictions.parquet`);
const points = (await (await db.runAndReadAll(`
  SELECT o.probability AS oracle, r.probability AS record, o.label AS label
  FROM ${file('oracle')} o JOIN ${file('oracle_record')} r
    ON o.subject_id = r.subject_id AND o.prediction_time = r.prediction_time AND o.task = r.task
  WHERE o.task = ${quote(task)} ORDER BY o.subject_id, o.prediction_time`)).getRowObjectsJS());
if (points.length === 0) {
  console.error(`no ${task} points with both an oracle and a record-reference row in ${args.predictions}`);
  process.exit(1);
}

// Mann–Whitney AUROC with average ranks for ties (k / n ties often).
function auroc(scores, labels) {
  const order = scores.map((s, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSum = 0;
  let positives = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j < order.length && scores[order[j]] === scores[order[i]]) j++;
    const rank = (i + j + 1) / 2;
    for (let t = i; t < j; t++) if (labels[order[t]]) { rankSum += rank; positives++; }
    i = j;
  }
  const negatives = labels.length - positives;
  return (rankSum - positives * (positives + 1) / 2) / (positives * negatives);
}

// xorshift128+ seeded by SplitMix64: reproducible draws without dependencies.
let s0 = 0n, s1 = 0n;
const mask = (1n << 64n) - 1n;
function splitmix(x) {
  x = (x + 0x9E3779B97F4A7C15n) & mask;
  let z = x;
  z = ((z ^ (z >> 30n)) * 0xBF58476D1CE4E5B9n) & mask;
  z = ((z ^ (z >> 27n)) * 0x94D049BB133111EBn) & mask;
  return [x, z ^ (z >> 31n)];
}
{
  let x = BigInt(args.seed ?? 1);
  [x, s0] = splitmix(x);
  [x, s1] = splitmix(x);
}
function uniform() {
  let a = s0;
  const b = s1;
  s0 = b;
  a ^= (a << 23n) & mask;
  s1 = a ^ b ^ (a >> 17n) ^ (b >> 26n);
  return Number(((s1 + b) & mask) >> 11n) / 2 ** 53;
}
const sampled = (p, n) => { let k = 0; for (let i = 0; i < n; i++) k += uniform() < p ? 1 : 0; return k / n; };

const labels = points.map((p) => p.label);
const oracle = auroc(points.map((p) => p.oracle), labels);
const record = auroc(points.map((p) => p.record), labels);
console.log(`${task}: ${points.length} points, ${labels.filter(Boolean).length} positive; oracle AUROC ${oracle.toFixed(4)}, ` +
  `record reference ${record.toFixed(4)} (gap ${(oracle - record).toFixed(4)}); ${draws} draws per n`);
console.log('| rollouts per point | oracle sampled | gap | record reference sampled | gap to the oracle |');
console.log('|---|---|---|---|---|');
for (const n of [20, 50, 100, 200]) {
  let o = 0, r = 0;
  for (let d = 0; d < draws; d++) {
    o += auroc(points.map((p) => sampled(p.oracle, n)), labels);
    r += auroc(points.map((p) => sampled(p.record, n)), labels);
  }
  o /= draws; r /= draws;
  console.log(`| ${n} | ${o.toFixed(4)} | ${(oracle - o).toFixed(4)} | ${r.toFixed(4)} | ${(oracle - r).toFixed(4)} |`);
}
console.log(`| no counting | ${oracle.toFixed(4)} | 0 | ${record.toFixed(4)} | ${(oracle - record).toFixed(4)} |`);
