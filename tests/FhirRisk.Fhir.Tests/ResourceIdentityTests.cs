using System.Text;
using FhirRisk.Fhir.Reading;

namespace FhirRisk.Fhir.Tests;

/// <summary>The identity a scan reads from a resource's top level (<see cref="ResourceIdentity"/>), for ingestion's copies rule.</summary>
public sealed class ResourceIdentityTests
{
    private static ResourceIdentity? Of(string json) => ResourceJsonScanner.ReadHead(Encoding.UTF8.GetBytes(json)).Identity;

    [Fact]
    public void A_tracked_resource_gets_its_id_hash_and_meta_version_wherever_they_stand()
    {
        var identity = Of("""{"meta":{"versionId":"7","lastUpdated":"2024-01-01T05:00:00-05:00"},"id":"p1","resourceType":"Patient"}""");

        Assert.NotNull(identity);
        Assert.Equal(7, identity.VersionId);
        Assert.Equal(new DateTime(2024, 1, 1, 10, 0, 0, DateTimeKind.Utc).Ticks, identity.UpdatedTicks);
        // The same id escaped is the same resource; another id, or one with a space (as the index keys it), is not.
        Assert.Equal(identity.IdHash, Of("""{"resourceType":"Patient","id":"p\u0031"}""")!.IdHash);
        Assert.NotEqual(identity.IdHash, Of("""{"resourceType":"Patient","id":" p1"}""")!.IdHash);
        Assert.NotEqual(identity.IdHash, Of("""{"resourceType":"Patient","id":"p2"}""")!.IdHash);
    }

    [Fact]
    public void Untracked_types_and_resources_without_an_id_have_none_and_odd_meta_is_no_version()
    {
        Assert.Null(Of("""{"resourceType":"Observation","id":"o1"}"""));
        Assert.Null(Of("""{"resourceType":"Patient"}"""));
        var odd = Of("""{"resourceType":"Encounter","id":"e1","meta":{"versionId":"W/\"3\"","lastUpdated":"yesterday"}}""");
        Assert.NotNull(odd);
        Assert.Null(odd.VersionId);
        Assert.Null(odd.UpdatedTicks);
    }

    [Fact]
    public void Bundle_entries_get_their_identity_and_place_in_the_document()
    {
        var bundle = Encoding.UTF8.GetBytes("""{"resourceType":"Bundle","type":"history","entry":[{"resource":{"resourceType":"Encounter","id":"e1","meta":{"versionId":"2"}}},{"resource":{"resourceType":"Encounter","id":"e1","meta":{"versionId":"1"}}}]}""");

        var entries = ResourceJsonScanner.Scan(bundle, collectEntries: true).Entries;

        Assert.Equal([2L, 1L], entries.Select(e => e.Head.Identity!.VersionId!.Value));
        Assert.Equal(entries[0].Head.Identity!.IdHash, entries[1].Head.Identity!.IdHash);
        Assert.True(entries[1].Start > entries[0].Start);
    }
}
