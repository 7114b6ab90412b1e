using FhirRisk.Model.Gpt;
using FhirRisk.Model.Heads;
using FhirRisk.Training.Finetuning;
using GptModel = FhirRisk.Model.Gpt.Gpt;

namespace FhirRisk.Training.Tests.Finetuning;

/// <summary>The sequence layout of docs/finetuning.md: all K task tokens appended after the context, in prompt order.</summary>
public sealed class PromptLayoutTests
{
    private static readonly int[] Prompt = [20, 21, 22];

    [Fact]
    public void Every_row_is_its_context_then_every_task_token_then_padding()
    {
        PromptedExample[] examples = [Example([1, 2, 3, 4, 5], [1, -1, 0]), Example([6, 7], [-1, -1, 1])];
        var batch = PromptBatch.Create(examples.Select(e => e.Context).ToArray(), Prompt);

        Assert.Equal((2, 8), (batch.B, batch.T));
        Assert.Equal([1, 2, 3, 4, 5, 20, 21, 22, 6, 7, 20, 21, 22, 0, 0, 0], batch.Tokens.ToArray());
        Assert.Equal([5, 6, 7, 10, 11, 12], batch.TaskRows.ToArray());
    }

    [Fact]
    public void The_prompt_does_not_depend_on_which_tasks_are_labelled()
    {
        var a = PromptBatch.Create([Example([4, 9, 2], [1, 0, 1]).Context], Prompt);
        var b = PromptBatch.Create([Example([4, 9, 2], [-1, -1, 0]).Context], Prompt);
        Assert.Equal(a.Tokens.ToArray(), b.Tokens.ToArray());
        Assert.Equal(a.TaskRows.ToArray(), b.TaskRows.ToArray());
    }

    [Fact]
    public void A_task_tokens_hidden_state_sees_the_context_and_earlier_task_tokens_but_not_later_ones()
    {
        var parameters = GptParameters.Initialize(new GptConfig(23, 2, 2, 8, 16), seed: 2);
        using var model = new GptModel(parameters, 1);
        int[] context = [3, 8, 1, 15];
        float[] Hidden(int[] sequence, int row)
        {
            var h = new float[8];
            model.ForwardHidden(sequence, 1, sequence.Length);
            model.HiddenStates([row], h);
            return h;
        }

        // Task 1's state with the whole prompt equals its state when the prompt stops at task 1 (causal attention) …
        Assert.Equal(Hidden([.. context, 20, 21, 22], 5), Hidden([.. context, 20, 21], 5));
        // … but differs from task 1 alone after the context: it does see task 0's token, a constant of the layout.
        Assert.NotEqual(Hidden([.. context, 20, 21, 22], 5), Hidden([.. context, 21], 4));
    }

    private static PromptedExample Example(int[] context, sbyte[] labels) => new(1, 0, context, labels);
}
