using FhirRisk.Core.Plotting;

namespace FhirRisk.Core.Tests.Plotting;

public sealed class CoverageMaskTests
{
    [Fact]
    public void StrokeSegment_HorizontalOnPixelBoundary_CoversTwoRowsExactly()
    {
        var mask = new CoverageMask(40, 20);

        mask.StrokeSegment(new PixelPoint(5, 10), new PixelPoint(35, 10), width: 2);

        for (var x = 6; x < 34; x++)
        {
            Assert.Equal(1f, mask[x, 9]);
            Assert.Equal(1f, mask[x, 10]);
            Assert.Equal(0f, mask[x, 8]);
            Assert.Equal(0f, mask[x, 11]);
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    [InlineData(1.1)]
    public void StrokeSegment_AnyAngle_TotalCoverageIsAboutLengthTimesWidth(double angle)
    {
        var mask = new CoverageMask(200, 200);
        var (length, width) = (120.0, 3.0);
        var a = new PixelPoint(40.3, 30.7);
        var b = new PixelPoint(a.X + length * Math.Cos(angle), a.Y + length * Math.Sin(angle));

        mask.StrokeSegment(a, b, width);

        // A capsule: the rectangle plus two half-discs of the round caps.
        var expected = length * width + Math.PI * width * width / 4;
        Assert.InRange(Total(mask), expected * 0.98, expected * 1.02);
    }

    [Fact]
    public void FillCircle_TotalCoverageIsAboutTheDiscArea()
    {
        var mask = new CoverageMask(50, 50);

        mask.FillCircle(new PixelPoint(20.2, 25.6), 8);

        Assert.InRange(Total(mask), Math.PI * 64 * 0.98, Math.PI * 64 * 1.02);
        Assert.Equal(1f, mask[20, 25]);
        Assert.Equal(0f, mask[0, 0]);
    }

    [Fact]
    public void FillPolygon_PixelAlignedSquare_IsExactlyOneInsideZeroOutside()
    {
        var mask = new CoverageMask(20, 20);

        mask.FillPolygon([new(4, 5), new(12, 5), new(12, 9), new(4, 9)]);

        for (var y = 0; y < 20; y++)
        {
            for (var x = 0; x < 20; x++)
                Assert.Equal(x is >= 4 and < 12 && y is >= 5 and < 9 ? 1f : 0f, mask[x, y]);
        }
    }

    [Fact]
    public void FillPolygon_Triangle_TotalCoverageIsItsArea()
    {
        var mask = new CoverageMask(100, 100);

        mask.FillPolygon([new(10.3, 80.1), new(90.7, 75.5), new(40.2, 12.9)]);

        var area = Math.Abs((90.7 - 10.3) * (12.9 - 80.1) - (40.2 - 10.3) * (75.5 - 80.1)) / 2;
        Assert.InRange(Total(mask), area * 0.995, area * 1.005);
    }

    [Fact]
    public void FillPolygon_SelfOverlappingWithSameWinding_FillsTheOverlapOnce()
    {
        var mask = new CoverageMask(30, 30);

        // Two squares traced in one polygon, both clockwise: non-zero winding fills their union, never above 1.
        mask.FillPolygon([new(2, 2), new(12, 2), new(12, 12), new(2, 12), new(2, 2), new(7, 7), new(17, 7), new(17, 17), new(7, 17), new(7, 7)]);

        Assert.Equal(175.0, Total(mask), precision: 3);
        Assert.Equal(1f, mask[9, 9]);
    }

    [Fact]
    public void Clip_NothingIsCoveredOutsideIt()
    {
        var mask = new CoverageMask(50, 50) { Clip = new PixelRect(10, 10, 40, 40) };

        mask.StrokeSegment(new PixelPoint(0, 0), new PixelPoint(50, 50), 4);
        mask.FillCircle(new PixelPoint(10, 25), 6);
        mask.FillPolygon([new(-5, 30), new(60, 30), new(60, 60), new(-5, 60)]);

        var dirty = mask.Dirty;
        Assert.True(dirty.Left >= 10 && dirty.Top >= 10 && dirty.Right <= 40 && dirty.Bottom <= 40, dirty.ToString());
        Assert.Equal(1f, mask[25, 35]);
    }

    [Fact]
    public void StrokePolyline_Dashed_AlternatesAcrossTheJoint()
    {
        var mask = new CoverageMask(100, 20);

        // The joint at x = 50 falls inside a dash; the pattern (6 on, 4 off) must run on across it.
        mask.StrokePolyline([new(5, 10), new(50, 10), new(95, 10)], width: 2, dash: (6, 4));

        var row = Enumerable.Range(0, 100).Select(x => mask[x, 9] > 0.5f).ToArray();
        var dashes = Enumerable.Range(1, 99).Count(x => row[x] && !row[x - 1]);
        Assert.Equal(9, dashes); // 90 px of 10 px periods
        Assert.False(row[5 + 6 + 2]); // first gap
        Assert.True(row[5 + 10 + 3]); // second dash
    }

    [Fact]
    public void AddRectangle_AddsExactAreaPerPixel()
    {
        var mask = new CoverageMask(10, 10);

        mask.AddRectangle(1.5, 2.25, 3.0, 3.0);
        mask.AddRectangle(1.0, 2.0, 2.0, 2.5); // overlaps pixel (1, 2)

        Assert.Equal(0.375f + 0.5f, mask[1, 2]);
        Assert.Equal(0.75f, mask[2, 2]);
        Assert.Equal(0f, mask[3, 2]);
    }

    [Fact]
    public void Paint_BlendsByCoverageAndClearsTheMask()
    {
        var image = new RasterImage(4, 4, Rgba.White);
        var mask = new CoverageMask(4, 4);
        mask.AddRectangle(1, 1, 2, 2);
        mask.AddRectangle(2, 1, 3, 1.5);

        image.Paint(mask, new Rgba(0, 0, 255));

        Assert.Equal(new Rgba(0, 0, 255), image[1, 1]);
        Assert.Equal(new Rgba(128, 128, 255), image[2, 1]); // 255 + (0 − 255) · 0.5 = 127.5, rounded to even
        Assert.Equal(Rgba.White, image[0, 0]);
        Assert.Equal(0f, mask[1, 1]);
        Assert.Equal(0, mask.Dirty.Width);
    }

    private static double Total(CoverageMask mask)
    {
        var total = 0.0;
        for (var y = 0; y < mask.Height; y++)
        {
            for (var x = 0; x < mask.Width; x++)
                total += mask[x, y];
        }
        return total;
    }
}
