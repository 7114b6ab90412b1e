namespace FhirRisk.Core.Plotting;

/// <summary>
/// Sizes and colours of a chart, in pixels for an image of the given size: everything scales with the image, so an
/// 800×500 chart and a 1600×1000 one look alike. The proportions follow matplotlib's defaults (2 px lines, 5 %
/// margins, outward ticks) with a light grid added for reading values off the plot.
/// </summary>
internal sealed record ChartStyle(double Scale)
{
    /// <summary>Series colours in order: Okabe &amp; Ito's colour-blind-safe palette (yellow left out: unreadable on
    /// white), cycled when there are more series.</summary>
    public static readonly Rgba[] Palette =
    [
        Rgba.FromHex("#0072B2"), // blue
        Rgba.FromHex("#D55E00"), // vermillion
        Rgba.FromHex("#009E73"), // bluish green
        Rgba.FromHex("#CC79A7"), // reddish purple
        Rgba.FromHex("#E69F00"), // orange
        Rgba.FromHex("#56B4E9"), // sky blue
        Rgba.FromHex("#000000"), // black
    ];

    public static readonly Rgba Ink = Rgba.FromHex("#262626");
    public static readonly Rgba Grid = Rgba.FromHex("#E5E5E5");
    public static readonly Rgba ReferenceLine = Rgba.FromHex("#808080");
    public static readonly Rgba LegendBorder = Rgba.FromHex("#CCCCCC");
    public static readonly Rgba LegendFill = Rgba.White.WithOpacity(0.85);

    public const double BandOpacity = 0.2;

    /// <summary>The scale of an image, relative to 800×500.</summary>
    public static ChartStyle For(int width, int height) => new(Math.Clamp(Math.Min(width / 800.0, height / 500.0), 0.5, 4));

    /// <summary>Text shrinks with small images only down to where the 5×9 glyphs stay legible.</summary>
    private double TextScale => Math.Max(Scale, 2.0 / 3);

    /// <summary>Tick labels and legend text: capitals 10.5 px tall at 800×500, never under 7 px.</summary>
    public double TickUnit => 1.5 * TextScale;

    public double LabelUnit => 1.75 * TextScale;

    public double TitleUnit => 2.0 * TextScale;

    public double Pad => 12 * Scale;

    public double Gap => 6 * Scale;

    public int TickLength => (int)Math.Round(5 * Scale);

    public int FrameWidth => Math.Max(1, (int)Math.Round(Scale));

    public double LineWidth => 2 * Scale;

    public double ReferenceLineWidth => 1.5 * Scale;

    public (double On, double Off) Dash => (6 * Scale, 4 * Scale);

    public double MarkerRadius => 3.5 * Scale;

    /// <summary>Fewest pixels between two tick labels' positions.</summary>
    public double MinXTickSpacing => 80 * Scale;

    public double MinYTickSpacing => 50 * Scale;

    public static Rgba SeriesColor(int index) => Palette[index % Palette.Length];
}
