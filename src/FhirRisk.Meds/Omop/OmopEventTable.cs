using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.Omop;

/// <summary>
/// One clinical fact of a FHIR resource before it has a table: whose, what (the mapped code, whose standard concept's
/// domain picks the table), when, during which visit, and where the record came from (the type concept).
/// <see cref="End"/> is the end the source gives, if any.
/// </summary>
internal readonly record struct OmopEvent(long PersonId, OmopCode Code, FhirDateTime Start, FhirDateTime? End, FhirReference? Encounter, long TypeConceptId);

/// <summary>
/// The five event tables a clinical fact can land in, and the rule that picks one: the HL7 FHIR-to-OMOP IG's "OMOP
/// Domain Assignment Logic" (standards §3.2) — the standard concept's domain decides, not the FHIR resource type. A fact
/// without a standard concept, or whose domain has no event table here, stays in its resource type's table.
/// </summary>
internal sealed class OmopEventTable
{
    public static readonly OmopEventTable Condition = new(OmopTables.ConditionOccurrence, "condition", "condition_start", "condition_end");
    public static readonly OmopEventTable Procedure = new(OmopTables.ProcedureOccurrence, "procedure", "procedure", "procedure_end");
    public static readonly OmopEventTable Drug = new(OmopTables.DrugExposure, "drug", "drug_exposure_start", "drug_exposure_end");
    public static readonly OmopEventTable Measurement = new(OmopTables.Measurement, "measurement", "measurement", endPrefix: null);
    public static readonly OmopEventTable Observation = new(OmopTables.Observation, "observation", "observation", endPrefix: null);

    private readonly string _prefix;
    private readonly string _startPrefix;
    private readonly string? _endPrefix;
    private readonly bool _endRequired;

    /// <param name="prefix">Names the concept, type, source value and source concept columns (<c>drug_concept_id</c>…).</param>
    /// <param name="startPrefix">Names the start <c>_date</c>/<c>_datetime</c> columns.</param>
    /// <param name="endPrefix">Names the end columns; null when the table has none.</param>
    private OmopEventTable(OmopTableSchema schema, string prefix, string startPrefix, string? endPrefix)
    {
        Schema = schema;
        _prefix = prefix;
        _startPrefix = startPrefix;
        _endPrefix = endPrefix;
        _endRequired = endPrefix is not null && schema.Columns[schema.IndexOf(endPrefix + "_date")].Required;
    }

    public OmopTableSchema Schema { get; }

    /// <summary>The table of <paramref name="domain"/>; <paramref name="resourceDefault"/> for Unknown and Other domains.</summary>
    public static OmopEventTable For(OmopDomain domain, OmopEventTable resourceDefault) => domain switch
    {
        OmopDomain.Condition => Condition,
        OmopDomain.Procedure => Procedure,
        OmopDomain.Measurement => Measurement,
        OmopDomain.Observation => Observation,
        OmopDomain.Drug => Drug,
        _ => resourceDefault,
    };

    /// <summary>
    /// A row with the columns every fact fills: the next row id, person, concept ids and source value, start (and end
    /// where the table has one; drug_exposure's NOT NULL end falls back to the start), type and visit. The caller adds
    /// the table's own columns and then <see cref="Write"/>s it. Widens the person's observation period.
    /// </summary>
    public OmopRow Begin(OmopEvent fact, OmopSource source)
    {
        var state = source.State;
        var row = state.Sink(Schema).NewRow();
        row[Schema.Name + "_id"] = state.NextId(Schema);
        row["person_id"] = fact.PersonId;
        row[_prefix + "_concept_id"] = fact.Code.ConceptId;
        OmopTime.SetStart(row, _startPrefix, fact.Start, state, fact.PersonId);
        var given = fact.End;
        if (_endPrefix is not null && given is { } before && before.UtcEndIfDay < fact.Start.Utc) // an end by date ends with its day
        {
            // An end before the start would fail the CDM's start-before-end checks and stretch the observation period back.
            source.Warn(OmopIssueCodes.EndBeforeStart, "", $"{source.Resource.ResourceType} ends before it starts; {Schema.Name} gets no end{(_endRequired ? " but its start" : "")}.");
            given = null;
        }
        if (_endPrefix is not null && (given ?? (_endRequired ? fact.Start : null)) is { } end)
            OmopTime.SetEnd(row, _endPrefix, end, fact.Start, state, fact.PersonId);
        if (this == Measurement)
            row["measurement_time"] = OmopTime.TimeOfDay(fact.Start, state.Zone);
        row[_prefix + "_type_concept_id"] = fact.TypeConceptId;
        source.SetVisit(row, fact.Encounter);
        row[_prefix + "_source_value"] = fact.Code.SourceValue ?? "";
        row[_prefix + "_source_concept_id"] = fact.Code.SourceConceptId;
        return row;
    }

    public void Write(OmopRow row, OmopSource source) => source.State.Sink(Schema).Write(row);
}
