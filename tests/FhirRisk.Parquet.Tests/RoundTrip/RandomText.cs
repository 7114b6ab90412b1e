using System.Text;

namespace FhirRisk.Parquet.Tests.RoundTrip;

/// <summary>
/// Random well-formed UTF-16 text. Pieces are appended whole, so surrogate pairs are never split (a lone surrogate cannot
/// survive UTF-8, which Parquet's STRING logical type requires).
/// </summary>
internal static class RandomText
{
    private static readonly string[] Pieces =
    [
        "a", "Z", "0", " ", "-", "/", "é", "ß", "Ω", "中", "文", "\u0301", "\0", "\t", "\n", "\"", "\\",
        "\uFEFF", "\uFFFD", "\uFFFF", "\uE000", "😀", "🏥", "𝔘", "\U0010FFFF",
    ];

    /// <summary>A string of about <paramref name="length"/> UTF-16 code units (one more when it ends on a surrogate pair).</summary>
    public static string Next(Random random, int length)
    {
        var builder = new StringBuilder(length + 1);
        while (builder.Length < length)
        {
            // Mostly ASCII, like real codes, with enough non-ASCII to exercise multi-byte UTF-8.
            builder.Append(random.Next(3) == 0 ? Pieces[random.Next(Pieces.Length)] : (char)random.Next('a', 'z' + 1));
        }
        return builder.ToString();
    }
}
