using FhirRisk.Fhir;
using FhirRisk.Meds.Ingestion;

namespace FhirRisk.Meds.Tests.Ingestion;

public sealed class IndexPassSelectionTests
{
    [Theory]
    [InlineData("Patient.000.ndjson", "Patient")]
    [InlineData("MimicEncounterICU.ndjson.gz", "Encounter")]
    [InlineData("MimicMedicationMix.ndjson.gz", "Medication")]
    [InlineData("MimicMedicationRequest.ndjson.gz", "MedicationRequest")]
    [InlineData("PractitionerRole.000.ndjson", "PractitionerRole")]
    [InlineData("Conditions.ndjson", null)]
    [InlineData("export.ndjson", null)]
    public void TypeFromFileName_BulkExportNames_Type(string fileName, string? type) =>
        Assert.Equal(type, IndexPassSelection.TypeFromFileName(fileName));

    [Theory]
    [InlineData("/d/Patient.000.ndjson", FhirInputKind.Ndjson, true)]
    [InlineData("/d/MimicLocation.ndjson.gz", FhirInputKind.NdjsonGzip, true)]
    [InlineData("/d/Observation.000.ndjson", FhirInputKind.Ndjson, false)]
    [InlineData("/d/MimicProcedureICU.ndjson.gz", FhirInputKind.NdjsonGzip, false)]
    [InlineData("/d/mixed.ndjson", FhirInputKind.Ndjson, true)]
    [InlineData("/d/Observation-bundle.json", FhirInputKind.Json, true)]
    public void MayHoldIndexedTypes_File_OnlyNamedNonIndexedNdjsonSkipped(string path, FhirInputKind kind, bool expected) =>
        Assert.Equal(expected, IndexPassSelection.MayHoldIndexedTypes(new FhirInputFile(path, kind, 1)));
}
