using FhirRisk.Core;
using FhirRisk.Training.Pretraining;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using FhirRisk.Training.Evaluation;
using FhirRisk.Training.Finetuning;

namespace FhirRisk.Training.Demo;

/// <summary>
/// The demo model folder (docs/demo-model.md, "Layout"): at its top the finetuned model directory the service loads
/// (config.json, model.safetensors with the task-token rows, tokenizer.json, vocabulary.tsv, heads.json,
/// finetuning.json); <c>pretrained/</c>, the pretrained backbone for rollouts and probes (no checkpoints/);
/// <c>report/</c>, the evaluation report (and <c>report/validation/</c>, the validation cohort's); <c>recipe.json</c>, every setting and the measured stage times;
/// <c>acceptance.md</c>, issue 6's acceptance tables.
/// </summary>
public static class DemoModelLayout
{
    public const string PretrainedFolder = "pretrained";
    public const string ReportFolder = "report";
    public const string RecipeFile = ModelProvenance.DemoRecipeFile;
    public const string AcceptanceFile = "acceptance.md";

    /// <summary>Under <see cref="ReportFolder"/>: the evaluation report of the independent validation cohort.</summary>
    public const string ValidationReportFolder = "validation";

    /// <summary>Pretrained files worth shipping; checkpoints/ (optimizer state, for resuming) is left in the work folder.</summary>
    private static readonly string[] PretrainedFiles = ["config.json", "model.safetensors", "tokenizer.json", "vocabulary.tsv", "codes.tsv", "training.json", "metrics.jsonl", "loss.png"];

    /// <summary>Copies the models from the work folder, writes the report, recipe.json and acceptance.md, and returns the
    /// folder's size in bytes.</summary>
    internal static long Assemble(string output, WorkFolders work, EvaluationResult evaluation, EvaluationResult? validation, DemoModelResult result)
    {
        Directory.CreateDirectory(output);
        foreach (var file in Directory.EnumerateFiles(work.Finetuned))
            File.Copy(file, Path.Combine(output, Path.GetFileName(file)));
        var pretrained = Directory.CreateDirectory(Path.Combine(output, PretrainedFolder)).FullName;
        foreach (var name in PretrainedFiles.Where(n => File.Exists(Path.Combine(work.Pretrained, n))))
            File.Copy(Path.Combine(work.Pretrained, name), Path.Combine(pretrained, name));
        EvaluationReportWriter.Write(Path.Combine(output, ReportFolder), evaluation);
        if (validation is not null)
            EvaluationReportWriter.Write(Path.Combine(output, ReportFolder, ValidationReportFolder), validation);
        File.WriteAllText(Path.Combine(output, AcceptanceFile), DemoAcceptance.Markdown(result));
        WriteRecipe(Path.Combine(output, RecipeFile), result);
        return new DirectoryInfo(output).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
    }

    private static void WriteRecipe(string path, DemoModelResult result)
    {
        var recipe = result.Recipe;
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("format", ModelProvenance.DemoRecipeFormat);
        json.WriteNumber("version", 1);
        json.WriteString("recipe", recipe.Name);
        json.WriteString("created_at", DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        json.WriteStartObject("machine");
        json.WriteNumber("processors", Environment.ProcessorCount);
        json.WriteString("os", RuntimeInformation.OSDescription);
        json.WriteString("runtime", RuntimeInformation.FrameworkDescription);
        json.WriteEndObject();

        json.WriteStartObject("settings");
        json.WriteNumber("patients", recipe.Patients);
        json.WriteString("seed", recipe.Seed.ToString(CultureInfo.InvariantCulture));
        if (recipe.Generative is not null)
            json.WriteString("generative_seed", recipe.GenerativeSeed.ToString(CultureInfo.InvariantCulture));
        json.WriteNumber("threads", recipe.Threads);
        json.WriteStartObject("tokenizer");
        json.WriteNumber("min_count", recipe.Tokenizer.MinCount);
        json.WriteNumber("max_vocabulary_size", recipe.Tokenizer.MaxVocabularySize);
        json.WriteNumber("quantized_codes", recipe.Tokenizer.QuantizedCodes);
        WriteStrings(json, "fit_splits", recipe.Tokenizer.FitSplits);
        WriteStrings(json, "static_fields", recipe.Tokenizer.StaticFields);
        json.WriteEndObject();
        WritePretraining(json, "pretraining", recipe.Pretraining);
        if (recipe.Generative is { } generative)
            WritePretraining(json, "generative_pretraining", generative);
        WriteFinetuning(json, recipe.Finetuning);
        json.WriteStartObject("probes");
        json.WriteStartArray("shots");
        foreach (var k in recipe.Shots)
            json.WriteNumberValue(k);
        json.WriteEndArray();
        json.WriteNumber("shot_replicates", recipe.ShotReplicates);
        json.WriteNumber("subject_fraction", recipe.ProbeSubjectFraction);
        json.WriteNumber("count_baseline_min_count", Baselines.CodeCountSettings.Default.MinCount);
        json.WriteEndObject();
        json.WriteNumber("bootstrap_replicates", recipe.BootstrapReplicates);
        json.WriteNumber("validation_patients", recipe.ValidationPatients);
        json.WriteString("validation_seed", recipe.ValidationSeed.ToString(CultureInfo.InvariantCulture));
        json.WriteEndObject();

        json.WriteStartArray("stages");
        foreach (var stage in result.Stages)
        {
            json.WriteStartObject();
            json.WriteString("stage", stage.Stage);
            json.WriteNumber("seconds", Math.Round(stage.Elapsed.TotalSeconds, 1));
            json.WriteString("summary", stage.Summary);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteNumber("total_seconds", Math.Round(result.Elapsed.TotalSeconds, 1));

        WriteResults(json, result);
        json.WriteEndObject();
    }

    private static void WritePretraining(Utf8JsonWriter json, string name, PretrainingSettings p)
    {
        json.WriteStartObject(name);
        json.WriteNumber("layers", p.Layers);
        json.WriteNumber("heads", p.Heads);
        json.WriteNumber("channels", p.Channels);
        json.WriteNumber("context_length", p.ContextLength);
        json.WriteNumber("dropout", p.Dropout);
        json.WriteNumber("batch_size", p.BatchSize);
        json.WriteNumber("steps", p.Steps);
        json.WriteNumber("learning_rate", p.LearningRate);
        json.WriteNumber("warmup_steps", p.WarmupSteps);
        json.WriteNumber("min_learning_rate_fraction", p.MinLearningRateFraction);
        json.WriteNumber("weight_decay", p.WeightDecay);
        json.WriteNumber("gradient_clip", p.GradientClip);
        json.WriteNumber("eval_every", p.EvalEvery);
        json.WriteNumber("eval_batches", p.EvalBatches);
        json.WriteNumber("checkpoint_every", p.CheckpointEvery);
        json.WriteString("windows", p.Windows == WindowSampling.Uniform ? "uniform" : "anchored");
        json.WriteEndObject();
    }

    private static void WriteFinetuning(Utf8JsonWriter json, FinetuningSettings f)
    {
        json.WriteStartObject("finetuning");
        f.WriteFields(json, f.ContextLength);
        json.WriteEndObject();
    }

    private static void WriteResults(Utf8JsonWriter json, DemoModelResult result)
    {
        var (d, l) = (result.Data, result.Losses);
        json.WriteStartObject("data");
        json.WriteNumber("patients", d.Patients);
        json.WriteNumber("events", d.Events);
        json.WriteNumber("vocabulary_size", d.VocabularySize);
        json.WriteNumber("train_tokens", d.TrainTokens);
        json.WriteNumber("tuning_tokens", d.TuningTokens);
        json.WriteNumber("held_out_points", d.HeldOutPoints);
        json.WriteNumber("dropped_points", d.DroppedPoints);
        json.WriteNumber("oracle_label_mismatches", d.OracleMismatches);
        json.WriteEndObject();
        json.WriteStartObject("losses");
        Number(json, "pretrain_first", l.PretrainFirst);
        Number(json, "pretrain_last", l.PretrainLast);
        Number(json, "tuning_first", l.EvalFirst);
        Number(json, "tuning_last", l.EvalLast);
        Number(json, "tuning_best", l.EvalBest);
        Number(json, "pretrain_tokens_per_second", Math.Round(l.TokensPerSecond));
        Number(json, "finetune_first", l.FinetuneFirst);
        Number(json, "finetune_last", l.FinetuneLast);
        json.WriteEndObject();
        WriteTasks(json, "tasks", "held_out", result.Tasks);
        if (result.Validation is { } v)
        {
            json.WriteStartObject("validation");
            json.WriteNumber("patients", v.Patients);
            json.WriteString("seed", v.Seed.ToString(CultureInfo.InvariantCulture));
            json.WriteNumber("events", v.Events);
            json.WriteNumber("points", v.Points);
            json.WriteNumber("dropped_points", v.DroppedPoints);
            json.WriteNumber("oracle_label_mismatches", v.OracleMismatches);
            WriteTasks(json, "tasks", "validation", v.Tasks);
            json.WriteEndObject();
        }
        json.WriteStartArray("macro_auroc_by_k");
        foreach (var m in result.Macro)
        {
            json.WriteStartObject();
            if (m.KShot is { } k)
                json.WriteNumber("k", k);
            else
                json.WriteString("k", "all");
            Number(json, "probe", m.Probe);
            Number(json, "count_baseline", m.CountBaseline);
            json.WriteNumber("tasks", m.Tasks);
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    /// <summary>One object per task; <paramref name="prefix"/> names the points ("held_out" or "validation").</summary>
    private static void WriteTasks(Utf8JsonWriter json, string name, string prefix, IReadOnlyList<DemoTaskResult> tasks)
    {
        json.WriteStartArray(name);
        foreach (var t in tasks)
        {
            json.WriteStartObject();
            json.WriteString("task", t.Task);
            json.WriteNumber(prefix + "_points", t.Points);
            json.WriteNumber(prefix + "_positives", t.Positives);
            Number(json, "heads_auroc", t.Heads.Value);
            Number(json, "heads_auroc_lower", t.Heads.Lower);
            Number(json, "heads_auroc_upper", t.Heads.Upper);
            Number(json, "heads_ece", t.HeadsEce);
            Number(json, "heads_ece_lower", t.HeadsEceInterval.Lower);
            Number(json, "heads_ece_upper", t.HeadsEceInterval.Upper);
            Number(json, "heads_ece_if_calibrated", t.HeadsEceIfCalibrated);
            Number(json, "probe_auroc", t.Probe);
            Number(json, "count_baseline_auroc", t.CountBaseline);
            Number(json, "oracle_auroc", t.Oracle);
            Number(json, "cohort_oracle_auroc", t.CohortOracle);
            Number(json, "observable_oracle_auroc", t.ObservableOracle);
            Number(json, "oracle_gap", t.OracleGap.Value);
            Number(json, "oracle_gap_lower", t.OracleGap.Lower);
            Number(json, "oracle_gap_upper", t.OracleGap.Upper);
            Number(json, "record_reference_auroc", t.RecordReference);
            Number(json, "heads_minus_record", t.HeadsMinusRecord.Value);
            Number(json, "heads_minus_record_lower", t.HeadsMinusRecord.Lower);
            Number(json, "heads_minus_record_upper", t.HeadsMinusRecord.Upper);
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
            json.WriteStringValue(value);
        json.WriteEndArray();
    }

    /// <summary>JSON has no NaN: an undefined number is null.</summary>
    private static void Number(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v))
            json.WriteNumber(name, Math.Round(v, 6));
        else
            json.WriteNull(name);
    }
}
