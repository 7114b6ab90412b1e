import { DuckDBInstance } from '@duckdb/node-api';
const db = await DuckDBInstance.create(':memory:'); const c = await db.connect();
const q = async s => (await c.runAndReadAll(s)).getRows();
await c.run(`create table m as select row_number() over () rn, subject_id, time, code from read_parquet('/tmp/x/work/meds/data/held_out/*.parquet')`);
for (const r of await q(`select array_to_string(list(split_part(code,'//',1) order by rn), ' | ') codes, count(*) n from m where time is not null group by subject_id, time having count(*)>1 and bool_or(code like 'HOSPITAL_%' or code like 'ED_%' or code like 'ICU_%' or code like 'MEDS_DEATH%') order by n desc limit 1`)) console.log(r[0]);
for (const r of await q(`select codes, count(*) n from (select array_to_string(list(split_part(code,'//',1) order by rn), ' | ') codes from m where time is not null group by subject_id, time having count(*)>1 and bool_or(code like 'HOSPITAL_%' or code like 'ED_%' or code like 'ICU_%' or code like 'MEDS_DEATH%')) group by codes order by n desc limit 15`)) console.log(r[1], r[0]);
