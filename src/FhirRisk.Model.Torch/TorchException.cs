namespace FhirRisk.Model.Torch;

/// <summary>
/// ATen threw inside the shim (out of memory, a CUDA error, an op that refused its inputs). The message is ATen's,
/// without its C++ backtrace. The call had no effect the caller can rely on, but the process and the backend live on.
/// </summary>
public sealed class TorchException : Exception
{
    /// <summary>Creates an empty exception.</summary>
    public TorchException()
    {
    }

    /// <summary>Creates the exception with ATen's message.</summary>
    /// <param name="message">What ATen reported.</param>
    public TorchException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public TorchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
