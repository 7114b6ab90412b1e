using Microsoft.Extensions.Options;

namespace FhirRisk.Server.Timeline;

/// <summary>The <c>TimelineStore</c> configuration section (docs/timeline-store.md); validated at start.</summary>
public sealed class TimelineStoreOptions
{
    public const string Section = "TimelineStore";

    /// <summary><c>sqlite</c> (default: one file, one replica) or <c>postgresql</c> (shared by several replicas).</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>The SQLite database file, relative to the content root unless absolute. Default <c>data/timeline.db</c>.</summary>
    public string SqlitePath { get; set; } = "data/timeline.db";

    /// <summary>The PostgreSQL connection string (Npgsql keywords), required for <c>postgresql</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>How long a writer waits for another's lock (SQLite busy timeout, command timeout) in seconds. Default 30.</summary>
    public int BusyTimeoutSeconds { get; set; } = 30;

    /// <summary>How long a readiness probe waits for the store, in seconds. Default 2.</summary>
    public int PingTimeoutSeconds { get; set; } = 2;

    /// <summary>Retention in days (docs/timeline-store.md "Erasure and retention"): a patient none of whose resources
    /// changed for this long is removed whole, and so is a resource without a patient unchanged for this long. 0 (the
    /// default) keeps everything until it is purged.</summary>
    public int RetentionDays { get; set; }

    /// <summary>How often the retention sweep runs after the one at start, in minutes. Default 60.</summary>
    public int RetentionSweepMinutes { get; set; } = 60;

    /// <summary>The most resource JSON one prediction reads of a patient's stored history, in bytes; past it the rows
    /// stored most recently are kept and the answer says the history was cut (docs/timeline-store.md "Reads"). A
    /// prediction holds about eight times its raw bytes while it parses and maps them. Default 64 MiB.</summary>
    public long MaxPatientReadBytes { get; set; } = 64L << 20;

    internal bool IsPostgres => string.Equals(Provider, "postgresql", StringComparison.OrdinalIgnoreCase);
}

internal sealed class TimelineStoreOptionsValidator : IValidateOptions<TimelineStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, TimelineStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (!options.IsPostgres && !string.Equals(options.Provider, "sqlite", StringComparison.OrdinalIgnoreCase))
            failures.Add($"TimelineStore:Provider '{options.Provider}' is not 'sqlite' or 'postgresql'.");
        if (options.IsPostgres && string.IsNullOrWhiteSpace(options.ConnectionString))
            failures.Add("TimelineStore:ConnectionString is required when TimelineStore:Provider is 'postgresql'.");
        if (!options.IsPostgres && string.IsNullOrWhiteSpace(options.SqlitePath))
            failures.Add("TimelineStore:SqlitePath must name the SQLite database file.");
        if (options.BusyTimeoutSeconds is < 1 or > 3600)
            failures.Add("TimelineStore:BusyTimeoutSeconds must lie in 1-3600.");
        if (options.PingTimeoutSeconds is < 1 or > 60)
            failures.Add("TimelineStore:PingTimeoutSeconds must lie in 1-60.");
        if (options.RetentionDays is < 0 or > 36500)
            failures.Add("TimelineStore:RetentionDays must lie in 0-36500 (0 turns retention off).");
        if (options.RetentionSweepMinutes is < 1 or > 10080)
            failures.Add("TimelineStore:RetentionSweepMinutes must lie in 1-10080.");
        if (options.MaxPatientReadBytes < 1L << 20)
            failures.Add("TimelineStore:MaxPatientReadBytes must be at least 1048576 (1 MiB).");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
