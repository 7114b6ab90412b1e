using FhirRisk.Meds.Tasks;
using FhirRisk.Model.Gpt;
using FhirRisk.Model.Heads;
using FhirRisk.Training.Finetuning;

namespace FhirRisk.Inference.Tests;

/// <summary>
/// The tiny model finetuned (once per test run) with two heads whose labels say whether a context holds a token:
/// hospital_mortality ⇔ <c>LAB//A</c> occurs, icu_admission ⇔ <c>ICU_ADMISSION//MICU</c> occurs.
/// </summary>
internal static class FinetunedTinyModel
{
    public static readonly string[] Tasks = [TaskCatalog.HospitalMortality, TaskCatalog.IcuAdmission];
    private static readonly Lazy<(string Directory, FinetuningResult Result, FinetuningData Data)> s_finetuned = new(Finetune);

    /// <summary>The finetuned directory, the finetuner's result and its data.</summary>
    public static (string Directory, FinetuningResult Result, FinetuningData Data) Value => s_finetuned.Value;

    /// <summary>A few hundred steps of multitask finetuning on contexts whose labels say whether two tokens occur.</summary>
    private static (string, FinetuningResult, FinetuningData) Finetune()
    {
        var tokenizer = TinyModel.Tokenizer;
        var v = tokenizer.Vocabulary.Count;
        int[] marks = [tokenizer.Vocabulary.IdOf("LAB//A"), tokenizer.Vocabulary.IdOf("ICU_ADMISSION//MICU")];
        PromptedExample[] Points(int count, int seed)
        {
            var random = new Random(seed);
            return [.. Enumerable.Range(0, count).Select(_ =>
            {
                var context = Enumerable.Range(0, random.Next(4, 20)).Select(_ => random.Next(v)).Select(t => marks.Contains(t) ? 0 : t).ToArray();
                foreach (var mark in marks)
                {
                    if (random.Next(2) == 0)
                        context[random.Next(context.Length)] = mark;
                }
                return new PromptedExample(1, 0, context, [.. marks.Select(m => (sbyte)(context.Contains(m) ? 1 : 0))]);
            })];
        }
        var data = new FinetuningData(Tasks, Points(300, 1), Points(120, 2));
        var pretrained = GptParameters.Initialize(new GptConfig(v, 1, 2, TinyModel.Channels, TinyModel.ContextLength), seed: 3);
        var heads = new TaskHeads(Tasks, TinyModel.Channels, v, tokenizer.Vocabulary.Fingerprint);
        var settings = new FinetuningSettings { Steps = 150, BatchSize = 16, BackboneLearningRate = 3e-3, HeadLearningRate = 1e-2, WarmupSteps = 10, Threads = 1 };
        var result = MultitaskFinetuner.Run(pretrained, heads, data, settings);
        var directory = Path.Combine(TinyModel.Root, "finetuned");
        FinetunedModel.Save(directory, tokenizer, result, settings, TaskParameters.Default);
        return (directory, result, data);
    }
}
