using System.Globalization;

namespace FhirRisk.Server.CdsHooks;

/// <summary>Checks a feedback body (spec "Feedback") and turns it into <see cref="StoredFeedback"/> records.</summary>
internal static class FeedbackReader
{
    /// <exception cref="CdsRequestException">A required member is missing or malformed (names the member, never values).</exception>
    public static IReadOnlyList<StoredFeedback> Read(string serviceId, CdsFeedbackRequest? body, DateTimeOffset receivedAt)
    {
        if (body?.Feedback is not { Count: > 0 } items)
            throw new CdsRequestException("'feedback' must be a non-empty array.");
        var stored = new List<StoredFeedback>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            if (string.IsNullOrEmpty(item.Card))
                throw new CdsRequestException($"feedback[{i}].card is required.");
            if (item.Outcome is not ("accepted" or "overridden"))
                throw new CdsRequestException($"feedback[{i}].outcome must be 'accepted' or 'overridden'.");
            if (!DateTimeOffset.TryParse(item.OutcomeTimestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when))
                throw new CdsRequestException($"feedback[{i}].outcomeTimestamp must be an ISO 8601 instant.");
            // acceptedSuggestions is REQUIRED for 'accepted' only when the card had suggestions; ours have none, so its
            // absence is accepted rather than refusing a clinician's feedback.
            var reason = item.OverrideReason?.Reason;
            stored.Add(new StoredFeedback(
                serviceId,
                item.Card,
                item.Outcome,
                [.. (item.AcceptedSuggestions ?? []).Select(s => s.Id).OfType<string>()],
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
