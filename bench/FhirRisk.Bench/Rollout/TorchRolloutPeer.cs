using System.Globalization;
using System.Text.Json;
using FhirRisk.Bench.Engine;
using FhirRisk.Inference;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Meds.Tasks;
using GptModel = FhirRisk.Model.Gpt.Gpt;

namespace FhirRisk.Bench.Rollout;

/// <summary>
/// The PyTorch side of <c>rollout</c>: ETHOS's method (<c>torch_peer.py rollout</c>, <c>rollout_peer.py</c>) on the
/// session's own checkpoint and the admission's prompt, launched through <see cref="TorchPeer"/> in its fastest
/// configuration. Its judge is the simple one: the task's stop and positive codes (and <c>TIMELINE_END</c>) as token
/// ids, or the same token budget.
/// </summary>
internal static class TorchRolloutPeer
{
    /// <summary>Runs a warm-up request and <paramref name="requests"/> timed ones of <paramref name="rollouts"/> rollouts each.</summary>
    public static TorchRolloutRun Run(TorchPeer peer, string modelFolder, InferenceSession session, TaskDefinition task, int[] prompt,
        RolloutSettings settings, int requests, string workDirectory)
    {
        var meanings = session.Meanings;
        var ids = Enumerable.Range(0, meanings.Count);
        var stops = ids.Where(id => meanings.RoleOf(id) == TokenRole.TimelineEnd || task.Stops(meanings.CodeOf(id))).ToArray();
        var positives = stops.Where(id => task.PositiveCodes.Contains(meanings.CodeOf(id))).ToArray();
        var promptFile = Path.Combine(workDirectory, "rollout-prompt.bin");
        GptWorkload.WriteTokens(promptFile, prompt);
        var prefixLength = session.Tokenizer.PrefixLength;
        var json = peer.Run("rollout",
        [
            "--checkpoint", modelFolder, "--tokens", promptFile, "--batch", Invariant(settings.MinRollouts),
            "--prefix-length", Invariant(prefixLength), "--slide", Invariant(ContextWindow.DefaultSlide(prefixLength, session.GenerativeParameters.Config.ContextLength)),
            "--max-new", Invariant(settings.MaxNewTokens), "--sample-vocab", Invariant(meanings.Count),
            "--stop-ids", string.Join(',', stops.Select(Invariant)), "--positive-ids", string.Join(',', positives.Select(Invariant)),
            "--requests", Invariant(requests),
        ]);
        return TorchRolloutRun.FromJson(json, [.. stops.Select(meanings.CodeOf)]);
    }

    /// <summary>Our next-token logits after <paramref name="prompt"/> (the real vocabulary), from <c>Gpt.Forward</c> as the
    /// no-cache reference computes them.</summary>
    public static float[] OurPromptLogits(InferenceSession session, int[] prompt)
    {
        var config = session.GenerativeParameters.Config;
        using var model = new GptModel(session.GenerativeParameters, 1, session.Backend);
        model.Forward(prompt, 1, prompt.Length);
        return model.ReadLogits().AsSpan((prompt.Length - 1) * config.PaddedVocabSize, config.VocabSize).ToArray();
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One peer request: wall time, its rollouts, the tokens they generated, those ended by a stop token (the rest
/// ran out of budget), and those ended by a positive one.</summary>
internal sealed record TorchRolloutRequest(double Seconds, int Rollouts, int Tokens, int Stopped, int Positive);

/// <summary>The peer's side of <c>rollout</c>: its timed requests, its logits after the prompt, how it ran, and the stop
/// codes it was given.</summary>
internal sealed record TorchRolloutRun(IReadOnlyList<TorchRolloutRequest> Requests, float[] PromptLogits, TorchRuntime Runtime,
    IReadOnlyList<string> StopCodes)
{
    public static TorchRolloutRun FromJson(JsonElement json, IReadOnlyList<string> stopCodes) => TorchTrainingRun.Parse(json, () => new TorchRolloutRun(
        [.. json.GetProperty("requests").EnumerateArray().Select(r => new TorchRolloutRequest(r.GetProperty("seconds").GetDouble(),
            r.GetProperty("rollouts").GetInt32(), r.GetProperty("tokens").GetInt32(), r.GetProperty("stopped").GetInt32(), r.GetProperty("positive").GetInt32()))],
        [.. json.GetProperty("prompt_logits").EnumerateArray().Select(e => e.GetSingle())],
        TorchRuntime.FromJson(json),
        stopCodes));
}
