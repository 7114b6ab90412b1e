using FhirRisk.Meds;
using FhirRisk.Meds.Tasks;
using FhirRisk.Tokenizer;

namespace FhirRisk.Synthetic.Generation;

/// <summary>One generated patient, decoded to MEDS events.</summary>
/// <param name="SubjectId">The synthetic subject id (1 … N).</param>
/// <param name="Events">Static rows and <c>MEDS_BIRTH</c> from the prompt, then the decoded timeline from its first
/// opening event on.</param>
/// <param name="Tokens">Tokens generated, over every attempt.</param>
/// <param name="Ended">True when the model ended the timeline (<c>TIMELINE_END</c>); false when the token budget or the
/// time limit cut it.</param>
/// <param name="EventsBeforeFirstEncounter">Generated events dropped because they came before the first event that
/// opens an encounter (<see cref="GeneratedTimeline"/>).</param>
/// <param name="OpensEncounter">False when no generated event opened an encounter: nothing is left of the timeline.</param>
/// <param name="Attempts">Rollouts drawn for this patient (<see cref="TimelineSampler.MaxAttempts"/>).</param>
internal sealed record GeneratedPatient(long SubjectId, IReadOnlyList<MedsEvent> Events, int Tokens, bool Ended,
    int EventsBeforeFirstEncounter = 0, bool OpensEncounter = true, int Attempts = 1);

/// <summary>
/// Turns a prompt and its generated tokens into a synthetic patient (docs/generate.md "Decoding to MEDS"):
/// <list type="bullet">
/// <item><b>Birth.</b> The prefix encodes the age at the start rounded to whole years (Y); the birth date is drawn
/// uniformly among the dates whose age encodes as Y (Y − ½ to Y + ½ years before the start) by the prompt's
/// <see cref="StaticPrompt.AgeDraw"/>, a date as FHIR's <c>birthDate</c> holds it. Taking "start − Y years" instead
/// makes every birthday an anniversary of the (donor's) start and every age a whole number of years.</item>
/// <item><b>Start.</b> Pretraining windows begin anywhere in a timeline, each behind the static prefix (docs/training.md
/// "Windows"), so a prefix alone tells the model "somewhere in a timeline", and it often writes the rest of a stay whose
/// admission it never wrote. The model cannot tell us what came before, so the timeline begins at its first event that
/// opens an encounter of its own (<c>HOSPITAL_ADMISSION</c>, <c>ED_REGISTRATION</c>, <c>VISIT</c>); the events before
/// it are dropped and counted. The kept events keep the model's clock (the prefix's age holds at the prompt's start).</item>
/// </list>
/// </summary>
internal static class GeneratedTimeline
{
    // The tokenizer's year: 365.2425 days (TimelineTokenizer.MicrosPerYear), in ticks, and its half.
    private const long TicksPerYear = 315_569_520_000_000;
    private const long TicksPerHalfYear = TicksPerYear / 2;

    /// <param name="zone">The site time zone of the model's data (<see cref="SiteZone"/>, found once per run); null for UTC.</param>
    public static GeneratedPatient Decode(TimelineTokenizer tokenizer, long subjectId, StaticPrompt prompt, int[] tokens, TimeZoneInfo? zone = null)
    {
        var events = new List<MedsEvent>(tokenizer.DecodePrefix(prompt.Prefix, subjectId, prompt.Start).Select(e => e.Code == MedsSchema.BirthCode && e.Time is { } birth
            ? e with { Time = DrawBirth(prompt.Start, birth, prompt.AgeDraw, zone) }
            : e));
        var timeline = tokenizer.Decode(tokens, subjectId, prompt.Start);
        var first = FirstOpening(timeline);
        // Whole seconds, as a FHIR export writes them and as the FHIR output here does: decoded intervals are the mean of
        // their bin in microseconds, so the MEDS output differed from its own FHIR in nearly every time, and in kind from
        // the data it imitates (review s22 generate L1). Flooring keeps the order.
        events.AddRange(timeline.Skip(first).Select(e => e.Time is { } time ? e with { Time = new DateTime(time.Ticks - (time.Ticks % TimeSpan.TicksPerSecond), time.Kind) } : e));
        var ended = tokens.Length > 0 && tokenizer.Vocabulary[tokens[^1]] == Vocabulary.TimelineEnd;
        return new GeneratedPatient(subjectId, events, tokens.Length, ended, first, first < timeline.Count);
    }

    /// <summary>Whether <paramref name="code"/> opens an encounter that needs nothing open before it.</summary>
    public static bool OpensEncounter(string code) =>
        CodeSet.Matches(code, TaskCodes.HospitalAdmission) || CodeSet.Matches(code, TaskCodes.EdRegistration) || CodeSet.Matches(code, "VISIT");

    private static int FirstOpening(IReadOnlyList<MedsEvent> timeline)
    {
        for (var i = 0; i < timeline.Count; i++)
        {
            if (OpensEncounter(timeline[i].Code))
                return i;
        }
        return timeline.Count;
    }

    /// <summary>
    /// The site time zone the model's data was read in (<c>fitted_on.site_time_zone</c>), or null for UTC (none named,
    /// or one this system does not know).
    /// </summary>
    internal static TimeZoneInfo? SiteZone(TimelineTokenizer tokenizer) =>
        tokenizer.FittedOn.SiteTimeZone is { } named && FhirRisk.Fhir.SiteTimeZone.TryFind(named, out var zone) ? zone : null;

    /// <summary>
    /// A birth date drawn uniformly among the dates whose age at <paramref name="start"/> the tokenizer rounds to the
    /// prefix's Y years (TimelineTokenizer.AgeDigits: Y − ½ ≤ age &lt; Y + ½, age ≥ 0), <paramref name="draw"/> in [0, 1)
    /// picking the date. The prefix's own birth is <paramref name="start"/> − Y years exactly. A date is its midnight
    /// in <paramref name="zone"/> (UTC when null), as ingestion in that zone reads a FHIR <c>birthDate</c>.
    /// </summary>
    internal static DateTime DrawBirth(DateTime start, DateTime prefixBirth, double draw, TimeZoneInfo? zone = null)
    {
        zone ??= TimeZoneInfo.Utc;
        var twiceYears = 2 * ((start - prefixBirth).Ticks / TicksPerYear);
        var oldest = start.AddTicks(-(twiceYears + 1) * TicksPerHalfYear);                      // age < Y + ½: born after it
        var youngest = start.AddTicks(-Math.Max(twiceYears - 1, 0) * TicksPerHalfYear);          // age ≥ Y − ½ (≥ 0)
        // The first day whose midnight is after the oldest instant, the last whose midnight is not after the youngest.
        var (first, last) = (LocalDay(oldest, zone).AddDays(1), LocalDay(youngest, zone));
        var days = Math.Max(0, (last - first).Days) + 1;
        return Midnight(first.AddDays(Math.Min(days - 1, (int)(draw * days))), zone);
    }

    private static DateTime LocalDay(DateTime utc, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), zone).Date;

    private static DateTime Midnight(DateTime day, TimeZoneInfo zone) =>
        FhirRisk.Fhir.FhirDates.InZone(new(DateTime.SpecifyKind(day, DateTimeKind.Utc), FhirRisk.Fhir.Model.FhirDatePrecision.Day), withoutZone: false, zone).Utc;
}
