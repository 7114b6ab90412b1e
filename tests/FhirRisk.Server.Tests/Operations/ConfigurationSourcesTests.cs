using Microsoft.AspNetCore.Builder;

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
}
