namespace FhirRisk.Model.Heads;

/// <summary>
/// A (B, T) batch of prompted sequences: row b is context b followed by every task token in prompt order, padded after
/// the prompt to the batch's longest row. Causal attention keeps the padding out of every real position, and the task
/// tokens sit at fixed offsets from each row's end, so <see cref="TaskRows"/> locates their hidden states.
/// </summary>
public sealed class PromptBatch
{
    /// <summary>The input id of padding (never attended to: it follows every real token).</summary>
    private const int PaddingId = 0;

    private readonly int[] _tokens;
    private readonly int[] _taskRows;

    private PromptBatch(int[] tokens, int[] taskRows, int batch, int positions)
    {
        (_tokens, _taskRows, B, T) = (tokens, taskRows, batch, positions);
    }

    /// <summary>(B, T) input ids.</summary>
    public ReadOnlySpan<int> Tokens => _tokens;

    /// <summary>(B, K) the row b·T + t of context b's task-k token.</summary>
    public ReadOnlySpan<int> TaskRows => _taskRows;

    public int B { get; }

    public int T { get; }

    /// <summary>Lays out <paramref name="contexts"/> with the prompt <paramref name="taskTokenIds"/> appended to each.</summary>
    public static PromptBatch Create(IReadOnlyList<int[]> contexts, ReadOnlySpan<int> taskTokenIds)
    {
        ArgumentNullException.ThrowIfNull(contexts);
        ArgumentOutOfRangeException.ThrowIfLessThan(contexts.Count, 1);
        var k = taskTokenIds.Length;
        var b = contexts.Count;
        var t = contexts.Max(c => c.Length) + k;
        var tokens = new int[b * t];
        var rows = new int[b * k];
        for (var i = 0; i < b; i++)
        {
            var row = tokens.AsSpan(i * t, t);
            var context = contexts[i];
            context.CopyTo(row);
            taskTokenIds.CopyTo(row[context.Length..]);
            row[(context.Length + k)..].Fill(PaddingId);
            for (var task = 0; task < k; task++)
                rows[i * k + task] = i * t + context.Length + task;
        }
        return new PromptBatch(tokens, rows, b, t);
    }
}
