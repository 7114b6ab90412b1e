using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Threading.Channels;
using Grpc.Health.V1;
using Microsoft.Extensions.Logging;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace FhirRisk.Server.Health;

/// <summary>
/// The serving status of each service the health protocol reports (gRPC doc/health-checking.md). The empty name is
/// the server as a whole, SERVING from the start. Components set their own status (the RiskService backend once its
/// model is loaded); watchers get the current status and then each change. At shutdown every service turns
/// NOT_SERVING for good and the watches end. The health service is open to anyone who reaches the port, so what a
/// watch may hold is bounded: a name of at most <see cref="MaxServiceNameBytes"/>, and at most
/// <see cref="MaxWatchers"/> watches at once (review s12 #1).
/// </summary>
internal sealed partial class HealthStatusRegistry
{
    /// <summary>The name that stands for the whole server.</summary>
    public const string Server = "";

    /// <summary>The longest service name, in UTF-8 bytes, a service may have or a watch may name. Ours are short
    /// (<c>""</c>, <c>fhirrisk.v1.RiskService</c>); a longer name cannot be one of them.</summary>
    public const int MaxServiceNameBytes = 256;

    /// <summary>Watches open at once unless the host sets another cap (<c>Grpc:MaxHealthWatches</c>).</summary>
    public const int DefaultMaxWatchers = 1000;

    private readonly Dictionary<string, ServingStatus> _statuses = new(StringComparer.Ordinal) { [Server] = ServingStatus.Serving };
    private readonly List<Watcher> _watchers = [];
    private readonly ILogger<HealthStatusRegistry> _logger;
    private bool _shuttingDown;

    public HealthStatusRegistry(ILogger<HealthStatusRegistry> logger, int maxWatchers = DefaultMaxWatchers)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxWatchers);
        _logger = logger;
        MaxWatchers = maxWatchers;
    }

    /// <summary>The most watches open at once; <see cref="TryWatch"/> refuses more.</summary>
    public int MaxWatchers { get; }

    /// <summary>How many watches are open, of any service.</summary>
    public int TotalWatchers
    {
        get
        {
            lock (_watchers)
                return _watchers.Count;
        }
    }

    /// <summary>False for a name longer than <see cref="MaxServiceNameBytes"/> UTF-8 bytes.</summary>
    public static bool IsAcceptableName(string service) =>
        service.Length <= MaxServiceNameBytes / 3 || Encoding.UTF8.GetByteCount(service) <= MaxServiceNameBytes;

    public void SetStatus(string service, ServingStatus status)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (!IsAcceptableName(service))
            throw new ArgumentOutOfRangeException(nameof(service), $"A service name has at most {MaxServiceNameBytes} UTF-8 bytes.");
        if (status == ServingStatus.ServiceUnknown)
            throw new ArgumentOutOfRangeException(nameof(status), "SERVICE_UNKNOWN is not a status a service can have; use Remove.");
        lock (_watchers)
        {
            if (_shuttingDown)
                return;
            Update(service, status);
        }
    }

    /// <summary>Forgets a service: Check answers NOT_FOUND, watchers see SERVICE_UNKNOWN.</summary>
    public void Remove(string service)
    {
        lock (_watchers)
        {
            if (_statuses.Remove(service))
                Notify(service, ServingStatus.ServiceUnknown);
        }
    }

    public bool TryGetStatus(string service, out ServingStatus status)
    {
        lock (_watchers)
            return _statuses.TryGetValue(service, out status);
    }

    public IReadOnlyDictionary<string, ServingStatus> Snapshot()
    {
        lock (_watchers)
            return new Dictionary<string, ServingStatus>(_statuses, StringComparer.Ordinal);
    }

    /// <summary>How many watches of <paramref name="service"/> are open.</summary>
    public int WatcherCount(string service)
    {
        lock (_watchers)
            return _watchers.Count(w => w.Service == service);
    }

    /// <summary>True when <paramref name="service"/> has a watcher and every watcher has taken its statuses (so
    /// the next change cannot replace one they have not seen).</summary>
    public bool WatchersAreIdle(string service)
    {
        lock (_watchers)
        {
            var watchers = _watchers.Where(w => w.Service == service).ToArray();
            return watchers.Length > 0 && watchers.All(w => w.Channel.Reader.Count == 0);
        }
    }

    /// <summary>As <see cref="TryWatch"/>; throws when the watches are at their cap.</summary>
    public HealthWatch Watch(string service) =>
        TryWatch(service, out var watch) ? watch : throw new InvalidOperationException($"{MaxWatchers} watches are open already.");

    /// <summary>Statuses of <paramref name="service"/>: the current one (SERVICE_UNKNOWN when unknown) at once, then
    /// each change. Only the latest matters to a watcher, so a slow reader skips to it. Dispose to stop watching.
    /// False, and nothing kept, when <see cref="MaxWatchers"/> watches are open.</summary>
    public bool TryWatch(string service, [NotNullWhen(true)] out HealthWatch? watch)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (!IsAcceptableName(service))
            throw new ArgumentOutOfRangeException(nameof(service), $"A service name has at most {MaxServiceNameBytes} UTF-8 bytes.");
        var channel = Channel.CreateBounded<ServingStatus>(new BoundedChannelOptions(1)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        var watcher = new Watcher(service, channel);
        lock (_watchers)
        {
            if (!_shuttingDown && _watchers.Count >= MaxWatchers)
            {
                watch = null;
                return false;
            }
            channel.Writer.TryWrite(_statuses.TryGetValue(service, out var status) ? status : ServingStatus.ServiceUnknown);
            if (_shuttingDown)
                channel.Writer.TryComplete();
            else
                _watchers.Add(watcher);
        }
        watch = new HealthWatch(channel.Reader, () => Unwatch(watcher));
        return true;
    }

    /// <summary>Called when the host begins to stop: every service NOT_SERVING, later updates ignored, watches end
    /// after delivering that.</summary>
    public void EnterShutdown()
    {
        lock (_watchers)
        {
            if (_shuttingDown)
                return;
            foreach (var service in _statuses.Keys.ToArray())
                Update(service, ServingStatus.NotServing);
            _shuttingDown = true;
            foreach (var watcher in _watchers)
                watcher.Channel.Writer.TryComplete();
            _watchers.Clear();
        }
    }

    private void Update(string service, ServingStatus status)
    {
        if (_statuses.TryGetValue(service, out var old) && old == status)
            return;
        _statuses[service] = status;
        StatusChanged(_logger, service.Length == 0 ? "(server)" : service, status);
        Notify(service, status);
    }

    private void Notify(string service, ServingStatus status)
    {
        foreach (var watcher in _watchers)
        {
            if (watcher.Service == service)
                watcher.Channel.Writer.TryWrite(status);
        }
    }

    private void Unwatch(Watcher watcher)
    {
        lock (_watchers)
            _watchers.Remove(watcher);
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Health of {Service} is now {Status}")]
    private static partial void StatusChanged(ILogger logger, string service, ServingStatus status);

    private sealed record Watcher(string Service, Channel<ServingStatus> Channel);
}

/// <summary>One watcher's statuses; disposing it stops the updates.</summary>
internal sealed class HealthWatch(ChannelReader<ServingStatus> statuses, Action stop) : IDisposable
{
    public ChannelReader<ServingStatus> Statuses { get; } = statuses;

    public void Dispose() => stop();
}
