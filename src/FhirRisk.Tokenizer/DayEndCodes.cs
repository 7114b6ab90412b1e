using FhirRisk.Meds;

namespace FhirRisk.Tokenizer;

/// <summary>
/// Places events that a source records by date only at the end of their day. MEDS_transforms' MIMIC-IV writes ICD
/// procedures (and HCPCS and outpatient measurements) at midnight of their chart date, so they sort before the
/// admission and ED registration of the same day and a prompt cut at the admission would read them: the stay's own
/// ventilation codes at its admission. A code matching one of <see cref="TokenizerSettings.DayEndCodes"/> whose time is
/// exactly midnight moves to the day's last microsecond (ETHOS does the same for procedures, reference/ethos.md §1.5;
/// our FHIR ingestion places date-only procedures at the end of their day when it writes them).
/// </summary>
public static class DayEndCodes
{
    /// <summary>
    /// Whether <paramref name="code"/> is one of <paramref name="prefixes"/> or continues one after a <c>//</c> (ordinal):
    /// <c>PROCEDURE//ICD</c> takes <c>PROCEDURE//ICD//9//9672</c>, but the group <c>LAB//5091</c> that <c>tokenize fit</c>
    /// finds by itself does not take another code, <c>LAB//50912</c>.
    /// </summary>
    public static bool Matches(IReadOnlyList<string> prefixes, string code)
    {
        for (var i = 0; i < prefixes.Count; i++)
        {
            var prefix = prefixes[i];
            if (code.StartsWith(prefix, StringComparison.Ordinal)
                && (code.Length == prefix.Length || prefix.EndsWith("//", StringComparison.Ordinal) || code.AsSpan(prefix.Length).StartsWith("//", StringComparison.Ordinal)))
                return true;
        }
        return false;
    }

    /// <summary>Whether <paramref name="ev"/> would move: a matching code at exactly midnight.</summary>
    public static bool Moves(IReadOnlyList<string> prefixes, in MedsEvent ev) =>
        ev.Time is { } time && time.TimeOfDay == TimeSpan.Zero && Matches(prefixes, ev.Code);

    /// <summary>
    /// <paramref name="events"/> (one subject, MEDS order) with every moving event at the end of its day, merged after
    /// the events of the same day; the others keep their order (so input that is out of time order stays so, and is
    /// refused as before). Returns <paramref name="events"/> itself when nothing moves.
    /// </summary>
    public static IReadOnlyList<MedsEvent> Apply(IReadOnlyList<string> prefixes, IReadOnlyList<MedsEvent> events)
    {
        ArgumentNullException.ThrowIfNull(prefixes);
        ArgumentNullException.ThrowIfNull(events);
        return prefixes.Count == 0 ? events : DayEndPlacement.Apply(events, i => Moves(prefixes, events[i]));
    }
}

/// <summary>
/// A code group (a code up to its second <c>//</c>, e.g. <c>PROCEDURE//ICD</c>) whose fit-split events are almost all at
/// exactly midnight: likely recorded by date only, so a candidate for <see cref="TokenizerSettings.DayEndCodes"/>.
/// </summary>
/// <param name="Prefix">The group, usable as a day-end prefix.</param>
/// <param name="Events">Timed events of the group read in the fit.</param>
/// <param name="AtMidnight">How many of them are at exactly midnight.</param>
public sealed record DateOnlyCodeGroup(string Prefix, long Events, long AtMidnight)
{
    /// <summary>Fewest events a group needs before it is reported.</summary>
    public const int MinEvents = 20;

    /// <summary>Least share of its events at midnight for a group to be reported (a timed source puts about 1/1440 of
    /// its events, or a few per cent at sites that chart at midnight, there).</summary>
    public const double MinShare = 0.95;

    /// <summary>
    /// The groups of <paramref name="counts"/> (timed events and those at exactly midnight, by code) recorded by date
    /// only: at least <see cref="MinEvents"/> events, at least <see cref="MinShare"/> of them at midnight; most events
    /// first.
    /// </summary>
    public static DateOnlyCodeGroup[] Find(IEnumerable<KeyValuePair<string, (long Events, long AtMidnight)>> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        return
        [
            .. counts.GroupBy(c => GroupOf(c.Key), StringComparer.Ordinal)
                .Select(g => new DateOnlyCodeGroup(g.Key, g.Sum(c => c.Value.Events), g.Sum(c => c.Value.AtMidnight)))
                .Where(g => g.Events >= MinEvents && g.AtMidnight >= MinShare * g.Events)
                .OrderByDescending(g => g.Events).ThenBy(g => g.Prefix, StringComparer.Ordinal),
        ];
    }

    /// <summary>
    /// The date-only groups that may be placed at the end of their day without being asked for: not the codes the tasks
    /// and the static prefix read (stays, ED visits, visits, birth, death), whose times the labels take as recorded (a
    /// date-only death is placed by a rule of its own, <see cref="DateOnlyDeaths"/>). <c>tokenize fit</c> and the count
    /// baseline choose by this one rule.
    /// </summary>
    public static string[] DayEndCandidates(IEnumerable<DateOnlyCodeGroup> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        return [.. groups.Select(g => g.Prefix).Where(prefix => !s_keptAsRecorded.Any(kept => Meds.Tasks.CodeSet.Matches(prefix, kept)))];
    }

    private static readonly string[] s_keptAsRecorded =
    [
        Meds.Tasks.TaskCodes.HospitalAdmission, Meds.Tasks.TaskCodes.HospitalDischarge, Meds.Tasks.TaskCodes.IcuAdmission,
        Meds.Tasks.TaskCodes.IcuDischarge, Meds.Tasks.TaskCodes.EdRegistration, Meds.Tasks.TaskCodes.EdOut,
        Meds.Tasks.StayKind.VisitCode, MedsSchema.BirthCode, MedsSchema.DeathCode,
    ];

    /// <summary>The group a code belongs to: the code up to its second <c>//</c>, or the whole code.</summary>
    public static string GroupOf(string code)
    {
        var first = code.IndexOf("//", StringComparison.Ordinal);
        if (first < 0)
            return code;
        var second = code.IndexOf("//", first + 2, StringComparison.Ordinal);
        return second < 0 ? code : code[..second];
    }
}
