using System.CommandLine;

namespace FhirRisk.Cli.Commands;

/// <summary><c>fhirrisk meds …</c>: verbs over MEDS dataset folders.</summary>
internal static class MedsCommand
{
    public static Command Create() => new("meds", "Inspect and validate MEDS datasets (data/<split>/<n>.parquet + metadata/).")
    {
        MedsInspectCommand.Create(),
        MedsValidateCommand.Create(),
    };

    /// <summary>The <c>&lt;dir&gt;</c> argument: an existing dataset folder (else a usage error).</summary>
    public static Argument<DirectoryInfo> DatasetArgument()
    {
        var argument = new Argument<DirectoryInfo>("dir") { Description = "The MEDS dataset folder (holds data/ and metadata/)." };
        return argument.AcceptExistingOnly();
    }
}
