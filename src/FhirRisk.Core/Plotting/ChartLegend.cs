namespace FhirRisk.Core.Plotting;

/// <summary>
/// The legend: one row per named series (a sample of its line, marker and band, then its name) in a translucent
/// box. Like matplotlib's <c>loc="best"</c>, it goes to the corner of the plot that hides the fewest data pixels
/// (pixels already drawn that are neither background nor grid: lines, markers, bands, reference lines), preferring
/// upper right, upper left, lower left, lower right in that order on ties. So it must be drawn last.
/// </summary>
internal static class ChartLegend
{
    public static void Draw(RasterImage image, CoverageMask mask, ChartStyle style, PixelRect plot, IReadOnlyList<SeriesGeometry> series)
    {
        var entries = series.Where(s => s.Series.Name.Length > 0).ToList();
        if (entries.Count == 0)
            return;
        var unit = style.TickUnit;
        var rowHeight = BitmapFont.CapHeight * unit + 2 * style.Gap;
        var sampleLength = 24 * style.Scale;
        var inner = 1.5 * style.Gap;
        var textWidth = entries.Max(e => BitmapFont.MeasureUnits(e.Series.Name)) * unit;
        var width = (int)Math.Ceiling(2 * inner + sampleLength + style.Gap + textWidth);
        var height = (int)Math.Ceiling(entries.Count * rowHeight + style.Gap);
        var box = BestCorner(image, plot, width, height, (int)Math.Round(style.Pad));

        image.FillRectangle(box, ChartStyle.LegendFill);
        DrawBorder(image, box);
        mask.Clip = new PixelRect(0, 0, image.Width, image.Height);
        for (var row = 0; row < entries.Count; row++)
        {
            var entry = entries[row];
            var centreY = box.Top + style.Gap / 2 + (row + 0.5) * rowHeight;
            var sampleLeft = box.Left + inner;
            if (entry.Series.HasBand)
            {
                mask.AddRectangle(sampleLeft, centreY - rowHeight * 0.3, sampleLeft + sampleLength, centreY + rowHeight * 0.3);
                image.Paint(mask, entry.Color.WithOpacity(ChartStyle.BandOpacity));
            }
            var from = new PixelPoint(sampleLeft, centreY);
            var to = new PixelPoint(sampleLeft + sampleLength, centreY);
            if (entry.Series.HasLine)
                mask.StrokePolyline([from, to], style.LineWidth, entry.Series.Style == SeriesStyle.DashedLine ? style.Dash : null);
            if (entry.Series.HasMarkers)
                mask.FillCircle(new PixelPoint(sampleLeft + sampleLength / 2, centreY), style.MarkerRadius);
            image.Paint(mask, entry.Color);
            var textAnchor = new PixelPoint(sampleLeft + sampleLength + style.Gap, centreY - BitmapFont.CapHeight * unit / 2);
            BitmapFont.Draw(mask, entry.Series.Name, textAnchor, unit, TextAlign.Left);
            image.Paint(mask, ChartStyle.Ink);
        }
    }

    private static PixelRect BestCorner(RasterImage image, PixelRect plot, int width, int height, int inset)
    {
        int left = plot.Left + inset, right = plot.Right - inset - width;
        int top = plot.Top + inset, bottom = plot.Bottom - inset - height;
        PixelRect[] corners =
        [
            new(right, top, right + width, top + height),
            new(left, top, left + width, top + height),
            new(left, bottom, left + width, bottom + height),
            new(right, bottom, right + width, bottom + height),
        ];
        return corners.MinBy(corner => DataPixels(image, corner));
    }

    private static int DataPixels(RasterImage image, PixelRect area)
    {
        var clipped = area.Intersect(new PixelRect(0, 0, image.Width, image.Height));
        var count = 0;
        for (var y = clipped.Top; y < clipped.Bottom; y++)
        {
            for (var x = clipped.Left; x < clipped.Right; x++)
            {
                var pixel = image[x, y];
                if (pixel != Rgba.White && pixel != ChartStyle.Grid)
                    count++;
            }
        }
        return count;
    }

    private static void DrawBorder(RasterImage image, PixelRect box)
    {
        var color = ChartStyle.LegendBorder;
        image.FillRectangle(box with { Bottom = box.Top + 1 }, color);
        image.FillRectangle(box with { Top = box.Bottom - 1 }, color);
        image.FillRectangle(box with { Right = box.Left + 1 }, color);
        image.FillRectangle(box with { Left = box.Right - 1 }, color);
    }
}
