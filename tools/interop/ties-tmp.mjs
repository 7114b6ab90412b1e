import { DuckDBInstance } from '@duckdb/node-api';
const db = await DuckDBInstance.create(':memory:'); const c = await db.connect();
const q = async s => (await c.runAndReadAll(s)).getRowObjects();
await c.run(`create table m as select row_number() over () rn, subject_id, time, code, numeric_value from read_parquet('/tmp/x/work/meds/data/held_out/*.parquet')`);
console.log(await q(`select count(*) ngroups, sum(n) nrows from (select subject_id, time, count(*) n from m where time is not null group by all having count(*)>1)`));
// is order within tie == order by code?
console.log(await q(`with t as (select *, row_number() over (partition by subject_id, time order by rn) pos, row_number() over (partition by subject_id, time order by code, numeric_value, rn) cpos from m where time is not null)
 select count(*) nrows, sum(case when pos<>cpos then 1 else 0 end) differ from t`));
console.log(await q(`select subject_id, time, list(code order by rn) codes from m where time is not null group by all having count(*)>2 limit 8`));
