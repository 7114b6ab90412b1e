using FhirRisk.Server.Patients;
using FhirRisk.Server.Risk;
using FhirRisk.Server.Tests.Infrastructure;
using FhirRisk.Server.Tests.Risk;
using FhirRisk.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FhirRisk.Server.Tests.Patients;

/// <summary>Heads from a finetuning run stopped early (finetuning.json: cancelled) load, with warning 404 and
/// <c>heads_stopped_early</c> on the model the service reports; the finished demo model has neither.</summary>
public sealed class StoppedEarlyHeadsTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Heads_of_a_run_stopped_early_load_with_a_warning_and_are_reported_so(bool cancelled)
    {
        using var temp = new TempDirectory();
        var model = temp.File("demo");
        CopyFolder(DemoModel.Directory, model);
        var record = Path.Combine(model, "finetuning.json");
        File.WriteAllText(record, File.ReadAllText(record).Replace("\"cancelled\": false", $"\"cancelled\": {(cancelled ? "true" : "false")}", StringComparison.Ordinal));
        var settings = DemoModel.Settings;
        settings["Model:Directory"] = model;

        await using var server = await TestFhirRiskServer.StartAsync(settings);
        await server.WaitUntilReadyAsync();
        var riskModel = server.Services.GetRequiredService<RiskModel>();

        Assert.Equal(cancelled, riskModel.HeadsStoppedEarly);
        Assert.Equal(cancelled, RiskWire.ModelOf(riskModel.Version, riskModel.HeadsStoppedEarly).HeadsStoppedEarly);
        Assert.Equal(cancelled, server.Logs.Entries.Any(e => e.EventId == 404 && e.Message.Contains("stopped early, at step", StringComparison.Ordinal)));
        Assert.Empty(server.Logs.Errors);
    }

    private static void CopyFolder(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.GetFiles(source))
            File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
        foreach (var folder in Directory.GetDirectories(source))
            CopyFolder(folder, Path.Combine(destination, Path.GetFileName(folder)));
    }
}
