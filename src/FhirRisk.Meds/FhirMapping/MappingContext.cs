using FhirRisk.Core;
using FhirRisk.Fhir;
using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.FhirMapping;

/// <summary>
/// One resource being mapped: where its events and issues go, and the shared steps every mapper takes (subject,
/// encounter, status and value checks) so that each rule reports the same issue code everywhere.
/// </summary>
internal sealed class MappingContext(
    FhirIndex index,
    FhirMappingSettings settings,
    FhirResource resource,
    FhirResourceEnvelope envelope,
    ICollection<MedsEvent> events,
    ICollection<Issue> issues,
    CodeDescriptions descriptions)
{
    public FhirIndex Index { get; } = index;

    public FhirMappingSettings Settings { get; } = settings;

    public FhirResource Resource { get; } = resource;

    public FhirResourceEnvelope Envelope { get; } = envelope;

    /// <summary>The subject id, or null (with an issue) when the resource cannot be placed on a timeline.</summary>
    public long? Subject(FhirReference? reference, string element)
    {
        var resolution = Index.ResolveSubjectDetailed(reference, Envelope);
        switch (resolution.Status)
        {
            case SubjectStatus.Missing:
                Report(Issue.Error(FhirMappingIssueCodes.MissingSubject, Envelope.IssuePath(element), $"{Resource.ResourceType} has no {element}"));
                break;
            case SubjectStatus.NotPatient:
                Report(Issue.Warning(FhirMappingIssueCodes.SubjectNotPatient, Envelope.IssuePath(element), $"{element} does not reference a Patient"));
                break;
            case SubjectStatus.Unresolved:
                Report(Issue.Warning(FhirMappingIssueCodes.UnresolvedSubject, Envelope.IssuePath(element), "the referenced Patient is not in the input"));
                break;
            case SubjectStatus.OtherServer:
                Report(Issue.Warning(FhirMappingIssueCodes.SubjectOnOtherServer, Envelope.IssuePath(element),
                    $"{element} names a Patient on another server than the input's (an absolute reference whose base no fullUrl of the input has, or whose Patient of that id the input has from another base); the resource is not mapped"));
                break;
        }
        return resolution.SubjectId;
    }

    /// <summary>The linked encounter, or null; a reference that does not resolve is a warning.</summary>
    public FhirEncounterInfo? Encounter(FhirReference? reference, string element)
    {
        if (string.IsNullOrWhiteSpace(reference?.Reference))
            return null;
        var info = Index.ResolveEncounter(reference, Envelope);
        if (info is null)
            Report(Issue.Warning(FhirMappingIssueCodes.UnresolvedEncounter, Envelope.IssuePath(element), "the referenced Encounter is not in the input"));
        return info;
    }

    /// <summary>True (with an information issue) when <paramref name="status"/> is one of the dropped statuses.</summary>
    public bool DroppedByStatus(string? status, string element, params IReadOnlyList<string> dropped)
    {
        if (!StatusRules.Drops(dropped, status))
            return false;
        Report(new Issue(FhirMappingIssueCodes.StatusDropped, IssueSeverity.Information, Envelope.IssuePath(element),
            $"{Resource.ResourceType} with {element} '{status}' is not mapped"));
        return true;
    }

    /// <summary>True when a CodeableConcept status (clinical/verification) has a coding with a dropped code.</summary>
    public bool DroppedByStatus(FhirCodeableConcept? status, string element, params IReadOnlyList<string> dropped) =>
        status?.Codings.FirstOrDefault(c => StatusRules.Drops(dropped, c.Code)) is { } coding
        && DroppedByStatus(coding.Code, element, dropped);

    /// <summary>The MEDS code of a concept, or null with a <see cref="FhirMappingIssueCodes.NoUsableCode"/> warning.</summary>
    public string? Code(FhirCodeableConcept? concept, string element)
    {
        var code = CodeOf(concept);
        if (code is null)
            Report(Issue.Warning(FhirMappingIssueCodes.NoUsableCode, Envelope.IssuePath(element), "no coding with a code"));
        return code;
    }

    /// <summary>The MEDS code of a concept's most specific coding, or null; its display names the code
    /// (<see cref="CodeDescriptions"/>).</summary>
    public string? CodeOf(FhirCodeableConcept? concept) => CodeOf(CodeSystems.PickMostSpecific(concept));

    /// <summary>The MEDS code of one coding, or null; its display names the code (<see cref="CodeDescriptions"/>).</summary>
    public string? CodeOf(FhirCoding? coding)
    {
        var code = CodeSystems.ToCode(coding);
        if (code is not null)
            descriptions.Add(code, coding);
        return code;
    }

    /// <summary>
    /// The time a value is taken at: a date without a time at that day's end, or at <paramref name="encounter"/>'s end where
    /// that day holds it (never before the day's start); any other value as written. An act recorded by date happened at some time
    /// that day, so only the day's end is sure not to put it before what else the day held — the admission, the ED
    /// triage — where a prompt must not read it (review s21-fhir M2: a date-only result sat at midnight, before that
    /// day's admission). Procedures have their own rule (<see cref="ProcedureMapper.Placed"/>), which also reads
    /// MIMIC-IV's midnight times as dates; a year or a month stays at its start. A live record's date of today is placed
    /// no later than its reading (<see cref="FhirMappingSettings.ReadAt"/>).
    /// </summary>
    public DateTime? Known(FhirDateTime? value, FhirPeriod? encounter = null)
    {
        if (value is not { } given)
            return null;
        if (given.Precision != FhirDatePrecision.Day)
            return given.Utc;
        // The day that holds the encounter's end ends there for it: the act was part of the stay, not after its discharge.
        var time = given.UtcEnd;
        if (encounter?.End?.UtcEnd is { } end && time > end && given.Utc <= end)
            time = end;
        return NotAfterReading(time, given.Utc);
    }

    /// <summary>
    /// The last instant a value denotes (<see cref="FhirDateTime.UtcEnd"/>: a discharge, an encounter's end, a date-only
    /// death), no later than a live record's reading where it names a period of time rather than an instant: today's
    /// date as an encounter's end is the discharge being made now, not tonight (review s21-fixes M1).
    /// </summary>
    public DateTime? KnownEnd(FhirDateTime? value) =>
        value is not { } given ? null : given.HasTime ? given.UtcEnd : NotAfterReading(given.UtcEnd, given.Utc);

    /// <summary><paramref name="time"/>, or the live reading's instant where that is earlier (<see
    /// cref="FhirMappingSettings.ReadAt"/>), never before <paramref name="dayStart"/>.</summary>
    internal DateTime NotAfterReading(DateTime time, DateTime dayStart)
    {
        if (Settings.ReadAt is { } now && time > now)
            time = now;
        return time > dayStart ? time : dayStart;
    }

    /// <summary>The first present time, or null with a <see cref="FhirMappingIssueCodes.NoTime"/> warning at
    /// <paramref name="element"/> that names what was looked for (<paramref name="lookedFor"/>, else the element).</summary>
    public DateTime? Time(string element, DateTime? first, DateTime? second = null, DateTime? third = null, string? lookedFor = null)
    {
        if ((first ?? second ?? third) is { } time)
            return time;
        Report(Issue.Warning(FhirMappingIssueCodes.NoTime, Envelope.IssuePath(element), $"{Resource.ResourceType} has no usable {lookedFor ?? element}"));
        return null;
    }

    /// <summary>A value as MEDS float32, or null with a warning when it is not finite or beyond float32 range.</summary>
    public float? Numeric(double? value, string element)
    {
        if (value is not { } number)
            return null;
        if (double.IsFinite(number) && Math.Abs(number) <= float.MaxValue)
            return (float)number;
        Report(Issue.Warning(FhirMappingIssueCodes.ValueOutOfRange, Envelope.IssuePath(element), "value is not representable as float32"));
        return null;
    }

    /// <summary>Names <paramref name="code"/>, a code built on <paramref name="concept"/>'s (<c>ALLERGY//SNOMED//…</c>), by
    /// <paramref name="phrase"/> of the display of the coding the code was taken from, where it has one: this resource's
    /// own, not the name the concept's code holds so far, which depends on what was mapped before (review s23 M2).</summary>
    public void NameAfter(string code, FhirCodeableConcept? concept, Func<string, string> phrase)
    {
        if (CodeSystems.PickMostSpecific(concept)?.Display is { } display && !string.IsNullOrWhiteSpace(display))
            descriptions.Add(code, phrase(display.Trim()));
    }

    public void Emit(long subjectId, DateTime? time, string code, float? numeric = null, string? text = null, long? encounterId = null) =>
        events.Add(new MedsEvent(subjectId, time, code, numeric, text, encounterId));

    public void Report(Issue issue) => issues.Add(issue);

    /// <summary>A context for a resource this one contains, mapped into the same events and issues.</summary>
    public MappingContext ForContained(FhirResource contained, FhirResourceEnvelope containedEnvelope) =>
        new(Index, Settings, contained, containedEnvelope, events, issues, descriptions);
}
