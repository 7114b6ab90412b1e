using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.Omop;

/// <summary>
/// A mapped code: the verbatim source value, the source / standard concept ids (0 when unmapped) and the standard
/// concept's domain, which picks the event table (<see cref="OmopEventTable.For"/>).
/// </summary>
internal readonly record struct OmopCode(string? SourceValue, long SourceConceptId, long ConceptId, OmopDomain Domain = OmopDomain.Unknown);

/// <summary>
/// Maps FHIR codes to OMOP concepts (standards §3: "source → standard via Maps to"). Without a vocabulary every concept
/// id is 0; the source value is kept either way so nothing is lost.
/// </summary>
internal sealed class OmopConceptMapper
{
    private readonly AthenaVocabulary? _vocabulary;

    public OmopConceptMapper(AthenaVocabulary? vocabulary) => _vocabulary = vocabulary;

    /// <summary>
    /// The chosen coding's code as source value (text, then display, when no coding has a code); its concept ids when
    /// the vocabulary knows it.
    /// </summary>
    public OmopCode Map(FhirCodeableConcept? concept)
    {
        var coding = OmopVocabularyIds.Pick(concept);
        if (coding?.Code is null)
            return new OmopCode(concept?.Text ?? concept?.Codings.FirstOrDefault(c => c.Display is not null)?.Display, 0, 0);
        return Map(coding.System, coding.Code);
    }

    public OmopCode Map(string? system, string code)
    {
        var trimmed = code.Trim();
        var vocabularyId = OmopVocabularyIds.ForSystem(system);
        if (_vocabulary is null || vocabularyId is null)
            return new OmopCode(trimmed, 0, 0);
        var source = _vocabulary.SourceConceptId(vocabularyId, trimmed);
        if (source is null)
            return new OmopCode(trimmed, 0, 0);
        return _vocabulary.StandardConceptId(source.Value) is { } standard
            ? new OmopCode(trimmed, source.Value, standard, _vocabulary.Domain(standard))
            : new OmopCode(trimmed, source.Value, 0);
    }

    /// <summary>A UCUM unit's concept: null without a unit (measurement convention "NULL if none, 0 if unmapped").</summary>
    public long? UnitConceptId(FhirQuantity? quantity)
    {
        var unit = quantity?.Code ?? quantity?.Unit;
        if (string.IsNullOrWhiteSpace(unit))
            return null;
        return _vocabulary?.SourceConceptId("UCUM", unit.Trim()) ?? 0;
    }
}
