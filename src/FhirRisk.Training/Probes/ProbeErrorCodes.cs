namespace FhirRisk.Training.Probes;

/// <summary>Stable codes carried by <see cref="TrainingException.Code"/>; documented in docs/probes.md.</summary>
public static class ProbeErrorCodes
{
    /// <summary>No label folder for a task, a label file without boolean labels, or no labeled point of a task matches a
    /// subject of the dataset.</summary>
    public const string NoLabels = "PR001";

    /// <summary>The model directory's tokenizer does not fit its model (vocabulary larger than the model's, or a context
    /// too short for the static prefix).</summary>
    public const string TokenizerMismatch = "PR002";

    /// <summary>The model directory is missing its checkpoint or tokenizer, or they cannot be read.</summary>
    public const string BadModel = "PR003";

    /// <summary>The count vocabulary is empty: the fitting split has no events or no code reaches the minimum count.</summary>
    public const string EmptyVocabulary = "PR004";

    /// <summary>A feature or probability came out NaN or infinite; nothing was written.</summary>
    public const string NonFinite = "PR005";

    /// <summary>A subject's events are split over two shards, so its points cannot be placed on one timeline.</summary>
    public const string SplitSubject = "PR006";

    /// <summary>The output folder already holds this method's files.</summary>
    public const string OutputExists = "PR007";

    /// <summary>No task could be fitted: none has both classes among its train and tuning labels and points in the test split.</summary>
    public const string NoFittableTask = "PR008";

    /// <summary>Writing the results failed (full disk, permissions); neither file was left behind.</summary>
    public const string SaveFailed = "PR009";
}
