using FhirRisk.Meds.Tasks;

namespace FhirRisk.Synthetic.Generation;

internal enum GeneratedEncounterKind
{
    Inpatient,
    Icu,
    Emergency,
    Visit,
}

/// <summary>An encounter rebuilt from a generated timeline's start and end codes.</summary>
internal sealed record GeneratedEncounter(string Id, GeneratedEncounterKind Kind, DateTime Start, DateTime? End, string? Class, string? Disposition, string? Unit, string? PartOf);

/// <summary>Why an encounter event does not come back from FHIR as it was generated (docs/generate.md "FHIR").</summary>
internal static class FhirChange
{
    public const string EndWithNothingOpen = "end code with no encounter open: dropped";
    public const string IcuOutsideStay = "ICU stay with no hospital stay open: dropped";
    public const string ClosedImplicitly = "encounter closed by the next of its kind or by the discharge: its end code is added";
    public const string ClassRewritten = "admission class other than IMP/ACUTE/NONAC: written as IMP";
    public const string ClosedAtDeath = "encounter open at the death: closed at the death, its end code is added";
}

/// <summary>
/// Pairs a generated timeline's encounter codes (DESIGN §3) into encounters: an admission opens a hospital stay that
/// the next discharge closes; an ICU admission opens a stay inside the open hospital stay, closed by the next ICU
/// discharge (or the hospital discharge); an ED registration opens a visit closed by ED_OUT; <c>VISIT//class</c> is a
/// visit of one instant. What FHIR cannot carry as generated is recorded per MEDS code in <see cref="Dropped"/>,
/// <see cref="Added"/> and <see cref="Rewritten"/>, so that ingestion of the output is accounted for event by event:
/// an end code with nothing open is dropped; an ICU stay with no hospital stay open is dropped with its ICU discharge
/// (written alone it would be read back as a new hospital admission); a start code while one of its kind is open, or a
/// hospital discharge with an ICU stay open, closes that one, and ingestion adds its end code; the patient's death
/// closes what is open (<see cref="Die"/>).
/// </summary>
internal sealed class EncounterTracker(string patientId)
{
    private static readonly string[] s_inpatientClasses = ["IMP", "ACUTE", "NONAC"];

    private GeneratedEncounter? _hospital;
    private GeneratedEncounter? _icu;
    private GeneratedEncounter? _emergency;
    private bool _droppedIcu;
    private DateTime? _icuClosedByDischarge;
    private readonly List<GeneratedEncounter> _closed = [];
    private int _count;

    /// <summary>Generated codes not written, with the <see cref="FhirChange"/> reason.</summary>
    public List<(string Reason, string Code)> Dropped { get; } = [];

    /// <summary>Codes ingestion will read that were not generated (end codes of encounters closed implicitly).</summary>
    public List<(string Reason, string Code)> Added { get; } = [];

    /// <summary>Generated codes ingestion will read as another code.</summary>
    public List<(string Reason, string From, string To)> Rewritten { get; } = [];

    public static bool IsEncounterCode(string code) =>
        Is(code, TaskCodes.HospitalAdmission) || Is(code, TaskCodes.HospitalDischarge) || Is(code, TaskCodes.IcuAdmission)
        || Is(code, TaskCodes.IcuDischarge) || Is(code, TaskCodes.EdRegistration) || Is(code, TaskCodes.EdOut) || Is(code, "VISIT");

    /// <summary>Takes an event; returns an encounter it closed (or a visit), else null. Others closed on the way wait in <see cref="Open"/>.</summary>
    public GeneratedEncounter? Take(string code, DateTime time)
    {
        // An ICU stay the hospital discharge closed is closed by the generated ICU_DISCHARGE at the same time, if one follows.
        if (_icuClosedByDischarge is { } closedAt && !(Is(code, TaskCodes.IcuDischarge) && time == closedAt))
            Added.Add((FhirChange.ClosedImplicitly, TaskCodes.IcuDischarge));
        if (_icuClosedByDischarge is not null)
        {
            _icuClosedByDischarge = null;
            if (Is(code, TaskCodes.IcuDischarge) && _icu is null)
                return null;
        }
        if (Is(code, TaskCodes.HospitalAdmission))
        {
            // A new admission ends the stay before it, and the ICU stay inside that stay with it: an ICU Encounter left
            // open would outlive its parent (review s16-eval #5).
            if (_hospital is not null && Close(ref _icu, time, null, TaskCodes.IcuDischarge) is { } icu)
                _closed.Add(icu);
            var closed = Close(ref _hospital, time, null, TaskCodes.HospitalDischarge + "//UNKNOWN");
            var admissionClass = Suffix(code) is { } c && s_inpatientClasses.Contains(c) ? c : "IMP";
            if (admissionClass != Suffix(code))
                Rewritten.Add((FhirChange.ClassRewritten, code, TaskCodes.HospitalAdmission + "//" + admissionClass));
            _hospital = new GeneratedEncounter(NextId(), GeneratedEncounterKind.Inpatient, time, null, admissionClass, null, null, null);
            return closed;
        }
        if (Is(code, TaskCodes.HospitalDischarge))
        {
            _droppedIcu = false;
            if (_hospital is null)
            {
                Dropped.Add((FhirChange.EndWithNothingOpen, code));
                return null;
            }
            if (Close(ref _icu, time, null, null) is { } icu)
            {
                _closed.Add(icu);
                _icuClosedByDischarge = time;
            }
            var disposition = Suffix(code) is { } d && d != "UNKNOWN" ? d : null;
            return Close(ref _hospital, time, disposition, null);
        }
        if (Is(code, TaskCodes.IcuAdmission))
        {
            if (_hospital is null)
            {
                Dropped.Add((FhirChange.IcuOutsideStay, code));
                _droppedIcu = true;
                return null;
            }
            var closed = Close(ref _icu, time, null, TaskCodes.IcuDischarge);
            _icu = new GeneratedEncounter(NextId(), GeneratedEncounterKind.Icu, time, null, _hospital.Class, null, Suffix(code) ?? "ICU", _hospital.Id);
            return closed;
        }
        if (Is(code, TaskCodes.IcuDischarge))
        {
            if (_icu is null)
            {
                Dropped.Add((_droppedIcu ? FhirChange.IcuOutsideStay : FhirChange.EndWithNothingOpen, code));
                _droppedIcu = false;
                return null;
            }
            return Close(ref _icu, time, null, null);
        }
        if (Is(code, TaskCodes.EdRegistration))
        {
            var closed = Close(ref _emergency, time, null, TaskCodes.EdOut);
            _emergency = new GeneratedEncounter(NextId(), GeneratedEncounterKind.Emergency, time, null, "EMER", null, null, null);
            return closed;
        }
        if (Is(code, TaskCodes.EdOut))
        {
            if (_emergency is null)
                Dropped.Add((FhirChange.EndWithNothingOpen, code));
            return Close(ref _emergency, time, null, null);
        }
        if (Is(code, "VISIT"))
            return new GeneratedEncounter(NextId(), GeneratedEncounterKind.Visit, time, time, Suffix(code), null, null, null);
        return null;
    }

    /// <summary>
    /// Closes the encounters open at the patient's death at its time, the hospital stay with the disposition
    /// <c>exp</c>: an <c>in-progress</c> Encounter after <c>Patient.deceasedDateTime</c> is an open stay of a dead
    /// patient (review s22 generate L2). Ingestion adds their end codes.
    /// </summary>
    public void Die(DateTime time)
    {
        if (Close(ref _icu, time, null, TaskCodes.IcuDischarge, FhirChange.ClosedAtDeath) is { } icu)
            _closed.Add(icu);
        if (Close(ref _hospital, time, "exp", TaskCodes.HospitalDischarge + "//exp", FhirChange.ClosedAtDeath) is { } stay)
            _closed.Add(stay);
        if (Close(ref _emergency, time, null, TaskCodes.EdOut, FhirChange.ClosedAtDeath) is { } emergency)
            _closed.Add(emergency);
    }

    /// <summary>Encounters closed on the way, then those still open at the end of the timeline.</summary>
    public IEnumerable<GeneratedEncounter> Open()
    {
        if (_icuClosedByDischarge is not null)
            Added.Add((FhirChange.ClosedImplicitly, TaskCodes.IcuDischarge));
        _icuClosedByDischarge = null;
        return [.. _closed, .. new[] { _hospital, _icu, _emergency }.OfType<GeneratedEncounter>()];
    }

    /// <summary>Closes <paramref name="open"/> at <paramref name="time"/>; <paramref name="implied"/> is the end code
    /// ingestion will read for it when no generated end code closed it, added for <paramref name="reason"/>.</summary>
    private GeneratedEncounter? Close(ref GeneratedEncounter? open, DateTime time, string? disposition, string? implied, string reason = FhirChange.ClosedImplicitly)
    {
        if (open is null)
            return null;
        var closed = open with { End = time, Disposition = disposition };
        open = null;
        if (implied is not null)
            Added.Add((reason, implied));
        return closed;
    }

    private string NextId() => $"{patientId}-e{_count++}";

    private static bool Is(string code, string prefix) => CodeSet.Matches(code, prefix);

    private static string? Suffix(string code) => code.IndexOf("//", StringComparison.Ordinal) is var at and >= 0 ? code[(at + 2)..] : null;
}
