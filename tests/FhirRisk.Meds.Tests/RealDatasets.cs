using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests;

/// <summary>The two MEDS datasets from other tools in the external corpus (see shared/data PROVENANCE files).</summary>
internal static class RealDatasets
{
    /// <summary>PhysioNet's MIMIC-IV demo MEDS release (MEDS 0.3.3, MEDS_transforms; the train shard is missing).</summary>
    public static string MimicDemo => ExternalData.Path("mimic-iv-demo", "mimic-iv-demo-meds-0.0.1");

    /// <summary>meds_testing_helpers' static sample materialized with DuckDB (MEDS 0.4, every column OPTIONAL).</summary>
    public static string TestingHelpers => ExternalData.Path("meds", "meds-testing-helpers-static", "parquet");

    public static string TestingHelpersLabels(string file) =>
        ExternalData.Path("meds", "meds-testing-helpers-static", "parquet", "task_labels", "boolean_value_task", file);
}
