namespace FhirRisk.Core.Plotting;

/// <summary>A position in image pixels: x right, y down; pixel (i, j) covers [i, i+1) × [j, j+1), so its centre is
/// (i + 0.5, j + 0.5).</summary>
internal readonly record struct PixelPoint(double X, double Y);

/// <summary>An integer pixel rectangle, right and bottom exclusive.</summary>
internal readonly record struct PixelRect(int Left, int Top, int Right, int Bottom)
{
    public int Width => Right - Left;

    public int Height => Bottom - Top;

    public PixelRect Intersect(PixelRect other) => new(
        Math.Max(Left, other.Left), Math.Max(Top, other.Top), Math.Min(Right, other.Right), Math.Min(Bottom, other.Bottom));
}
