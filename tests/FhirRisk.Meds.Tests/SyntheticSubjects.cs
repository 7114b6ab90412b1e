using FhirRisk.Meds.Internal;

namespace FhirRisk.Meds.Tests;

/// <summary>Random subjects for round-trip tests: static rows, nulls, tied times, unicode codes, shuffled input order.</summary>
internal static class SyntheticSubjects
{
    public static readonly string[] Codes =
    [
        "GENDER//F", "MEDS_BIRTH", "LOINC//2160-0//mg/dL", "SNOMED//44054006", "ICD10CM//E11.9",
        "NOTE//Größe", "診断//糖尿病", "EMOJI//🩺", "OTHER//urn:oid:1.2.3//x y", "HOSPITAL_ADMISSION//IMP",
    ];

    private static readonly DateTime s_start = new(2001, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);

    public static List<(long SubjectId, MedsEvent[] Events)> Generate(int seed, int count)
    {
        var random = new Random(seed);
        var subjects = new List<(long, MedsEvent[])>(count);
        var used = new HashSet<long>();
        while (subjects.Count < count)
        {
            var subjectId = random.NextInt64(1, long.MaxValue);
            if (used.Add(subjectId))
                subjects.Add((subjectId, Events(random, subjectId)));
        }
        return subjects;
    }

    /// <summary>The order MEDS stores a subject's events in: static first, then by time, ties in input order.</summary>
    public static MedsEvent[] InMedsOrder(IEnumerable<MedsEvent> events) =>
        events.OrderBy(e => e.IsStatic ? 0 : 1).ThenBy(e => e.Time).ToArray();

    private static MedsEvent[] Events(Random random, long subjectId)
    {
        var staticCount = random.Next(0, 3);
        var timedCount = random.Next(1, 40);
        var events = new List<MedsEvent>(staticCount + timedCount);
        for (var i = 0; i < staticCount; i++)
            events.Add(new MedsEvent(subjectId, null, Pick(random), TextValue: i == 0 ? "static" : null));
        DateTime? previous = null;
        for (var i = 0; i < timedCount; i++)
        {
            // Every fourth event repeats the previous time to exercise the stable tie order.
            var time = previous is { } p && random.Next(4) == 0 ? p : MedsTime.Truncate(s_start.AddTicks(random.NextInt64(0, TimeSpan.TicksPerDay * 365 * 30)));
            previous = time;
            events.Add(new MedsEvent(
                subjectId,
                time,
                Pick(random),
                random.Next(2) == 0 ? (float)(random.NextDouble() * 200 - 50) : null,
                random.Next(5) == 0 ? $"text {i} – ü" : null,
                random.Next(2) == 0 ? random.NextInt64(1, 1_000_000) : null));
        }
        return [.. events.OrderBy(_ => random.Next())];
    }

    private static string Pick(Random random) => Codes[random.Next(Codes.Length)];
}
