using FhirRisk.Core;
using FhirRisk.Parquet;

namespace FhirRisk.Meds.Tests;

/// <summary>
/// The synthetic dataset committed at <c>samples/meds-demo/</c> (the README's first command inspects it). Written by our
/// writer with a fixed clock and snappy compression: IronSnappy is managed code, so the bytes do not depend on the
/// machine's libzstd version.
/// </summary>
internal static class MedsDemoSample
{
    public static readonly MedsDatasetWriterSettings Settings = new()
    {
        DatasetName = "fhirrisk-meds-demo",
        DatasetVersion = "1.0.0",
        Clock = new FixedClock(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero)),
        MaxSubjectsPerShard = 4,
        ParquetOptions = ParquetWriterOptions.Default with { Compression = ParquetCompression.Snappy },
    };

    private static readonly MedsCodeMetadata[] s_codes =
    [
        new("GENDER//F", "Administrative gender: female"),
        new("GENDER//M", "Administrative gender: male"),
        new(MedsSchema.BirthCode, "Birth"),
        new(MedsSchema.DeathCode, "Death"),
        new("HOSPITAL_ADMISSION//EMER", "Inpatient admission through the emergency department"),
        new("HOSPITAL_DISCHARGE//HOME", "Discharged home"),
        new("HOSPITAL_DISCHARGE//DIED", "Died in hospital"),
        new("ICU_ADMISSION//MICU", "Admitted to the medical ICU"),
        new("ICU_DISCHARGE", "Discharged from the ICU"),
        new("LOINC//2160-0//mg/dL", "Creatinine [Mass/volume] in Serum or Plasma", ["LOINC/2160-0"]),
        new("LOINC//8867-4///min", "Heart rate", ["LOINC/8867-4"]),
        new("ICD10CM//E11.9", "Type 2 diabetes mellitus without complications", ["ICD10CM//E11"]),
        new("ICD10CM//I50.9", "Heart failure, unspecified", ["ICD10CM//I50"]),
        new("RXNORM//860975", "Metformin 500 MG extended-release oral tablet"),
        new("NOTE//triage", "Free-text triage note"),
    ];

    public static MedsDatasetWriteSummary Write(string root)
    {
        using var writer = new MedsDatasetWriter(root, Settings);
        foreach (var code in s_codes)
            writer.AddCodeMetadata(code);
        for (var i = 0; i < 12; i++)
            writer.WriteSubject(SubjectId(i), Subject(i));
        return writer.Complete();
    }

    public static long SubjectId(int index) => 1001 + index;

    /// <summary>One admission per subject; every third gets an ICU stay, and subject 1008 dies in hospital.</summary>
    private static List<MedsEvent> Subject(int index)
    {
        var id = SubjectId(index);
        var birth = new DateTime(1940 + (index * 4), 1 + index, 1 + (index * 2));
        var admit = new DateTime(2019, 1 + index, 3, 8 + index, 15, 0);
        var encounter = (id * 10) + 1;
        var events = new List<MedsEvent>
        {
            new(id, null, index % 2 == 0 ? "GENDER//F" : "GENDER//M"),
            new(id, birth, MedsSchema.BirthCode),
            new(id, admit, "HOSPITAL_ADMISSION//EMER", EncounterId: encounter),
            new(id, admit, "NOTE//triage", TextValue: $"chest pain, day {index + 1} – née à domicile", EncounterId: encounter),
            new(id, admit.AddMinutes(30), "LOINC//2160-0//mg/dL", 0.8f + (index * 0.15f), EncounterId: encounter),
            new(id, admit.AddMinutes(30), "LOINC//8867-4///min", 70 + (index * 4), EncounterId: encounter),
            new(id, admit.AddDays(1), index % 3 == 0 ? "ICD10CM//I50.9" : "ICD10CM//E11.9", EncounterId: encounter),
        };
        if (index % 3 == 0)
        {
            events.Add(new(id, admit.AddHours(6), "ICU_ADMISSION//MICU", EncounterId: encounter));
            events.Add(new(id, admit.AddDays(2), "ICU_DISCHARGE", EncounterId: encounter));
        }
        if (index == 7)
        {
            events.Add(new(id, admit.AddDays(4), MedsSchema.DeathCode, EncounterId: encounter));
            events.Add(new(id, admit.AddDays(4), "HOSPITAL_DISCHARGE//DIED", EncounterId: encounter));
        }
        else
        {
            events.Add(new(id, admit.AddDays(3), "RXNORM//860975", EncounterId: encounter));
            events.Add(new(id, admit.AddDays(3).AddHours(2), "HOSPITAL_DISCHARGE//HOME", EncounterId: encounter));
        }
        // Reverse the input so the writer's sorting is part of what the golden files pin.
        events.Reverse();
        return events;
    }
}
