using System.CommandLine;
using System.Globalization;
using FhirRisk.Core;
using FhirRisk.Inference;
using FhirRisk.Model.Checkpoints;
using FhirRisk.Synthetic.Generation;
using FhirRisk.Tokenizer;
using Spectre.Console;

namespace FhirRisk.Cli.Commands;

/// <summary>
/// <c>fhirrisk generate --model &lt;dir&gt; --patients N [--seed S] [--out &lt;dir&gt;] [--data &lt;meds&gt;]</c> (issue 7
/// item 4, docs/generate.md): synthetic patients sampled from the model as MEDS and FHIR R4 NDJSON, and with
/// <c>--data</c> the fidelity and privacy reports. Exit 0 on success, 1 when the model or data cannot be read, 2 on bad
/// arguments or a non-empty output folder.
/// </summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "The model directory (config.json, model.safetensors, tokenizer.json).", Required = true };
        var patients = CommandOptions.IntAtLeast("--patients", minimum: 1, defaultValue: 100, "Synthetic patients to generate.");
        var seed = new Option<ulong>("--seed") { Description = "Random seed: the same seed, model and data give the same patients.", DefaultValueFactory = _ => 1 };
        var output = new Option<DirectoryInfo>("--out") { Description = "Output folder (created; must hold no files): meds/, fhir/, reports/.", DefaultValueFactory = _ => new DirectoryInfo("synthetic") };
        var data = new Option<DirectoryInfo?>("--data") { Description = "The training MEDS dataset: static prefixes come from its train patients, and the fidelity and privacy reports compare with it." };
        var maxTokens = CommandOptions.IntAtLeast("--max-tokens", minimum: 1, defaultValue: 2048, "Tokens one timeline may generate.");
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature.", DefaultValueFactory = _ => 1f };
        var createdAt = CommandOptions.CreatedAt("Fixed created_at (meds/metadata/dataset.json) and transactionTime (fhir/manifest.json), ISO 8601, for byte-identical re-runs.");
        var allowUnknown = new Option<bool>("--allow-unknown-codes")
        {
            Description = $"Use --data even when more than {TokenizeCommand.MaxUnknownShare:P0} of its train events have codes the model's vocabulary does not know.",
        };
        var command = new Command("generate", "Generate synthetic patients from a model as MEDS and FHIR R4 NDJSON, with fidelity and privacy reports.")
        {
            model, patients, seed, output, data, maxTokens, temperature, createdAt, allowUnknown,
        };
        command.SetAction((parsed, cancellationToken) => Task.FromResult(Run(
            new GenerationSettings
            {
                ModelDirectory = parsed.GetRequiredValue(model).FullName,
                OutputFolder = parsed.GetRequiredValue(output).FullName,
                Patients = parsed.GetValue(patients),
                Seed = parsed.GetValue(seed),
                Dataset = parsed.GetValue(data)?.FullName,
                MaxNewTokens = parsed.GetValue(maxTokens),
                Temperature = parsed.GetValue(temperature),
                MaxUnknownShare = parsed.GetValue(allowUnknown) ? null : TokenizeCommand.MaxUnknownShare,
                Clock = parsed.GetValue(createdAt) is { } fixedTime ? new FixedClock(fixedTime) : SystemClock.Instance,
            },
            parsed.InvocationConfiguration,
            cancellationToken)));
        return command;
    }

    private static int Run(GenerationSettings settings, InvocationConfiguration io, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(settings.ModelDirectory))
            return CommandOutput.Fail(io.Error, $"model directory '{settings.ModelDirectory}' does not exist.", "pass the --out folder of 'fhirrisk train' or 'fhirrisk finetune'.", ExitCodes.UsageError);
        if (settings.Dataset is { } dataset && !Directory.Exists(dataset))
            return CommandOutput.Fail(io.Error, $"MEDS dataset '{dataset}' does not exist.", "pass the model's training data (a MEDS folder with data/ and metadata/), or leave --data out.", ExitCodes.UsageError);
        if (settings.Dataset is { } medsFolder && !(Directory.Exists(Path.Combine(medsFolder, "data"))
                && Directory.EnumerateFiles(Path.Combine(medsFolder, "data"), "*.parquet", SearchOption.AllDirectories).Any()))
            return CommandOutput.Fail(io.Error, $"'{medsFolder}' holds no event shards (data/**/*.parquet): it is not a MEDS dataset.",
                "pass the model's training data as 'fhirrisk ingest' wrote it (a folder with data/ and metadata/), or leave --data out.", ExitCodes.UsageError);
        if (!(settings.Temperature >= Inference.Rollouts.RolloutSettings.MinTemperature && float.IsFinite(settings.Temperature)))
            return CommandOutput.Fail(io.Error, string.Create(CultureInfo.InvariantCulture, $"--temperature must be at least {Inference.Rollouts.RolloutSettings.MinTemperature} (got {settings.Temperature})."),
                "use 1 for plain sampling, below 1 for more typical timelines.", ExitCodes.UsageError);

        var console = CommandOutput.ConsoleFor(io.Output);
        GenerationSummary summary;
        try
        {
            summary = console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    var task = context.AddTask("generating", maxValue: settings.Patients);
                    var result = SyntheticPatientGeneration.Run(settings, new StageProgress(task), cancellationToken);
                    task.Value = task.MaxValue;
                    task.StopTask();
                    return result;
                });
        }
        catch (NoPatientGeneratedException e)
        {
            return CommandOutput.Fail(io.Error, $"no synthetic patient was generated, so nothing was written ({e.Empty} had nothing generated, {e.NoEncounter} opened no encounter in any rollout).",
                "raise --max-tokens (each patient needs an encounter within it), or pass the pretrained model (its pretrained/ folder).");
        }
        catch (GenerationOutputException e)
        {
            return CommandOutput.Fail(io.Error, e.Message, "choose a new --out folder: each generation goes to a folder of its own.", ExitCodes.UsageError);
        }
        catch (TokenizationException e) when (e.Issue.Code == TokenizerIssueCodes.TooManyUnknownCodes)
        {
            return CommandOutput.Fail(io.Error, e.Issue.ToString(),
                "pass the model's own training data as --data (or leave it out), or --allow-unknown-codes to compare with this data anyway.");
        }
        catch (InferenceException e)
        {
            return CommandOutput.Fail(io.Error, e.Message, "pass a whole model directory written by 'fhirrisk train' or 'fhirrisk finetune'.");
        }
        catch (CheckpointException e)
        {
            return CommandOutput.Fail(io.Error, e.Message, "pass a whole model directory written by 'fhirrisk train' or 'fhirrisk finetune'.");
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or Meds.MedsFormatException or Parquet.ParquetException or InvalidOperationException)
        {
            return CommandOutput.Fail(io.Error, e.Message, "check the model directory and the --data dataset (fhirrisk meds validate <dir>).");
        }
        catch (Exception e) when (FileFailures.IsFileFailure(e))
        {
            return CommandOutput.Fail(io.Error, e.Message, "check that the output folder is writable and the disk has room.");
        }
        catch (ArgumentException e)
        {
            // Data the library did not expect reaches here as an argument error, whose message may name a subject; nothing
            // about a patient is logged (docs/generate.md), so only its kind is (review s22 generate M2).
            return CommandOutput.Fail(io.Error, $"generation stopped on data it could not use ({e.GetType().Name}).",
                "check the --data dataset with 'fhirrisk meds validate <dir>', and the model directory.");
        }

        Write(console, summary);
        io.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{settings.OutputFolder}: {summary.Patients:N0} synthetic patients ({summary.Events:N0} MEDS rows, {summary.Resources.Sum(r => r.Count):N0} FHIR resources) in {summary.Elapsed.TotalSeconds:0.0} s{(summary.Fidelity is null ? "; no --data, so no fidelity or privacy report" : "; reports in reports/")}."));
        if (summary.Empty > 0)
            io.Error.WriteLine($"warning: {summary.Empty} patient(s) had nothing to write (no static value and no event) and were left out.");
        if (summary.Timelines.NoEncounter > 0)
            io.Error.WriteLine($"warning: {summary.Timelines.NoEncounter} patient(s) were left out because none of their rollouts opened an encounter (docs/generate.md \"Decoding to MEDS\").");
        foreach (var warning in summary.Warnings)
            io.Error.WriteLine("warning: " + warning);
        return ExitCodes.Success;
    }

    private static void Write(IAnsiConsole console, GenerationSummary summary)
    {
        var table = new Table().Title("Generated").AddColumns("Measure", "Value");
        table.AddRow("patients", Number(summary.Patients));
        table.AddRow("ended by the model", $"{Number(summary.Ended)} of {Number(summary.Patients)}");
        table.AddRow("tokens", Number(summary.Tokens));
        table.AddRow("begun inside an encounter, trimmed", $"{Number(summary.Timelines.Trimmed)} ({Number(summary.Timelines.EventsDropped)} events)");
        table.AddRow("drawn again: no encounter opened", Number(summary.Timelines.Resampled));
        if (summary.Timelines.NoEncounter > 0)
            table.AddRow("left out: no encounter opened", Number(summary.Timelines.NoEncounter));
        foreach (var (type, count) in summary.Resources)
            table.AddRow(type, Number(count));
        foreach (var (vocabulary, count) in summary.SkippedCodes.OrderByDescending(s => s.Value).Take(5))
            table.AddRow(Markup.Escape($"not in FHIR: {vocabulary}"), Number(count));
        foreach (var (change, count) in summary.FhirChanges.OrderBy(c => c.Key, StringComparer.Ordinal))
            table.AddRow(Markup.Escape($"FHIR: {change}"), Number(count));
        if (summary.Fidelity is { } f)
        {
            table.AddRow("code frequency r", Fraction(f.FrequencyCorrelation));
            table.AddRow("age KS distance", Fraction(f.Age.Ks));
            table.AddRow("length-of-stay KS distance", Fraction(f.LengthOfStayDays.Ks));
            table.AddRow("encounters begun before / open at end (train)", $"{Number(f.Encounters.Train.BegunBefore)} / {Number(f.Encounters.Train.OpenAtEnd)}");
            table.AddRow("encounters begun before / open at end (synthetic)", $"{Number(f.Encounters.Synthetic.BegunBefore)} / {Number(f.Encounters.Synthetic.OpenAtEnd)}");
        }
        if (summary.Privacy is { } p)
        {
            var g = p.Groups;
            if (p.TrainingData is { } trainingData)
                table.AddRow("train split is the model's training data", trainingData.Matches ? "yes" : "NO: the privacy numbers say nothing (see the warning)");
            table.AddRow("privacy groups: n each (synthetic, train, held-out available)", $"{Number(g.Compared)} ({Number(g.Synthetic)}, {Number(g.Train)}, {Number(g.HeldOut)})");
            table.AddRow("membership inference AUC", Fraction(p.MembershipInferenceAuc));
            table.AddRow("adversarial accuracy (train)", Fraction(p.AdversarialAccuracyTrain));
            table.AddRow("nearer to train than held-out", Fraction(p.CloserToTrainShare));
            table.AddRow("exact copies of train (held-out matching train)", $"{Number(p.ExactTrainCopies)} ({Number(p.HeldOutMatches)})");
        }
        table.Columns[1].RightAligned();
        console.Write(table);
    }

    private static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Fraction(double value) => double.IsNaN(value) ? "n/a" : value.ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>Updates the bar from the generating thread (Spectre tasks are thread-safe).</summary>
    private sealed class StageProgress(ProgressTask task) : IProgress<GenerationProgress>
    {
        public void Report(GenerationProgress value)
        {
            if (value.Total > 0)
            {
                task.MaxValue = value.Total;
                task.Value = value.Done;
            }
            task.Description = value.Total > 0 ? $"{value.Stage}: {value.Done:N0}/{value.Total:N0}" : $"{value.Stage}: {value.Done:N0}";
        }
    }
}
