using FhirRisk.Core.Plotting;

namespace FhirRisk.Core.Tests.Plotting;

public sealed class BitmapFontTests
{
    [Fact]
    public void EveryPrintableAsciiCharacter_HasInkExceptSpace()
    {
        for (var c = BitmapFont.FirstChar; c <= BitmapFont.LastChar; c++)
        {
            var mask = new CoverageMask(40, 40);
            BitmapFont.Draw(mask, c.ToString(), new PixelPoint(10, 10), 2, TextAlign.Left);
            Assert.True(c == ' ' ? mask.Dirty.Width == 0 : mask.Dirty.Width > 0, $"'{c}'");
        }
    }

    [Fact]
    public void Glyphs_AreDistinct()
    {
        var seen = new Dictionary<string, char>();
        for (var c = (char)(BitmapFont.FirstChar + 1); c <= BitmapFont.LastChar; c++)
        {
            var key = Render(c.ToString(), 1, rotated: false).Fingerprint;
            Assert.False(seen.TryGetValue(key, out var twin), $"'{c}' looks like '{twin}'");
            seen[key] = c;
        }
    }

    [Fact]
    public void MeasureUnits_IsProportional()
    {
        Assert.Equal(0, BitmapFont.MeasureUnits(""));
        Assert.Equal(5, BitmapFont.MeasureUnits("M"));
        Assert.Equal(2, BitmapFont.MeasureUnits("."));
        Assert.True(BitmapFont.MeasureUnits("ill") < BitmapFont.MeasureUnits("mmm"));
        Assert.Equal(BitmapFont.MeasureUnits("M") + 1 + BitmapFont.MeasureUnits("."), BitmapFont.MeasureUnits("M."));
    }

    [Fact]
    public void Draw_CapitalsSpanSevenUnitsAtAnySize()
    {
        foreach (var unit in new[] { 1.0, 2.0, 3.0 })
        {
            var dirty = Render("HE", unit, rotated: false).Dirty;
            Assert.Equal(BitmapFont.CapHeight * unit, dirty.Height);
            Assert.Equal(BitmapFont.MeasureUnits("HE") * unit, dirty.Width);
        }
    }

    [Theory]
    [InlineData("Left", 50)]
    [InlineData("Center", 50 - 11)]
    [InlineData("Right", 50 - 22)]
    public void Draw_AlignsOnTheAnchor(string align, int expectedLeft)
    {
        var mask = new CoverageMask(100, 40);

        BitmapFont.Draw(mask, "HE", new PixelPoint(50, 10), 2, Enum.Parse<TextAlign>(align)); // 11 units = 22 px wide

        Assert.Equal(expectedLeft, mask.Dirty.Left);
        Assert.Equal(10, mask.Dirty.Top);
    }

    [Fact]
    public void Draw_Rotated_IsTheUprightTextTurnedAnticlockwise()
    {
        var upright = Render("Rate", 2, rotated: false);
        var rotated = Render("Rate", 2, rotated: true);

        Assert.Equal(upright.Dirty.Width, rotated.Dirty.Height);
        Assert.Equal(upright.Dirty.Height, rotated.Dirty.Width);
        for (var v = 0; v < upright.Dirty.Height; v++)
        {
            for (var u = 0; u < upright.Dirty.Width; u++)
            {
                // Upright (u right, v down) maps to rotated (v right, u up).
                Assert.Equal(upright.Mask[upright.Dirty.Left + u, upright.Dirty.Top + v],
                    rotated.Mask[rotated.Dirty.Left + v, rotated.Dirty.Bottom - 1 - u]);
            }
        }
    }

    [Fact]
    public void Draw_AnAccentedLetter_DrawsTheLetter() =>
        Assert.Equal(Render("mortalite", 2, rotated: false).Fingerprint, Render("mortalité", 2, rotated: false).Fingerprint);

    [Fact]
    public void Draw_CharactersWithoutAGlyph_DrawQuestionMarksAndAHashThatKeepsTwoNamesApart()
    {
        // Review s22 evaluate L5: two task names in a script the font lacks read "??" alike in a legend.
        var (death, admission) = (BitmapFont.Displayable("死亡"), BitmapFont.Displayable("入院"));

        Assert.Matches("^\\?\\? #[0-9a-f]{4}$", death);
        Assert.NotEqual(death, admission);
        Assert.Equal(Render(death, 2, rotated: false).Fingerprint, Render("死亡", 2, rotated: false).Fingerprint);
        Assert.Equal("a?b", BitmapFont.Displayable("a?b")); // a question mark of the text's own is not one
    }

    private static (CoverageMask Mask, PixelRect Dirty, string Fingerprint) Render(string text, double unit, bool rotated)
    {
        var mask = new CoverageMask(200, 200);
        BitmapFont.Draw(mask, text, new PixelPoint(20, 100), unit, TextAlign.Left, rotated);
        var dirty = mask.Dirty;
        var fingerprint = string.Join(",", from y in Enumerable.Range(dirty.Top, dirty.Height)
                                           from x in Enumerable.Range(dirty.Left, dirty.Width)
                                           select mask[x, y].ToString("0.00", System.Globalization.CultureInfo.InvariantCulture));
        return (mask, dirty, $"{dirty.Width}x{dirty.Height}:{fingerprint}");
    }
}
