using FhirRisk.Core;
using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.FhirMapping;

/// <summary>
/// Patient → MEDS_BIRTH (birthDate, start of day), static GENDER//F|M|O|U, RACE//… and ETHNICITY//… (US Core race and
/// ethnicity extensions, OMB/CDC race-ethnicity codes), and MEDS_DEATH at deceasedDateTime (DESIGN §3). A Patient read
/// again later in the input (the same id in a second file or bundle) maps nothing: its first copy did (FHIRMAP014).
/// </summary>
internal static class PatientMapper
{
    private const string RaceUrl = "us-core-race";
    private const string EthnicityUrl = "us-core-ethnicity";

    public static void Map(FhirPatient patient, MappingContext context)
    {
        var id = patient.Id ?? ReferenceTarget.Parse(context.Envelope.FullUrl)?.Id;
        if (id is null)
        {
            context.Report(Issue.Error(FhirMappingIssueCodes.MissingSubject, context.Envelope.IssuePath("id"), "Patient has no id"));
            return;
        }
        if (context.Index.Survivor(id) is var survivor && survivor != id)
        {
            // A chart merged into another: its data belongs to that Patient, whose own record gives the static rows.
            context.Report(new Issue(FhirMappingIssueCodes.MergedPatient, IssueSeverity.Information, context.Envelope.IssuePath("link"),
                $"a Patient replaced by Patient/{survivor} (link replaced-by): what references it is mapped to that Patient, and its own static rows are not written"));
            return;
        }
        var subjectId = context.Index.SubjectIdOf(id);
        if (context.Index.EarlierPatientCopy(subjectId, context.Envelope) is { } first)
        {
            context.Report(new Issue(FhirMappingIssueCodes.DuplicatePatient, IssueSeverity.Information, context.Envelope.IssuePath("id"),
                $"a Patient with this id was already read at {first}; that first copy gives the subject's static rows, birth and death"));
            return;
        }
        if (patient.BirthDate is { } birth)
            context.Emit(subjectId, birth.Utc, "MEDS_BIRTH");
        if (GenderCode(patient.Gender) is { } gender)
            context.Emit(subjectId, null, "GENDER//" + gender);
        foreach (var extension in patient.Extensions)
        {
            var prefix = extension.Url.EndsWith(RaceUrl, StringComparison.OrdinalIgnoreCase) ? "RACE//"
                : extension.Url.EndsWith(EthnicityUrl, StringComparison.OrdinalIgnoreCase) ? "ETHNICITY//" : null;
            if (prefix is not null)
                EmitCategories(subjectId, prefix, extension, context);
        }
        MapDeath(patient, subjectId, context);
    }

    /// <summary>
    /// A date-only deceasedDateTime is imprecise: when an Encounter of the subject ends with a "died" disposition, that
    /// discharge time is the death time and the encounter mapper emits it; otherwise the death is placed at the end of
    /// the given day, so it never precedes events recorded on that day (in a live record read that day, at the reading:
    /// <see cref="MappingContext.KnownEnd"/>).
    /// </summary>
    private static void MapDeath(FhirPatient patient, long subjectId, MappingContext context)
    {
        if (patient.DeceasedDateTime is { } deceased)
        {
            if (deceased.HasTime)
                context.Emit(subjectId, deceased.Utc, "MEDS_DEATH");
            else if (!(context.Settings.DeathFromDischargeDisposition && context.Index.HasDispositionDeath(subjectId)))
                context.Emit(subjectId, context.KnownEnd(deceased), "MEDS_DEATH");
        }
        else if (patient.DeceasedBoolean == true && !context.Index.HasDispositionDeath(subjectId))
        {
            context.Report(Issue.Warning(FhirMappingIssueCodes.NoTime, context.Envelope.IssuePath("deceasedBoolean"),
                "deceased without a date: no MEDS_DEATH event"));
        }
    }

    private static void EmitCategories(long subjectId, string prefix, FhirExtension extension, MappingContext context)
    {
        var codes = extension.ValueCodings.Select(c => c.Code?.Trim()).Where(c => !string.IsNullOrEmpty(c)).Distinct().ToList();
        if (codes.Count == 0 && !string.IsNullOrWhiteSpace(extension.ValueText))
            codes.Add(extension.ValueText.Trim());
        foreach (var code in codes)
            context.Emit(subjectId, null, prefix + code);
    }

    private static string? GenderCode(string? gender) => gender?.Trim().ToUpperInvariant() switch
    {
        "MALE" => "M",
        "FEMALE" => "F",
        "OTHER" => "O",
        "UNKNOWN" => "U",
        _ => null,
    };
}
