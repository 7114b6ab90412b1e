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
    [InlineData("--Http:Port=99999", "Http:Port 99999 is outside 0-65535.")]
    [InlineData("--Model:Backend=Quantum", "'Model:Backend'")]
    public async Task A_bad_setting_stops_the_real_host_with_one_line_and_exit_code_1(string setting, string expected)
    {
        using var folder = new FhirRisk.Testing.TempDirectory("bad-settings");
        var start = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "FhirRisk.Server.dll"), setting, "--Http:Host=127.0.0.1", "--Grpc:Host=127.0.0.1",
            "--Grpc:Port=0", $"--TimelineStore:SqlitePath={folder.File("timeline.db")}" })
            start.ArgumentList.Add(argument);
        if (!setting.StartsWith("--Http:Port", StringComparison.Ordinal))
            start.ArgumentList.Add("--Http:Port=0");

        using var process = System.Diagnostics.Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, process.ExitCode);
        var text = await error;
        Assert.StartsWith("fhirrisk server: invalid settings: ", text, StringComparison.Ordinal);
        Assert.Contains(expected, text, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
    }
}
