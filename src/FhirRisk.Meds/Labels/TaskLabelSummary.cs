using FhirRisk.Meds.Tasks;

namespace FhirRisk.Meds;

/// <summary>Counts for one task after extraction: prediction points, how they were settled, labels and positives.</summary>
public sealed class TaskLabelSummary(string task, string predictionPoint)
{
    public string Task { get; } = task;

    /// <summary>The name of the task's prediction point (<c>admission</c>, <c>live_discharge</c>, …).</summary>
    public string PredictionPoint { get; } = predictionPoint;

    /// <summary>Prediction points found (stays that pass the point's filter).</summary>
    public long Points { get; private set; }

    /// <summary>Points with a label (written to the MEDS label files).</summary>
    public long Labeled { get; private set; }

    public long Positives { get; private set; }

    /// <summary>Points left out because a stop code shared the prediction timestamp.</summary>
    public long KnownAtPrediction { get; private set; }

    /// <summary>Points left out because the outcome stayed unknown (timeline end or time limit on an in-stay task).</summary>
    public long Unresolved { get; private set; }

    /// <summary>Positives over labeled points (0 when nothing is labeled).</summary>
    public double Prevalence => Labeled == 0 ? 0 : (double)Positives / Labeled;

    internal void Add(TaskOutcome outcome)
    {
        Points++;
        if (outcome.Label is { } label)
        {
            Labeled++;
            if (label)
                Positives++;
        }
        else if (outcome.Kind == TaskOutcomeKind.KnownAtPrediction)
            KnownAtPrediction++;
        else
            Unresolved++;
    }
}

/// <summary>One progress report of <see cref="TaskLabelExtraction"/>.</summary>
/// <param name="ShardsDone">Event shards finished.</param>
/// <param name="Shards">Event shards in all.</param>
/// <param name="Subjects">Subjects labeled so far.</param>
public readonly record struct TaskLabelProgress(int ShardsDone, int Shards, long Subjects);
