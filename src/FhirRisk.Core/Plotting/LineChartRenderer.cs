namespace FhirRisk.Core.Plotting;

/// <summary>
/// Draws a <see cref="LineChart"/> onto a raster, back to front: grid, bands, reference lines, series, frame and
/// ticks, text, legend. The layout is computed from the text it must hold: the plot area is what is left after
/// the title, the axis labels and the widest y tick label.
/// </summary>
internal sealed class LineChartRenderer
{
    private readonly LineChart _chart;
    private readonly ChartStyle _style;
    private readonly RasterImage _image;
    private readonly CoverageMask _mask;
    private ChartAxis _x = null!, _y = null!;
    private PixelRect _plot;

    public LineChartRenderer(LineChart chart, int width, int height)
    {
        _chart = chart;
        _style = ChartStyle.For(width, height);
        _image = new RasterImage(width, height, Rgba.White);
        _mask = new CoverageMask(width, height);
    }

    public RasterImage Render()
    {
        Layout();
        var series = _chart.Series.Select((s, i) => SeriesGeometry.Of(s, ChartStyle.SeriesColor(s.PaletteIndex ?? i), _x, _y)).ToList();
        var references = ReferenceLines();
        DrawGrid();
        _mask.Clip = _plot;
        foreach (var s in series)
            DrawBand(s);
        foreach (var line in references)
            Stroke(line, ChartStyle.ReferenceLine, _style.ReferenceLineWidth, _style.Dash);
        foreach (var s in series)
            DrawSeries(s);
        DrawFrameAndTicks();
        DrawText();
        ChartLegend.Draw(_image, _mask, _style, _plot, series);
        return _image;
    }

    private void Layout()
    {
        var tickHeight = BitmapFont.CapHeight * _style.TickUnit;
        var labelHeight = (BitmapFont.CapHeight + BitmapFont.Descent) * _style.LabelUnit;
        var titleHeight = (BitmapFont.CapHeight + BitmapFont.Descent) * _style.TitleUnit;
        var top = _style.Pad + (_chart.Title.Length > 0 ? titleHeight + _style.Gap : 0);
        var bottom = _image.Height - _style.Pad - (_chart.XLabel.Length > 0 ? labelHeight + _style.Gap : 0)
            - tickHeight - _style.Gap - _style.TickLength;
        _y = ChartAxis.Create(_chart.YRange ?? ChartAxis.AutoRange(YValues(), log: false), log: false, _chart.YTicks,
            (int)((bottom - top) / _style.MinYTickSpacing) + 1);

        var widestYLabel = _y.Labels.Select(BitmapFont.MeasureUnits).DefaultIfEmpty(0).Max() * _style.TickUnit;
        var left = Math.Min(_image.Width / 2.0, _style.Pad + (_chart.YLabel.Length > 0 ? labelHeight + _style.Gap : 0)
            + widestYLabel + _style.Gap + _style.TickLength);
        var right = _image.Width - 2 * _style.Pad;
        _x = ChartAxis.Create(_chart.XRange ?? ChartAxis.AutoRange(_chart.Series.SelectMany(s => s.X), _chart.LogX),
            _chart.LogX, _chart.XTicks, (int)((right - left) / _style.MinXTickSpacing) + 1);

        _plot = new PixelRect((int)Math.Ceiling(left), (int)Math.Ceiling(top), (int)Math.Floor(right), (int)Math.Floor(bottom));
        _x.Place(_plot.Left, _plot.Right);
        _y.Place(_plot.Bottom, _plot.Top);
    }

    /// <summary>Every y the auto range must show: points and band edges at usable x, and the horizontal lines.</summary>
    private IEnumerable<double> YValues()
    {
        foreach (var s in _chart.Series)
        {
            for (var i = 0; i < s.X.Count; i++)
            {
                if (!ChartAxis.Accepts(s.X[i], _chart.LogX))
                    continue;
                yield return s.Y[i];
                if (s is { Lower: { } lower, Upper: { } upper })
                {
                    yield return lower[i];
                    yield return upper[i];
                }
            }
        }
        foreach (var y in _chart.HorizontalLines)
            yield return y;
    }

    /// <summary>The diagonal where the x and y ranges overlap (sampled on a log axis, where it curves) and the
    /// horizontal lines, in pixels.</summary>
    private List<PixelPoint[]> ReferenceLines()
    {
        var lines = new List<PixelPoint[]>();
        var low = Math.Max(_x.Min, _y.Min);
        var high = Math.Min(_x.Max, _y.Max);
        if (_chart.HasDiagonal && low < high && _x.Accepts(low))
        {
            var samples = _x.Log ? 64 : 1;
            lines.Add([.. Enumerable.Range(0, samples + 1).Select(i =>
            {
                var t = (double)i / samples;
                var v = _x.Log ? Math.Pow(10, Math.Log10(low) + t * (Math.Log10(high) - Math.Log10(low))) : low + t * (high - low);
                return new PixelPoint(_x.ToPixel(v), _y.ToPixel(v));
            })]);
        }
        foreach (var y in _chart.HorizontalLines)
            lines.Add([new PixelPoint(_plot.Left, _y.ToPixel(y)), new PixelPoint(_plot.Right, _y.ToPixel(y))]);
        return lines;
    }

    private void DrawGrid()
    {
        foreach (var tick in _x.Ticks)
            _image.FillRectangle(VerticalLine(Snap(_x.ToPixel(tick), _plot.Left, _plot.Right), _plot.Top, _plot.Bottom), ChartStyle.Grid);
        foreach (var tick in _y.Ticks)
            _image.FillRectangle(HorizontalLine(Snap(_y.ToPixel(tick), _plot.Top, _plot.Bottom), _plot.Left, _plot.Right), ChartStyle.Grid);
    }

    private void DrawBand(SeriesGeometry series)
    {
        foreach (var polygon in series.BandPolygons)
            _mask.FillPolygon(polygon);
        _image.Paint(_mask, series.Color.WithOpacity(ChartStyle.BandOpacity));
    }

    /// <summary>Line and markers go into one mask, so a marker over its own line blends once.</summary>
    private void DrawSeries(SeriesGeometry series)
    {
        var s = series.Series;
        var dash = s.Style == SeriesStyle.DashedLine ? _style.Dash : ((double, double)?)null;
        if (s.HasLine)
        {
            foreach (var line in series.Lines)
            {
                if (line.Length == 1 && !s.HasMarkers)
                    _mask.FillCircle(line[0], 1.25 * _style.LineWidth); // a lone point of a line stays visible
                AddStroke(line, _style.LineWidth, dash);
            }
        }
        if (s.HasMarkers)
        {
            foreach (var point in series.Runs.SelectMany(run => run))
                _mask.FillCircle(point, _style.MarkerRadius);
        }
        _image.Paint(_mask, series.Color);
    }

    private void Stroke(PixelPoint[] line, Rgba color, double width, (double, double)? dash)
    {
        AddStroke(line, width, dash);
        _image.Paint(_mask, color);
    }

    private void AddStroke(PixelPoint[] line, double width, (double, double)? dash)
    {
        var margin = width + 2;
        foreach (var piece in PolylineClipper.Clip(line, _plot.Left - margin, _plot.Top - margin, _plot.Right + margin, _plot.Bottom + margin))
            _mask.StrokePolyline(piece, width, dash);
    }

    private void DrawFrameAndTicks()
    {
        var frame = _style.FrameWidth;
        _image.FillRectangle(HorizontalLine(_plot.Top, _plot.Left, _plot.Right), ChartStyle.Ink);
        _image.FillRectangle(HorizontalLine(_plot.Bottom - frame, _plot.Left, _plot.Right), ChartStyle.Ink);
        _image.FillRectangle(VerticalLine(_plot.Left, _plot.Top, _plot.Bottom), ChartStyle.Ink);
        _image.FillRectangle(VerticalLine(_plot.Right - frame, _plot.Top, _plot.Bottom), ChartStyle.Ink);
        var minorLength = (int)Math.Round(_style.TickLength * 0.6);
        foreach (var (ticks, length) in new[] { (_x.Ticks, _style.TickLength), (_x.MinorTicks, minorLength) })
        {
            foreach (var tick in ticks)
                _image.FillRectangle(VerticalLine(Snap(_x.ToPixel(tick), _plot.Left, _plot.Right), _plot.Bottom, _plot.Bottom + length), ChartStyle.Ink);
        }
        foreach (var tick in _y.Ticks)
            _image.FillRectangle(HorizontalLine(Snap(_y.ToPixel(tick), _plot.Top, _plot.Bottom), _plot.Left - _style.TickLength, _plot.Left), ChartStyle.Ink);
    }

    private void DrawText()
    {
        _mask.Clip = new PixelRect(0, 0, _image.Width, _image.Height);
        double tickUnit = _style.TickUnit, tickHeight = BitmapFont.CapHeight * tickUnit, half = _style.FrameWidth / 2.0;
        var xLabelsTop = _plot.Bottom + _style.TickLength + _style.Gap;
        for (var i = 0; i < _x.Ticks.Count; i++)
        {
            var centre = Snap(_x.ToPixel(_x.Ticks[i]), _plot.Left, _plot.Right) + half;
            BitmapFont.Draw(_mask, _x.Labels[i], new PixelPoint(centre, xLabelsTop), tickUnit, TextAlign.Center);
        }
        var yLabelsRight = _plot.Left - _style.TickLength - _style.Gap;
        for (var i = 0; i < _y.Ticks.Count; i++)
        {
            var centre = Snap(_y.ToPixel(_y.Ticks[i]), _plot.Top, _plot.Bottom) + half;
            BitmapFont.Draw(_mask, _y.Labels[i], new PixelPoint(yLabelsRight, centre - tickHeight / 2), tickUnit, TextAlign.Right);
        }
        var middleX = (_plot.Left + _plot.Right) / 2.0;
        var xLabelTop = xLabelsTop + tickHeight + _style.Gap;
        BitmapFont.Draw(_mask, _chart.XLabel, new PixelPoint(middleX, xLabelTop), _style.LabelUnit, TextAlign.Center);
        BitmapFont.Draw(_mask, _chart.YLabel, new PixelPoint(_style.Pad, (_plot.Top + _plot.Bottom) / 2.0), _style.LabelUnit, TextAlign.Center, rotated: true);
        BitmapFont.Draw(_mask, _chart.Title, new PixelPoint(middleX, _style.Pad), _style.TitleUnit, TextAlign.Center);
        _image.Paint(_mask, ChartStyle.Ink);
    }

    /// <summary>The first pixel of a frame-wide line centred on <paramref name="position"/>, kept inside [low, high).</summary>
    private int Snap(double position, int low, int high) =>
        Math.Clamp((int)Math.Floor(position - _style.FrameWidth / 2.0 + 0.5), low, high - _style.FrameWidth);

    private PixelRect VerticalLine(int x, int top, int bottom) => new(x, top, x + _style.FrameWidth, bottom);

    private PixelRect HorizontalLine(int y, int left, int right) => new(left, y, right, y + _style.FrameWidth);
}
