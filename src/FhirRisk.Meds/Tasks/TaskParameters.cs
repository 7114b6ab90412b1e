namespace FhirRisk.Meds.Tasks;

/// <summary>
/// The tunable numbers of the task catalog (DESIGN §6, ethos.md §3.2). Defaults are the peers' values.
/// </summary>
public sealed record TaskParameters
{
    public static TaskParameters Default { get; } = new();

    /// <summary>A stay at least this long is prolonged. Default 10 days (ETHOS: the 90th percentile of MIMIC-IV stays, rounded up).</summary>
    public TimeSpan ProlongedStay { get; init; } = TimeSpan.FromDays(10);

    /// <summary>Readmission or death within this long after a live discharge is positive. Default 30 days.</summary>
    public TimeSpan ReadmissionWindow { get; init; } = TimeSpan.FromDays(30);

    /// <summary>The horizon of the in-stay tasks. Default 2 years (ETHOS's default rollout time limit).</summary>
    public TimeSpan StayHorizon { get; init; } = TimeSpan.FromDays(365.25 * 2);

    /// <summary>ED hospitalization: an admission within this long after registration. Default 72 h (ETHOS).</summary>
    public TimeSpan EdHospitalizationWindow { get; init; } = TimeSpan.FromHours(72);

    /// <summary>ED critical outcome: ICU admission or death within this long after registration. Default 12 h (ED-Benchmark).</summary>
    public TimeSpan EdCriticalWindow { get; init; } = TimeSpan.FromHours(12);

    /// <summary>ED reattendance: a new ED registration within this long after ED_OUT. Default 72 h.</summary>
    public TimeSpan EdReattendanceWindow { get; init; } = TimeSpan.FromHours(72);

    /// <summary>An admission up to this long after ED_OUT still belongs to the ED visit. Default 6 h.</summary>
    public TimeSpan EdAdmissionGrace { get; init; } = TimeSpan.FromHours(6);

    /// <summary>Throws when a duration is not positive.</summary>
    public void Validate()
    {
        foreach (var (name, value) in new[]
        {
            (nameof(ProlongedStay), ProlongedStay), (nameof(ReadmissionWindow), ReadmissionWindow), (nameof(StayHorizon), StayHorizon),
            (nameof(EdHospitalizationWindow), EdHospitalizationWindow), (nameof(EdCriticalWindow), EdCriticalWindow),
            (nameof(EdReattendanceWindow), EdReattendanceWindow),
        })
        {
            if (value <= TimeSpan.Zero)
                throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive.");
        }
        if (EdAdmissionGrace < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(EdAdmissionGrace), EdAdmissionGrace, "EdAdmissionGrace must not be negative.");
    }
}
