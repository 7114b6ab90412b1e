using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FhirRisk.Server.Tests.Operations;

/// <summary>docs/operations.md: settings from appsettings.json, then FHIRRISK_* variables, then the command line.</summary>
public sealed class ConfigurationSourcesTests
{
    [Fact]
    public void The_command_line_overrides_a_prefixed_environment_variable_which_overrides_the_defaults()
    {
        // A key no other test uses: the process environment is shared by the tests running beside this one.
        var section = "OrderTest" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable($"FHIRRISK_{section}__Both", "environment");
        Environment.SetEnvironmentVariable($"FHIRRISK_{section}__EnvironmentOnly", "environment");
        try
        {
            string[] args = [$"--{section}:Both=command-line"];
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, EnvironmentName = "Testing" });

            builder.AddFhirRiskConfiguration(args);

            Assert.Equal("command-line", builder.Configuration[$"{section}:Both"]);
            Assert.Equal("environment", builder.Configuration[$"{section}:EnvironmentOnly"]);
            Assert.Equal("models/demo", builder.Configuration["Model:Directory"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable($"FHIRRISK_{section}__Both", null);
            Environment.SetEnvironmentVariable($"FHIRRISK_{section}__EnvironmentOnly", null);
        }
    }

    [Theory]
    [InlineData(new string[0], false)]
    [InlineData(new[] { "--Logging:LogLevel:Microsoft.AspNetCore=Information" }, true)]
    public void Request_urls_are_not_logged_at_Information_even_without_appsettings_json(string[] args, bool logged)
    {
        // Review phi.md #8: started from another folder, the content root has no appsettings.json and its
        // Microsoft.AspNetCore: Warning was lost, so hosting logged every URL (query included) at Information.
        using var folder = new FhirRisk.Testing.TempDirectory("no-appsettings");
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, EnvironmentName = "Testing", ContentRootPath = folder.Path });
        builder.Logging.AddProvider(new Infrastructure.CapturingLoggerProvider());

        builder.AddFhirRiskConfiguration(args);
        using var app = builder.Build();

        var hosting = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics");
        Assert.Equal(logged, hosting.IsEnabled(LogLevel.Information));
        Assert.True(hosting.IsEnabled(LogLevel.Warning));
        Assert.True(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("FhirRisk.Server.FhirPush.FhirPushService").IsEnabled(LogLevel.Information));
    }

    [Fact]
    public void Started_from_another_folder_the_shipped_settings_still_hold_the_clinical_thresholds()
    {
        // Service review s10 #1: without the content root's appsettings.json every task fell back to the generic
        // 10 % / 30 %, so a 6.9 % mortality risk was shown "low" where the shipped 5 % threshold says "elevated".
        using var folder = new FhirRisk.Testing.TempDirectory("no-appsettings");
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], EnvironmentName = "Testing", ContentRootPath = folder.Path });

        builder.AddFhirRiskConfiguration([]);

        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "appsettings.json")));
        Assert.Equal("0.05", builder.Configuration["CdsHooks:Thresholds:hospital_mortality:Warning"]);
        Assert.Equal("0.15", builder.Configuration["CdsHooks:Thresholds:hospital_mortality:Critical"]);
        Assert.Equal("0.15", builder.Configuration["CdsHooks:Thresholds:readmission_30d:Warning"]);
        Assert.Equal("readmission_30d", builder.Configuration["CdsHooks:EncounterDischargeTasks:0"]);
    }

    [Fact]
    public void The_shipped_settings_give_every_catalog_task_its_own_thresholds()
    {
        // Walkthrough review s21 M1: ICU admission, a third of the demo cohort's stays, fell back to the generic 10 % / 30 %,
        // so almost every patient's card was critical.
        using var folder = new FhirRisk.Testing.TempDirectory("no-appsettings");
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], EnvironmentName = "Testing", ContentRootPath = folder.Path });

        builder.AddFhirRiskConfiguration([]);

        foreach (var task in FhirRisk.Meds.Tasks.TaskCatalog.Names)
        {
            var warning = double.Parse(builder.Configuration[$"CdsHooks:Thresholds:{task}:Warning"] ?? "NaN", System.Globalization.CultureInfo.InvariantCulture);
            var critical = double.Parse(builder.Configuration[$"CdsHooks:Thresholds:{task}:Critical"] ?? "NaN", System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(warning is > 0 and < 1 && critical > warning && critical < 1, $"{task}: {warning} / {critical}");
        }
    }

    [Fact]
    public void The_content_roots_appsettings_overrides_the_shipped_one()
    {
        using var folder = new FhirRisk.Testing.TempDirectory("site-appsettings");
        File.WriteAllText(folder.File("appsettings.json"), """{ "CdsHooks": { "Thresholds": { "hospital_mortality": { "Warning": 0.08 } } } }""");
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], EnvironmentName = "Testing", ContentRootPath = folder.Path });

        builder.AddFhirRiskConfiguration([]);

        Assert.Equal("0.08", builder.Configuration["CdsHooks:Thresholds:hospital_mortality:Warning"]);
        Assert.Equal("0.15", builder.Configuration["CdsHooks:Thresholds:hospital_mortality:Critical"]);
    }

    [Theory]
    [InlineData("--Http:Port=99999", "invalid settings: Http:Port 99999 is outside 0-65535.")]
    [InlineData("--Model:Backend=Quantum", "'Model:Backend'")]
    [InlineData("--FhirPush:MaxBodyBytes=-5", "invalid settings: FhirPush:MaxBodyBytes -5 is outside 1-")]
    [InlineData("--CdsHooks:Authentication:ReplayStore=redis", "invalid settings: CdsHooks:Authentication:ReplayStore 'redis' is not 'memory' or 'timeline-store'.")]
    [InlineData("--Http:Port=18097 --Grpc:Port=18097", "invalid settings: Http:Port and Grpc:Port are both 18097")]
    [InlineData("--Grpc:Host=0.0.0.0 --Grpc:Port=18098 --CdsHooks:Port=18098", "invalid settings: Grpc:Port and CdsHooks:Port are both 18098")]
    [InlineData("--CdsHooks:Authentication:Audience= --CdsHooks:Authentication:Issuers:0:Issuer=https://ehr.example.org --CdsHooks:Authentication:Issuers:0:JkuAllowlist:0=https://ehr.example.org/jwks",
        "invalid settings: CdsHooks:Authentication:Audience must be set when Mode is Jwt and an issuer is trusted: the public base URL EHRs call, such as https://cds.example.org")]
    public async Task A_bad_setting_stops_the_real_host_with_one_line_and_exit_code_1(string settings, string expected)
    {
        using var folder = new FhirRisk.Testing.TempDirectory("bad-settings");

        var (exitCode, error) = await RunServerAsync(folder, settings.Split(' '));

        AssertOneLineAndExit1(exitCode, error, expected);
        Assert.False(File.Exists(folder.File("timeline.db")), "the store was created before the settings were checked");
    }

    [Theory]
    [InlineData("Http", "HTTP")]
    [InlineData("Grpc", "gRPC")]
    [InlineData("CdsHooks", "CDS Hooks")]
    public async Task A_port_in_use_stops_the_real_host_with_one_line_naming_the_listener_and_exit_code_1(string section, string listener)
    {
        using var folder = new FhirRisk.Testing.TempDirectory("port-in-use");
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;

        var (exitCode, error, output) = await RunServerWithOutputAsync(folder, [$"--{section}:Port={port}"]);

        AssertOneLineAndExit1(exitCode, error, $"cannot listen: Failed to bind to address http://127.0.0.1:{port}: address already in use.");
        Assert.Contains($" Port {port} of the {listener} listener ({section}:Port) is held by another process: stop that process, or set {section}:Port to a free port.",
            error, StringComparison.Ordinal);
        // Ops review: the host logged the same failure first, "Hosting failed to start" with Kestrel's stack trace, on stdout.
        Assert.DoesNotContain("Hosting failed to start", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("fail: ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("crit: ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_settings_file_that_is_not_json_stops_the_real_host_with_one_line_and_exit_code_1()
    {
        using var folder = new FhirRisk.Testing.TempDirectory("bad-appsettings");
        File.WriteAllText(folder.File("appsettings.json"), """{ "Http": { "Port": 18091, }""");

        var (exitCode, error) = await RunServerAsync(folder, [], workingDirectory: folder.Path);

        AssertOneLineAndExit1(exitCode, error, $"invalid settings file: Failed to load configuration from file '{folder.File("appsettings.json")}'.");
        Assert.Contains("LineNumber: ", error, StringComparison.Ordinal); // where the syntax error is
    }

    /// <summary>Runs the built server as a process, on loopback and free ports unless <paramref name="settings"/> (given
    /// last, so they win) say otherwise, with its store in <paramref name="folder"/>; returns its exit code and stderr.</summary>
    private static async Task<(int ExitCode, string Error)> RunServerAsync(FhirRisk.Testing.TempDirectory folder, string[] settings, string? workingDirectory = null)
    {
        var (exitCode, error, _) = await RunServerWithOutputAsync(folder, settings, workingDirectory);
        return (exitCode, error);
    }

    /// <summary><see cref="RunServerAsync"/>, with the server's stdout (its console log) as well.</summary>
    private static async Task<(int ExitCode, string Error, string Output)> RunServerWithOutputAsync(FhirRisk.Testing.TempDirectory folder, string[] settings,
        string? workingDirectory = null)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        // The shipped settings are Jwt mode, which needs an Audience (security review s12 #3).
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "FhirRisk.Server.dll"), "--Http:Host=127.0.0.1", "--Grpc:Host=127.0.0.1",
            "--Http:Port=0", "--Grpc:Port=0", $"--TimelineStore:SqlitePath={folder.File("timeline.db")}",
            "--CdsHooks:Authentication:Audience=https://cds.example.org" }.Concat(settings))
            start.ArgumentList.Add(argument);

        using var process = System.Diagnostics.Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await error, output);
    }

    private static void AssertOneLineAndExit1(int exitCode, string error, string expected)
    {
        Assert.Equal(1, exitCode); // not 134 (an abort with a stack trace)
        Assert.StartsWith("fhirrisk server: ", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }
}
