namespace FhirRisk.Meds.Omop;

/// <summary>
/// The OMOP CDM v5.4 tables we export, columns exactly as in the 5.4 DDL (OHDSI/CommonDataModel
/// <c>inst/ddl/5.4/duckdb/OMOPCDM_duckdb_5.4_ddl.sql</c>; reference/standards.md §3.1): same names, same order, same
/// NOT NULL columns and varchar sizes. <c>sig</c> is DDL <c>TEXT</c> (no limit).
/// </summary>
public static class OmopTables
{
    public static readonly OmopTableSchema Person = new("person",
    [
        Req("person_id"), Req("gender_concept_id"), Req("year_of_birth"), Int("month_of_birth"), Int("day_of_birth"),
        Dt("birth_datetime"), Req("race_concept_id"), Req("ethnicity_concept_id"), Int("location_id"), Int("provider_id"),
        Int("care_site_id"), Text("person_source_value"), Text("gender_source_value"), Int("gender_source_concept_id"),
        Text("race_source_value"), Int("race_source_concept_id"), Text("ethnicity_source_value"), Int("ethnicity_source_concept_id"),
    ]);

    public static readonly OmopTableSchema ObservationPeriod = new("observation_period",
    [
        Req("observation_period_id"), Req("person_id"), Date("observation_period_start_date"),
        Date("observation_period_end_date"), Req("period_type_concept_id"),
    ]);

    public static readonly OmopTableSchema VisitOccurrence = new("visit_occurrence",
    [
        Req("visit_occurrence_id"), Req("person_id"), Req("visit_concept_id"), Date("visit_start_date"), Dt("visit_start_datetime"),
        Date("visit_end_date"), Dt("visit_end_datetime"), Req("visit_type_concept_id"), Int("provider_id"), Int("care_site_id"),
        Text("visit_source_value"), Int("visit_source_concept_id"), Int("admitted_from_concept_id"), Text("admitted_from_source_value"),
        Int("discharged_to_concept_id"), Text("discharged_to_source_value"), Int("preceding_visit_occurrence_id"),
    ]);

    public static readonly OmopTableSchema VisitDetail = new("visit_detail",
    [
        Req("visit_detail_id"), Req("person_id"), Req("visit_detail_concept_id"), Date("visit_detail_start_date"),
        Dt("visit_detail_start_datetime"), Date("visit_detail_end_date"), Dt("visit_detail_end_datetime"),
        Req("visit_detail_type_concept_id"), Int("provider_id"), Int("care_site_id"), Text("visit_detail_source_value"),
        Int("visit_detail_source_concept_id"), Int("admitted_from_concept_id"), Text("admitted_from_source_value"),
        Text("discharged_to_source_value"), Int("discharged_to_concept_id"), Int("preceding_visit_detail_id"),
        Int("parent_visit_detail_id"), Req("visit_occurrence_id"),
    ]);

    public static readonly OmopTableSchema ConditionOccurrence = new("condition_occurrence",
    [
        Req("condition_occurrence_id"), Req("person_id"), Req("condition_concept_id"), Date("condition_start_date"),
        Dt("condition_start_datetime"), Date("condition_end_date", required: false), Dt("condition_end_datetime"),
        Req("condition_type_concept_id"), Int("condition_status_concept_id"), Text("stop_reason", 20), Int("provider_id"),
        Int("visit_occurrence_id"), Int("visit_detail_id"), Text("condition_source_value"), Int("condition_source_concept_id"),
        Text("condition_status_source_value"),
    ]);

    public static readonly OmopTableSchema DrugExposure = new("drug_exposure",
    [
        Req("drug_exposure_id"), Req("person_id"), Req("drug_concept_id"), Date("drug_exposure_start_date"),
        Dt("drug_exposure_start_datetime"), Date("drug_exposure_end_date"), Dt("drug_exposure_end_datetime"),
        Date("verbatim_end_date", required: false), Req("drug_type_concept_id"), Text("stop_reason", 20), Int("refills"),
        Num("quantity"), Int("days_supply"), new OmopColumn("sig", OmopColumnType.Text), Int("route_concept_id"),
        Text("lot_number"), Int("provider_id"), Int("visit_occurrence_id"), Int("visit_detail_id"), Text("drug_source_value"),
        Int("drug_source_concept_id"), Text("route_source_value"), Text("dose_unit_source_value"),
    ]);

    public static readonly OmopTableSchema ProcedureOccurrence = new("procedure_occurrence",
    [
        Req("procedure_occurrence_id"), Req("person_id"), Req("procedure_concept_id"), Date("procedure_date"),
        Dt("procedure_datetime"), Date("procedure_end_date", required: false), Dt("procedure_end_datetime"),
        Req("procedure_type_concept_id"), Int("modifier_concept_id"), Int("quantity"), Int("provider_id"),
        Int("visit_occurrence_id"), Int("visit_detail_id"), Text("procedure_source_value"), Int("procedure_source_concept_id"),
        Text("modifier_source_value"),
    ]);

    public static readonly OmopTableSchema Measurement = new("measurement",
    [
        Req("measurement_id"), Req("person_id"), Req("measurement_concept_id"), Date("measurement_date"),
        Dt("measurement_datetime"), Text("measurement_time", 10), Req("measurement_type_concept_id"), Int("operator_concept_id"),
        Num("value_as_number"), Int("value_as_concept_id"), Int("unit_concept_id"), Num("range_low"), Num("range_high"),
        Int("provider_id"), Int("visit_occurrence_id"), Int("visit_detail_id"), Text("measurement_source_value"),
        Int("measurement_source_concept_id"), Text("unit_source_value"), Int("unit_source_concept_id"), Text("value_source_value"),
        Int("measurement_event_id"), Int("meas_event_field_concept_id"),
    ]);

    public static readonly OmopTableSchema Observation = new("observation",
    [
        Req("observation_id"), Req("person_id"), Req("observation_concept_id"), Date("observation_date"),
        Dt("observation_datetime"), Req("observation_type_concept_id"), Num("value_as_number"), Text("value_as_string", 60),
        Int("value_as_concept_id"), Int("qualifier_concept_id"), Int("unit_concept_id"), Int("provider_id"),
        Int("visit_occurrence_id"), Int("visit_detail_id"), Text("observation_source_value"), Int("observation_source_concept_id"),
        Text("unit_source_value"), Text("qualifier_source_value"), Text("value_source_value"), Int("observation_event_id"),
        Int("obs_event_field_concept_id"),
    ]);

    public static readonly OmopTableSchema Death = new("death",
    [
        Req("person_id"), Date("death_date"), Dt("death_datetime"), Int("death_type_concept_id"), Int("cause_concept_id"),
        Text("cause_source_value"), Int("cause_source_concept_id"),
    ]);

    /// <summary>Every exported table, in the order files are written.</summary>
    public static readonly IReadOnlyList<OmopTableSchema> All =
        [Person, ObservationPeriod, VisitOccurrence, VisitDetail, ConditionOccurrence, DrugExposure, ProcedureOccurrence, Measurement, Observation, Death];

    private static OmopColumn Req(string name) => new(name, OmopColumnType.Integer, Required: true);

    private static OmopColumn Int(string name) => new(name, OmopColumnType.Integer);

    private static OmopColumn Num(string name) => new(name, OmopColumnType.Decimal);

    private static OmopColumn Text(string name, int maxLength = 50) => new(name, OmopColumnType.Text, MaxLength: maxLength);

    private static OmopColumn Date(string name, bool required = true) => new(name, OmopColumnType.Date, required);

    private static OmopColumn Dt(string name) => new(name, OmopColumnType.DateTime);
}
