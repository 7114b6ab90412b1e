namespace FhirRisk.Model.Torch.Tests;

/// <summary>A fact that needs libtorch; skipped with <see cref="TorchNative.SkipReason"/> where it is missing.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class TorchFactAttribute : FactAttribute
{
    public TorchFactAttribute()
    {
        if (TorchNative.SkipReason is { } reason)
            Skip = reason;
    }
}

/// <summary>A theory that needs libtorch; see <see cref="TorchFactAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class TorchTheoryAttribute : TheoryAttribute
{
    public TorchTheoryAttribute()
    {
        if (TorchNative.SkipReason is { } reason)
            Skip = reason;
    }
}
