using Spectre.Console;

namespace FhirRisk.Cli;

/// <summary>Console plumbing shared by the verbs: Spectre consoles over any writer, and error reporting.</summary>
internal static class CommandOutput
{
    /// <summary>
    /// A Spectre console writing to <paramref name="writer"/>: colors only on a real terminal, and a fixed 120-column
    /// width otherwise so that redirected output and tests see whole table rows.
    /// </summary>
    public static IAnsiConsole ConsoleFor(TextWriter writer)
    {
        var terminal = ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!terminal)
            console.Profile.Width = 120;
        return console;
    }

    /// <summary>Writes <c>error: …</c> and <c>hint: …</c> to <paramref name="error"/> and returns <paramref name="exitCode"/>.
    /// A message that carries its own <c>" Hint: …"</c> (the libraries' exceptions do) gives that hint, the more specific
    /// one, in place of <paramref name="hint"/>: one hint line, never two.</summary>
    public static int Fail(TextWriter error, string message, string hint, int exitCode = ExitCodes.Failure)
    {
        var own = message.IndexOf(EmbeddedHint, StringComparison.Ordinal);
        if (own >= 0)
            (message, hint) = (message[..own], message[(own + EmbeddedHint.Length)..]);
        error.WriteLine($"error: {message}");
        error.WriteLine($"hint: {hint}");
        return exitCode;
    }

    private const string EmbeddedHint = " Hint: ";
}
