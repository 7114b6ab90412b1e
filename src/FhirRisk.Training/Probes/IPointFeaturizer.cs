using FhirRisk.Meds;
using FhirRisk.Training.Linear;

namespace FhirRisk.Training.Probes;

/// <summary>
/// Turns prediction points into the feature rows a linear probe is fitted on: hidden states of a pretrained model
/// (<see cref="EmbeddingFeaturizer"/>) or code counts (<see cref="Baselines.CodeCountFeaturizer"/>). Points are added
/// subject by subject as the dataset streams past, and the rows computed at the end, so a featurizer may batch work
/// across subjects.
/// </summary>
public interface IPointFeaturizer
{
    /// <summary>The method name written to predictions files (<c>probe</c>, <c>count_baseline</c>).</summary>
    string Method { get; }

    /// <summary>The event columns <see cref="Add"/> reads.</summary>
    MedsEventColumns Columns { get; }

    /// <summary>The feature scaling the logistic regression should use for these features.</summary>
    FeatureScaling Scaling { get; }

    /// <summary>Adds one subject's prediction points: distinct times, ascending. Their rows follow those of every earlier call.</summary>
    void Add(MedsSubject subject, IReadOnlyList<DateTime> predictionTimes);

    /// <summary>The rows of every point added, in the order added.</summary>
    FeatureMatrix Build(IProgress<ProbeProgress>? progress = null, CancellationToken cancellationToken = default);
}

/// <summary>Where a probe run is: <see cref="Stage"/> (<c>reading</c>, <c>embedding</c>, <c>fitting</c>) and its work done.</summary>
public readonly record struct ProbeProgress(string Stage, long Done, long Total);
