#!/usr/bin/env node
// What a plain L2 logistic regression on hand-made admission features reaches on a simulated cohort, beside the heads
// (docs/demo-model.md, "What a linear model makes of the same record"). A diagnostic for issue 6's heads, not part of
// the product: it reads the MEDS events and the simulator's ground truth of a training cohort and of a validation
// cohort, builds one row per admission-task point, fits on the training cohort's points and scores the validation
// cohort's. Uses DuckDB from tools/interop (run `npm ci` there first).
//
//   node tools/diagnostics/linear-reference.mjs --train <work> --validation <work>/validation
//        [--task hospital_mortality] [--split train] [--lambdas 10,100,300] [--heads <validation heads.predictions.parquet>]
//
// <work> is a `fhirrisk demo-model --keep-work` folder: <work>/meds/data/<split>/*.parquet and
// <work>/cohort/ground_truth.parquet (the validation cohort: every split). Features per point, all from events at or
// before the prediction time: age in decades, sex, every ICD-10-CM diagnosis code charted before the point (problem
// list and earlier stays; the codes seen in the training cohort), the ED work-up procedures charted in the 9 hours
// before, counts of earlier admissions, ED visits, ICU stays and ambulatory visits, whether the admission came from the ED, years since
// the first event, and the last value of each LOINC reading charted in the 9 hours before. Readings enter three ways:
//   index   the decile of the value among the training points' readings of that code (0–9; what a value token says,
//           read as an ordered number), plus a missing flag;
//   onehot  the same decile as nine indicators (what a value token says, each decile with its own weight);
//   thermo  the same decile as nine thermometer indicators [decile ≥ j], plus a missing flag (the L2 penalty then
//           shrinks the differences between adjacent deciles: a smoothness prior);
//   log     the log value standardised on the training points' readings, plus a missing flag.
// Each variant is also fitted without the comorbidity flags. Newton's method on standardised features, λ = 10 or each
// value of --lambdas (comma-separated).
import { DuckDBInstance } from '../interop/node_modules/@duckdb/node-api/lib/index.js';

const argv = process.argv.slice(2);
const args = Object.fromEntries(argv.flatMap((a, i) => (a.startsWith('--') ? [[a.slice(2), argv[i + 1]]] : [])));
if (!args.train || !args.validation) {
  console.error('usage: linear-reference.mjs --train <work> --validation <work>/validation' +
    ' [--task T] [--split train] [--lambdas 10,100] [--heads F]');
  process.exit(2);
}
const task = args.task ?? 'hospital_mortality';
const split = args.split ?? 'train';
const quote = (s) => `'${String(s).replaceAll("'", "''")}'`;

const instance = await DuckDBInstance.create(':memory:');
const db = await instance.connect();
const rows = async (sql) => (await db.runAndReadAll(sql)).getRowObjectsJS();
const keyOf = (p) => `${p.subject_id}|${p.prediction_time}`;

async function points(name, medsGlob, truthFile) {
  await db.run(`CREATE OR REPLACE TABLE ${name}_ev AS SELECT subject_id, time, code, numeric_value v FROM read_parquet(${quote(medsGlob)})`);
  await db.run(`CREATE OR REPLACE TABLE ${name}_pt AS SELECT subject_id, prediction_time, outcome y FROM read_parquet(${quote(truthFile)})
                WHERE task = ${quote(task)} AND subject_id IN (SELECT DISTINCT subject_id FROM ${name}_ev)`);
  await db.run(`CREATE OR REPLACE TABLE ${name}_rd AS SELECT p.subject_id, p.prediction_time, e.code, arg_max(e.v, e.time) v
                FROM ${name}_pt p JOIN ${name}_ev e ON e.subject_id = p.subject_id AND e.time <= p.prediction_time
                 AND e.time >= p.prediction_time - INTERVAL 9 HOUR AND e.code LIKE 'LOINC//%' AND e.v IS NOT NULL GROUP BY ALL`);
  await db.run(`CREATE OR REPLACE TABLE ${name}_hx AS SELECT p.subject_id, p.prediction_time, any_value(p.y) y,
                 max(CASE WHEN e.code = 'MEDS_BIRTH' THEN date_diff('day', e.time, p.prediction_time) / 3652.4 END) age10,
                 max(CASE WHEN e.code LIKE 'GENDER//F%' THEN 1 ELSE 0 END) female,
                 list(DISTINCT e.code) FILTER (WHERE e.code LIKE 'ICD10CM//%') dx,
                 list(DISTINCT e.code) FILTER (WHERE e.code LIKE 'SNOMED//%' AND e.time >= p.prediction_time - INTERVAL 9 HOUR) workup,
                 (count(*) FILTER (WHERE e.code LIKE 'HOSPITAL_ADMISSION%' AND e.time < p.prediction_time))::INTEGER admissions,
                 (count(*) FILTER (WHERE e.code = 'ED_REGISTRATION' AND e.time < p.prediction_time - INTERVAL 9 HOUR))::INTEGER ed_visits,
                 (count(*) FILTER (WHERE e.code LIKE 'ICU_ADMISSION%' AND e.time < p.prediction_time))::INTEGER icu_stays,
                 (count(*) FILTER (WHERE e.code LIKE 'VISIT//AMB%' AND e.time < p.prediction_time))::INTEGER ambulatory,
                 max(CASE WHEN e.code = 'ED_OUT' AND e.time = p.prediction_time THEN 1 ELSE 0 END) from_ed,
                 date_diff('day', min(e.time), p.prediction_time) / 365.2425 years_seen
               FROM ${name}_pt p JOIN ${name}_ev e ON e.subject_id = p.subject_id AND (e.time IS NULL OR e.time <= p.prediction_time)
               GROUP BY p.subject_id, p.prediction_time`);
  const history = await rows(`SELECT * FROM ${name}_hx ORDER BY subject_id, prediction_time`);
  const readings = await rows(`SELECT subject_id, prediction_time, code, v FROM ${name}_rd`);
  const byPoint = new Map(history.map((h) =>
    [keyOf(h), { ...h, dx: new Set(h.dx ?? []), workup: new Set(h.workup ?? []), readings: {} }]));
  for (const r of readings) byPoint.get(keyOf(r)).readings[r.code] = r.v;
  return [...byPoint.values()];
}

const train = await points('tr', `${args.train}/meds/data/${split}/*.parquet`, `${args.train}/cohort/ground_truth.parquet`);
const validation = await points('va', `${args.validation}/meds/data/*/*.parquet`, `${args.validation}/cohort/ground_truth.parquet`);

// The vocabulary of each feature family comes from the training points only.
const comorbidities = [...new Set(train.flatMap((p) => [...p.dx]))].sort();
const procedures = [...new Set(train.flatMap((p) => [...p.workup]))].sort();
const codes = [...new Set(train.flatMap((p) => Object.keys(p.readings)))].sort();
const deciles = {}, logMoments = {};
for (const code of codes) {
  const values = train.map((p) => p.readings[code]).filter((v) => v != null).sort((a, b) => a - b);
  deciles[code] = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((q) => values[Math.floor((q * values.length) / 10)]);
  const logs = values.map((v) => Math.log(Math.max(v, 1e-6)));
  const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
  logMoments[code] = [mean, Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / logs.length) || 1];
}

function features(p, readingsAs, withComorbidities) {
  const x = [p.age10 ?? 0, p.female, p.admissions, p.ed_visits, p.icu_stays, p.ambulatory, p.from_ed, p.years_seen ?? 0];
  if (withComorbidities) for (const c of comorbidities) x.push(p.dx.has(c) ? 1 : 0);
  for (const c of procedures) x.push(p.workup.has(c) ? 1 : 0);
  for (const code of codes) {
    const v = p.readings[code];
    const decile = v == null ? null : deciles[code].filter((b) => v > b).length;
    if (readingsAs === 'thermo') {
      for (let d = 1; d <= 9; d++) x.push(decile != null && decile >= d ? 1 : 0);
      x.push(v == null ? 1 : 0);
    } else if (readingsAs === 'onehot') {
      for (let d = 1; d <= 9; d++) x.push(decile === d ? 1 : 0);
    } else if (readingsAs === 'index') {
      x.push(decile ?? 0, v == null ? 1 : 0);
    } else {
      const [mean, sd] = logMoments[code];
      x.push(v == null ? 0 : (Math.log(Math.max(v, 1e-6)) - mean) / sd, v == null ? 1 : 0);
    }
  }
  return x;
}

// L2-regularised logistic regression by Newton's method on standardised features (intercept not penalised).
function fit(X, y, lambda) {
  const d = X[0].length, n = X.length;
  const mean = new Array(d).fill(0), sd = new Array(d).fill(0);
  for (const x of X) x.forEach((v, j) => (mean[j] += v / n));
  for (const x of X) x.forEach((v, j) => (sd[j] += (v - mean[j]) ** 2 / n));
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]) || 1;
  const standardise = (x) => [1, ...x.map((v, j) => (v - mean[j]) / sd[j])];
  const S = X.map(standardise), D = d + 1;
  const w = new Array(D).fill(0);
  for (let iteration = 0; iteration < 30; iteration++) {
    const g = new Array(D).fill(0);
    const H = Array.from({ length: D }, () => new Float64Array(D + 1));
    for (let i = 0; i < n; i++) {
      const s = S[i];
      let z = 0;
      for (let j = 0; j < D; j++) z += w[j] * s[j];
      const p = 1 / (1 + Math.exp(-z)), r = p - y[i], q = p * (1 - p);
      for (let j = 0; j < D; j++) {
        g[j] += r * s[j];
        if (s[j] !== 0) for (let k = j; k < D; k++) H[j][k] += q * s[j] * s[k];
      }
    }
    for (let j = 0; j < D; j++) {
      for (let k = 0; k < j; k++) H[j][k] = H[k][j];
      if (j > 0) (H[j][j] += lambda), (g[j] += lambda * w[j]);
      H[j][D] = g[j];
    }
    for (let c = 0; c < D; c++) {
      let pivot = c;
      for (let r = c + 1; r < D; r++) if (Math.abs(H[r][c]) > Math.abs(H[pivot][c])) pivot = r;
      [H[c], H[pivot]] = [H[pivot], H[c]];
      for (let r = c + 1; r < D; r++) {
        const f = H[r][c] / H[c][c];
        if (f !== 0) for (let k = c; k <= D; k++) H[r][k] -= f * H[c][k];
      }
    }
    const step = new Array(D).fill(0);
    for (let r = D - 1; r >= 0; r--) {
      let v = H[r][D];
      for (let k = r + 1; k < D; k++) v -= H[r][k] * step[k];
      step[r] = v / H[r][r];
    }
    let largest = 0;
    for (let j = 0; j < D; j++) (w[j] -= step[j]), (largest = Math.max(largest, Math.abs(step[j])));
    if (largest < 1e-8) break;
  }
  return (x) => standardise(x).reduce((a, v, j) => a + v * w[j], 0);
}

function auroc(scores, labels) {
  const order = scores.map((_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positives = 0, rankSum = 0, i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) j++;
    for (let k = i; k <= j; k++) if (labels[order[k]]) (positives++, (rankSum += (i + j) / 2 + 1));
    i = j + 1;
  }
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * (labels.length - positives));
}

const ytr = train.map((p) => (p.y ? 1 : 0)), yva = validation.map((p) => (p.y ? 1 : 0));
console.log(`${task}: ${train.length} training points (${ytr.reduce((a, b) => a + b, 0)} positive), ` +
  `${validation.length} validation points (${yva.reduce((a, b) => a + b, 0)} positive); ` +
  `${comorbidities.length} diagnosis codes, ${procedures.length} procedures, ${codes.length} readings`);
const lambdas = (args.lambdas ?? '10').split(',').map(Number);
for (const readingsAs of ['index', 'onehot', 'thermo', 'log']) {
  for (const withComorbidities of [true, false]) {
    const Xtr = train.map((p) => features(p, readingsAs, withComorbidities));
    for (const lambda of lambdas) {
      const score = fit(Xtr, ytr, lambda);
      const auc = auroc(validation.map((p) => score(features(p, readingsAs, withComorbidities))), yva);
      const which = `readings ${readingsAs.padEnd(6)} ${withComorbidities ? 'with   ' : 'without'} diagnoses, λ ${lambda}`;
      console.log(`${which}: ${Xtr[0].length} features, validation AUROC ${auc.toFixed(4)}`);
    }
  }
}
if (args.heads) {
  const heads = await rows(`SELECT subject_id, prediction_time, probability
                           FROM read_parquet(${quote(args.heads)}) WHERE task = ${quote(task)}`);
  const byPoint = new Map(heads.map((h) => [keyOf(h), h.probability]));
  const kept = validation.filter((p) => byPoint.has(keyOf(p)));
  const auc = auroc(kept.map((p) => byPoint.get(keyOf(p))), kept.map((p) => (p.y ? 1 : 0)));
  console.log(`heads on the same points (${kept.length}): validation AUROC ${auc.toFixed(4)}`);
}
