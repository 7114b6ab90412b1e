import { DuckDBInstance } from '@duckdb/node-api';
const db = await DuckDBInstance.create(':memory:'); const c = await db.connect();
await c.run(`create table m as select row_number() over () rn, * from read_parquet('/tmp/x/work/meds/data/held_out/0.parquet')`);
await c.run(`create table s as select subject_id, min(rn) srn from m group by all`);
await c.run(`copy (select m.* exclude (rn) from m join s using (subject_id) order by srn, time nulls first, case when time is null then rn end, code, numeric_value nulls first, rn) to '/tmp/s10/order/meds/data/held_out/0.parquet' (format parquet)`);
const r = await c.runAndReadAll(`describe select * from read_parquet('/tmp/s10/order/meds/data/held_out/0.parquet')`); console.log(r.getRows().map(x=>x[0]+':'+x[1]).join(', '));
