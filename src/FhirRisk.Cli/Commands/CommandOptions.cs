using System.CommandLine;
using System.Globalization;

namespace FhirRisk.Cli.Commands;

/// <summary>Option shapes several verbs share.</summary>
internal static class CommandOptions
{
    /// <summary>
    /// An integer option of at least <paramref name="minimum"/>. Parsing and the range check happen in one custom parser,
    /// so a non-number is a usage error like any other rather than an exception inside a validator.
    /// </summary>
    public static Option<int> IntAtLeast(string name, int minimum, int defaultValue, string description) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= minimum)
                return value;
            result.AddError($"{name} must be an integer of at least {minimum.ToString(CultureInfo.InvariantCulture)} (got '{text}').");
            return defaultValue;
        },
    };

    /// <summary><c>--created-at</c>: a fixed creation time (ISO 8601) for what a verb stamps with the clock, for byte-identical re-runs.</summary>
    public static Option<DateTimeOffset?> CreatedAt(string description) => new("--created-at")
    {
        Description = description,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value))
                return value;
            result.AddError($"--created-at must be an ISO 8601 date and time, such as 2025-01-01T00:00:00Z (got '{text}').");
            return null;
        },
    };
}
