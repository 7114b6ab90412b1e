import { DuckDBInstance } from '@duckdb/node-api';
const db = await DuckDBInstance.create(':memory:'); const c = await db.connect();
const q = async s => (await c.runAndReadAll(s)).getRowObjects();
const cols = (await q(`describe select * from read_parquet('/tmp/s10/exp/ro_clean/r_clean_hazard.predictions.parquet')`)).map(r=>r.column_name);
console.log(cols.join(','));
const E='/tmp/s10/exp';
console.log(await q(`with a as (select * from read_parquet('${E}/ro_clean/r_clean_hazard.predictions.parquet')), b as (select * from read_parquet('${E}/ro_c0.3/r_c0.3_hazard.predictions.parquet')), o as (select * from read_parquet('${E}/ro_clean/oracle.predictions.parquet') where task='hospital_mortality')
 select count(*) n, avg(a.probability) clean, avg(b.probability) corrupt, avg(o.probability) oracle, corr(a.probability,b.probability) r, corr(a.probability,o.probability) r_clean_oracle, corr(b.probability,o.probability) r_corrupt_oracle, corr(rank_a, rank_o) from (select *, 0 rank_a, 0 rank_o from a) a join b using(subject_id,prediction_time) join o using(subject_id,prediction_time)`));
