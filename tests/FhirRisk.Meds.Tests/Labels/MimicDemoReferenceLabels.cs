using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests.Labels;

/// <summary>
/// The DESIGN §6 labels of the MIMIC-IV demo MEDS written as plain SQL over admissions and ICU stays grouped by
/// <c>hadm_id</c>/<c>icustay_id</c> (MEDS_transforms keeps MIMIC's ids as extra columns), and ED visits tied to their
/// admission by the <c>TRANSFER_TO//ED</c> row's <c>hadm_id</c>: the test oracle for our timeline evaluator.
/// </summary>
internal static class MimicDemoReferenceLabels
{
    public sealed record Row(string Task, long SubjectId, long PredictionTime, bool Label);

    public static IReadOnlyList<Row> Compute(string datasetRoot)
    {
        var shards = Path.Combine(datasetRoot, "data", "*", "*.parquet").Replace("'", "''", StringComparison.Ordinal);
        var result = DuckDb.Query(Sql.Replace("{shards}", shards, StringComparison.Ordinal));
        var columns = DuckDbValue.Columns(result);
        return Enumerable.Range(0, columns[0].Length)
            .Select(i => new Row((string)columns[0][i]!, (long)columns[1][i]!, (long)columns[2][i]!, (bool)columns[3][i]!))
            .ToArray();
    }

    private const string Sql = """
        with ev as (select subject_id, time, code, hadm_id, icustay_id from read_parquet('{shards}')),
        deaths as (select subject_id, min(time) as death from ev where code = 'MEDS_DEATH' group by subject_id),
        icu as (
            select subject_id, hadm_id, icustay_id,
                   min(time) filter (where code like 'ICU_ADMISSION//%') as icu_in,
                   min(time) filter (where code like 'ICU_DISCHARGE//%') as icu_out
            from ev where icustay_id is not null group by all),
        adm as (
            select subject_id, hadm_id,
                   min(time) filter (where code like 'HOSPITAL_ADMISSION//%') as admit,
                   min(time) filter (where code like 'HOSPITAL_DISCHARGE//%') as disch,
                   bool_or(code = 'HOSPITAL_DISCHARGE//DIED') as died_disposition
            from ev where hadm_id is not null group by all),
        hosp as (
            select a.subject_id, a.hadm_id, a.admit, a.disch,
                   a.died_disposition or coalesce(d.death between a.admit and a.disch, false) as died,
                   (select min(i.icu_in) from icu i where i.hadm_id = a.hadm_id) as first_icu
            from adm a left join deaths d on d.subject_id = a.subject_id
            where a.admit is not null),
        ed as (
            select r.subject_id, r.time as reg, t.hadm_id
            from ev r left join ev t on t.subject_id = r.subject_id and t.time = r.time and t.code like 'TRANSFER_TO//ED//%'
            where r.code = 'ED_REGISTRATION')
        select 'hospital_mortality' as task, subject_id, epoch_us(admit) as t, died as label from hosp
        union all
        select 'icu_admission', subject_id, epoch_us(admit), coalesce(first_icu > admit and first_icu <= disch, false) from hosp
        union all
        select 'prolonged_los', subject_id, epoch_us(admit), disch - admit >= interval 10 day from hosp
        union all
        select 'composite', subject_id, epoch_us(admit),
               died or coalesce(first_icu > admit and first_icu <= disch, false) or disch - admit >= interval 10 day from hosp
        union all
        select 'readmission_30d', h.subject_id, epoch_us(h.disch),
               exists (select 1 from hosp n where n.subject_id = h.subject_id and n.admit > h.disch and n.admit <= h.disch + interval 30 day)
               or coalesce(d.death > h.disch and d.death <= h.disch + interval 30 day, false)
        from hosp h left join deaths d on d.subject_id = h.subject_id where not h.died
        union all
        select 'icu_mortality', i.subject_id, epoch_us(i.icu_in), h.died and h.disch <= i.icu_out
        from icu i join hosp h on h.hadm_id = i.hadm_id
        union all
        select 'ed_hospitalization', subject_id, epoch_us(reg), hadm_id is not null from ed
        union all
        select 'ed_critical_outcome', e.subject_id, epoch_us(e.reg),
               coalesce(h.first_icu <= e.reg + interval 12 hour or (h.died and h.disch <= e.reg + interval 12 hour), false)
        from ed e left join hosp h on h.hadm_id = e.hadm_id
        """;
}
