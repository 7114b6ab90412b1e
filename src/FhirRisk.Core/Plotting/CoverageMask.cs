namespace FhirRisk.Core.Plotting;

/// <summary>
/// Per-pixel coverage in [0, 1] for one shape in one colour, painted onto a <see cref="RasterImage"/> in a single
/// blend. Strokes and markers combine by maximum, so the joints of a polyline, the overlap of a marker with its
/// line, and a semi-transparent band never darken where pieces overlap; glyph cells, which never overlap, add up.
/// Anti-aliasing is coverage-based: a stroke of width w covers a pixel by clamp(w/2 + 1/2 − d, 0, 1), where d is
/// the distance from the pixel centre to the segment (a box-filter approximation of the exact area).
/// Everything is clipped to <see cref="Clip"/>.
/// </summary>
internal sealed class CoverageMask
{
    private const int PolygonSubScanlines = 8;

    private readonly float[] _coverage;
    private int _dirtyLeft, _dirtyTop, _dirtyRight, _dirtyBottom;

    public CoverageMask(int width, int height)
    {
        Width = width;
        Height = height;
        _coverage = new float[width * height];
        Clip = new PixelRect(0, 0, width, height);
        ResetDirty();
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Pixels outside this rectangle are never covered. Defaults to the whole image.</summary>
    public PixelRect Clip { get; set; }

    /// <summary>The rectangle holding every covered pixel (empty when nothing is covered).</summary>
    public PixelRect Dirty => new(_dirtyLeft, _dirtyTop, Math.Max(_dirtyLeft, _dirtyRight), Math.Max(_dirtyTop, _dirtyBottom));

    public float this[int x, int y] => _coverage[y * Width + x];

    /// <summary>A round-capped stroke from <paramref name="a"/> to <paramref name="b"/>.</summary>
    public void StrokeSegment(PixelPoint a, PixelPoint b, double width)
    {
        var half = width / 2;
        var bounds = Bounds(Math.Min(a.X, b.X) - half - 1, Math.Min(a.Y, b.Y) - half - 1,
            Math.Max(a.X, b.X) + half + 1, Math.Max(a.Y, b.Y) + half + 1);
        double dx = b.X - a.X, dy = b.Y - a.Y;
        var lengthSquared = dx * dx + dy * dy;
        for (var y = bounds.Top; y < bounds.Bottom; y++)
        {
            for (var x = bounds.Left; x < bounds.Right; x++)
            {
                double px = x + 0.5 - a.X, py = y + 0.5 - a.Y;
                var t = lengthSquared > 0 ? Math.Clamp((px * dx + py * dy) / lengthSquared, 0, 1) : 0;
                double ex = px - t * dx, ey = py - t * dy;
                Max(x, y, half + 0.5 - Math.Sqrt(ex * ex + ey * ey));
            }
        }
    }

    /// <summary>Strokes consecutive points; with <paramref name="dash"/> (on, off lengths in pixels) the pattern runs
    /// on across the joints.</summary>
    public void StrokePolyline(ReadOnlySpan<PixelPoint> points, double width, (double On, double Off)? dash = null)
    {
        if (dash is not { } pattern)
        {
            for (var i = 1; i < points.Length; i++)
                StrokeSegment(points[i - 1], points[i], width);
            return;
        }
        var on = true;
        var left = pattern.On; // length left in the current dash or gap
        for (var i = 1; i < points.Length; i++)
        {
            var from = points[i - 1];
            var length = Distance(from, points[i]);
            var done = 0.0;
            while (done < length)
            {
                var step = Math.Min(left, length - done);
                var to = Lerp(points[i - 1], points[i], (done + step) / length);
                if (on)
                    StrokeSegment(from, to, width);
                from = to;
                done += step;
                left -= step;
                if (left <= 0)
                {
                    on = !on;
                    left = on ? pattern.On : pattern.Off;
                }
            }
        }
    }

    public void FillCircle(PixelPoint centre, double radius)
    {
        var bounds = Bounds(centre.X - radius - 1, centre.Y - radius - 1, centre.X + radius + 1, centre.Y + radius + 1);
        for (var y = bounds.Top; y < bounds.Bottom; y++)
        {
            for (var x = bounds.Left; x < bounds.Right; x++)
                Max(x, y, radius + 0.5 - Distance(centre, new PixelPoint(x + 0.5, y + 0.5)));
        }
    }

    /// <summary>
    /// Fills a closed polygon (non-zero winding). Each pixel row is sampled on <see cref="PolygonSubScanlines"/>
    /// horizontal lines, and each span's horizontal coverage is exact, so a pixel's value is its covered area to
    /// within 1/<see cref="PolygonSubScanlines"/> of a row.
    /// </summary>
    public void FillPolygon(ReadOnlySpan<PixelPoint> polygon)
    {
        if (polygon.Length < 3)
            return;
        double top = double.MaxValue, bottom = double.MinValue;
        foreach (var p in polygon)
        {
            top = Math.Min(top, p.Y);
            bottom = Math.Max(bottom, p.Y);
        }
        var rows = Bounds(Clip.Left, top, Clip.Right, bottom + 1);
        var row = new float[Width];
        var crossings = new List<(double X, int Direction)>();
        for (var y = rows.Top; y < rows.Bottom; y++)
        {
            Array.Clear(row);
            for (var s = 0; s < PolygonSubScanlines; s++)
            {
                var sampleY = y + (s + 0.5) / PolygonSubScanlines;
                Crossings(polygon, sampleY, crossings);
                var winding = 0;
                for (var i = 0; i < crossings.Count - 1; i++)
                {
                    winding += crossings[i].Direction;
                    if (winding != 0)
                        AddSpan(row, crossings[i].X, crossings[i + 1].X, 1f / PolygonSubScanlines);
                }
            }
            for (var x = Clip.Left; x < Clip.Right; x++)
            {
                if (row[x] > 0)
                    Max(x, y, row[x]);
            }
        }
    }

    /// <summary>Adds the area of the axis-aligned rectangle [x0, x1) × [y0, y1) that falls in each pixel.</summary>
    public void AddRectangle(double x0, double y0, double x1, double y1)
    {
        var bounds = Bounds(x0, y0, x1, y1);
        for (var y = bounds.Top; y < bounds.Bottom; y++)
        {
            var height = Math.Min(y + 1, y1) - Math.Max(y, y0);
            for (var x = bounds.Left; x < bounds.Right; x++)
            {
                var width = Math.Min(x + 1, x1) - Math.Max(x, x0);
                if (width > 0 && height > 0)
                    Set(x, y, Math.Min(1f, _coverage[y * Width + x] + (float)(width * height)));
            }
        }
    }

    /// <summary>Zeroes the covered pixels (cheap: only the dirty rectangle is touched).</summary>
    public void Clear()
    {
        var dirty = Dirty;
        for (var y = dirty.Top; y < dirty.Bottom; y++)
            Array.Clear(_coverage, y * Width + dirty.Left, dirty.Width);
        ResetDirty();
    }

    private static void Crossings(ReadOnlySpan<PixelPoint> polygon, double y, List<(double X, int Direction)> crossings)
    {
        crossings.Clear();
        for (var i = 0; i < polygon.Length; i++)
        {
            var a = polygon[i];
            var b = polygon[(i + 1) % polygon.Length];
            if (a.Y == b.Y || y < Math.Min(a.Y, b.Y) || y >= Math.Max(a.Y, b.Y))
                continue; // half-open in y, so a vertex shared by two edges counts once
            crossings.Add((a.X + (y - a.Y) / (b.Y - a.Y) * (b.X - a.X), b.Y > a.Y ? 1 : -1));
        }
        crossings.Sort((p, q) => p.X.CompareTo(q.X));
    }

    private void AddSpan(float[] row, double from, double to, float weight)
    {
        from = Math.Max(from, Clip.Left);
        to = Math.Min(to, Clip.Right);
        if (to <= from)
            return;
        int first = (int)Math.Floor(from), last = (int)Math.Floor(to);
        if (first == last)
        {
            row[first] += (float)(to - from) * weight;
            return;
        }
        row[first] += (float)(first + 1 - from) * weight;
        for (var x = first + 1; x < last; x++)
            row[x] += weight;
        if (last < Clip.Right)
            row[last] += (float)(to - last) * weight;
    }

    private PixelRect Bounds(double left, double top, double right, double bottom) => new PixelRect(
        (int)Math.Floor(Math.Max(left, Clip.Left)), (int)Math.Floor(Math.Max(top, Clip.Top)),
        (int)Math.Ceiling(Math.Min(right, Clip.Right)), (int)Math.Ceiling(Math.Min(bottom, Clip.Bottom)));

    private void Max(int x, int y, double coverage)
    {
        if (coverage <= 0)
            return;
        var c = (float)Math.Min(coverage, 1);
        if (c > _coverage[y * Width + x])
            Set(x, y, c);
    }

    private void Set(int x, int y, float coverage)
    {
        _coverage[y * Width + x] = coverage;
        _dirtyLeft = Math.Min(_dirtyLeft, x);
        _dirtyTop = Math.Min(_dirtyTop, y);
        _dirtyRight = Math.Max(_dirtyRight, x + 1);
        _dirtyBottom = Math.Max(_dirtyBottom, y + 1);
    }

    private void ResetDirty() => (_dirtyLeft, _dirtyTop, _dirtyRight, _dirtyBottom) = (Width, Height, 0, 0);

    private static double Distance(PixelPoint a, PixelPoint b) => Math.Sqrt((a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y));

    private static PixelPoint Lerp(PixelPoint a, PixelPoint b, double t) => new(a.X + t * (b.X - a.X), a.Y + t * (b.Y - a.Y));
}
