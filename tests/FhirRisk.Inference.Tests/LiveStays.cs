using FhirRisk.Meds;
using FhirRisk.Tokenizer;

namespace FhirRisk.Inference.Tests;

/// <summary>Live timelines in <see cref="TinyModel"/>'s language for the explanation and observed-outcome tests.</summary>
internal static class LiveStays
{
    /// <summary>The admission time of <see cref="Stay"/>.</summary>
    public static readonly DateTime Admitted = new(2021, 5, 3, 9, 0, 0, DateTimeKind.Utc);

    /// <summary>A live stay: admission at 09:00, then one event per hour.</summary>
    public static EncodedTimeline Stay(IReadOnlyList<string> codes) =>
        Encode([new(1, Admitted, "HOSPITAL_ADMISSION//IMP"), .. codes.Select((c, i) => new MedsEvent(1, Admitted.AddHours(i + 1), c))]);

    /// <summary>A 60-year-old woman's <paramref name="events"/>, encoded without TIMELINE_END (her history goes on).</summary>
    public static EncodedTimeline Encode(IReadOnlyList<MedsEvent> events)
    {
        var timeline = TinyModel.Tokenizer.CreateBuffer();
        MedsEvent[] all = [new(1, null, "GENDER//F"), new(1, Admitted.AddYears(-60), MedsSchema.BirthCode), .. events];
        TinyModel.Tokenizer.Encode(all, timeline, endTimeline: false);
        return timeline;
    }
}
