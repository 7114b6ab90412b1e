using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.Security;

namespace FhirRisk.Server.Tests.CdsHooks;

/// <summary>Card uuids are RFC 9562 version 8 UUIDs that tell, under their key, the service and client they were issued
/// to; feedback records whether its card was one of them, and keeps it either way.</summary>
public sealed class CardUuidsTests
{
    private static readonly CdsClientIdentity ClientA = new("https://ehr-a.example", "t1");

    [Fact]
    public void An_issued_uuid_is_a_version_8_uuid_that_names_its_service_and_client_and_nothing_else()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var uuids = new CardUuids(key);
        var card = uuids.Issue("svc", ClientA);

        Assert.True(Guid.TryParseExact(card, "D", out _));
        Assert.Equal(card.ToLowerInvariant(), card);
        Assert.Equal('8', card[14]); // version
        Assert.Contains(card[19], "89ab"); // variant 10
        Assert.True(uuids.WasIssued("svc", ClientA, card));
        Assert.True(new CardUuids(key).WasIssued("svc", ClientA, card)); // another replica with the same key
        Assert.True(uuids.WasIssued("svc", ClientA, card.ToUpperInvariant()));

        Assert.False(uuids.WasIssued("other-svc", ClientA, card));
        Assert.False(uuids.WasIssued("svc", new("https://ehr-b.example", "t1"), card));
        Assert.False(uuids.WasIssued("svc", new("https://ehr-a.example", "t2"), card));
        Assert.False(uuids.WasIssued("svc", new("https://ehr-a.example", null), card));
        Assert.False(uuids.WasIssued("svc", null, card));
        Assert.False(new CardUuids().WasIssued("svc", ClientA, card)); // another key
        Assert.False(uuids.WasIssued("svc", ClientA, Guid.NewGuid().ToString()));
        Assert.False(uuids.WasIssued("svc", ClientA, "c-1"));
        // One bit of the random half or of the tag changed.
        Assert.False(uuids.WasIssued("svc", ClientA, Flip(card, 0)));
        Assert.False(uuids.WasIssued("svc", ClientA, Flip(card, 35))); // the tag: the last 12 hex digits
        // The parts are length-prefixed: moving text from the issuer to the tenant is another client.
        var joined = uuids.Issue("svc", new("ab", "c"));
        Assert.False(uuids.WasIssued("svc", new("a", "bc"), joined));
        Assert.True(uuids.WasIssued("svc", null, uuids.Issue("svc", null)));
    }

    [Fact]
    public void Issued_uuids_do_not_repeat()
    {
        var uuids = new CardUuids();
        var issued = Enumerable.Range(0, 10_000).Select(_ => uuids.Issue("svc", ClientA)).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(10_000, issued.Count);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("c2hvcnQ=")] // 5 bytes
    public async Task A_key_that_is_not_32_base64_bytes_stops_the_start_naming_its_key(string key)
    {
        Assert.Throws<ArgumentException>(() => new CardUuids(new byte[31]));
        var e = await Assert.ThrowsAnyAsync<Exception>(() => TestCdsServer.StartAsync(new Dictionary<string, string?> { ["CdsHooks:CardUuidKey"] = key }));
        Assert.Contains("CdsHooks:CardUuidKey", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(key, e.Message, StringComparison.Ordinal); // a secret is never repeated
    }

    [Fact]
    public async Task Feedback_records_whether_its_card_was_issued_by_that_service_and_keeps_it_either_way()
    {
        await using var server = await TestCdsServer.StartAsync(new Dictionary<string, string?>
        {
            ["CdsHooks:CardUuidKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        });
        var service = $"/cds-services/{CdsServiceCatalog.PatientRiskId}";
        using var answer = await server.PostJsonAsync(service, CdsRequests.Hook("patient-view", prefetch: CdsRequests.PatientPrefetch));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        using var cards = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
        var uuids = cards.RootElement.GetProperty("cards").EnumerateArray().Select(c => c.GetProperty("uuid").GetString()!).ToList();
        Assert.NotEmpty(uuids);
        Assert.Equal(uuids.Count, uuids.Distinct(StringComparer.Ordinal).Count());

        foreach (var (path, card) in new[] { (service, uuids[0]), (service, Guid.NewGuid().ToString()), ($"/cds-services/{CdsServiceCatalog.ReadmissionRiskId}", uuids[0]) })
        {
            using var response = await server.PostJsonAsync(path + "/feedback",
                $$"""{"feedback":[{"card":"{{card}}","outcome":"accepted","outcomeTimestamp":"2026-03-01T12:00:00Z"}]}""");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal([true, false, false], server.Feedback.All().Select(f => f.Issued));
        Assert.Contains(server.Logs.Entries, e => e.EventId == 205 && e.Message.Contains("(1 on card uuids not issued to this client)", StringComparison.Ordinal));
    }

    private static string Flip(string uuid, int position)
    {
        var c = uuid[position];
        var flipped = c == '0' ? '1' : '0';
        return string.Concat(uuid.AsSpan(0, position), flipped.ToString(), uuid.AsSpan(position + 1));
    }
}
