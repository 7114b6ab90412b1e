using FhirRisk.Meds;

namespace FhirRisk.Cli.Tests;

/// <summary>MEDS data of another kind of record than a model's.</summary>
internal static class ForeignMeds
{
    /// <summary>Writes <paramref name="source"/>'s subjects, splits, times and values to <paramref name="folder"/> with every
    /// timed code but <c>MEDS_BIRTH</c> renamed, so a vocabulary fitted on the source knows none of them while labels of
    /// the source still name these subjects and times.</summary>
    public static string Recoded(string source, string folder)
    {
        using var writer = new MedsDatasetWriter(folder);
        foreach (var subject in MedsDatasetReader.Open(source).ReadSubjects())
        {
            writer.WriteSubject(subject.SubjectId,
                [.. subject.Events.Select(e => e.IsStatic || e.Code == "MEDS_BIRTH" ? e : e with { Code = "ELSEWHERE//" + e.Code })], subject.Split);
        }
        writer.Complete();
        return folder;
    }
}
