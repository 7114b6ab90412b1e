using System.Globalization;
using System.Text.Json;
using FhirRisk.Meds;
using FhirRisk.Meds.Tasks;
using FhirRisk.Tokenizer;

namespace FhirRisk.Training.Finetuning;

/// <summary>What <see cref="FinetuningDataset.Load"/> found.</summary>
/// <param name="Data">The prompted train and tuning points.</param>
/// <param name="Skipped">Tasks left out of <c>all</c>, each with the reason (no labels, or one class only in train).</param>
/// <param name="UnmatchedPoints">Labelled points of subjects that are in no token shard.</param>
/// <param name="EarlyPoints">Labelled points before their subject's first token (nothing to predict from).</param>
public sealed record LoadedFinetuningData(FinetuningData Data, IReadOnlyList<string> Skipped, int UnmatchedPoints, int EarlyPoints)
{
    /// <summary>Points of held-out subjects, prompted like the others: never trained or calibrated on, for scoring the heads
    /// on unseen data (<see cref="HeadPredictor"/>).</summary>
    public IReadOnlyList<PromptedExample> HeldOut { get; init; } = [];
}

/// <summary>What <see cref="FinetuningDataset.LoadForScoring"/> found.</summary>
/// <param name="Points">The prompted points, in (subject, time) order, each labelled for at least one scored task.</param>
/// <param name="TasksWithoutLabels">Scored tasks that have no label files (the dataset has no such points).</param>
/// <param name="UnmatchedPoints">Labelled points of subjects in none of the chosen shards.</param>
/// <param name="EarlyPoints">Labelled points before their subject's first token (nothing to predict from).</param>
public sealed record LoadedScoringPoints(IReadOnlyList<PromptedExample> Points, IReadOnlyList<string> TasksWithoutLabels, int UnmatchedPoints, int EarlyPoints);

/// <summary>
/// Joins MEDS label files (docs/formats/labels.md, written by <c>fhirrisk labels</c>) to token shards
/// (docs/formats/token-shard.md): each (subject, prediction time) labelled for any chosen task becomes one
/// <see cref="PromptedExample"/> with a label per task (masked where that task has none), in the split of the subject's
/// shard. Train and tuning points make the <see cref="FinetuningData"/>; held-out points are kept apart
/// (<see cref="LoadedFinetuningData.HeldOut"/>) for scoring with <c>fhirrisk evaluate</c>.
/// </summary>
public static class FinetuningDataset
{
    public const string TrainSplit = "train";
    public const string TuningSplit = "tuning";
    public const string HeldOutSplit = "held_out";

    /// <summary>Reads the labels of <paramref name="tasks"/> and builds each point's context from the shards.</summary>
    /// <param name="tokenizer">The model's tokenizer; the shards must have been written with it.</param>
    /// <param name="tokensFolder">The output of <c>fhirrisk tokenize</c> (manifest.json and shards).</param>
    /// <param name="labelsFolder">The output of <c>fhirrisk labels</c> (its <c>labels/</c> task root), or the task root itself.</param>
    /// <param name="tasks">Task names in prompt order, each required to have labels of both classes in train; null for
    /// every task of the catalog with usable labels (the rest are listed in <see cref="LoadedFinetuningData.Skipped"/>).</param>
    /// <param name="contextLength">T of the model: each context holds at most T − K ids, K the tasks chosen.</param>
    /// <param name="historyCodes">H of the history block each context ends with (<see cref="PromptedContext.Build"/>; 0: none).</param>
    /// <exception cref="TrainingException">Missing labels or manifest, another vocabulary, or a task with one class.</exception>
    /// <exception cref="ArgumentException">The history block leaves no room for the timeline in the context.</exception>
    public static LoadedFinetuningData Load(TimelineTokenizer tokenizer, string tokensFolder, string labelsFolder, IReadOnlyList<string>? tasks, int contextLength,
        int historyCodes = 0)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var taskRoot = Directory.Exists(Path.Combine(labelsFolder, "labels")) ? Path.Combine(labelsFolder, "labels") : labelsFolder;
        var shards = OpenShards(tokenizer, tokensFolder);
        try
        {
            var subjects = SubjectIndex(shards, splits: null);

            var candidates = tasks ?? [.. TaskCatalog.Create().Select(t => t.Name)];
            var chosen = new List<(string Name, IReadOnlyList<MedsLabel> Labels)>();
            var skipped = new List<string>();
            foreach (var task in candidates)
            {
                var labels = ReadLabels(taskRoot, task, required: tasks is not null);
                if (labels is null)
                {
                    skipped.Add($"{task}: no label files");
                    continue;
                }
                var (labelled, positives) = TrainCounts(labels, subjects, shards);
                if (positives == 0 || positives == labelled)
                {
                    var problem = string.Create(CultureInfo.InvariantCulture, $"{labelled} train labels with {positives} positives");
                    if (tasks is not null)
                        throw new TrainingException(FinetuningErrorCodes.SingleClassTask, Path.Combine(taskRoot, task),
                            $"{problem}, so the task's head cannot learn. Hint: leave the task out of --tasks, or label a larger cohort.");
                    skipped.Add($"{task}: {problem}");
                    continue;
                }
                chosen.Add((task, labels!));
            }
            if (chosen.Count == 0)
                throw new TrainingException(FinetuningErrorCodes.NoLabels, taskRoot,
                    $"no task has train labels of both classes ({string.Join("; ", skipped)}). Hint: run 'fhirrisk labels <meds-dir> --task all --out <dir>' on the dataset that was tokenized, and pass that --out as --labels.");
            var layout = Layout(tokenizer, contextLength, chosen.Count, historyCodes);
            return Build(tokenizer, shards, subjects, chosen, layout, skipped, taskRoot);
        }
        finally
        {
            foreach (var (shard, _) in shards)
                shard.Dispose();
        }
    }

    /// <summary>
    /// Every labelled point of <paramref name="splits"/> prompted for <paramref name="promptTasks"/>, for scoring finetuned
    /// heads (<see cref="HeadPredictor"/>) on any dataset tokenized with their tokenizer, an external one included: unlike
    /// <see cref="Load"/> it needs no train split and no task with both classes.
    /// </summary>
    /// <param name="tokenizer">The model's tokenizer; the shards must have been written with it.</param>
    /// <param name="tokensFolder">The output of <c>fhirrisk tokenize</c> (manifest.json and shards).</param>
    /// <param name="labelsFolder">The output of <c>fhirrisk labels</c> (its <c>labels/</c> task root), or the task root itself.</param>
    /// <param name="promptTasks">The heads' tasks in their order (<c>TaskHeads.Tasks</c>): each point gets a label slot per task.</param>
    /// <param name="scoredTasks">The tasks whose labels are read (a subset of <paramref name="promptTasks"/>); the other slots stay masked.</param>
    /// <param name="contextLength">T of the model: each context holds at most T − K ids, K the prompt tasks.</param>
    /// <param name="splits">The splits whose shards are read; null for every shard.</param>
    /// <param name="historyCodes">H of the heads' history block (<c>TaskHeads.HistoryCodes</c>; 0: none).</param>
    /// <exception cref="TrainingException">Missing manifest or another vocabulary.</exception>
    /// <exception cref="ArgumentException">The history block leaves no room for the timeline in the context.</exception>
    public static LoadedScoringPoints LoadForScoring(TimelineTokenizer tokenizer, string tokensFolder, string labelsFolder,
        IReadOnlyList<string> promptTasks, IReadOnlyCollection<string> scoredTasks, int contextLength, IReadOnlyCollection<string>? splits,
        int historyCodes = 0)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(promptTasks);
        ArgumentNullException.ThrowIfNull(scoredTasks);
        var layout = Layout(tokenizer, contextLength, promptTasks.Count, historyCodes);
        var taskRoot = Directory.Exists(Path.Combine(labelsFolder, "labels")) ? Path.Combine(labelsFolder, "labels") : labelsFolder;
        var shards = OpenShards(tokenizer, tokensFolder);
        try
        {
            var subjects = SubjectIndex(shards, splits);
            var labels = new IReadOnlyList<MedsLabel>?[promptTasks.Count];
            for (var k = 0; k < labels.Length; k++)
                labels[k] = scoredTasks.Contains(promptTasks[k]) ? ReadLabels(taskRoot, promptTasks[k], required: false) : null;
            var points = new List<PromptedExample>();
            var (unmatched, early) = PromptPoints(tokenizer, shards, subjects, LabelRows(labels), layout, _ => points);
            var withoutLabels = promptTasks.Where((task, k) => scoredTasks.Contains(task) && labels[k] is null).ToArray();
            return new LoadedScoringPoints(points, withoutLabels, unmatched, early);
        }
        finally
        {
            foreach (var (shard, _) in shards)
                shard.Dispose();
        }
    }

    private static LoadedFinetuningData Build(TimelineTokenizer tokenizer, List<(TokenShard Shard, string Split)> shards,
        Dictionary<long, (int Shard, int Subject)> subjects, List<(string Name, IReadOnlyList<MedsLabel> Labels)> tasks, ContextLayout layout,
        List<string> skipped, string taskRoot)
    {
        var (train, tuning, heldOut) = (new List<PromptedExample>(), new List<PromptedExample>(), new List<PromptedExample>());
        var (unmatched, early) = PromptPoints(tokenizer, shards, subjects, LabelRows([.. tasks.Select(t => t.Labels)]), layout,
            split => split switch { TrainSplit => train, TuningSplit => tuning, HeldOutSplit => heldOut, _ => null });
        if (train.Count == 0)
            throw new TrainingException(FinetuningErrorCodes.NoLabels, taskRoot, string.Create(CultureInfo.InvariantCulture,
                $"no labelled point matches a train subject of the token shards ({unmatched} points of unknown subjects). Hint: label the same MEDS dataset that was tokenized."));
        var data = new FinetuningData([.. tasks.Select(t => t.Name)], train, tuning);
        return new LoadedFinetuningData(data, skipped, unmatched, early) { HeldOut = heldOut };
    }

    /// <summary>(subject, µs) → a label per task (masked where the task has none there), in (subject, time) order.</summary>
    private static SortedDictionary<(long Subject, long Time), sbyte[]> LabelRows(IReadOnlyList<IReadOnlyList<MedsLabel>?> labelsPerTask)
    {
        var points = new SortedDictionary<(long Subject, long Time), sbyte[]>();
        for (var k = 0; k < labelsPerTask.Count; k++)
        {
            foreach (var label in labelsPerTask[k] ?? [])
            {
                if (label.BooleanValue is not { } value)
                    continue;
                var key = (label.SubjectId, Micros(label.PredictionTime));
                if (!points.TryGetValue(key, out var row))
                    points[key] = row = Enumerable.Repeat(PromptedExample.Masked, labelsPerTask.Count).ToArray();
                row[k] = value ? (sbyte)1 : (sbyte)0;
            }
        }
        return points;
    }

    /// <summary>Prompts each labelled point into the list <paramref name="target"/> gives for its subject's split (none: left
    /// out); counts the points of subjects in no shard and those before their subject's first token.</summary>
    private static (int Unmatched, int Early) PromptPoints(TimelineTokenizer tokenizer, List<(TokenShard Shard, string Split)> shards,
        Dictionary<long, (int Shard, int Subject)> subjects, SortedDictionary<(long Subject, long Time), sbyte[]> points, ContextLayout layout,
        Func<string, List<PromptedExample>?> target)
    {
        var (unmatched, early) = (0, 0);
        var timelineEnd = tokenizer.Vocabulary.IdOf(Vocabulary.TimelineEnd);
        foreach (var ((subjectId, time), labels) in points)
        {
            if (!subjects.TryGetValue(subjectId, out var at))
            {
                unmatched++;
                continue;
            }
            var (shard, split) = shards[at.Shard];
            if (target(split) is not { } list)
                continue;
            var tokens = shard.Tokens(at.Subject);
            var times = shard.Times(at.Subject);
            var index = PromptedContext.IndexAt(tokens, times, time, timelineEnd);
            if (index < 0)
            {
                early++;
                continue;
            }
            var context = PromptedContext.Build(tokenizer, tokens, times, shard.Statics(at.Subject, tokenizer), index, layout.MaxLength, layout.HistoryCodes, out var history);
            list.Add(new PromptedExample(subjectId, time, context, labels, tokenizer.PrefixLength, history));
        }
        return (unmatched, early);
    }

    /// <summary>The context's room (T − K ids) and history block, refused up front when the block leaves no room for the timeline.</summary>
    private static ContextLayout Layout(TimelineTokenizer tokenizer, int contextLength, int tasks, int historyCodes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(historyCodes);
        var maxLength = contextLength - tasks;
        if (PromptedContext.TimelineRoom(tokenizer, maxLength, historyCodes) < 1)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"A context of {contextLength} positions holds {tasks} task tokens, the {tokenizer.PrefixLength}-token static prefix and a history block of up to {historyCodes} codes, and leaves no room for the timeline. Hint: use a longer context or fewer history codes."),
                nameof(historyCodes));
        return new ContextLayout(maxLength, historyCodes);
    }

    private readonly record struct ContextLayout(int MaxLength, int HistoryCodes);

    /// <summary>Subject id → (shard, position) over the shards of <paramref name="splits"/> (every shard when null).</summary>
    private static Dictionary<long, (int Shard, int Subject)> SubjectIndex(List<(TokenShard Shard, string Split)> shards, IReadOnlyCollection<string>? splits)
    {
        var subjects = new Dictionary<long, (int Shard, int Subject)>();
        for (var s = 0; s < shards.Count; s++)
        {
            if (splits is not null && !splits.Contains(shards[s].Split))
                continue;
            var ids = shards[s].Shard.SubjectIds;
            for (var i = 0; i < ids.Length; i++)
                subjects[ids[i]] = (s, i);
        }
        return subjects;
    }

    /// <summary>The task's labels, or null when it has no label files (an error when the task was asked for by name).</summary>
    private static IReadOnlyList<MedsLabel>? ReadLabels(string taskRoot, string task, bool required)
    {
        var folder = Path.Combine(taskRoot, task);
        var present = Directory.Exists(folder) && Directory.EnumerateFiles(folder, "*.parquet", SearchOption.AllDirectories).Any();
        if (!present)
        {
            return required
                ? throw new TrainingException(FinetuningErrorCodes.NoLabels, folder,
                    $"no label files for task '{task}'. Hint: {TaskCatalog.MissingLabelsHint(task, taskRoot)}")
                : null;
        }
        try
        {
            return MedsLabels.ReadTask(folder);
        }
        catch (Exception e) when (e is MedsFormatException or IOException or InvalidDataException)
        {
            throw new TrainingException(FinetuningErrorCodes.NoLabels, folder,
                $"the label files cannot be read ({e.Message}). Hint: write them again with 'fhirrisk labels'.", e);
        }
    }

    private static (int Labelled, int Positives) TrainCounts(IReadOnlyList<MedsLabel> labels, Dictionary<long, (int Shard, int Subject)> subjects,
        List<(TokenShard Shard, string Split)> shards)
    {
        var (labelled, positives) = (0, 0);
        foreach (var label in labels)
        {
            if (label.BooleanValue is not { } value || !subjects.TryGetValue(label.SubjectId, out var at) || shards[at.Shard].Split != TrainSplit)
                continue;
            labelled++;
            positives += value ? 1 : 0;
        }
        return (labelled, positives);
    }

    /// <summary>Every shard the manifest lists, opened and checked against the tokenizer's vocabulary.</summary>
    private static List<(TokenShard Shard, string Split)> OpenShards(TimelineTokenizer tokenizer, string folder)
    {
        var manifest = Path.Combine(folder, DatasetTokenization.ManifestFile);
        if (!File.Exists(manifest))
            throw new TrainingException(FinetuningErrorCodes.NoLabels, folder,
                $"no {DatasetTokenization.ManifestFile}, so this is not a finished token folder. Hint: run 'fhirrisk tokenize <meds-dir> --tokenizer <model-dir> --out {folder}', or pass --meds.");
        var shards = new List<(TokenShard, string)>();
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(manifest));
            DatasetTokenization.CheckTokenizer(json.RootElement, tokenizer, manifest);
            foreach (var entry in json.RootElement.GetProperty("shards").EnumerateArray())
            {
                var path = Path.Combine(folder, entry.GetProperty("path").GetString()!);
                var shard = TokenShard.Open(path);
                shards.Add((shard, entry.GetProperty("split").GetString()!));
                shard.CheckVocabulary(tokenizer, path);
            }
            return shards;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or InvalidDataException or IOException)
        {
            foreach (var (shard, _) in shards)
                shard.Dispose();
            var mismatch = e.Message.Contains("another vocabulary", StringComparison.Ordinal) || e.Message.Contains("another tokenizer", StringComparison.Ordinal);
            throw new TrainingException(mismatch ? FinetuningErrorCodes.TokenizerMismatch : FinetuningErrorCodes.NoLabels, manifest,
                mismatch ? $"{TrainingException.WithoutHint(e.Message.StartsWith(manifest + ": ", StringComparison.Ordinal) ? e.Message[(manifest.Length + 2)..] : e.Message)} The model's tokenizer must be the one the shards were written with. Hint: tokenize again with the model's tokenizer ('fhirrisk tokenize <meds-dir> --tokenizer <model-dir>'), or pass --meds."
                    : $"the token folder cannot be read ({TrainingException.WithoutHint(e.Message)}). Hint: re-run 'fhirrisk tokenize' into a new folder.", e);
        }
    }

    /// <summary>µs since 1970, rounded down, as token times are stored.</summary>
    private static long Micros(DateTime time) => Math.DivRem(time.Ticks - DateTime.UnixEpoch.Ticks, TimeSpan.TicksPerMicrosecond) switch
    {
        var (q, r) when r < 0 => q - 1,
        var (q, _) => q,
    };
}
