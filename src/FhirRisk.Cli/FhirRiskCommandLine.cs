using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using FhirRisk.Cli.Commands;

namespace FhirRisk.Cli;

/// <summary>
/// The <c>fhirrisk</c> command tree and how it runs. New verbs (ingest, tokenize, train, …) add one
/// <c>Commands/*Command.cs</c> file and one line in <see cref="CreateRootCommand"/>.
/// </summary>
internal static class FhirRiskCommandLine
{
    public static RootCommand CreateRootCommand() => new("FhirRisk offline tool: MEDS datasets, tokenization, training and evaluation.")
    {
        // Help shows "fhirrisk", not the host's name (testhost, dotnet) when run in-process or via `dotnet fhirrisk.dll`.
        HelpName = "fhirrisk",
        Subcommands =
        {
            MedsCommand.Create(), IngestCommand.Create(), LabelsCommand.Create(), SimulateCommand.Create(), TokenizeCommand.Create(),
            TrainCommand.Create(), FinetuneCommand.Create(), ProbeCommand.Create(), EvaluateCommand.Create(), GenerateCommand.Create(), PredictCommand.Create(),
            DemoModelCommand.Create(), CalibrateRolloutsCommand.Create(),
        },
    };

    /// <summary>
    /// Parses and runs <paramref name="args"/> with the given streams (tests pass <see cref="StringWriter"/>s). Usage
    /// errors go to <paramref name="error"/> with a hint and exit with <see cref="ExitCodes.UsageError"/>.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var parsed = CreateRootCommand().Parse(args);
        if (parsed.Action is ParseErrorAction)
        {
            foreach (var parseError in parsed.Errors)
                await error.WriteLineAsync($"error: {parseError.Message}");
            await error.WriteLineAsync($"hint: run '{CommandPath(parsed)} --help' for usage.");
            return ExitCodes.UsageError;
        }
        // Ctrl-C cancels the token; training verbs then save a checkpoint before exiting, which takes longer
        // than the library's default grace period of two seconds.
        var configuration = new InvocationConfiguration
        {
            Output = output, Error = error, ProcessTerminationTimeout = TimeSpan.FromSeconds(30), EnableDefaultExceptionHandler = false,
        };
        try
        {
            return await parsed.InvokeAsync(configuration, cancellationToken);
        }
        // Ctrl-C cancels the library's own token (linked to cancellationToken), which the verb's exception carries.
        catch (OperationCanceledException e) when (e.CancellationToken.IsCancellationRequested || cancellationToken.IsCancellationRequested)
        {
            // A verb without its own Ctrl-C handling (evaluate, probe, tokenize…) stopped where it was: say so, with the
            // shell's code, rather than exit 1 in silence.
            await error.WriteLineAsync($"interrupted: '{CommandPath(parsed)}' stopped on Ctrl-C before it finished; run it again to complete it.");
            return ExitCodes.Interrupted;
        }
        catch (Exception e)
        {
            // What the library's default handler did: the exception on stderr, exit 1 (every expected error is caught by
            // its verb and worded there).
            await error.WriteLineAsync($"Unhandled exception: {e}");
            return ExitCodes.Failure;
        }
    }

    /// <summary><c>fhirrisk meds inspect</c> for the command the user reached (the root's own name is the host's exe name).</summary>
    private static string CommandPath(ParseResult parsed)
    {
        var names = new List<string>();
        for (var result = parsed.CommandResult; result.Parent is CommandResult parent; result = parent)
            names.Add(result.Command.Name);
        names.Add("fhirrisk");
        names.Reverse();
        return string.Join(' ', names);
    }
}

/// <summary>Process exit codes of every verb.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The command ran and found a problem (invalid dataset, unreadable file).</summary>
    public const int Failure = 1;

    /// <summary>The command line itself is wrong (unknown verb, missing argument, folder not found).</summary>
    public const int UsageError = 2;

    /// <summary>128 + SIGINT: the command stopped on Ctrl-C (the shell's code).</summary>
    public const int Interrupted = 130;
}
