namespace FhirRisk.Core.Plotting;

/// <summary>An sRGB colour with straight (not premultiplied) alpha.</summary>
internal readonly record struct Rgba(byte R, byte G, byte B, byte A = 255)
{
    public static readonly Rgba White = new(255, 255, 255);

    /// <summary>Parses <c>#RRGGBB</c>.</summary>
    public static Rgba FromHex(string hex) =>
        new(Convert.ToByte(hex[1..3], 16), Convert.ToByte(hex[3..5], 16), Convert.ToByte(hex[5..7], 16));

    /// <summary>The same colour with opacity <paramref name="opacity"/> (0..1).</summary>
    public Rgba WithOpacity(double opacity) => this with { A = (byte)Math.Round(Math.Clamp(opacity, 0, 1) * 255) };
}
