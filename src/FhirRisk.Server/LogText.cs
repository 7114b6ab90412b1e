using System.Globalization;
using System.Text;

namespace FhirRisk.Server;

/// <summary>
/// Text a caller chose, made fit for one log line (STYLE 8; review phi.md #8): control and format characters (newlines,
/// U+2028, bidirectional overrides) become <c>\uXXXX</c>, so a value cannot start a forged line in a plain-text sink or
/// reorder what a reader sees, and the length is capped, so a caller cannot copy a payload into the log.
/// </summary>
internal static class LogText
{
    /// <summary>The default cap, in UTF-16 code units: enough for a hook name, a path or a reason.</summary>
    public const int DefaultMaxLength = 200;

    public static string Of(string? text, int maxLength = DefaultMaxLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLength);
        if (string.IsNullOrEmpty(text))
            return "";
        var kept = text.Length <= maxLength ? text.Length : maxLength;
        if (kept < text.Length && char.IsHighSurrogate(text[kept - 1]))
            kept--; // never cut a surrogate pair in half
        var builder = new StringBuilder(kept + 16);
        foreach (var c in text.AsSpan(0, kept))
        {
            if (IsUnsafe(c))
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            else
                builder.Append(c);
        }
        if (kept < text.Length)
            builder.Append(CultureInfo.InvariantCulture, $"… ({text.Length} chars)");
        return builder.ToString();
    }

    private static bool IsUnsafe(char c) => char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format
        or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
}
