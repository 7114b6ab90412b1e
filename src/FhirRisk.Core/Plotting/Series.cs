namespace FhirRisk.Core.Plotting;

/// <summary>How a series is drawn.</summary>
public enum SeriesStyle
{
    /// <summary>A solid line through consecutive points.</summary>
    Line,

    /// <summary>A filled circle at each point, no line.</summary>
    Markers,

    /// <summary>A solid line with a circle at each point.</summary>
    LineAndMarkers,

    /// <summary>A dashed line (a second method or a baseline beside a solid one).</summary>
    DashedLine,
}

/// <summary>How a series' line goes from one point to the next (matplotlib's <c>drawstyle</c>).</summary>
public enum SeriesSteps
{
    /// <summary>A straight segment: linear interpolation between the points.</summary>
    None,

    /// <summary>Up or down first, then across: point i + 1's y holds over (x_i, x_{i+1}] (matplotlib's "steps-pre").
    /// With x ascending, the area under the line is Σ (x_{i+1} − x_i)·y_{i+1}, which is average precision when the
    /// points are a precision–recall curve in ascending recall.</summary>
    Pre,

    /// <summary>Across first, then up or down: point i's y holds over [x_i, x_{i+1}) (matplotlib's "steps-post").</summary>
    Post,
}

/// <summary>
/// One curve of a <see cref="LineChart"/>: points (X[i], Y[i]) in order, optionally with a shaded band from
/// Lower[i] to Upper[i] (a confidence interval). A point with a non-finite coordinate (or x ≤ 0 on a log axis) is
/// a gap: the line stops before it and starts again after it, as in matplotlib; a point with no neighbour on
/// either side is drawn as a dot so that it stays visible.
/// </summary>
public sealed class Series
{
    /// <param name="name">Legend text; an empty name keeps the series out of the legend.</param>
    /// <param name="x">X values.</param>
    /// <param name="y">Y values, as many as <paramref name="x"/>.</param>
    public Series(string name, IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count)
            throw new ArgumentException($"Series '{name}': {x.Count} x values but {y.Count} y values.", nameof(y));
        Name = name;
        X = x;
        Y = y;
    }

    public string Name { get; }

    public IReadOnlyList<double> X { get; }

    public IReadOnlyList<double> Y { get; }

    public SeriesStyle Style { get; init; } = SeriesStyle.Line;

    /// <summary>Whether the line steps between points rather than joining them straight; markers and the band stay at
    /// the points.</summary>
    public SeriesSteps Steps { get; init; } = SeriesSteps.None;

    /// <summary>The palette colour to draw in; null takes the series' position in the chart. Set it to draw two series
    /// of one method in one colour (a k-shot line and its all-data level), so that a reader pairs them by colour.</summary>
    public int? PaletteIndex { get; init; }

    /// <summary>Lower edge of the band, one value per point; set together with <see cref="Upper"/>.</summary>
    public IReadOnlyList<double>? Lower { get; init; }

    /// <summary>Upper edge of the band, one value per point; set together with <see cref="Lower"/>.</summary>
    public IReadOnlyList<double>? Upper { get; init; }

    internal bool HasBand => Lower is not null && Upper is not null;

    internal bool HasLine => Style is SeriesStyle.Line or SeriesStyle.LineAndMarkers or SeriesStyle.DashedLine;

    internal bool HasMarkers => Style is SeriesStyle.Markers or SeriesStyle.LineAndMarkers;

    /// <summary>Throws when the band is half set or its length differs from the points'.</summary>
    internal void Validate()
    {
        if (PaletteIndex < 0)
            throw new ArgumentException($"Series '{Name}': a palette index is 0 or more, got {PaletteIndex}.");
        if ((Lower is null) != (Upper is null))
            throw new ArgumentException($"Series '{Name}': set both Lower and Upper for a band, or neither.");
        if (HasBand && (Lower!.Count != X.Count || Upper!.Count != X.Count))
            throw new ArgumentException(
                $"Series '{Name}': the band has {Lower!.Count} lower and {Upper!.Count} upper values for {X.Count} points.");
    }
}
