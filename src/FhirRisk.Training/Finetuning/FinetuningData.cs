namespace FhirRisk.Training.Finetuning;

/// <summary>The prediction points of a finetuning run: the train split trains the heads (and backbone), the tuning
/// split calibrates them and gives the reported AUROC.</summary>
/// <param name="Tasks">Task names in prompt order; every example's labels follow it.</param>
/// <param name="Train">Points of train-split subjects.</param>
/// <param name="Tuning">Points of tuning-split subjects.</param>
public sealed record FinetuningData(IReadOnlyList<string> Tasks, IReadOnlyList<PromptedExample> Train, IReadOnlyList<PromptedExample> Tuning)
{
    /// <summary>(labelled, positives) of task <paramref name="task"/> among <paramref name="examples"/>.</summary>
    public static (int Labelled, int Positives) Count(IReadOnlyList<PromptedExample> examples, int task)
    {
        var (labelled, positives) = (0, 0);
        foreach (var example in examples)
        {
            var label = example.Labels[task];
            labelled += label == PromptedExample.Masked ? 0 : 1;
            positives += label == 1 ? 1 : 0;
        }
        return (labelled, positives);
    }
}
