namespace FhirRisk.Architecture.Tests;

/// <summary>
/// DESIGN §2 as a table: for each src project, the src projects it may reference (directly). References flow one way
/// (Core ← Parquet ← Meds; Core ← Fhir ← Meds ← Tokenizer ← {Training, Inference}); each set also lists what its
/// allowed references may reference, so the table is transitively closed (a test checks this). A new src project
/// fails the architecture tests until it is added here.
/// </summary>
internal static class DependencyRules
{
    public const string Core = "FhirRisk.Core";
    public const string Parquet = "FhirRisk.Parquet";
    public const string Fhir = "FhirRisk.Fhir";
    public const string Meds = "FhirRisk.Meds";
    public const string Tokenizer = "FhirRisk.Tokenizer";
    public const string Model = "FhirRisk.Model";
    public const string ModelTorch = "FhirRisk.Model.Torch";
    public const string Training = "FhirRisk.Training";
    public const string Inference = "FhirRisk.Inference";
    public const string Synthetic = "FhirRisk.Synthetic";
    public const string Server = "FhirRisk.Server";
    public const string Cli = "FhirRisk.Cli";

    /// <summary>The composition roots: they may reference every library, nothing may reference them, and only they
    /// read configuration (libraries take immutable settings records).</summary>
    public static readonly IReadOnlySet<string> Hosts = new HashSet<string>(StringComparer.Ordinal) { Server, Cli };

    /// <summary>Library → the libraries it may reference.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlySet<string>> Libraries = new Dictionary<string, IReadOnlySet<string>>
    {
        // Issues, artifact headers, clocks, RNG: the bottom layer.
        [Core] = Set(),
        // The Parquet format knows nothing about MEDS.
        [Parquet] = Set(Core),
        // FHIR R4 JSON reading knows nothing about MEDS or Parquet.
        [Fhir] = Set(Core),
        // FHIR → MEDS mapping, MEDS shards in Parquet.
        [Meds] = Set(Core, Parquet, Fhir),
        // Timelines are built from MEDS events (and so may see what Meds sees).
        [Tokenizer] = Set(Core, Meds, Parquet, Fhir),
        // The model sees token ids only, never medical codes (STYLE practice 2).
        [Model] = Set(Core),
        // The ATen backend implements the Model's backend interface.
        [ModelTorch] = Set(Model, Core),
        // Training reads token shards and trains the model; the CUDA backend is chosen by the host.
        [Training] = Set(Core, Tokenizer, Meds, Parquet, Fhir, Model),
        // Inference runs sessions on either backend; it does not reference Training (nor Training it).
        [Inference] = Set(Core, Tokenizer, Meds, Parquet, Fhir, Model, ModelTorch),
        // The simulator writes MEDS/tokens and generates from the model through Inference (hence Model.Torch too).
        [Synthetic] = Set(Core, Meds, Tokenizer, Parquet, Fhir, Model, Inference, ModelTorch),
    };

    /// <summary>src projects that need no tests/&lt;Name&gt;.Tests project, with the reason. None today: DESIGN §2
    /// asks for one test project per src project.</summary>
    public static readonly IReadOnlyDictionary<string, string> TestProjectExemptions = new Dictionary<string, string>();

    /// <summary>Packages only hosts may use: reading configuration is the hosts' job (DESIGN §2).</summary>
    public static bool IsConfigurationPackage(string package) =>
        package.StartsWith("Microsoft.Extensions.Configuration", StringComparison.OrdinalIgnoreCase)
        || package.Equals("Microsoft.Extensions.Options.ConfigurationExtensions", StringComparison.OrdinalIgnoreCase);

    public static bool IsKnown(string project) => Hosts.Contains(project) || Libraries.ContainsKey(project);

    private static HashSet<string> Set(params string[] projects) => new(projects, StringComparer.Ordinal);
}
