namespace FhirRisk.Meds.Omop;

/// <summary>
/// Stable issue codes of the OMOP export (docs/formats/omop.md "Issues"). All are recoverable: the resource yields no
/// row in the named table (or a row without the missing part) and the export goes on.
/// </summary>
public static class OmopIssueCodes
{
    /// <summary>Warning: the subject/patient reference does not name a person with a person row (a Patient of the input
    /// with a birth date); no row, so no row names a person_id the person table lacks.</summary>
    public const string NoPerson = "OMOP001";

    /// <summary>Warning: no usable date for a NOT NULL start date (birthDate for person); no row.</summary>
    public const string NoDate = "OMOP002";

    /// <summary>Information: dropped by a documented status rule (entered-in-error, cancelled, not-done, refuted).</summary>
    public const string StatusDropped = "OMOP003";

    /// <summary>Warning: an Encounter or Patient without an id or urn fullUrl cannot get its surrogate id; no row.</summary>
    public const string NoResourceId = "OMOP004";

    /// <summary>Warning: a sub-encounter's partOf does not name an exported visit (missing from the input, not exported
    /// itself, or the encounter itself); it is exported as a visit_occurrence of its own instead.</summary>
    public const string UnresolvedParentVisit = "OMOP005";

    /// <summary>Warning: a numeric value is not finite; the row keeps its source value but no value_as_number.</summary>
    public const string ValueNotFinite = "OMOP006";

    /// <summary>Information: a second row for the same person / visit id; the first is kept.</summary>
    public const string DuplicateId = "OMOP007";

    /// <summary>Warning: an end before the start (a period or an abatement that ends before it began); the end is left
    /// out (a NOT NULL end takes the start), and it does not widen the observation period.</summary>
    public const string EndBeforeStart = "OMOP008";
}
