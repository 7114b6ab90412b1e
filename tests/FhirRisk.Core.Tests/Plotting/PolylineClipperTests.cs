using FhirRisk.Core.Plotting;

namespace FhirRisk.Core.Tests.Plotting;

public sealed class PolylineClipperTests
{
    [Fact]
    public void Clip_Inside_IsUnchanged()
    {
        PixelPoint[] line = [new(1, 1), new(5, 5), new(9, 2)];

        var pieces = PolylineClipper.Clip(line, 0, 0, 10, 10);

        Assert.Equal(line, Assert.Single(pieces));
    }

    [Fact]
    public void Clip_LeavesAndReenters_GivesTwoPiecesCutAtTheEdge()
    {
        PixelPoint[] line = [new(5, 5), new(15, 5), new(15, 8), new(5, 8)];

        var pieces = PolylineClipper.Clip(line, 0, 0, 10, 10);

        Assert.Equal(2, pieces.Count);
        Assert.Equal([new(5, 5), new(10, 5)], pieces[0]);
        Assert.Equal([new(10, 8), new(5, 8)], pieces[1]);
    }

    [Fact]
    public void Clip_HugeCoordinates_KeepsOnlyTheVisibleStretch()
    {
        PixelPoint[] line = [new(-1e7, 5), new(1e7, 5)];

        var piece = Assert.Single(PolylineClipper.Clip(line, 0, 0, 10, 10));

        Assert.Equal(2, piece.Length);
        Assert.Equal(0, piece[0].X, 6);
        Assert.Equal(10, piece[1].X, 6);
        Assert.All(piece, p => Assert.Equal(5, p.Y));
    }

    [Fact]
    public void Clip_Outside_IsEmpty()
    {
        Assert.Empty(PolylineClipper.Clip([new(-5, -5), new(-1, 20)], 0, 0, 10, 10));
        Assert.Empty(PolylineClipper.Clip([new(20, 5), new(30, 5)], 0, 0, 10, 10));
    }
}
