namespace FhirRisk.Model.Gpt;

/// <summary>
/// What makes a training forward pass's dropout masks reproducible: the run seed and the optimizer step. Each dropout
/// site gets its own <see cref="Cpu.Dropout"/> call index from (step, site), so a resumed run replays the same masks.
/// </summary>
/// <param name="Seed">Run seed.</param>
/// <param name="Step">Optimizer step (any non-negative counter that changes every step).</param>
public readonly record struct DropoutKey(ulong Seed, long Step)
{
    /// <summary>The Philox stream of <paramref name="site"/> among <paramref name="sites"/> per step.</summary>
    internal ulong CallIndex(int site, int sites) => (ulong)Step * (ulong)sites + (ulong)site;
}
