using System.Net;
using System.Net.Sockets;
using FhirRisk.Testing;
using Npgsql;

namespace FhirRisk.Server.Tests.Timeline;

/// <summary>
/// A throwaway PostgreSQL cluster for the tests: Debian's server binaries (<c>/usr/lib/postgresql/&lt;v&gt;/bin</c>, package
/// <c>postgresql</c>) run <c>initdb</c> in a temporary folder and <c>pg_ctl start</c> on 127.0.0.1 and a free port, once
/// per test run; it is stopped when the process exits. As root (CI containers) the binaries run as the <c>postgres</c>
/// user, since the server refuses root. Without the binaries the tests are skipped with a message, unless
/// <c>FHIRRISK_REQUIRE_POSTGRES=1</c> (set by .ci/run), which makes them run and fail.
/// </summary>
internal static class PostgresCluster
{
    public const string RequireVariable = "FHIRRISK_REQUIRE_POSTGRES";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(90);
    private static readonly Lazy<Cluster> s_cluster = new(Start);

    /// <summary>Why the PostgreSQL tests skip here; null when they run.</summary>
    public static string? SkipReason { get; } = FindSkipReason();

    /// <summary>A connection string to a new, empty database of the shared cluster.</summary>
    public static string NewDatabase()
    {
        var cluster = s_cluster.Value;
        var name = "t" + Guid.NewGuid().ToString("N");
        using (var connection = new NpgsqlConnection(cluster.ConnectionString("postgres")))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"CREATE DATABASE {name}";
            command.ExecuteNonQuery();
        }
        return cluster.ConnectionString(name);
    }

    private static string? FindSkipReason()
    {
        if (Environment.GetEnvironmentVariable(RequireVariable) == "1" || BinFolder() is not null)
            return null;
        return "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (apt-get install postgresql); " +
            $"{RequireVariable}=1 turns this skip into a failure.";
    }

    private static string? BinFolder() =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.EnumerateDirectories("/usr/lib/postgresql")
                .Select(v => Path.Combine(v, "bin"))
                .Where(b => File.Exists(Path.Combine(b, "initdb")) && File.Exists(Path.Combine(b, "pg_ctl")))
                .OrderByDescending(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;

    private static Cluster Start()
    {
        var bin = BinFolder() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin; install the 'postgresql' package (.ci/run does).");
        var root = Path.Combine(Path.GetTempPath(), "fhirrisk-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
            Run("chown", ["postgres:postgres", root], root);
        var data = Path.Combine(root, "data");
        var port = FreePort();
        RunAsServer(asRoot, Path.Combine(bin, "initdb"), ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"], root);
        RunAsServer(asRoot, Path.Combine(bin, "pg_ctl"),
            ["-D", data, "-l", Path.Combine(root, "server.log"), "-w", "-t", "60",
             "-o", $"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c max_connections=200", "start"], root);
        var cluster = new Cluster(port);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                RunAsServer(asRoot, Path.Combine(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"], root);
                Directory.Delete(root, recursive: true);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException or UnauthorizedAccessException)
            {
                // Best effort at exit: the folder is under the temp path.
            }
        };
        return cluster;
    }

    private static void RunAsServer(bool asRoot, string tool, string[] arguments, string workingDirectory)
    {
        if (asRoot)
            Run("runuser", ["-u", "postgres", "--", tool, .. arguments], workingDirectory);
        else
            Run(tool, arguments, workingDirectory);
    }

    private static void Run(string tool, IEnumerable<string> arguments, string workingDirectory)
    {
        var result = ExternalProcess.Run(tool, arguments, workingDirectory, CommandTimeout);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"'{tool}' failed ({result.ExitCode}):\n{result.StandardError}\n{result.StandardOutput}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed record Cluster(int Port)
    {
        public string ConnectionString(string database) =>
            $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true;Maximum Pool Size=20";
    }
}
