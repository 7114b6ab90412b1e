namespace FhirRisk.Core.Plotting;

/// <summary>How text sits on its anchor along the direction it reads.</summary>
internal enum TextAlign
{
    Left,
    Center,
    Right,
}

/// <summary>
/// Draws text with the 5×9 glyphs of <see cref="BitmapFontGlyphs"/> at any size. Each glyph is enlarged 4× with
/// two passes of Scale2x (EPX), which turns staircase diagonals into smooth slopes, and its cells are splatted
/// onto a <see cref="CoverageMask"/> by exact area, which anti-aliases at fractional sizes. Spacing is
/// proportional: a glyph advances by its inked width plus one cell. Sizes are given as <c>unit</c>, the pixel size
/// of one design cell, so the capital height is 7 units.
/// </summary>
internal static class BitmapFont
{
    public const int CapHeight = 7;
    public const int Descent = 2;
    public const char FirstChar = ' ', LastChar = '~';

    private const int GlyphWidth = 5, GlyphHeight = 9, BandSize = 16, Detail = 4;
    private const int SpaceAdvance = 3;

    private static readonly Glyph[] Glyphs = Parse(BitmapFontGlyphs.Bands);

    /// <summary>
    /// <paramref name="text"/> in the glyphs the font has: Latin letters with accents as their base letters ("mortalité"
    /// reads "mortalite"), and what still has no glyph drawn as '?' followed by a short hash of the whole text, so that
    /// two names in a script the font lacks stay apart in a legend (review s22 evaluate L5: "死亡" and "入院" both read
    /// "??"). The folding is a table: the build runs with invariant globalization, whose Normalize leaves non-ASCII text
    /// as it is.
    /// </summary>
    public static string Displayable(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.All(c => c is >= FirstChar and <= LastChar))
            return text;
        var shown = new System.Text.StringBuilder(text.Length);
        foreach (var c in text)
        {
            var accented = Accented.IndexOf(c, StringComparison.Ordinal);
            shown.Append(c is >= FirstChar and <= LastChar ? c : accented >= 0 ? Plain[accented] : '?');
        }
        var folded = shown.ToString();
        return folded.Count(c => c == '?') > text.Count(c => c == '?')
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{folded} #{StableHash.Of63(text) & 0xFFFF:x4}")
            : folded;
    }

    private const string Accented = "ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖØòóôõöøÙÚÛÜùúûüÝýÿŠšŽžŁłŚśŹźŻżĆćŃńĘęĄąŐőŰűČčŘřĚěŮů";
    private const string Plain = "AAAAAAaaaaaaCcEEEEeeeeIIIIiiiiNnOOOOOOooooooUUUUuuuuYyySsZzLlSsZzZzCcNnEeAaOoUuCcRrEeUu";

    /// <summary>The advance of <paramref name="text"/> in design units (multiply by the unit for pixels).</summary>
    public static int MeasureUnits(string text) => Measure(Displayable(text));

    // The advance of text already in the font's glyphs.
    private static int Measure(string text)
    {
        var width = 0;
        foreach (var c in text)
            width += GlyphFor(c).Advance;
        return Math.Max(0, width - 1); // no spacing after the last glyph
    }

    /// <summary>
    /// Covers the pixels of <paramref name="text"/>. Upright text: <paramref name="anchor"/> is on the capital top
    /// line, placed left, centre or right by <paramref name="align"/>. Rotated text reads bottom to top (90°
    /// anticlockwise, as a y-axis label): the anchor is on the line the capital tops face (the left side), and
    /// alignment runs along the text upward.
    /// </summary>
    public static void Draw(CoverageMask mask, string text, PixelPoint anchor, double unit, TextAlign align, bool rotated = false)
    {
        text = Displayable(text);
        var shift = align switch
        {
            TextAlign.Left => 0.0,
            TextAlign.Center => Measure(text) / 2.0,
            _ => Measure(text),
        };
        var cell = unit / Detail;
        var pen = -shift;
        foreach (var c in text)
        {
            var glyph = GlyphFor(c);
            foreach (var (column, row) in glyph.Cells)
            {
                var u = pen * unit + (column - glyph.InkLeft * Detail) * cell; // along the text
                var v = row * cell;                                           // down the glyph
                if (rotated)
                    mask.AddRectangle(anchor.X + v, anchor.Y - u - cell, anchor.X + v + cell, anchor.Y - u);
                else
                    mask.AddRectangle(anchor.X + u, anchor.Y + v, anchor.X + u + cell, anchor.Y + v + cell);
            }
            pen += glyph.Advance;
        }
    }

    private static Glyph GlyphFor(char c) => Glyphs[(c is >= FirstChar and <= LastChar ? c : '?') - FirstChar];

    private static Glyph[] Parse(string bands)
    {
        var lines = bands.Split('\n');
        var glyphs = new Glyph[LastChar - FirstChar + 1];
        for (var index = 0; index < glyphs.Length; index++)
        {
            var band = index / BandSize;
            var column = index % BandSize * (GlyphWidth + 1);
            var header = lines[band * (GlyphHeight + 1)];
            if (header[column + 2] != (char)(FirstChar + index))
                throw new InvalidOperationException($"Font data: glyph {index} is not '{(char)(FirstChar + index)}'.");
            var ink = new bool[GlyphHeight, GlyphWidth];
            for (var row = 0; row < GlyphHeight; row++)
            {
                var line = lines[band * (GlyphHeight + 1) + 1 + row];
                for (var x = 0; x < GlyphWidth; x++)
                    ink[row, x] = line[column + x] == '#';
            }
            glyphs[index] = Glyph.From(ink);
        }
        return glyphs;
    }

    /// <summary>One glyph: its ink cells at <see cref="Detail"/>× resolution, and its horizontal metrics in units.</summary>
    private sealed record Glyph((int Column, int Row)[] Cells, int InkLeft, int Advance)
    {
        public static Glyph From(bool[,] ink)
        {
            int left = GlyphWidth, right = -1;
            for (var row = 0; row < GlyphHeight; row++)
            {
                for (var x = 0; x < GlyphWidth; x++)
                {
                    if (ink[row, x])
                        (left, right) = (Math.Min(left, x), Math.Max(right, x));
                }
            }
            if (right < 0)
                return new Glyph([], 0, SpaceAdvance);

            var detailed = Scale2x.Apply(Scale2x.Apply(ink));
            var cells = new List<(int, int)>();
            for (var row = 0; row < detailed.GetLength(0); row++)
            {
                for (var x = 0; x < detailed.GetLength(1); x++)
                {
                    if (detailed[row, x])
                        cells.Add((x, row));
                }
            }
            return new Glyph([.. cells], left, right - left + 2);
        }
    }
}
