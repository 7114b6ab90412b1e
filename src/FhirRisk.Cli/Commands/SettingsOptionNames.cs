using System.Text.RegularExpressions;

namespace FhirRisk.Cli.Commands;

/// <summary>
/// A library settings message in the options the user typed: <c>FinetuningSettings.HeadLearningRate must lie in (0, 10)</c>
/// reads <c>--head-lr must lie in (0, 10)</c>, and a setting named bare in the message (<c>in [0, Steps]</c>) reads as its
/// option too; the exception's <c>(Parameter '…')</c> tail goes. A name inside another (<c>WarmupSteps</c>) or after
/// another type's dot (<c>GptConfig.Channels</c>) is left as it is.
/// </summary>
internal static class SettingsOptionNames
{
    public static string Apply(string message, string settingsType, IReadOnlyList<(string Setting, string Option)> options)
    {
        ArgumentNullException.ThrowIfNull(message);
        var first = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        var text = first < 0 ? message : message[..first];
        foreach (var (setting, option) in options)
            text = Regex.Replace(text, $@"(?<![\w.])({Regex.Escape(settingsType)}\.)?{setting}(?!\w)", option);
        return text;
    }
}
