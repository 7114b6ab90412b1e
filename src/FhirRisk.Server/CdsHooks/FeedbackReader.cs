using System.Globalization;

namespace FhirRisk.Server.CdsHooks;

/// <summary>Checks a feedback body (spec "Feedback") and turns it into <see cref="StoredFeedback"/> records.</summary>
internal static class FeedbackReader
{
    /// <summary>ISO 8601 date-times (spec: <c>outcomeTimestamp</c> "ISO8601 representation of the date and time in UTC"):
    /// seconds, optional fraction, a zone (<c>Z</c> or an offset; none is taken as UTC). Never a culture's format such as
    /// <c>12/01/2026</c>, which is ambiguous between month-first and day-first.</summary>
    private static readonly string[] Iso8601 = ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"];

    /// <exception cref="CdsRequestException">A required member is missing or malformed (names the member, never values).</exception>
    public static IReadOnlyList<StoredFeedback> Read(string serviceId, CdsFeedbackRequest? body, DateTimeOffset receivedAt)
    {
        if (body?.Feedback is not { Count: > 0 } items)
            throw new CdsRequestException("'feedback' must be a non-empty array.");
        var stored = new List<StoredFeedback>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is not { } item)
                throw new CdsRequestException($"feedback[{i}] must be an object.");
            if (string.IsNullOrEmpty(item.Card))
                throw new CdsRequestException($"feedback[{i}].card is required.");
            if (item.Outcome is not ("accepted" or "overridden"))
                throw new CdsRequestException($"feedback[{i}].outcome must be 'accepted' or 'overridden'.");
            if (!DateTimeOffset.TryParseExact(item.OutcomeTimestamp, Iso8601, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when))
                throw new CdsRequestException($"feedback[{i}].outcomeTimestamp must be an ISO 8601 instant.");
            // acceptedSuggestions is REQUIRED for 'accepted' only when the card had suggestions; ours have none, so its
            // absence is accepted rather than refusing a clinician's feedback.
            var reason = item.OverrideReason?.Reason;
            stored.Add(new StoredFeedback(
                serviceId,
                item.Card,
                item.Outcome,
                [.. (item.AcceptedSuggestions ?? []).Select(s => s?.Id).OfType<string>()],
                reason?.System,
                reason?.Code,
                reason?.Display,
                item.OverrideReason?.UserComment,
                when.ToUniversalTime(),
                receivedAt));
        }
        return stored;
    }
}
