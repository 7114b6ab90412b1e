using System.Globalization;

namespace FhirRisk.Server.CdsHooks;

/// <summary>Checks a feedback body (spec "Feedback") and turns it into <see cref="StoredFeedback"/> records.</summary>
internal static class FeedbackReader
{
    /// <summary>ISO 8601 date-times (spec: <c>outcomeTimestamp</c> "ISO8601 representation of the date and time in UTC"):
    /// seconds, optional fraction, a zone (<c>Z</c> or an offset; none is taken as UTC). Never a culture's format such as
    /// <c>12/01/2026</c>, which is ambiguous between month-first and day-first.</summary>
    private static readonly string[] Iso8601 = ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"];

    // Size limits (security review s12 #10: four 8 MiB comments held 250 MB of heap for good). A card id is a UUID; the
    // limits leave room for any EHR's ids and a long comment, and stop a body from being one huge string.
    internal const int MaxItems = 100;
    internal const int MaxIdLength = 256;
    internal const int MaxSuggestions = 64;
    internal const int MaxCodingLength = 1024;
    internal const int MaxCommentLength = 8192;

    /// <exception cref="CdsRequestException">A required member is missing, malformed or too long (names the member, never values).</exception>
    /// <param name="client">The authenticated client, recorded with each item; null without authentication.</param>
    /// <param name="cards">Tells the card uuids this service issued to <paramref name="client"/>; null leaves
    /// <see cref="StoredFeedback.Issued"/> unset.</param>
    public static IReadOnlyList<StoredFeedback> Read(string serviceId, CdsFeedbackRequest? body, DateTimeOffset receivedAt,
        Security.CdsClientIdentity? client = null, CardUuids? cards = null)
    {
        if (body?.Feedback is not { Count: > 0 } items)
            throw new CdsRequestException("'feedback' must be a non-empty array.");
        if (items.Count > MaxItems)
            throw new CdsRequestException($"'feedback' holds {items.Count} items; at most {MaxItems} a call.");
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
            var suggestions = item.AcceptedSuggestions ?? [];
            Limit(item.Card, MaxIdLength, $"feedback[{i}].card");
            if (suggestions.Count > MaxSuggestions)
                throw new CdsRequestException($"feedback[{i}].acceptedSuggestions holds more than {MaxSuggestions} items.");
            for (var s = 0; s < suggestions.Count; s++)
                Limit(suggestions[s]?.Id, MaxIdLength, $"feedback[{i}].acceptedSuggestions[{s}].id");
            Limit(reason?.System, MaxCodingLength, $"feedback[{i}].overrideReason.reason.system");
            Limit(reason?.Code, MaxCodingLength, $"feedback[{i}].overrideReason.reason.code");
            Limit(reason?.Display, MaxCodingLength, $"feedback[{i}].overrideReason.reason.display");
            Limit(item.OverrideReason?.UserComment, MaxCommentLength, $"feedback[{i}].overrideReason.userComment");
            stored.Add(new StoredFeedback(
                serviceId,
                item.Card,
                item.Outcome,
                [.. suggestions.Select(s => s?.Id).OfType<string>()],
                reason?.System,
                reason?.Code,
                reason?.Display,
                item.OverrideReason?.UserComment,
                when.ToUniversalTime(),
                receivedAt,
                client?.Issuer,
                client?.Tenant,
                cards?.WasIssued(serviceId, client, item.Card)));
        }
        return stored;
    }

    private static void Limit(string? value, int maxLength, string member)
    {
        if (value is { Length: var length } && length > maxLength)
            throw new CdsRequestException($"{member} is longer than {maxLength} characters.");
    }
}
