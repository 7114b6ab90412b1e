namespace FhirRisk.Core.Plotting;

/// <summary>
/// A line chart rendered to PNG without any plotting library: title, axis labels, 1-2-5 ticks, optional log x,
/// several series in a colour-blind-safe palette, confidence bands, markers, a legend placed where it hides the
/// least data, and dashed reference lines (the y = x diagonal of ROC and calibration plots, horizontal chance
/// levels). Ranges not set are fitted to the data with a 5 % margin. Rendering is deterministic: the same chart
/// gives the same bytes.
/// </summary>
/// <remarks>
/// Bad data never throws: non-finite points (and x ≤ 0 on a log axis) leave gaps, empty series only appear in the
/// legend, a chart with no usable data shows empty axes over [0, 1], and data outside a fixed range is clipped.
/// </remarks>
public sealed class LineChart
{
    private readonly List<Series> _series = [];
    private readonly List<double> _horizontalLines = [];
    private (double Min, double Max)? _xRange, _yRange;

    public LineChart(string title, string xLabel, string yLabel)
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(xLabel);
        ArgumentNullException.ThrowIfNull(yLabel);
        (Title, XLabel, YLabel) = (title, xLabel, yLabel);
    }

    /// <summary>Centred above the plot; empty leaves the space to the plot.</summary>
    public string Title { get; }

    /// <summary>Centred below the x tick labels.</summary>
    public string XLabel { get; }

    /// <summary>Left of the y tick labels, reading upward.</summary>
    public string YLabel { get; }

    /// <summary>The x range shown, exactly (no margin); null fits the data. Positive on a log axis.</summary>
    public (double Min, double Max)? XRange
    {
        get => _xRange;
        set => _xRange = Checked(value, nameof(XRange));
    }

    /// <summary>The y range shown, exactly (no margin); null fits the data, bands and horizontal lines.</summary>
    public (double Min, double Max)? YRange
    {
        get => _yRange;
        set => _yRange = Checked(value, nameof(YRange));
    }

    /// <summary>A log10 x axis (k-shot curves, learning rates).</summary>
    public bool LogX { get; set; }

    /// <summary>Where to put x ticks (e.g. k = 1, 2, 4, … 128); null chooses 1-2-5 or decade ticks.</summary>
    public IReadOnlyList<double>? XTicks { get; set; }

    /// <summary>Where to put y ticks; null chooses 1-2-5 ticks.</summary>
    public IReadOnlyList<double>? YTicks { get; set; }

    /// <summary>The series in the order added (which is also their palette and legend order).</summary>
    public IReadOnlyList<Series> Series => _series;

    /// <summary>Whether <see cref="AddDiagonal"/> was called.</summary>
    public bool HasDiagonal { get; private set; }

    /// <summary>Heights given to <see cref="AddHorizontalLine"/>.</summary>
    public IReadOnlyList<double> HorizontalLines => _horizontalLines;

    /// <summary>Adds a series; it takes the next palette colour unless it names one (<see cref="Plotting.Series.PaletteIndex"/>).</summary>
    /// <exception cref="ArgumentException">The band is half set or its length differs from the points'.</exception>
    public void Add(Series series)
    {
        ArgumentNullException.ThrowIfNull(series);
        series.Validate();
        _series.Add(series);
    }

    /// <summary>Draws the y = x reference line (ROC chance, perfect calibration) as a grey dashed line.</summary>
    public void AddDiagonal() => HasDiagonal = true;

    /// <summary>Draws a grey dashed line at height <paramref name="y"/> (chance AUROC, prevalence on a PR curve).</summary>
    public void AddHorizontalLine(double y)
    {
        if (!double.IsFinite(y))
            throw new ArgumentOutOfRangeException(nameof(y), y, "A reference line needs a finite height.");
        _horizontalLines.Add(y);
    }

    /// <summary>The chart as PNG bytes (8-bit RGB).</summary>
    public byte[] EncodePng(int width = 800, int height = 500)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 200);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 150);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, 8000);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(height, 8000);
        if (LogX && XRange is { Min: <= 0 })
            throw new InvalidOperationException($"A log x axis needs a positive XRange, got [{XRange.Value.Min}, {XRange.Value.Max}].");
        return new LineChartRenderer(this, width, height).Render().EncodePng();
    }

    /// <summary>Writes the chart as a PNG file (the folder must exist).</summary>
    public void SavePng(string path, int width = 800, int height = 500)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        DurableFiles.WriteAllBytes(path, EncodePng(width, height)); // whole or not at all: never a cut PNG
    }

    private static (double Min, double Max)? Checked((double Min, double Max)? range, string name)
    {
        if (range is { } r && !(double.IsFinite(r.Min) && double.IsFinite(r.Max) && r.Min < r.Max && double.IsFinite(r.Max - r.Min)))
            throw new ArgumentOutOfRangeException(name, r, "A range needs finite bounds with Min < Max.");
        return range;
    }
}
