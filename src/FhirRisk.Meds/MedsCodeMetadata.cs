namespace FhirRisk.Meds;

/// <summary>One row of <c>metadata/codes.parquet</c>.</summary>
/// <param name="Code">The code, exactly as it appears in the data.</param>
/// <param name="Description">Human-readable description, when known.</param>
/// <param name="ParentCodes">Parent codes in other vocabularies (e.g. <c>LOINC/8867-4</c>), used for ontology back-off.</param>
public sealed record MedsCodeMetadata(string Code, string? Description = null, IReadOnlyList<string>? ParentCodes = null);
