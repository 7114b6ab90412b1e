using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FhirRisk.Server.Http;

/// <summary>
/// The logger factory with one event left out: the host's "Hosting failed to start" (category
/// <c>Microsoft.Extensions.Hosting.Internal.Host</c>, event 11) when what failed is a listener port in use
/// (<see cref="ListenerPortInUse"/>). Program.cs reports that failure in one line on stderr with exit code 1; the host
/// logged it first, with Kestrel's stack trace, on stdout, so a port in use read as a crash (ops review). Every other
/// event passes, that one included for any other fault, which keeps its trace. Filters of Microsoft.Extensions.Logging
/// see a category and a level, never the exception, hence a decorator of the factory rather than a filter rule; it
/// wraps only the host's logger, and providers, their aliases and the filter rules stay the inner factory's.
/// </summary>
internal sealed class PortInUseLogFilter(ILoggerFactory inner) : ILoggerFactory
{
    /// <summary>The category of Microsoft.Extensions.Hosting's host, which logs the start-up failure.</summary>
    internal const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    /// <summary>Its <c>HostedServiceStartupFaulted</c> event ("Hosting failed to start").</summary>
    internal const int HostingFailedToStart = 11;

    public static void AddTo(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        // The factory AddLogging registers, built as the container would build it, then wrapped.
        services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(provider => new PortInUseLogFilter(new LoggerFactory(
            provider.GetServices<ILoggerProvider>(),
            provider.GetRequiredService<IOptionsMonitor<LoggerFilterOptions>>(),
            provider.GetService<IOptions<LoggerFactoryOptions>>(),
            provider.GetService<IExternalScopeProvider>()))));
    }

    public ILogger CreateLogger(string categoryName)
    {
        var logger = inner.CreateLogger(categoryName);
        return categoryName == HostCategory ? new HostLogger(logger) : logger;
    }

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();

    private sealed class HostLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == HostingFailedToStart && ListenerPortInUse.Is(exception))
                return;
            inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
