namespace FhirRisk.Core.Plotting;

/// <summary>
/// Scale2x (Andrea Mazzoleni's EPX variant): doubles a bitmap, and where two edge neighbours of a pixel agree
/// with each other but not with the opposite pair, the sub-pixel between them takes their value. A diagonal
/// stroke's staircase becomes a slope while horizontal and vertical strokes keep their width.
/// </summary>
internal static class Scale2x
{
    public static bool[,] Apply(bool[,] source)
    {
        int height = source.GetLength(0), width = source.GetLength(1);
        var result = new bool[height * 2, width * 2];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var p = source[y, x];
                bool up = At(source, y - 1, x), down = At(source, y + 1, x);
                bool left = At(source, y, x - 1), right = At(source, y, x + 1);
                var changes = up != down && left != right;
                result[2 * y, 2 * x] = changes && left == up ? up : p;
                result[2 * y, 2 * x + 1] = changes && up == right ? right : p;
                result[2 * y + 1, 2 * x] = changes && down == left ? left : p;
                result[2 * y + 1, 2 * x + 1] = changes && right == down ? down : p;
            }
        }
        return result;
    }

    private static bool At(bool[,] source, int y, int x) =>
        y >= 0 && y < source.GetLength(0) && x >= 0 && x < source.GetLength(1) && source[y, x];
}
