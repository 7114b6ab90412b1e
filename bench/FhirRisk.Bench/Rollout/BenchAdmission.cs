using FhirRisk.Inference;
using FhirRisk.Meds;
using FhirRisk.Meds.Tasks;

namespace FhirRisk.Bench.Rollout;

/// <summary>
/// The admission <c>bench rollout</c> asks about: among the labelled <c>hospital_mortality</c> points of a simulated,
/// ingested cohort, the one whose history (timeline tokens up to the point, with the demo model's tokenizer) is nearest
/// <see cref="TargetHistory"/> tokens. Its prompt is what the service would send: the static prefix and the most
/// recent tokens that fit the context (<see cref="InferenceSession.RolloutPrompt(FhirRisk.Tokenizer.EncodedTimeline, int)"/>).
/// </summary>
internal sealed record BenchAdmission(long SubjectId, DateTime PredictionTime, bool Label, int HistoryTokens, int[] Prompt)
{
    public const int TargetHistory = 1_000;

    public static BenchAdmission Find(InferenceSession session, string medsFolder, TaskDefinition task)
    {
        BenchAdmission? best = null;
        foreach (var subject in MedsDatasetReader.Open(medsFolder).ReadSubjects())
        {
            var points = new TimelineLabeler(TaskTimeline.Of(subject)).Label(task).Where(p => p.Outcome.Label is not null).ToArray();
            if (points.Length == 0)
                continue;
            var timeline = session.Tokenizer.Encode(subject);
            var indices = timeline.IndicesAt([.. points.Select(p => p.PredictionTime)]);
            for (var i = 0; i < points.Length; i++)
            {
                var history = indices[i] + 1;
                if (indices[i] < 0 || (best is not null && Math.Abs(history - TargetHistory) >= Math.Abs(best.HistoryTokens - TargetHistory)))
                    continue;
                best = new BenchAdmission(subject.SubjectId, points[i].PredictionTime, points[i].Outcome.Label!.Value, history,
                    session.RolloutPrompt(timeline, indices[i]));
            }
        }
        return best ?? throw new InvalidOperationException("The simulated cohort has no labelled hospital admission.");
    }
}
