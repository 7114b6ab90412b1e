using FhirRisk.Model.Compute;
using FhirRisk.Model.Cpu;

namespace FhirRisk.Model.Gpt;

/// <summary>Slices a flat parameter, gradient or optimizer buffer to one tensor's range.</summary>
internal static class ParameterViews
{
    public static Span<T> View<T>(this Span<T> buffer, ParameterRange range) => buffer.Slice(range.Offset, range.Length);

    public static ReadOnlySpan<T> View<T>(this ReadOnlySpan<T> buffer, ParameterRange range) => buffer.Slice(range.Offset, range.Length);

    public static DeviceView<T> View<T>(this DeviceBuffer<T> buffer, ParameterRange range)
        where T : unmanaged => buffer.View(range.Offset, range.Length);
}
