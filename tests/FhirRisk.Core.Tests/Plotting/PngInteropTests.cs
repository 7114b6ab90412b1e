using System.Security.Cryptography;
using System.Text.Json;
using FhirRisk.Core.Plotting;
using FhirRisk.Testing;

namespace FhirRisk.Core.Tests.Plotting;

/// <summary>Our PNGs decoded by a peer we did not write: pngjs (tools/interop/png-decode.mjs).</summary>
public sealed class PngInteropTests
{
    [Fact]
    public void Pngjs_NoiseImage_DecodesToTheSamePixels()
    {
        const int width = 61, height = 23;
        var rgb = PngEncoderTests.NoiseImage(width, height, seed: 3);
        using var folder = new TempDirectory("fhirrisk-png");
        var path = folder.File("noise.png");
        File.WriteAllBytes(path, PngEncoder.Encode(rgb, width, height));

        var decoded = Decode(path);

        Assert.Equal(width, decoded.GetProperty("width").GetInt32());
        Assert.Equal(height, decoded.GetProperty("height").GetInt32());
        Assert.Equal(8, decoded.GetProperty("bitDepth").GetInt32());
        Assert.Equal(2, decoded.GetProperty("colorType").GetInt32());
        Assert.Equal(Sha256(rgb), decoded.GetProperty("rgbSha256").GetString());
    }

    [Fact]
    public void Pngjs_RedLine_IsRedOnTheLineAndWhiteElsewhere()
    {
        var image = new RasterImage(40, 30, Rgba.White);
        var mask = new CoverageMask(40, 30);
        mask.StrokeSegment(new PixelPoint(5, 10), new PixelPoint(35, 10), width: 2); // covers rows 9 and 10 fully
        image.Paint(mask, new Rgba(255, 0, 0));
        using var folder = new TempDirectory("fhirrisk-png");
        var path = folder.File("line.png");
        File.WriteAllBytes(path, image.EncodePng());

        var decoded = Decode(path, "20,9", "20,10", "6,9", "34,10", "20,8", "20,11", "0,0", "39,29");

        var pixels = decoded.GetProperty("pixels").EnumerateArray()
            .ToDictionary(p => (p.GetProperty("x").GetInt32(), p.GetProperty("y").GetInt32()), p => Colour(p));
        Assert.Equal((255, 0, 0), pixels[(20, 9)]);
        Assert.Equal((255, 0, 0), pixels[(20, 10)]);
        Assert.Equal((255, 0, 0), pixels[(6, 9)]);
        Assert.Equal((255, 0, 0), pixels[(34, 10)]);
        Assert.Equal((255, 255, 255), pixels[(20, 8)]);
        Assert.Equal((255, 255, 255), pixels[(20, 11)]);
        Assert.Equal((255, 255, 255), pixels[(0, 0)]);
        Assert.Equal((255, 255, 255), pixels[(39, 29)]);
        Assert.Equal(Sha256(image.Pixels.ToArray()), decoded.GetProperty("rgbSha256").GetString());
    }

    [Fact]
    public void Pngjs_Chart_DecodesToTheRasterAndShowsTheSeriesColour()
    {
        var chart = new LineChart("flat", "x", "y") { XRange = (0, 1), YRange = (0, 1) };
        chart.Add(new Series("half", [0.0, 1.0], [0.5, 0.5]));
        var raster = new LineChartRenderer(chart, 800, 500).Render();
        using var folder = new TempDirectory("fhirrisk-png");
        var path = folder.File("chart.png");
        chart.SavePng(path, 800, 500);
        var column = Enumerable.Range(0, 500).Select(y => $"400,{y}").ToArray();

        var decoded = Decode(path, column);

        Assert.Equal(Sha256(raster.Pixels.ToArray()), decoded.GetProperty("rgbSha256").GetString());
        var colours = decoded.GetProperty("pixels").EnumerateArray().Select(Colour).ToList();
        var blue = ChartStyle.Palette[0];
        var lineRows = Enumerable.Range(0, 500).Where(y => colours[y] == (blue.R, blue.G, blue.B)).ToList();
        Assert.NotEmpty(lineRows);
        Assert.InRange(lineRows.Count, 1, 2); // a 2 px line: one or two fully covered rows, next to each other
        Assert.Equal(lineRows.Count - 1, lineRows[^1] - lineRows[0]);
        Assert.Equal((255, 255, 255), colours[0]);
    }

    private static JsonElement Decode(string path, params string[] points) =>
        NodeInterop.RunJson("png-decode.mjs", [path, .. points]);

    private static (int R, int G, int B) Colour(JsonElement pixel)
    {
        var rgba = pixel.GetProperty("rgba");
        Assert.Equal(255, rgba[3].GetInt32());
        return (rgba[0].GetInt32(), rgba[1].GetInt32(), rgba[2].GetInt32());
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();
}
