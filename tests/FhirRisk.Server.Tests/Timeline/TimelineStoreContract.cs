using System.Text;
using FhirRisk.Server.Timeline;

namespace FhirRisk.Server.Tests.Timeline;

/// <summary>
/// What every <see cref="ITimelineStore"/> must do (docs/timeline-store.md), run against each backend by a subclass:
/// migrations, idempotent re-push, replacement on change, all-or-nothing writes, and concurrent writers.
/// </summary>
public abstract class TimelineStoreContract : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private ITimelineStore? _store;

    private protected ITimelineStore Store => _store!;

    /// <summary>The store's clock: it stamps <c>updated_at</c>, which retention reads.</summary>
    private protected Infrastructure.ManualTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    /// <summary>A store over a new, empty database, not migrated yet.</summary>
    private protected abstract ITimelineStore CreateStore();

    public async Task InitializeAsync()
    {
        _store = CreateStore();
        await _store.MigrateAsync().WaitAsync(Timeout);
    }

    public async Task DisposeAsync()
    {
        if (_store is IAsyncDisposable disposable)
            await disposable.DisposeAsync();
    }

    [StoreFact]
    public async Task Migrations_are_recorded_once_and_a_second_run_changes_nothing()
    {
        await Store.MigrateAsync().WaitAsync(Timeout);
        var versions = await ((SqlTimelineStore)Store).AppliedMigrationsAsync().WaitAsync(Timeout);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], versions);
    }

    [StoreFact]
    public async Task A_new_resource_is_created_a_repush_is_unchanged_and_a_change_is_an_update()
    {
        var first = await Store.WriteAsync([Observation("o1", "p1", 5.4)]).WaitAsync(Timeout);
        var again = await Store.WriteAsync([Observation("o1", "p1", 5.4)]).WaitAsync(Timeout);
        var changed = await Store.WriteAsync([Observation("o1", "p1", 6.1)]).WaitAsync(Timeout);

        Assert.Equal((TimelineWriteKind.Created, 1L), (first[0].Kind, first[0].Version));
        Assert.Equal((TimelineWriteKind.Unchanged, 1L), (again[0].Kind, again[0].Version));
        Assert.Equal((TimelineWriteKind.Updated, 2L), (changed[0].Kind, changed[0].Version));
        var stored = await Store.ReadAsync("Observation", "o1").WaitAsync(Timeout);
        Assert.Contains("6.1", Encoding.UTF8.GetString(stored!.Json.Span), StringComparison.Ordinal);
        Assert.Equal(2, stored.Version);
    }

    [StoreFact]
    public async Task A_patients_resources_are_read_by_patient_id_and_no_other()
    {
        await Store.WriteAsync([Patient("p1"), Observation("o1", "p1", 1), Observation("o2", "p2", 2), Observation("o3", "p1", 3)]).WaitAsync(Timeout);

        var resources = await Store.ReadPatientAsync("p1").WaitAsync(Timeout);

        Assert.Equal(["Observation/o1", "Observation/o3", "Patient/p1"], resources.Select(r => $"{r.ResourceType}/{r.Id}"));
        Assert.All(resources, r => Assert.Equal("p1", r.PatientId));
    }

    [StoreFact]
    public async Task A_bounded_read_keeps_the_Patient_and_the_rows_stored_most_recently()
    {
        await Store.WriteAsync([Observation("o1", "p1", 1), Observation("o2", "p1", 2)]).WaitAsync(Timeout);
        Clock.Advance(TimeSpan.FromMinutes(1));
        await Store.WriteAsync([Observation("o3", "p1", 3), Observation("o4", "p1", 4)]).WaitAsync(Timeout);
        Clock.Advance(TimeSpan.FromMinutes(1));
        await Store.WriteAsync([Patient("p1")]).WaitAsync(Timeout);
        var rows = await Store.ReadPatientAsync("p1").WaitAsync(Timeout);
        var observation = rows.First(r => r.ResourceType == "Observation").Json.Length;
        var patient = rows.Single(r => r.ResourceType == "Patient").Json.Length;

        var cut = await Store.ReadPatientWithinAsync("p1", patient + 2 * observation + 1).WaitAsync(Timeout);
        var whole = await Store.ReadPatientWithinAsync("p1", rows.Sum(r => r.Json.Length)).WaitAsync(Timeout);
        var tiny = await Store.ReadPatientWithinAsync("p1", 1).WaitAsync(Timeout);
        // One write of a stay and its labs: the Encounter is kept whatever the bound (review s25 M1: stamped one row at a
        // time in type order, it was the first row cut).
        await Store.WriteAsync([Patient("p2"), Resource("Encounter", "e2", "p2", """{"resourceType":"Encounter","id":"e2","status":"finished"}"""),
            Observation("q1", "p2", 1), Observation("q2", "p2", 2), Observation("q3", "p2", 3)]).WaitAsync(Timeout);
        var stay = await Store.ReadPatientWithinAsync("p2", patient + 2 * observation + 1).WaitAsync(Timeout);

        Assert.True(stay.Cut);
        Assert.Contains(stay.Resources, r => r.ResourceType == "Encounter");
        Assert.True(cut.Cut);
        Assert.Equal(["Observation/o3", "Observation/o4", "Patient/p1"], cut.Resources.Select(r => $"{r.ResourceType}/{r.Id}"));
        Assert.False(whole.Cut);
        Assert.Equal(5, whole.Resources.Count);
        Assert.Equal((true, 1), (tiny.Cut, tiny.Resources.Count)); // the Patient, whatever the bound
    }

    [StoreFact]
    public async Task A_patients_read_holds_the_charts_merged_with_it_whichever_chart_is_asked_for()
    {
        // Merged charts (Patient.link): "old" was merged into "new" (its own replaced-by, an absolute versioned reference);
        // "new" also says it replaces "older", which says nothing itself: a survivor's word alone joins nothing in the
        // store (review s20-merges M1). "other" is unrelated; "gone" has rows but no Patient and was merged into "new"
        // through a Patient row of its own only later.
        await Store.WriteAsync([
            Linked("new", ("replaces", "older")), Linked("old", ("replaced-by", "http://fhir.example.org/r4/Patient/new/_history/3")), Patient("older"),
            Patient("other"), Observation("o-new", "new", 1), Observation("o-old", "old", 2), Observation("o-older", "older", 3),
            Observation("o-other", "other", 4),
        ]).WaitAsync(Timeout);

        static string[] Keys(IEnumerable<TimelineResource> resources) => [.. resources.Select(r => $"{r.ResourceType}/{r.Id}")];
        string[] family = ["Observation/o-new", "Observation/o-old", "Patient/new", "Patient/old"];
        Assert.Equal(family, Keys(await Store.ReadPatientAsync("new").WaitAsync(Timeout)));
        Assert.Equal(family, Keys(await Store.ReadPatientAsync("old").WaitAsync(Timeout))); // its own link leads to the survivor
        Assert.Equal(["Observation/o-older", "Patient/older"], Keys(await Store.ReadPatientAsync("older").WaitAsync(Timeout)));
        Assert.Equal(["Observation/o-other", "Patient/other"], Keys(await Store.ReadPatientAsync("other").WaitAsync(Timeout)));

        // Unmerged: the link removed, the chart is its own again.
        await Store.WriteAsync([Patient("old")]).WaitAsync(Timeout);
        Assert.Equal(["Observation/o-new", "Patient/new"], Keys(await Store.ReadPatientAsync("new").WaitAsync(Timeout)));

        // A cycle of links ends.
        await Store.WriteAsync([Linked("a", ("replaced-by", "Patient/b")), Linked("b", ("replaced-by", "Patient/a"))]).WaitAsync(Timeout);
        Assert.Equal(["Patient/a", "Patient/b"], Keys(await Store.ReadPatientAsync("a").WaitAsync(Timeout)));
    }

    [StoreFact]
    public async Task A_merge_into_another_servers_chart_joins_nobody_of_ours()
    {
        // "x" was merged into an enterprise MPI's chart 77; our "77" is another person. An absolute link counts only on the
        // linking Patient's own server (review s24-store H1: the two records were read, predicted and kept as one).
        await Store.WriteAsync([
            Linked("x", ("replaced-by", "https://mpi.other.example/fhir/Patient/77")), Observation("o-x", "x", 1),
            Patient("77"), Observation("o-77", "77", 2),
            Linked("y", ("replaces", "https://mpi.other.example/fhir/Patient/77")),
            Linked("z", ("replaced-by", OwnServer + "/Patient/77/_history/2")), Observation("o-z", "z", 3),
        ]).WaitAsync(Timeout);

        Assert.Equal(["Observation/o-x", "Patient/x"], SortedKeys(await Store.ReadPatientAsync("x").WaitAsync(Timeout)));
        // Only z, linked on its own server, joins 77.
        Assert.Equal(["Observation/o-77", "Observation/o-z", "Patient/77", "Patient/z"], SortedKeys(await Store.ReadPatientAsync("77").WaitAsync(Timeout)));
    }

    [StoreFact]
    public async Task Erasing_a_survivor_keeps_the_charts_merged_into_it_and_unlinks_them()
    {
        // A false merge must not take another person's chart along; but the erased id must not keep answering from the
        // charts merged into it (review s20-merges M2).
        await Store.WriteAsync([Patient("survivor"), Linked("retired", ("replaced-by", "survivor")), Observation("o-s", "survivor", 1),
            Observation("o-r", "retired", 2)]).WaitAsync(Timeout);
        Assert.Equal(4, (await Store.ReadPatientAsync("survivor").WaitAsync(Timeout)).Count);

        var purged = await Store.PurgePatientAsync("survivor").WaitAsync(Timeout);

        Assert.Equal((2, 1), (purged.Linked, purged.MergedChartsKept));
        Assert.Empty(await Store.ReadPatientAsync("survivor").WaitAsync(Timeout));
        Assert.Equal(["Observation/o-r", "Patient/retired"], (await Store.ReadPatientAsync("retired").WaitAsync(Timeout)).Select(r => $"{r.ResourceType}/{r.Id}"));
    }

    [StoreFact]
    public async Task Referenced_shared_resources_are_read_by_id_or_fullUrl_whatever_their_patient()
    {
        // More ids than one statement's chunk: a MIMIC patient's orders name hundreds of Medications (ops review s11 #6).
        var medications = Enumerable.Range(0, 1200).Select(i => Unlinked("Medication", $"m{i}", """{"status":"active"}""")).ToArray();
        await Store.WriteAsync([.. medications, Unlinked("Medication", "u1", """{"status":"active"}""") with { FullUrl = "urn:uuid:5e1d" },
            Unlinked("Location", "m7", """{"name":"Ward"}"""), Observation("m8", "p1", 1)]).WaitAsync(Timeout);

        var read = await Store.ReadReferencedAsync("Medication", [.. Enumerable.Range(0, 1100).Select(i => $"m{i}"), "missing"],
            ["urn:uuid:5e1d", "urn:uuid:none"]).WaitAsync(Timeout);

        Assert.Equal(1101, read.Count);
        Assert.All(read, r => Assert.Equal("Medication", r.ResourceType));
        Assert.Contains(read, r => r.Id == "u1" && r.FullUrl == "urn:uuid:5e1d");
        Assert.Empty(await Store.ReadReferencedAsync("Medication", [], []).WaitAsync(Timeout));
    }

    [StoreFact]
    public async Task An_older_version_by_its_senders_meta_does_not_replace_a_newer_stored_one()
    {
        // Ops review s11 #5: a retried delivery of version 1 brought back a result version 2 had marked entered-in-error.
        static TimelineSourceVersion Meta(long? version, int? day) =>
            new(version, day is { } d ? (new DateTimeOffset(2024, 1, d, 0, 0, 0, TimeSpan.Zero) - DateTimeOffset.UnixEpoch).Ticks / 10 : null);
        async Task<TimelineWriteResult> Write(double value, TimelineSourceVersion? meta) =>
            (await Store.WriteAsync([Observation("o1", "p1", value) with { SourceVersion = meta }]).WaitAsync(Timeout))[0];

        var created = await Write(2, Meta(2, null));
        var older = await Write(1, Meta(1, 1));                 // versionId 1 < 2 (the stored one has no lastUpdated)
        var newer = await Write(3, Meta(3, 10));
        var earlier = await Write(4, Meta(9, 5));               // lastUpdated decides over versionId when both have one
        var later = await Write(5, Meta(1, 20));
        var unstamped = await Write(6, null);                   // nothing to order by: the write wins
        var afterUnstamped = await Write(7, Meta(1, 1));

        Assert.Equal(TimelineWriteKind.Created, created.Kind);
        Assert.Equal((TimelineWriteKind.Outdated, 1L), (older.Kind, older.Version));
        Assert.Equal((TimelineWriteKind.Updated, 2L), (newer.Kind, newer.Version));
        Assert.Equal((TimelineWriteKind.Outdated, 2L), (earlier.Kind, earlier.Version));
        Assert.Equal((TimelineWriteKind.Updated, 3L), (later.Kind, later.Version));
        Assert.Equal((TimelineWriteKind.Updated, 4L), (unstamped.Kind, unstamped.Version));
        Assert.Equal((TimelineWriteKind.Updated, 5L), (afterUnstamped.Kind, afterUnstamped.Version));
        Assert.Contains("\"value\":7", Encoding.UTF8.GetString((await Store.ReadAsync("Observation", "o1").WaitAsync(Timeout))!.Json.Span), StringComparison.Ordinal);
    }

    [StoreFact]
    public async Task A_failing_write_leaves_nothing_of_its_resources()
    {
        TimelineResource broken = Observation("o2", "p1", 2) with { ResourceType = null! };

        await Assert.ThrowsAnyAsync<Exception>(() => Store.WriteAsync([Observation("o1", "p1", 1), broken]).WaitAsync(Timeout));

        Assert.Null(await Store.ReadAsync("Observation", "o1").WaitAsync(Timeout));
    }

    [StoreFact]
    public async Task Concurrent_writers_of_the_same_resources_create_each_once()
    {
        var resources = Enumerable.Range(0, 20).Select(i => Observation($"o{i}", "p1", i)).ToArray();

        var writes = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Store.WriteAsync(resources)))).WaitAsync(Timeout);

        var kinds = writes.SelectMany(w => w).GroupBy(r => r.Kind).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(20, kinds[TimelineWriteKind.Created]);
        Assert.Equal(7 * 20, kinds[TimelineWriteKind.Unchanged]);
        var stored = await Store.ReadPatientAsync("p1").WaitAsync(Timeout);
        Assert.Equal(20, stored.Count);
        Assert.All(stored, r => Assert.Equal(1, r.Version));
    }

    [StoreFact]
    public async Task Concurrent_updates_of_one_resource_give_one_version_per_change()
    {
        await Store.WriteAsync([Observation("o1", "p1", 0)]).WaitAsync(Timeout);

        await Task.WhenAll(Enumerable.Range(1, 10).Select(i => Task.Run(() => Store.WriteAsync([Observation("o1", "p1", i)])))).WaitAsync(Timeout);

        var stored = await Store.ReadAsync("Observation", "o1").WaitAsync(Timeout);
        Assert.Equal(11, stored!.Version);
    }

    [StoreFact]
    public async Task Concurrent_transactions_of_the_same_resources_in_different_orders_all_commit()
    {
        // Ops review s11 #2: on PostgreSQL five of eight such pushes were deadlock victims (503). Each writer changes
        // every resource, so eight writers make eight versions of each.
        var writers = Enumerable.Range(1, 8).Select(w =>
        {
            var resources = Enumerable.Range(0, 60).Select(i => Observation($"o{i}", "p1", w * 100 + i)).ToArray();
            new Random(w).Shuffle(resources);
            return resources;
        }).ToArray();

        var writes = await Task.WhenAll(writers.Select(r => Task.Run(() => Store.WriteAsync(r)))).WaitAsync(Timeout);

        for (var w = 0; w < writers.Length; w++)
            Assert.Equal(writers[w].Select(r => r.Id), writes[w].Select(r => r.Id)); // results in request order
        var stored = await Store.ReadPatientAsync("p1").WaitAsync(Timeout);
        Assert.Equal(60, stored.Count);
        Assert.All(stored, r => Assert.Equal(8, r.Version));
    }

    [StoreFact]
    public async Task A_patient_purge_removes_its_compartment_and_the_unlinked_resources_that_reach_it()
    {
        // Claims and Provenance are types the reader does not parse: stored with no patient (review phi.md #3).
        await Store.WriteAsync([
            Patient("p1"), Observation("o1", "p1", 1), Patient("p2"), Observation("o2", "p2", 2),
            Unlinked("Claim", "c1", """{"patient":{"reference":"Patient/p1"}}"""),
            Unlinked("Claim", "c2", """{"patient":{"reference":"https://ehr.example/fhir/Patient/p1/_history/3"}}"""),
            Unlinked("Claim", "c3", """{"patient":{"reference":"urn:uuid:p1"}}"""),
            Unlinked("Provenance", "v1", """{"target":[{"reference":"Observation/o1"}]}"""),
            Unlinked("Provenance", "v2", """{"target":[{"reference":"Claim/c1"}]}"""),
            Unlinked("Claim", "c4", """{"patient":{"reference":"Patient/p2"},"provider":{"reference":"Organization/org1"}}"""),
            Unlinked("Organization", "org1", """{"name":"General"}"""),
        ]).WaitAsync(Timeout);

        var removed = await Store.PurgePatientAsync("p1").WaitAsync(Timeout);

        Assert.Equal(new TimelinePurgeResult(2, 5), removed);
        Assert.Empty(await Store.ReadPatientAsync("p1").WaitAsync(Timeout));
        foreach (var (type, id) in new[] { ("Claim", "c1"), ("Claim", "c2"), ("Claim", "c3"), ("Provenance", "v1"), ("Provenance", "v2") })
            Assert.Null(await Store.ReadAsync(type, id).WaitAsync(Timeout));
        Assert.Equal(2, (await Store.ReadPatientAsync("p2").WaitAsync(Timeout)).Count);
        Assert.NotNull(await Store.ReadAsync("Claim", "c4").WaitAsync(Timeout));
        Assert.NotNull(await Store.ReadAsync("Organization", "org1").WaitAsync(Timeout));
        Assert.Equal(new TimelinePurgeResult(0, 0), await Store.PurgePatientAsync("p1").WaitAsync(Timeout));
    }

    [StoreFact]
    public async Task An_erasure_compares_fullUrls_by_case_but_an_urn_uuid_ignoring_it()
    {
        // FHIR ids are case-sensitive: erasing abc must not take the unlinked rows of ABC's absolute fullUrl (review
        // s24-store #10); a UUID's hex digits may be written in either case.
        await Store.WriteAsync([
            Patient("abc") with { FullUrl = "https://ehr.example/fhir/Patient/abc" },
            Patient("ABC") with { FullUrl = "https://ehr.example/fhir/Patient/ABC" },
            Patient("6e1c9a52") with { FullUrl = "urn:uuid:6e1c9a52-aaaa" },
            Unlinked("Claim", "mine", """{"patient":{"reference":"https://ehr.example/fhir/Patient/abc"}}"""),
            Unlinked("Claim", "theirs", """{"patient":{"reference":"https://ehr.example/fhir/Patient/ABC"}}"""),
            Unlinked("Claim", "upper", """{"patient":{"reference":"URN:UUID:6E1C9A52-AAAA"}}"""),
        ]).WaitAsync(Timeout);

        Assert.Equal(1, (await Store.PurgePatientAsync("abc").WaitAsync(Timeout)).Unlinked);
        Assert.Equal(1, (await Store.PurgePatientAsync("6e1c9a52").WaitAsync(Timeout)).Unlinked);

        Assert.Null(await Store.ReadAsync("Claim", "mine").WaitAsync(Timeout));
        Assert.NotNull(await Store.ReadAsync("Claim", "theirs").WaitAsync(Timeout));
        Assert.Null(await Store.ReadAsync("Claim", "upper").WaitAsync(Timeout));
    }

    [StoreFact]
    public async Task Retention_removes_whole_patients_with_nothing_recent_and_old_unlinked_resources()
    {
        await Store.WriteAsync([Patient("p1"), Observation("o1", "p1", 1), Patient("p2"), Observation("o2", "p2", 2),
            Unlinked("Claim", "old", """{"patient":{"reference":"urn:uuid:x"}}"""),
            Unlinked("Medication", "m1", """{"code":{"text":"heparin"}}"""), Unlinked("Location", "icu", """{"name":"MICU"}"""),
            Unlinked("Organization", "org", """{"name":"General"}""")]).WaitAsync(Timeout);
        Clock.Advance(TimeSpan.FromDays(40));
        await Store.WriteAsync([Observation("o3", "p2", 3), Unlinked("Claim", "new", """{"patient":{"reference":"urn:uuid:y"}}""")]).WaitAsync(Timeout);
        Clock.Advance(TimeSpan.FromDays(5));

        var removed = await Store.PurgeInactiveAsync(Clock.GetUtcNow() - TimeSpan.FromDays(30)).WaitAsync(Timeout);

        Assert.Equal(new TimelineRetentionResult(Patients: 1, Linked: 2, Unlinked: 2), removed);
        Assert.Empty(await Store.ReadPatientAsync("p1").WaitAsync(Timeout));
        Assert.Equal(3, (await Store.ReadPatientAsync("p2").WaitAsync(Timeout)).Count); // its 45-day-old Patient stays with it
        Assert.Null(await Store.ReadAsync("Claim", "old").WaitAsync(Timeout));
        Assert.Null(await Store.ReadAsync("Organization", "org").WaitAsync(Timeout)); // no prediction reads it
        Assert.NotNull(await Store.ReadAsync("Claim", "new").WaitAsync(Timeout));
        // The shared resources predictions read describe no patient and are not aged out: the catalogue pushed once stays
        // for the patients still charted (review s24-store #3: their drugs and ICU units were swept from under them).
        foreach (var (type, id) in new[] { ("Medication", "m1"), ("Location", "icu") })
            Assert.NotNull(await Store.ReadAsync(type, id).WaitAsync(Timeout));
    }

    [StoreFact]
    public async Task The_same_content_pushed_again_fills_a_patient_link_or_fullUrl_the_row_lacks()
    {
        // Review s24-store #8: "unchanged" left a row no prediction could reach (a subject first judged another server's,
        // a Medication first imported as NDJSON), however the sender repaired its push.
        var unlinked = Observation("o1", "p1", 1) with { PatientId = null };
        await Store.WriteAsync([Patient("p1"), unlinked]).WaitAsync(Timeout);
        Assert.Equal(["Patient/p1"], SortedKeys(await Store.ReadPatientAsync("p1").WaitAsync(Timeout)));

        var again = await Store.WriteAsync([unlinked with { PatientId = "p1", FullUrl = "urn:uuid:5b3f0000-0000-4000-8000-000000000001" }]).WaitAsync(Timeout);

        Assert.Equal(TimelineWriteKind.Unchanged, Assert.Single(again).Kind);
        Assert.Equal(1, Assert.Single(again).Version);
        Assert.Equal(["Observation/o1", "Patient/p1"], SortedKeys(await Store.ReadPatientAsync("p1").WaitAsync(Timeout)));
        Assert.Equal("urn:uuid:5b3f0000-0000-4000-8000-000000000001", (await Store.ReadAsync("Observation", "o1").WaitAsync(Timeout))!.FullUrl);
        // What a row has is kept: a push that says less does not take it away, nor does one that says otherwise.
        await Store.WriteAsync([unlinked with { PatientId = "p2", FullUrl = null }]).WaitAsync(Timeout);
        Assert.Equal("p1", (await Store.ReadAsync("Observation", "o1").WaitAsync(Timeout))!.PatientId);
    }

    [StoreFact]
    public async Task An_urn_reference_to_a_Patient_of_another_push_is_stored_with_that_Patient_in_either_order()
    {
        // Review s24-store #9: a sender split one Bundle, so its Observations name their Patient ("123", fullUrl
        // urn:uuid:<A>) by a fullUrl no entry of their push holds. They were stored under <A>, a patient that does not
        // exist: out of 123's predictions and its erasure.
        await Store.WriteAsync([Patient("123") with { FullUrl = "urn:uuid:" + UuidA }]).WaitAsync(Timeout);
        await Store.WriteAsync([FromUrn(Observation("after", UuidA, 1))]).WaitAsync(Timeout);
        // The other order: the Observations first, then their Patient; and a uuid no Patient was stored under.
        await Store.WriteAsync([FromUrn(Observation("before", UuidB, 2)), FromUrn(Observation("nobody", UuidC, 3))]).WaitAsync(Timeout);
        await Store.WriteAsync([Patient("456") with { FullUrl = "urn:uuid:" + UuidB }]).WaitAsync(Timeout);

        Assert.Equal(["Observation/after", "Patient/123"], SortedKeys(await Store.ReadPatientAsync("123").WaitAsync(Timeout)));
        Assert.Equal(["Observation/before", "Patient/456"], SortedKeys(await Store.ReadPatientAsync("456").WaitAsync(Timeout)));
        Assert.Empty(await Store.ReadPatientAsync(UuidA).WaitAsync(Timeout));
        Assert.Equal(UuidC, (await Store.ReadAsync("Observation", "nobody").WaitAsync(Timeout))!.PatientId);
        var erased = await Store.PurgePatientAsync("123").WaitAsync(Timeout);
        Assert.Equal(2, erased.Linked);
        Assert.Null(await Store.ReadAsync("Observation", "after").WaitAsync(Timeout));
    }

    [StoreFact]
    public async Task Only_rows_stored_from_the_urn_move_to_a_Patient_pushed_under_it()
    {
        // Synthea's convention (id = the uuid of its fullUrl) and a Patient stored with the uuid as its id: the rows are
        // that Patient's, not those of a second Patient pushed later under the same fullUrl. A chart stored from a plain
        // Patient/<u> reference, without a Patient row, is not taken by a Patient pushed under urn:uuid:<u> (review s25
        // M3: any push could take a chart so, and its erasure then missed it).
        await Store.WriteAsync([Patient(UuidA), FromUrn(Observation("o1", UuidA, 1))]).WaitAsync(Timeout);
        await Store.WriteAsync([Observation("o2", UuidB, 2)]).WaitAsync(Timeout);
        await Store.WriteAsync([Patient("789") with { FullUrl = "urn:uuid:" + UuidA }, Patient("other") with { FullUrl = "urn:uuid:" + UuidB }])
            .WaitAsync(Timeout);

        Assert.Equal(["Observation/o1", $"Patient/{UuidA}"], SortedKeys(await Store.ReadPatientAsync(UuidA).WaitAsync(Timeout)));
        Assert.Equal(UuidB, (await Store.ReadAsync("Observation", "o2").WaitAsync(Timeout))!.PatientId);
        Assert.Equal(1, (await Store.PurgePatientAsync(UuidB).WaitAsync(Timeout)).Linked);
    }

    private const string UuidA = "6e1c9a52-0000-4000-8000-00000000000a";
    private const string UuidB = "6e1c9a52-0000-4000-8000-00000000000b";
    private const string UuidC = "6e1c9a52-0000-4000-8000-00000000000c";

    /// <summary>An Observation whose subject is <c>urn:uuid:</c><paramref name="uuid"/>, stored under the uuid with no
    /// record of the reference, as a push stored it before 2026-12-07.</summary>
    internal static TimelineResource UrnSubject(string id, string uuid)
    {
        var bytes = Encoding.UTF8.GetBytes($$$"""{"resourceType":"Observation","id":"{{{id}}}","status":"final","subject":{"reference":"urn:uuid:{{{uuid}}}"}}""");
        return new TimelineResource("Observation", id, uuid, null, ResourceContentHash.Of(bytes), bytes);
    }

    /// <summary>The resource as a push stores it whose patient reference was <c>urn:uuid:&lt;its patient&gt;</c>, unresolved.</summary>
    private static TimelineResource FromUrn(TimelineResource resource) => resource with { PatientUrn = "urn:uuid:" + resource.PatientId };

    [StoreFact]
    public async Task Retention_keeps_or_sweeps_the_charts_of_a_merge_as_one()
    {
        // A read joins a merge's charts into one record, so retention must not cut it in two: a retired chart that no
        // longer changes stays while its survivor is charted, and a survivor stays while the EHR still charts under the
        // retired id. Families: retired -> survivor (survivor active); old-id -> quiet (old-id active); a -> b -> c (c
        // active, two links away); x <-> y (a cycle, both quiet); lone (quiet, unmerged).
        await Store.WriteAsync([
            Patient("survivor"), Linked("retired", ("replaced-by", "survivor")), Observation("o-r", "retired", 1),
            Patient("quiet"), Linked("old-id", ("replaced-by", "Patient/quiet")),
            Linked("a", ("replaced-by", "b")), Linked("b", ("replaced-by", "c")), Patient("c"),
            Linked("x", ("replaced-by", "y")), Linked("y", ("replaced-by", "x")), Observation("o-x", "x", 2),
            Patient("lone"), Observation("o-lone", "lone", 3),
        ]).WaitAsync(Timeout);
        Clock.Advance(TimeSpan.FromDays(40));
        await Store.WriteAsync([Observation("o-s", "survivor", 4), Observation("o-old", "old-id", 5), Observation("o-c", "c", 6)]).WaitAsync(Timeout);
        Clock.Advance(TimeSpan.FromDays(5));

        var removed = await Store.PurgeInactiveAsync(Clock.GetUtcNow() - TimeSpan.FromDays(30)).WaitAsync(Timeout);

        Assert.Equal(new TimelineRetentionResult(Patients: 3, Linked: 5, Unlinked: 0), removed); // x, y and lone
        Assert.Equal(["Observation/o-r", "Observation/o-s", "Patient/retired", "Patient/survivor"], SortedKeys(await Store.ReadPatientAsync("survivor").WaitAsync(Timeout)));
        Assert.Equal(["Observation/o-old", "Patient/old-id", "Patient/quiet"], SortedKeys(await Store.ReadPatientAsync("quiet").WaitAsync(Timeout)));
        Assert.Equal(["Observation/o-c", "Patient/a", "Patient/b", "Patient/c"], SortedKeys(await Store.ReadPatientAsync("c").WaitAsync(Timeout)));
        Assert.Empty(await Store.ReadPatientAsync("x").WaitAsync(Timeout));
        Assert.Empty(await Store.ReadPatientAsync("lone").WaitAsync(Timeout));

        // Once the whole family is quiet it goes as one.
        Clock.Advance(TimeSpan.FromDays(40));
        var later = await Store.PurgeInactiveAsync(Clock.GetUtcNow() - TimeSpan.FromDays(30)).WaitAsync(Timeout);
        Assert.Equal(7, later.Patients);
        Assert.Empty(await Store.ReadPatientAsync("survivor").WaitAsync(Timeout));
        Assert.Empty(await Store.ReadPatientAsync("retired").WaitAsync(Timeout));
    }

    // ---- CDS client token ids (migration 5): the replay store shared by replicas (docs/cds-hooks.md "Replay protection") ----

    [StoreFact]
    public async Task A_client_token_id_is_new_once_per_issuer_until_its_token_expires()
    {
        var expires = Clock.GetUtcNow() + TimeSpan.FromMinutes(6);

        Assert.True(await Store.RecordClientTokenAsync("https://ehr-a.example.org", "jti-1", expires).WaitAsync(Timeout));
        Assert.False(await Store.RecordClientTokenAsync("https://ehr-a.example.org", "jti-1", expires).WaitAsync(Timeout));
        Assert.True(await Store.RecordClientTokenAsync("https://ehr-b.example.org", "jti-1", expires).WaitAsync(Timeout));
        Assert.True(await Store.RecordClientTokenAsync("https://ehr-a.example.org", "jti-2", expires).WaitAsync(Timeout));
        Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.False(await Store.RecordClientTokenAsync("https://ehr-a.example.org", "jti-1", expires).WaitAsync(Timeout));
        Clock.Advance(TimeSpan.FromMinutes(1)); // expired, not swept yet: the id may be used again, as in memory
        Assert.True(await Store.RecordClientTokenAsync("https://ehr-a.example.org", "jti-1", expires + TimeSpan.FromMinutes(6)).WaitAsync(Timeout));
        Assert.False(await Store.RecordClientTokenAsync("https://ehr-a.example.org", "jti-1", expires + TimeSpan.FromMinutes(6)).WaitAsync(Timeout));
    }

    [StoreFact]
    public async Task Concurrent_records_of_one_client_token_id_find_it_new_once()
    {
        var expires = Clock.GetUtcNow() + TimeSpan.FromMinutes(6);

        var records = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ =>
            Task.Run(() => Store.RecordClientTokenAsync("https://ehr-a.example.org", "jti-raced", expires)))).WaitAsync(Timeout);

        Assert.Single(records, r => r);
    }

    [StoreFact]
    public async Task Expired_client_token_ids_are_removed_in_batches_and_live_ones_kept()
    {
        var now = Clock.GetUtcNow();
        for (var i = 0; i < 5; i++)
            Assert.True(await Store.RecordClientTokenAsync("https://ehr-a.example.org", $"old-{i}", now + TimeSpan.FromMinutes(1 + i)).WaitAsync(Timeout));
        Assert.True(await Store.RecordClientTokenAsync("https://ehr-a.example.org", "live", now + TimeSpan.FromHours(1)).WaitAsync(Timeout));
        Assert.Equal(0, await Store.RemoveExpiredClientTokensAsync(10).WaitAsync(Timeout));
        Clock.Advance(TimeSpan.FromMinutes(10));

        Assert.Equal(2, await Store.RemoveExpiredClientTokensAsync(2).WaitAsync(Timeout));
        Assert.Equal(2, await Store.RemoveExpiredClientTokensAsync(2).WaitAsync(Timeout));
        Assert.Equal(1, await Store.RemoveExpiredClientTokensAsync(2).WaitAsync(Timeout));
        Assert.Equal(0, await Store.RemoveExpiredClientTokensAsync(2).WaitAsync(Timeout));
        Assert.False(await Store.RecordClientTokenAsync("https://ehr-a.example.org", "live", now + TimeSpan.FromHours(1)).WaitAsync(Timeout));
    }

    /// <summary>A resource stored without a patient; <paramref name="members"/> is a JSON object whose members follow
    /// resourceType and id.</summary>
    internal static TimelineResource Unlinked(string type, string id, string members)
    {
        var json = $$"""{"resourceType":"{{type}}","id":"{{id}}",{{members[1..]}}""";
        var bytes = Encoding.UTF8.GetBytes(json);
        return new TimelineResource(type, id, null, null, ResourceContentHash.Of(bytes), bytes);
    }

    internal static TimelineResource Observation(string id, string patient, double value)
    {
        var number = value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var json = $$$"""{"resourceType":"Observation","id":"{{{id}}}","status":"final","subject":{"reference":"Patient/{{{patient}}}"},"valueQuantity":{"value":{{{number}}}}}""";
        return Resource("Observation", id, patient, json);
    }

    private static string[] SortedKeys(IEnumerable<TimelineResource> resources) =>
        [.. resources.Select(r => $"{r.ResourceType}/{r.Id}").Order(StringComparer.Ordinal)];

    /// <summary>The server the linked Patients of these tests were pushed from (their fullUrls' base).</summary>
    internal const string OwnServer = "http://fhir.example.org/r4";

    /// <summary>A Patient with <c>link</c>s, each (type, reference to a Patient id or URL), pushed with its fullUrl on
    /// <see cref="OwnServer"/>.</summary>
    internal static TimelineResource Linked(string id, params (string Type, string Other)[] links)
    {
        var items = string.Join(",", links.Select(l => $$$"""{"type":"{{{l.Type}}}","other":{"reference":"{{{(l.Other.Contains('/') ? l.Other : "Patient/" + l.Other)}}}"}}"""));
        return Resource("Patient", id, id, $$"""{"resourceType":"Patient","id":"{{id}}","gender":"female","birthDate":"1950-01-01","link":[{{items}}]}""")
            with { FullUrl = $"{OwnServer}/Patient/{id}" };
    }

    internal static TimelineResource Patient(string id) =>
        Resource("Patient", id, id, $$"""{"resourceType":"Patient","id":"{{id}}","gender":"female","birthDate":"1950-01-01"}""");

    private static TimelineResource Resource(string type, string id, string patient, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        return new TimelineResource(type, id, patient, null, ResourceContentHash.Of(bytes), bytes);
    }
}

public sealed class SqliteTimelineStoreTests : TimelineStoreContract, IDisposable
{
    private readonly Testing.TempDirectory _folder = new("fhirrisk-store");

    private protected override ITimelineStore CreateStore() =>
        new SqliteTimelineStore(_folder.File("nested", "timeline.db"), busyTimeoutSeconds: 30, Clock);

    [Testing.UnixFact]
    public async Task The_database_its_wal_and_shm_files_are_created_0600_in_a_0700_folder()
    {
        // Raw patient resources (review phi.md #3): no other local user may read them, whatever the umask.
        await Store.WriteAsync([Patient("p1")]).WaitAsync(TimeSpan.FromSeconds(120));
        var database = _folder.File("nested", "timeline.db");
        Assert.True(File.Exists(database + "-wal") && File.Exists(database + "-shm"), "WAL mode keeps -wal and -shm open");
        foreach (var file in new[] { database, database + "-wal", database + "-shm" })
            Testing.UnixFileModes.AssertOwnerOnlyFile(file);
        Testing.UnixFileModes.AssertOwnerOnlyFolder(_folder.File("nested"));
    }

    [Fact]
    public async Task A_merge_into_another_servers_chart_stored_before_migration_9_is_read_again_and_joins_nobody()
    {
        // A store at schema 8 holding the replaced_by the rule before 2026-12-07 gave an absolute link to another
        // server's chart ("77", our Patient 77, another person; review s24-store H1): migration 9 reads every link again.
        var path = _folder.File("schema-8.db");
        var old = new SqliteTimelineStore(path, busyTimeoutSeconds: 30, Clock);
        await old.MigrateAsync();
        await old.WriteAsync([Linked("x", ("replaced-by", "https://mpi.other.example/fhir/Patient/77")), Patient("77"), Observation("o-77", "77", 1),
            Linked("merged", ("replaced-by", "survivor")), Patient("survivor")]);
        await ExecuteSqliteAsync(path, "UPDATE timeline_resources SET replaced_by = '77' WHERE resource_type = 'Patient' AND resource_id = 'x'",
            "DROP INDEX ix_timeline_resources_full_url", "ALTER TABLE timeline_resources DROP COLUMN patient_urn",
            "DELETE FROM timeline_schema_migrations WHERE version >= 9");
        Assert.Contains("Patient/x", (await old.ReadPatientAsync("77")).Select(r => $"{r.ResourceType}/{r.Id}"));

        var upgraded = new SqliteTimelineStore(path, busyTimeoutSeconds: 30, Clock);
        await upgraded.MigrateAsync();

        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], await upgraded.AppliedMigrationsAsync());
        Assert.Equal(["Observation/o-77", "Patient/77"], (await upgraded.ReadPatientAsync("77")).Select(r => $"{r.ResourceType}/{r.Id}").Order(StringComparer.Ordinal));
        Assert.Equal(["Patient/merged", "Patient/survivor"], (await upgraded.ReadPatientAsync("survivor")).Select(r => $"{r.ResourceType}/{r.Id}").Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Merge_links_of_Patients_stored_before_the_column_existed_are_filled_when_it_is_added()
    {
        // A store at schema 6 (before replaced_by) holding a merged chart: migrating fills the column, so the survivor's
        // read finds the merged chart at once, not only after the merged Patient is pushed again.
        var path = _folder.File("old-schema.db");
        var old = new SqliteTimelineStore(path, busyTimeoutSeconds: 30, Clock);
        await old.MigrateAsync();
        await old.WriteAsync([Linked("merged", ("replaced-by", "survivor")), Patient("survivor"), Observation("o1", "merged", 1)]);
        await ExecuteSqliteAsync(path, "DROP INDEX ix_timeline_resources_replaced_by", "ALTER TABLE timeline_resources DROP COLUMN replaced_by",
            "DROP INDEX ix_timeline_resources_full_url", "ALTER TABLE timeline_resources DROP COLUMN patient_urn",
            "DELETE FROM timeline_schema_migrations WHERE version >= 7");

        var upgraded = new SqliteTimelineStore(path, busyTimeoutSeconds: 30, Clock);
        await upgraded.MigrateAsync();

        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], await upgraded.AppliedMigrationsAsync());
        Assert.Equal(["Observation/o1", "Patient/merged", "Patient/survivor"],
            (await upgraded.ReadPatientAsync("survivor")).Select(r => $"{r.ResourceType}/{r.Id}"));
    }

    [Fact]
    public async Task Rows_stored_under_an_urn_uuid_before_migration_12_move_to_the_Patient_stored_under_it_then_or_later()
    {
        var path = _folder.File("schema-9.db");
        var old = new SqliteTimelineStore(path, busyTimeoutSeconds: 30, Clock);
        await old.MigrateAsync();
        // As a push stored them before: the Observation under the uuid its urn:uuid: subject named, the Patient elsewhere;
        // one stored from a plain Patient/<uuid> reference; one whose uuid is a Patient's own id; one of nobody.
        const string a = "6e1c9a52-0000-4000-8000-00000000000a", b = "6e1c9a52-0000-4000-8000-00000000000b";
        await old.WriteAsync([Patient("123") with { FullUrl = "urn:uuid:" + a }, Patient("456") with { FullUrl = "urn:uuid:" + b },
            Patient("same") with { FullUrl = "urn:uuid:same" }]);
        const string c = "6e1c9a52-0000-4000-8000-00000000000c";
        await old.WriteAsync([UrnSubject("o1", a), Observation("o2", b, 2), UrnSubject("o3", "same"), UrnSubject("o4", "nobody"), UrnSubject("o5", c)]);
        await ExecuteSqliteAsync(path, "DROP INDEX ix_timeline_resources_full_url", "ALTER TABLE timeline_resources DROP COLUMN patient_urn",
            "DELETE FROM timeline_schema_migrations WHERE version >= 10");

        var upgraded = new SqliteTimelineStore(path, busyTimeoutSeconds: 30, Clock);
        await upgraded.MigrateAsync();

        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], await upgraded.AppliedMigrationsAsync());
        Assert.Equal(["Observation/o1", "Patient/123"], (await upgraded.ReadPatientAsync("123")).Select(r => $"{r.ResourceType}/{r.Id}"));
        Assert.Equal(b, (await upgraded.ReadAsync("Observation", "o2"))!.PatientId);
        Assert.Equal("same", (await upgraded.ReadAsync("Observation", "o3"))!.PatientId);
        Assert.Equal("nobody", (await upgraded.ReadAsync("Observation", "o4"))!.PatientId);
        // A row whose Patient comes only after the upgrade is taken by it, as one stored since (review s25-fixes L1).
        await upgraded.WriteAsync([Patient("789") with { FullUrl = "urn:uuid:" + c }]);
        Assert.Equal(["Observation/o5", "Patient/789"], (await upgraded.ReadPatientAsync("789")).Select(r => $"{r.ResourceType}/{r.Id}"));

    }

    /// <summary>Runs <paramref name="statements"/> on the SQLite file, as a store of an older schema would have it.</summary>
    private static async Task ExecuteSqliteAsync(string path, params string[] statements)
    {
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}"))
        {
            await connection.OpenAsync();
            foreach (var sql in statements)
            {
                await using var command = connection.CreateCommand();
                command.CommandText = sql;
                await command.ExecuteNonQueryAsync();
            }
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}

[RequiresPostgres]
public sealed class PostgresTimelineStoreTests : TimelineStoreContract
{
    private string? _connectionString;

    private protected override ITimelineStore CreateStore() =>
        new PostgresTimelineStore(_connectionString = PostgresCluster.NewDatabase(), commandTimeoutSeconds: 30, Clock);

    [StoreFact]
    public async Task A_row_an_erasure_removes_between_the_pushs_statements_is_stored_again()
    {
        // Review s24-store #7: the insert found the row (ON CONFLICT DO NOTHING locks nothing), an erasure deleted and
        // committed it, and the update found nothing: the push was answered 500. Serially it is "erased, then pushed".
        await Store.WriteAsync([Patient("p1"), Observation("o1", "p1", 1)]).WaitAsync(TimeSpan.FromSeconds(120));
        var store = (SqlTimelineStore)Store;
        var erased = 0;
        store.AfterInsertFoundRow = async token =>
        {
            if (erased++ == 0)
                await ExecuteAsync("DELETE FROM timeline_resources WHERE resource_type = 'Observation' AND resource_id = 'o1'", token);
        };

        var written = await Store.WriteAsync([Observation("o1", "p1", 2)]).WaitAsync(TimeSpan.FromSeconds(120));

        Assert.Equal((TimelineWriteKind.Created, 1L), (written[0].Kind, written[0].Version));
        Assert.Equal(1, erased);
        var stored = await Store.ReadAsync("Observation", "o1").WaitAsync(TimeSpan.FromSeconds(120));
        Assert.Contains("\"value\":2", Encoding.UTF8.GetString(stored!.Json.Span), StringComparison.Ordinal);
    }

    [StoreFact]
    public async Task A_sweep_of_more_patients_than_one_transaction_locks_removes_them_all()
    {
        // Each lock takes a slot of the server's shared lock table: one transaction for thousands of inactive patients
        // would fail with "out of shared memory" every hour.
        var count = 2 * SqlTimelineStore.SweepChunk + 7;
        await Store.WriteAsync([.. Enumerable.Range(0, count).SelectMany(i => new[] { Patient($"p{i}"), Observation($"o{i}", $"p{i}", i) })])
            .WaitAsync(TimeSpan.FromSeconds(120));
        Clock.Advance(TimeSpan.FromDays(40));
        await Store.WriteAsync([Observation("recent", "p3", 1)]).WaitAsync(TimeSpan.FromSeconds(120));

        var removed = await Store.PurgeInactiveAsync(Clock.GetUtcNow() - TimeSpan.FromDays(30)).WaitAsync(TimeSpan.FromSeconds(120));

        Assert.Equal(new TimelineRetentionResult(Patients: count - 1, Linked: 2 * (count - 1), Unlinked: 0), removed);
        Assert.Equal(3, (await Store.ReadPatientAsync("p3").WaitAsync(TimeSpan.FromSeconds(120))).Count);
    }

    [StoreFact]
    public Task A_push_that_changed_a_patient_while_the_sweep_chose_it_is_kept() => PushBesideSweepAsync(changed: true);

    [StoreFact]
    public Task A_push_that_found_a_patient_unchanged_and_added_to_it_while_the_sweep_chose_it_is_kept() => PushBesideSweepAsync(changed: false);

    [StoreFact]
    public Task A_push_of_more_patients_than_it_locks_one_by_one_holds_them_all_from_the_sweep() =>
        PushBesideSweepAsync(changed: false, others: SqlDialect.MaxPatientLocks + 6);

    /// <summary>
    /// A push of a patient past retention (its Patient, changed or not, and a new Observation) holds the patient while the
    /// sweep chooses it. Review s24-store #6: at read committed the sweep deleted the push's new Patient version, answered
    /// 200. Review s25 M2: at repeatable read (#6's first fix) it still deleted the rows the push had answered
    /// "unchanged", as nothing had changed them, and kept only the new Observation. No serial order gives either: the
    /// sweep now waits for the push and chooses again.
    /// </summary>
    private async Task PushBesideSweepAsync(bool changed, int others = 0)
    {
        var timeout = TimeSpan.FromSeconds(120);
        await Store.WriteAsync([Patient("p1"), Observation("o1", "p1", 1)]).WaitAsync(timeout);
        Clock.Advance(TimeSpan.FromDays(40));
        var paused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ((SqlTimelineStore)Store).AfterInsertFoundRow = async _ =>
        {
            paused.TrySetResult();
            await release.Task;
        };
        var patient = changed ? Linked("p1") with { FullUrl = null } : Patient("p1");
        var push = Store.WriteAsync([patient, Observation("o2", "p1", 2), .. Enumerable.Range(0, others).Select(i => Observation($"x{i}", $"q{i}", i))]);
        await paused.Task.WaitAsync(timeout);

        var sweep = Store.PurgeInactiveAsync(Clock.GetUtcNow() - TimeSpan.FromDays(30));
        await WaitForLockWaitAsync(timeout);
        release.SetResult();
        var written = await push.WaitAsync(timeout);
        var removed = await sweep.WaitAsync(timeout);

        Assert.Equal(changed ? TimelineWriteKind.Updated : TimelineWriteKind.Unchanged, written[0].Kind);
        Assert.Equal(TimelineWriteKind.Created, written[1].Kind);
        Assert.Equal(new TimelineRetentionResult(Patients: 0, Linked: 0, Unlinked: 0), removed);
        Assert.Equal(["Observation/o1", "Observation/o2", "Patient/p1"],
            (await Store.ReadPatientAsync("p1").WaitAsync(timeout)).Select(r => $"{r.ResourceType}/{r.Id}"));
    }

    /// <summary>Until a session of the test database waits on a lock (the sweep behind the open push).</summary>
    private async Task WaitForLockWaitAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            await using var connection = new Npgsql.NpgsqlConnection(_connectionString);
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'", connection);
            if (Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture) > 0)
                return;
            Assert.True(DateTime.UtcNow < deadline, "the sweep never waited on the pushed row");
            await Task.Delay(20);
        }
    }

    [StoreFact]
    public async Task Rows_stored_under_an_urn_uuid_before_migration_12_move_on_PostgreSQL_too()
    {
        // As the SQLite test does: migrations 12 and 13 state their byte search in each database's own words.
        const string a = "6e1c9a52-0000-4000-8000-00000000000a", b = "6e1c9a52-0000-4000-8000-00000000000b";
        await Store.WriteAsync([Patient("123") with { FullUrl = "urn:uuid:" + a }]).WaitAsync(TimeSpan.FromSeconds(120));
        await Store.WriteAsync([UrnSubject("o1", a), Observation("o2", b, 2), UrnSubject("o3", b)]).WaitAsync(TimeSpan.FromSeconds(120));
        foreach (var sql in new[]
        {
            "DROP INDEX ix_timeline_resources_full_url", "ALTER TABLE timeline_resources DROP COLUMN patient_urn",
            "DELETE FROM timeline_schema_migrations WHERE version >= 10",
        })
            await ExecuteAsync(sql, CancellationToken.None);
        Assert.Equal(a, (await Store.ReadAsync("Observation", "o1"))!.PatientId); // under the uuid, as a push stored it before 2026-12-07

        await using var upgraded = new PostgresTimelineStore(_connectionString!, commandTimeoutSeconds: 30, Clock);
        await upgraded.MigrateAsync();
        await upgraded.WriteAsync([Patient("456") with { FullUrl = "urn:uuid:" + b }]);

        Assert.Equal(["Observation/o1", "Patient/123"], (await upgraded.ReadPatientAsync("123")).Select(r => $"{r.ResourceType}/{r.Id}"));
        Assert.Equal(["Observation/o3", "Patient/456"], (await upgraded.ReadPatientAsync("456")).Select(r => $"{r.ResourceType}/{r.Id}"));
        Assert.Equal(b, (await upgraded.ReadAsync("Observation", "o2"))!.PatientId); // from a plain Patient/<b> reference
    }

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = new Npgsql.NpgsqlConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [StoreFact]
    public async Task Merge_links_of_Patients_stored_before_the_column_existed_are_filled_when_it_is_added()
    {
        // As the SQLite test does, on PostgreSQL: the fill runs inside the migration's transaction and advisory lock.
        await Store.WriteAsync([Linked("merged", ("replaced-by", "survivor")), Patient("survivor"), Observation("o1", "merged", 1)]).WaitAsync(TimeSpan.FromSeconds(120));
        await using (var connection = new Npgsql.NpgsqlConnection(_connectionString))
        {
            await connection.OpenAsync();
            foreach (var sql in new[]
            {
                "DROP INDEX ix_timeline_resources_replaced_by", "ALTER TABLE timeline_resources DROP COLUMN replaced_by",
                "DROP INDEX ix_timeline_resources_full_url", "ALTER TABLE timeline_resources DROP COLUMN patient_urn",
                "DELETE FROM timeline_schema_migrations WHERE version >= 7",
            })
            {
                await using var command = new Npgsql.NpgsqlCommand(sql, connection);
                await command.ExecuteNonQueryAsync();
            }
        }

        await using var upgraded = new PostgresTimelineStore(_connectionString!, commandTimeoutSeconds: 30, Clock);
        await upgraded.MigrateAsync();

        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], await upgraded.AppliedMigrationsAsync());
        Assert.Equal(["Observation/o1", "Patient/merged", "Patient/survivor"],
            (await upgraded.ReadPatientAsync("survivor")).Select(r => $"{r.ResourceType}/{r.Id}"));
    }
}
