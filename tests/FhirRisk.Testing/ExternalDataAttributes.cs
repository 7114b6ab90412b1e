namespace FhirRisk.Testing;

/// <summary>A fact that needs the external corpus: skipped with a message when it is missing, unless
/// <c>FHIRRISK_REQUIRE_EXTERNAL_DATA=1</c>, in which case the test runs and fails on the missing files.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class ExternalDataFactAttribute : FactAttribute
{
    public ExternalDataFactAttribute()
    {
        if (ExternalData.SkipReason is { } reason)
            Skip = reason;
    }
}

/// <summary>A theory that needs the external corpus; see <see cref="ExternalDataFactAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class ExternalDataTheoryAttribute : TheoryAttribute
{
    public ExternalDataTheoryAttribute()
    {
        if (ExternalData.SkipReason is { } reason)
            Skip = reason;
    }
}
