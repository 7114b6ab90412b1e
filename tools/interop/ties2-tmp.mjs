import { DuckDBInstance } from '@duckdb/node-api';
const db = await DuckDBInstance.create(':memory:'); const c = await db.connect();
const q = async s => (await c.runAndReadAll(s)).getRows();
await c.run(`create table m as select row_number() over () rn, subject_id, time, code, numeric_value from read_parquet('/tmp/x/work/meds/data/held_out/*.parquet')`);
for (const r of await q(`select array_to_string(list(code order by rn), ' | ') codes from m where time is not null group by subject_id, time having count(*)>2 limit 12`)) console.log(r[0]);
