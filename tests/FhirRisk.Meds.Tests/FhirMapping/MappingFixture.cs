using FhirRisk.Core;
using FhirRisk.Fhir;
using FhirRisk.Fhir.Model;
using FhirRisk.Meds.FhirMapping;

namespace FhirRisk.Meds.Tests.FhirMapping;

/// <summary>Hand-built resources, an index and a mapper, so each mapper test states only what it is about.</summary>
internal sealed class MappingFixture(FhirMappingSettings? settings = null)
{
    public const string Scope = "bundle.json#0";

    public FhirIndex Index { get; } = new(settings ?? new FhirMappingSettings { Source = "test" });

    public List<MedsEvent> Events { get; } = [];

    public List<Issue> Issues { get; } = [];

    public static FhirResourceEnvelope Envelope(string type, string? fullUrl = null, string scope = Scope) =>
        new(type, "bundle.json", "Bundle.entry[0].resource", fullUrl, scope, ReadOnlyMemory<byte>.Empty);

    public static FhirDateTime At(int year, int month, int day, int hour = 0, int minute = 0) =>
        new(new DateTime(year, month, day, hour, minute, 0, DateTimeKind.Utc), FhirDatePrecision.Minute);

    public static FhirDateTime Day(int year, int month, int day) =>
        new(new DateTime(year, month, day, 0, 0, 0, DateTimeKind.Utc), FhirDatePrecision.Day);

    public static FhirCodeableConcept Concept(string system, string code, string? display = null) => new([new FhirCoding(system, code, display)]);

    public static FhirReference Ref(string reference) => new(reference);

    public long SubjectId(string patientId) => StableHash.Of63("test|Patient/" + patientId);

    public long EncounterId(string encounterId) => StableHash.Of63("test|Encounter/" + encounterId);

    public MappingFixture Add(FhirResource resource, string? fullUrl = null)
    {
        Index.Add(resource, Envelope(resource.ResourceType, fullUrl));
        return this;
    }

    public MappingFixture WithPatient(string id = "p1") => Add(new FhirPatient { Id = id, Gender = "female" });

    public List<MedsEvent> Map(FhirResource resource, string? fullUrl = null)
    {
        var before = Events.Count;
        new FhirMedsMapper(Index, Index.Settings).Map(resource, Envelope(resource.ResourceType, fullUrl), Events, Issues);
        return Events.Skip(before).ToList();
    }

    public IEnumerable<string> IssueCodes => Issues.Select(i => i.Code);
}
