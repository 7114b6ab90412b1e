using FhirRisk.Tokenizer;

namespace FhirRisk.Inference.Explanations;

/// <summary>
/// The heads contexts of an explanation (docs/inference.md "Explanations"): one per trajectory point, and one per
/// explained fact with that fact occluded. Occlusion removes the fact's event tokens (codes, subtokens, decile) and
/// keeps its interval tokens, so every later event keeps its time; the context is then rebuilt as the finetuner builds
/// it (<see cref="InferenceSession.HeadsContext(EncodedTimeline, int)"/>), so a removed fact lets an older token into a
/// full window and leaves the history block when it was its category's only mention. A fact that is only time passing
/// loses its interval tokens.
/// </summary>
internal static class OcclusionContexts
{
    public static List<int[]> Build(InferenceSession session, ExplanationPlan plan)
    {
        var timeline = plan.Timeline;
        var contexts = new List<int[]>(plan.Points.Length + plan.Facts.Count);
        foreach (var point in plan.Points)
            contexts.Add(session.HeadsContext(timeline, point));
        if (plan.Facts.Count == 0)
            return contexts;
        var tokens = timeline.Tokens[..(plan.Index + 1)];
        var times = timeline.Times[..(plan.Index + 1)];
        // One buffer for every fact's timeline without it: a context copies out the few ids it reads, and a long record
        // (hundreds of thousands of tokens) is not copied anew per fact.
        var keptTokens = new int[tokens.Length];
        var keptTimes = new long[times.Length];
        foreach (var fact in plan.Facts)
        {
            var (cut, end) = (fact.EventStart < fact.End ? fact.EventStart : fact.Start, fact.End);
            var length = cut + tokens.Length - end;
            tokens[..cut].CopyTo(keptTokens);
            tokens[end..].CopyTo(keptTokens.AsSpan(cut));
            times[..cut].CopyTo(keptTimes);
            times[end..].CopyTo(keptTimes.AsSpan(cut));
            contexts.Add(length == 0
                ? contexts[0] // nothing is left to read; the emptiest context the trajectory has stands in
                : session.HeadsContext(keptTokens.AsSpan(0, length), keptTimes.AsSpan(0, length), timeline.Statics, length - 1));
        }
        return contexts;
    }
}
