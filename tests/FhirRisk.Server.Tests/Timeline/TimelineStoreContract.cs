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
        Assert.Equal([1, 2], versions);
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

    internal static TimelineResource Observation(string id, string patient, double value)
    {
        var number = value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var json = $$$"""{"resourceType":"Observation","id":"{{{id}}}","status":"final","subject":{"reference":"Patient/{{{patient}}}"},"valueQuantity":{"value":{{{number}}}}}""";
        return Resource("Observation", id, patient, json);
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
        new SqliteTimelineStore(_folder.File("nested", "timeline.db"), busyTimeoutSeconds: 30, TimeProvider.System);

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

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}

[RequiresPostgres]
public sealed class PostgresTimelineStoreTests : TimelineStoreContract
{
    private protected override ITimelineStore CreateStore() =>
        new PostgresTimelineStore(PostgresCluster.NewDatabase(), commandTimeoutSeconds: 30, TimeProvider.System);
}
