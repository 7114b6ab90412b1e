namespace FhirRisk.Bench.Infrastructure;

/// <summary>A benchmark could not run or its results are wrong; the message says what to do.</summary>
internal sealed class BenchmarkException : Exception
{
    public BenchmarkException(string message)
        : base(message)
    {
    }

    public BenchmarkException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public BenchmarkException()
    {
    }
}
