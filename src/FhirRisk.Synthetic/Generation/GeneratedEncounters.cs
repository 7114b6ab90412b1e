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

/// <summary>
/// Pairs a generated timeline's encounter codes (DESIGN §3) into encounters: an admission opens a hospital stay that
/// the next discharge closes; an ICU admission opens a stay inside the open hospital stay, closed by the next ICU
/// discharge (or the hospital discharge); an ED registration opens a visit closed by ED_OUT; <c>VISIT//class</c> is a
/// visit of one instant. An end code with nothing open is dropped; a start code while one of its kind is open closes
/// that one first.
/// </summary>
internal sealed class EncounterTracker(string patientId)
{
    private GeneratedEncounter? _hospital;
    private GeneratedEncounter? _icu;
    private GeneratedEncounter? _emergency;
    private readonly List<GeneratedEncounter> _closed = [];
    private int _count;

    public bool IsEncounterCode(string code) =>
        Is(code, TaskCodes.HospitalAdmission) || Is(code, TaskCodes.HospitalDischarge) || Is(code, TaskCodes.IcuAdmission)
        || Is(code, TaskCodes.IcuDischarge) || Is(code, TaskCodes.EdRegistration) || Is(code, TaskCodes.EdOut) || Is(code, "VISIT");

    /// <summary>Takes an event; returns an encounter it closed (or a visit), else null. Others closed on the way wait in <see cref="Open"/>.</summary>
    public GeneratedEncounter? Take(string code, DateTime time)
    {
        if (Is(code, TaskCodes.HospitalAdmission))
        {
            var closed = Close(ref _hospital, time, null);
            _hospital = new GeneratedEncounter(NextId(), GeneratedEncounterKind.Inpatient, time, null, Suffix(code), null, null, null);
            return closed;
        }
        if (Is(code, TaskCodes.HospitalDischarge))
        {
            if (Close(ref _icu, time, null) is { } icu)
                _closed.Add(icu);
            var disposition = Suffix(code) is { } d && d != "UNKNOWN" ? d : null;
            return Close(ref _hospital, time, disposition);
        }
        if (Is(code, TaskCodes.IcuAdmission))
        {
            var closed = Close(ref _icu, time, null);
            _icu = new GeneratedEncounter(NextId(), GeneratedEncounterKind.Icu, time, null, _hospital?.Class, null, Suffix(code) ?? "ICU", _hospital?.Id);
            return closed;
        }
        if (Is(code, TaskCodes.IcuDischarge))
            return Close(ref _icu, time, null);
        if (Is(code, TaskCodes.EdRegistration))
        {
            var closed = Close(ref _emergency, time, null);
            _emergency = new GeneratedEncounter(NextId(), GeneratedEncounterKind.Emergency, time, null, "EMER", null, null, null);
            return closed;
        }
        if (Is(code, TaskCodes.EdOut))
            return Close(ref _emergency, time, null);
        if (Is(code, "VISIT"))
            return new GeneratedEncounter(NextId(), GeneratedEncounterKind.Visit, time, time, Suffix(code), null, null, null);
        return null;
    }

    /// <summary>Encounters closed on the way, then those still open at the end of the timeline.</summary>
    public IEnumerable<GeneratedEncounter> Open() => [.. _closed, .. new[] { _hospital, _icu, _emergency }.OfType<GeneratedEncounter>()];

    private static GeneratedEncounter? Close(ref GeneratedEncounter? open, DateTime time, string? disposition)
    {
        if (open is null)
            return null;
        var closed = open with { End = time, Disposition = disposition };
        open = null;
        return closed;
    }

    private string NextId() => $"{patientId}-e{_count++}";

    private static bool Is(string code, string prefix) => CodeSet.Matches(code, prefix);

    private static string? Suffix(string code) => code.IndexOf("//", StringComparison.Ordinal) is var at and >= 0 ? code[(at + 2)..] : null;
}
