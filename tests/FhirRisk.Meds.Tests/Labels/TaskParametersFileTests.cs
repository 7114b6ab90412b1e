using System.Text.Json;
using FhirRisk.Meds.Tasks;
using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests.Labels;

/// <summary>task_parameters.json: what a labels folder was made with, read back exactly, refused when damaged.</summary>
public sealed class TaskParametersFileTests
{
    [Fact]
    public void Parameters_written_are_read_back_exactly_and_a_folder_without_the_file_has_none()
    {
        using var folder = new TempDirectory();
        Assert.Null(TaskParametersFile.Read(folder.Path));

        var custom = TaskParameters.Default with
        {
            ProlongedStay = TimeSpan.FromDays(7),
            ReadmissionWindow = TimeSpan.FromDays(90),
            EdCriticalWindow = TimeSpan.FromHours(24),
            EdAdmissionGrace = TimeSpan.Zero,
        };
        TaskParametersFile.Write(folder.Path, custom);
        Assert.Equal(custom, TaskParametersFile.Read(folder.Path));
        TaskParametersFile.Write(folder.Path, TaskParameters.Default);
        Assert.Equal(TaskParameters.Default, TaskParametersFile.Read(folder.Path));

        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder.Path, TaskParametersFile.FileName)));
        Assert.Equal(10, json.RootElement.GetProperty("prolonged_stay_days").GetDouble());
        Assert.Equal(730.5, json.RootElement.GetProperty("stay_horizon_days").GetDouble());
        Assert.Equal(72, json.RootElement.GetProperty("ed_hospitalization_window_hours").GetDouble());
        Assert.Equal(["prolonged_stay_days 7 → 10", "readmission_window_days 90 → 30", "ed_critical_window_hours 24 → 12", "ed_admission_grace_hours 0 → 6"],
            TaskParametersFile.Differences(custom, TaskParameters.Default));
        Assert.Empty(TaskParametersFile.Differences(custom, custom with { }));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"format": "fhirrisk-task-parameters", "version": 2, "prolonged_stay_days": 7}""")]
    [InlineData("""{"format": "something-else", "version": 1}""")]
    [InlineData("""{"format": "fhirrisk-task-parameters", "version": 1, "prolonged_stay_days": "7"}""")]
    [InlineData("""{"format": "fhirrisk-task-parameters", "version": 1, "prolonged_stay_days": 0}""")]
    [InlineData("""{"format": "fhirrisk-task-parameters", "version": 1, "readmission_window_days": -3}""")]
    public void A_damaged_file_is_refused_naming_it(string contents)
    {
        using var folder = new TempDirectory();
        var path = Path.Combine(folder.Path, TaskParametersFile.FileName);
        File.WriteAllText(path, contents);
        var error = Assert.Throws<InvalidDataException>(() => TaskParametersFile.Read(folder.Path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_labels_task_root_finds_the_file_of_the_labels_output_it_is_in()
    {
        using var output = new TempDirectory();
        var taskRoot = Path.Combine(output.Path, "labels");
        Directory.CreateDirectory(taskRoot);
        Assert.Null(TaskParametersFile.ReadForLabels(taskRoot));
        var weekly = TaskParameters.Default with { ProlongedStay = TimeSpan.FromDays(7) };
        TaskParametersFile.Write(output.Path, weekly);

        Assert.Equal(weekly, TaskParametersFile.ReadForLabels(output.Path));
        Assert.Equal(weekly, TaskParametersFile.ReadForLabels(taskRoot));
        Assert.Equal(weekly, TaskParametersFile.ReadForLabels(taskRoot + Path.DirectorySeparatorChar));
        using var other = new TempDirectory();
        Assert.Null(TaskParametersFile.ReadForLabels(other.Path)); // a folder not named labels: its own file only
    }

    [Fact]
    public void An_unknown_parameter_is_refused_rather_than_ignored()
    {
        using var json = JsonDocument.Parse("""{"prolonged_stay_days": 5, "icu_stay_hours": 24}""");
        Assert.Contains("icu_stay_hours", Assert.Throws<InvalidDataException>(() => TaskParametersFile.FromObject(json.RootElement, "record")).Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void A_field_the_object_lacks_keeps_its_default()
    {
        using var json = JsonDocument.Parse("""{"prolonged_stay_days": 5}""");
        var read = TaskParametersFile.FromObject(json.RootElement, "record");
        Assert.Equal(TaskParameters.Default with { ProlongedStay = TimeSpan.FromDays(5) }, read);
        Assert.Equal(TimeSpan.FromDays(5), TaskCatalog.Create(read).Single(t => t.Name == TaskCatalog.ProlongedLos).PositiveAfter);
    }
}
