using FhirRisk.Meds.Tasks;

namespace FhirRisk.Meds.Tests.Labels;

public sealed class TaskCatalogTests
{
    [Fact]
    public void Create_HasTheDesignTasksInOrder()
    {
        Assert.Equal(
            ["hospital_mortality", "icu_admission", "prolonged_los", "composite", "readmission_30d", "icu_mortality",
             "ed_hospitalization", "ed_critical_outcome", "ed_reattendance_72h"],
            TaskCatalog.Create().Select(t => t.Name));
    }

    [Fact]
    public void Create_EveryPositiveCodeStopsAndEveryTaskHasAHorizon()
    {
        Assert.All(TaskCatalog.Create(), task =>
        {
            Assert.All(task.PositiveCodes.Prefixes, p => Assert.True(task.StopCodes.Contains(p), $"{task.Name}: {p}"));
            Assert.True(task.TimeLimit > TimeSpan.Zero);
            Assert.False(string.IsNullOrWhiteSpace(task.Description));
        });
    }

    [Fact]
    public void Create_ParametersReachTheDefinitions()
    {
        var tasks = TaskCatalog.Create(new TaskParameters { ProlongedStay = TimeSpan.FromDays(7), ReadmissionWindow = TimeSpan.FromDays(90) });

        Assert.Equal(TimeSpan.FromDays(7), tasks.Single(t => t.Name == TaskCatalog.ProlongedLos).PositiveAfter);
        Assert.Equal(TimeSpan.FromDays(7), tasks.Single(t => t.Name == TaskCatalog.Composite).PositiveAfter);
        Assert.Equal(TimeSpan.FromDays(90), tasks.Single(t => t.Name == TaskCatalog.Readmission30d).TimeLimit);
        Assert.Contains("7 days", tasks.Single(t => t.Name == TaskCatalog.ProlongedLos).Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_NonPositiveDuration_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TaskCatalog.Create(new TaskParameters { ProlongedStay = TimeSpan.Zero }));
    }

    [Theory]
    [InlineData("all", 9)]
    [InlineData("icu_mortality", 1)]
    public void Select_AllOrOneName(string name, int count)
    {
        Assert.Equal(count, TaskCatalog.Select(TaskCatalog.Create(), name)!.Count);
    }

    [Fact]
    public void Select_UnknownName_Null()
    {
        Assert.Null(TaskCatalog.Select(TaskCatalog.Create(), "mortality"));
    }
}
