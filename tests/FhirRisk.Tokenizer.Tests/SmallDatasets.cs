using FhirRisk.Meds;

namespace FhirRisk.Tokenizer.Tests;

/// <summary>Small MEDS datasets written with <see cref="MedsDatasetWriter"/> for exact expectations.</summary>
internal static class SmallDatasets
{
    public static readonly DateTime Start = new(2020, 1, 1, 8, 0, 0);

    /// <summary>Writes the subjects (all in <paramref name="split"/>) and opens the dataset.</summary>
    public static MedsDatasetReader Write(string root, IEnumerable<MedsEvent[]> subjects, string split = MedsSchema.TrainSplit)
    {
        using (var writer = new MedsDatasetWriter(root))
        {
            foreach (var events in subjects)
                writer.WriteSubject(events[0].SubjectId, events, split);
            writer.Complete();
        }
        return MedsDatasetReader.Open(root);
    }

    public static MedsEvent At(long subject, TimeSpan offset, string code, float? value = null) => new(subject, Start + offset, code, value);

    public static MedsEvent Static(long subject, string code) => new(subject, null, code);
}
