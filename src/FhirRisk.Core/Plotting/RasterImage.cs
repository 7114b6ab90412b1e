namespace FhirRisk.Core.Plotting;

/// <summary>An opaque 8-bit RGB image that shapes are blended onto (source-over, straight alpha).</summary>
internal sealed class RasterImage
{
    private readonly byte[] _rgb;

    public RasterImage(int width, int height, Rgba background)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        Width = width;
        Height = height;
        _rgb = new byte[width * height * 3];
        for (var i = 0; i < _rgb.Length; i += 3)
            (_rgb[i], _rgb[i + 1], _rgb[i + 2]) = (background.R, background.G, background.B);
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Row-major RGB bytes, as <see cref="PngEncoder"/> takes them.</summary>
    public ReadOnlySpan<byte> Pixels => _rgb;

    public Rgba this[int x, int y]
    {
        get
        {
            var i = (y * Width + x) * 3;
            return new Rgba(_rgb[i], _rgb[i + 1], _rgb[i + 2]);
        }
    }

    /// <summary>Fills whole pixels [left, right) × [top, bottom): crisp axis lines, ticks and frames.</summary>
    public void FillRectangle(PixelRect rect, Rgba color)
    {
        var clipped = rect.Intersect(new PixelRect(0, 0, Width, Height));
        for (var y = clipped.Top; y < clipped.Bottom; y++)
        {
            for (var x = clipped.Left; x < clipped.Right; x++)
                Blend(x, y, color, 1f);
        }
    }

    /// <summary>Blends <paramref name="color"/> in proportion to the mask's coverage, then clears the mask.</summary>
    public void Paint(CoverageMask mask, Rgba color)
    {
        var dirty = mask.Dirty;
        for (var y = dirty.Top; y < dirty.Bottom; y++)
        {
            for (var x = dirty.Left; x < dirty.Right; x++)
            {
                var coverage = mask[x, y];
                if (coverage > 0)
                    Blend(x, y, color, coverage);
            }
        }
        mask.Clear();
    }

    public byte[] EncodePng() => PngEncoder.Encode(_rgb, Width, Height);

    private void Blend(int x, int y, Rgba color, float coverage)
    {
        var alpha = coverage * color.A / 255f;
        var i = (y * Width + x) * 3;
        _rgb[i] = Mix(_rgb[i], color.R, alpha);
        _rgb[i + 1] = Mix(_rgb[i + 1], color.G, alpha);
        _rgb[i + 2] = Mix(_rgb[i + 2], color.B, alpha);
    }

    private static byte Mix(byte under, byte over, float alpha) => (byte)MathF.Round(under + (over - under) * alpha);
}
