namespace FhirRisk.Core.Plotting;

/// <summary>
/// Cuts a polyline to a rectangle (Liang–Barsky on each segment), so that dash patterns and strokes only walk the
/// visible part of a curve whose points lie far outside a fixed axis range.
/// </summary>
internal static class PolylineClipper
{
    /// <summary>The visible pieces of <paramref name="points"/>, each with at least two points, in order.</summary>
    public static List<PixelPoint[]> Clip(IReadOnlyList<PixelPoint> points, double left, double top, double right, double bottom)
    {
        var pieces = new List<PixelPoint[]>();
        var current = new List<PixelPoint>();
        for (var i = 1; i < points.Count; i++)
        {
            if (ClipSegment(points[i - 1], points[i], left, top, right, bottom) is not { } visible)
            {
                Flush(pieces, current);
                continue;
            }
            var (a, b, enters, leaves) = visible;
            if (enters)
                Flush(pieces, current);
            if (current.Count == 0)
                current.Add(a);
            current.Add(b);
            if (leaves)
                Flush(pieces, current);
        }
        Flush(pieces, current);
        return pieces;
    }

    /// <summary>The part of segment a–b inside the rectangle, and whether it was cut at its start or end.</summary>
    private static (PixelPoint A, PixelPoint B, bool Enters, bool Leaves)? ClipSegment(
        PixelPoint a, PixelPoint b, double left, double top, double right, double bottom)
    {
        double dx = b.X - a.X, dy = b.Y - a.Y;
        double enter = 0, leave = 1;
        foreach (var (p, q) in new[] { (-dx, a.X - left), (dx, right - a.X), (-dy, a.Y - top), (dy, bottom - a.Y) })
        {
            if (p == 0)
            {
                if (q < 0)
                    return null; // parallel to this edge and outside it
                continue;
            }
            var t = q / p;
            if (p < 0)
                enter = Math.Max(enter, t);
            else
                leave = Math.Min(leave, t);
        }
        if (enter > leave)
            return null;
        var from = new PixelPoint(a.X + enter * dx, a.Y + enter * dy);
        var to = new PixelPoint(a.X + leave * dx, a.Y + leave * dy);
        return (from, to, enter > 0, leave < 1);
    }

    private static void Flush(List<PixelPoint[]> pieces, List<PixelPoint> current)
    {
        if (current.Count >= 2)
            pieces.Add([.. current]);
        current.Clear();
    }
}
