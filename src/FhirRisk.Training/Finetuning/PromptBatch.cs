namespace FhirRisk.Training.Finetuning;

/// <summary>
/// A (B, T) batch of prompted sequences: row b is example b's context followed by every task token in prompt order,
/// padded after the prompt to the batch's longest row. Causal attention keeps the padding out of every real position,
/// and the task tokens sit at fixed offsets from each row's end, so <see cref="TaskRows"/> locates their hidden states.
/// </summary>
internal sealed class PromptBatch
{
    /// <summary>The input id of padding (never attended to: it follows every real token).</summary>
    private const int PaddingId = 0;

    private PromptBatch(int[] tokens, int[] taskRows, int batch, int positions)
    {
        (Tokens, TaskRows, B, T) = (tokens, taskRows, batch, positions);
    }

    /// <summary>(B, T) input ids.</summary>
    public int[] Tokens { get; }

    /// <summary>(B, K) the row b·T + t of example b's task-k token.</summary>
    public int[] TaskRows { get; }

    public int B { get; }

    public int T { get; }

    /// <summary>Lays out <paramref name="examples"/> with the prompt <paramref name="taskTokenIds"/> appended to each.</summary>
    public static PromptBatch Create(IReadOnlyList<PromptedExample> examples, ReadOnlySpan<int> taskTokenIds)
    {
        var k = taskTokenIds.Length;
        var b = examples.Count;
        var t = examples.Max(e => e.Context.Length) + k;
        var tokens = new int[b * t];
        var rows = new int[b * k];
        for (var i = 0; i < b; i++)
        {
            var row = tokens.AsSpan(i * t, t);
            var context = examples[i].Context;
            context.CopyTo(row);
            taskTokenIds.CopyTo(row[context.Length..]);
            row[(context.Length + k)..].Fill(PaddingId);
            for (var task = 0; task < k; task++)
                rows[i * k + task] = i * t + context.Length + task;
        }
        return new PromptBatch(tokens, rows, b, t);
    }
}
