using System.Runtime.InteropServices;

namespace FhirRisk.Model.Torch.Internal;

/// <summary>
/// The one place that turns a shim status into a .NET exception: FRT_EINVAL (the shim's shape, length and index
/// checks) becomes an <see cref="ArgumentException"/>, as the CPU backend throws; FRT_EATEN (ATen threw) a
/// <see cref="TorchException"/> carrying ATen's message.
/// </summary>
internal static class NativeStatus
{
    private const int Ok = 0;
    private const int InvalidArgument = -2;

    /// <summary>Throws unless <paramref name="status"/> is FRT_OK.</summary>
    public static void Check(int status)
    {
        if (status != Ok)
            throw ToException(status);
    }

    private static Exception ToException(int status)
    {
        // The message is thread-local in the shim and this thread made the failing call.
        var message = Marshal.PtrToStringUTF8(NativeMethods.LastError()) ?? "(no message)";
        return status == InvalidArgument ? new ArgumentException(message) : new TorchException(message);
    }
}
