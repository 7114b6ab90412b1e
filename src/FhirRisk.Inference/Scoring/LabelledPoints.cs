using System.Globalization;
using System.Text.Json;
using FhirRisk.Core;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Meds;
using FhirRisk.Tokenizer;

namespace FhirRisk.Inference.Scoring;

/// <summary>
/// The labelled points of one task in one split, as rollout prompts: the MEDS labels of <c>fhirrisk labels</c> joined to
/// the token shards of <c>fhirrisk tokenize</c> (written with the session's tokenizer) on subject and time, each point
/// at the last token at or before its prediction time (<see cref="PromptedContext.IndexAt"/>, as the finetuner places
/// it). A sample of <see cref="LabelledPointSelection.Limit"/> points is a seeded hash order of (subject, time), so the
/// same seed picks the same points on any machine and a larger limit keeps the smaller one's points.
/// </summary>
public static class LabelledPoints
{
    /// <summary>Reads the points of <paramref name="selection"/>.</summary>
    /// <exception cref="InvalidDataException">The token folder or labels cannot be read, or the shards use another vocabulary.</exception>
    public static LabelledPointSet Read(InferenceSession session, string tokensFolder, string labelsFolder, LabelledPointSelection selection)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(selection);
        var taskRoot = Directory.Exists(Path.Combine(labelsFolder, "labels")) ? Path.Combine(labelsFolder, "labels") : labelsFolder;
        var taskFolder = Path.Combine(taskRoot, selection.Task);
        if (!Directory.Exists(taskFolder))
            throw new InvalidDataException($"no labels for task '{selection.Task}' in '{taskRoot}'. Hint: run 'fhirrisk labels <meds-dir> --task {selection.Task} --out <dir>' and pass that --out as --labels.");
        var labels = MedsLabels.ReadTask(taskFolder).Where(l => l.BooleanValue is not null).ToArray();
        var shards = OpenShards(session.Tokenizer, tokensFolder, selection.Split);
        try
        {
            var subjects = new Dictionary<long, (TokenShard Shard, int Index)>();
            foreach (var shard in shards)
            {
                var ids = shard.SubjectIds;
                for (var i = 0; i < ids.Length; i++)
                    subjects[ids[i]] = (shard, i);
            }
            var inSplit = labels.Where(l => subjects.ContainsKey(l.SubjectId))
                .OrderBy(l => StableHash.Mix(selection.Seed ^ StableHash.Mix((ulong)l.SubjectId ^ StableHash.Mix((ulong)l.PredictionTime.Ticks))))
                .ToArray();
            var timelineEnd = session.Tokenizer.Vocabulary.IdOf(Vocabulary.TimelineEnd);
            var (points, early, settled, awaiting) = (new List<LabelledPoint>(), 0, 0, 0);
            var definition = selection.AskedBefore is null ? null : session.Task(selection.Task);
            foreach (var label in inSplit)
            {
                if (selection.Limit is { } limit && points.Count >= limit)
                    break;
                var (shard, index) = subjects[label.SubjectId];
                var tokens = shard.Tokens(index);
                var times = shard.Times(index);
                var askedAt = label.PredictionTime - (selection.AskedBefore ?? TimeSpan.Zero);
                var at = PromptedContext.IndexAt(tokens, times, Micros(askedAt), timelineEnd);
                if (at < 0)
                {
                    early++;
                    continue;
                }
                var prompt = session.RolloutPrompt(tokens, times, shard.Statics(index, session.Tokenizer), at);
                var point = new LabelledPoint(label.SubjectId, label.PredictionTime, label.BooleanValue!.Value, prompt, at + 1);
                if (definition is not null)
                {
                    var asked = StayClock.Ask(session.Meanings, new TimelineSpans(tokens, times), at, definition, askedAt);
                    if (asked.Observed is not null)
                    {
                        settled++;
                        continue;
                    }
                    awaiting += asked.Start.AwaitsEnd ? 1 : 0;
                    point = point with { Asked = (asked.Task, asked.Start) };
                }
                points.Add(point);
            }
            return new LabelledPointSet(points, inSplit.Length, early) { SettledBefore = settled, AwaitingEnd = awaiting };
        }
        finally
        {
            foreach (var shard in shards)
                shard.Dispose();
        }
    }

    private static List<TokenShard> OpenShards(TimelineTokenizer tokenizer, string folder, string split)
    {
        var manifest = Path.Combine(folder, DatasetTokenization.ManifestFile);
        if (!File.Exists(manifest))
            throw new InvalidDataException($"'{folder}' has no {DatasetTokenization.ManifestFile}, so it is not a finished token folder. Hint: run 'fhirrisk tokenize <meds-dir> --tokenizer <model-dir> --out {folder}'.");
        var shards = new List<TokenShard>();
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(manifest));
            DatasetTokenization.CheckTokenizer(json.RootElement, tokenizer, manifest);
            foreach (var entry in json.RootElement.GetProperty("shards").EnumerateArray())
            {
                if (split != LabelledPointSelection.AllSplits && entry.GetProperty("split").GetString() != split)
                    continue;
                var path = Path.Combine(folder, entry.GetProperty("path").GetString()!);
                var shard = TokenShard.Open(path);
                shards.Add(shard);
                shard.CheckVocabulary(tokenizer, path);
            }
            if (shards.Count == 0)
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"'{manifest}' lists no shard of split '{split}'. Hint: tokenize every split, or pass the split the dataset has."));
            return shards;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or InvalidDataException or IOException)
        {
            foreach (var shard in shards)
                shard.Dispose();
            throw e as InvalidDataException ?? new InvalidDataException($"the token folder '{folder}' cannot be read ({e.Message}). Hint: re-run 'fhirrisk tokenize' into a new folder.", e);
        }
    }

    /// <summary>µs since 1970, rounded down, as token times are stored.</summary>
    private static long Micros(DateTime time) => Math.DivRem(time.Ticks - DateTime.UnixEpoch.Ticks, TimeSpan.TicksPerMicrosecond) switch
    {
        var (q, r) when r < 0 => q - 1,
        var (q, _) => q,
    };
}

/// <summary>Which points <see cref="LabelledPoints.Read"/> takes.</summary>
/// <param name="Task">The task (its labels folder).</param>
/// <param name="Split">The split of the token shards (default <c>held_out</c>), or <see cref="AllSplits"/> for every shard
/// (an external dataset, whose split assignment means nothing to the model).</param>
/// <param name="Limit">At most this many points, a seeded sample; null for all.</param>
/// <param name="Seed">Orders the points for the sample.</param>
public sealed record LabelledPointSelection(string Task, string Split = "held_out", int? Limit = null, ulong Seed = 1)
{
    /// <summary>
    /// Ask each point this long before its prediction time, as the service would ask it there (<see cref="Rollouts.StayClock.Ask"/>,
    /// with that time as the asked time): the prompt ends at the last token at or before it, and the question is the
    /// one the record leaves open then — readmission asked inside its stay waits for the stay's end
    /// (<see cref="Rollouts.QuestionStart.AwaitsEnd"/>). A point the record already settles then is left out and counted
    /// (<see cref="LabelledPointSet.SettledBefore"/>). Null (the default): at the point, its own question.
    /// </summary>
    public TimeSpan? AskedBefore { get; init; }

    /// <summary>The <see cref="Split"/> that selects the shards of every split.</summary>
    public const string AllSplits = "all";
}

/// <summary>The points read, and how many labels of the split there were and how many lay before the first token.</summary>
public sealed record LabelledPointSet(IReadOnlyList<LabelledPoint> Points, int LabelsInSplit, int BeforeFirstToken)
{
    /// <summary>With <see cref="LabelledPointSelection.AskedBefore"/>: points whose question the record already settled
    /// at the asked time, left out.</summary>
    public int SettledBefore { get; init; }

    /// <summary>With <see cref="LabelledPointSelection.AskedBefore"/>: points asked inside the stay whose end they wait for.</summary>
    public int AwaitingEnd { get; init; }
}
