using System.CommandLine;
using System.Globalization;
using FhirRisk.Core;
using FhirRisk.Fhir;
using FhirRisk.Meds.Ingestion;
using Spectre.Console;

namespace FhirRisk.Cli.Commands;

/// <summary>
/// <c>fhirrisk ingest &lt;inputs…&gt; --out &lt;meds-dir&gt; [--omop &lt;dir&gt;] [--shards N] [--subject-key-file F] [--time-zone Z]</c> (issue 3): FHIR R4 bundles,
/// NDJSON and Bulk Data export folders → a MEDS dataset (and OMOP CDM tables). Shows a progress bar (bytes and
/// resources), then tables of resources, events, issues and quarantined resources. Issues are not failure: exit 0 when
/// any event was written, 1 when nothing could be ingested, 2 on bad arguments.
/// </summary>
internal static class IngestCommand
{
    public static Command Create()
    {
        var inputs = new Argument<string[]>("inputs")
        {
            Description = "FHIR inputs: Bundle or resource .json, .ndjson(.gz) files, or Bulk Data export folders.",
            Arity = ArgumentArity.OneOrMore,
        };
        var output = new Option<DirectoryInfo>("--out") { Description = "The MEDS dataset folder to write (must not hold a dataset).", Required = true };
        var omop = new Option<DirectoryInfo?>("--omop") { Description = "Also write OMOP CDM v5.4 tables (CSV and Parquet) to this folder." };
        var vocabulary = new Option<DirectoryInfo?>("--omop-vocabulary")
        {
            Description = "Athena vocabulary folder (CONCEPT.csv, CONCEPT_RELATIONSHIP.csv) for OMOP concept ids.",
        };
        var shards = new Option<int?>("--shards")
        {
            Description = "About how many shards the train split gets (at least 1); chosen from the number of patients when left out.",
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
                if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= 1)
                    return value;
                result.AddError($"--shards must be an integer of at least 1 (got '{text}').");
                return null;
            },
        };
        var subjectKey = new Option<FileInfo?>("--subject-key-file")
        {
            Description = "A secret key (at least 32 bytes; a trailing newline is ignored): subject and encounter ids become HMAC-SHA256 of the FHIR ids under it, so a list of MRNs cannot be hashed to find them. Without it ids are unkeyed and reproducible by anyone.",
        };
        var timeZone = new Option<TimeZoneInfo?>("--time-zone")
        {
            Description = "The site's time zone (an IANA id such as America/New_York): dates without a time are that zone's days, and times without an offset its wall clock. Default UTC. Serve the model with the same zone (Model:TimeZone).",
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
                if (SiteTimeZone.TryFind(text, out var zone))
                    return zone;
                result.AddError(SiteTimeZone.Unknown("--time-zone", text));
                return null;
            },
        };
        var createdAt = CommandOptions.CreatedAt("Fixed created_at for metadata/dataset.json (ISO 8601), for byte-identical re-runs.");
        var command = new Command("ingest", "Ingest FHIR R4 (bundles, NDJSON, Bulk Data exports) into a MEDS dataset and optionally OMOP CDM tables.")
        {
            inputs, output, omop, vocabulary, shards, subjectKey, timeZone, createdAt,
        };
        command.SetAction((parsed, cancellationToken) =>
        {
            var io = parsed.InvocationConfiguration;
            var settings = Settings(parsed.GetRequiredValue(output), parsed.GetValue(omop), parsed.GetValue(vocabulary), parsed.GetValue(shards), parsed.GetValue(createdAt));
            if (parsed.GetValue(subjectKey) is { } keyFile)
            {
                if (ReadSubjectKey(keyFile, io) is not { } key)
                    return Task.FromResult(ExitCodes.UsageError);
                settings = settings with { Mapping = settings.Mapping with { SubjectKey = key } };
            }
            if (parsed.GetValue(timeZone) is { } zone)
                settings = settings with { Reader = settings.Reader with { TimeZone = zone } };
            return Task.FromResult(Run(parsed.GetRequiredValue(inputs), settings, io, cancellationToken));
        });
        return command;
    }

    /// <summary>The key's bytes without one trailing newline, or null (the problem written to stderr) when the file cannot
    /// be read or is shorter than 32 bytes. The key itself is never printed.</summary>
    private static byte[]? ReadSubjectKey(FileInfo file, System.CommandLine.InvocationConfiguration io)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(file.FullName);
        }
        catch (Exception e) when (FileFailures.IsFileFailure(e))
        {
            CommandOutput.Fail(io.Error, $"cannot read --subject-key-file '{file.FullName}' ({e.GetType().Name}).", "pass a readable file holding the key.", ExitCodes.UsageError);
            return null;
        }
        var length = bytes.Length;
        if (length > 0 && bytes[length - 1] == (byte)'\n')
            length -= length > 1 && bytes[length - 2] == (byte)'\r' ? 2 : 1;
        if (length < Meds.FhirMapping.FhirMappingSettings.MinSubjectKeyBytes)
        {
            CommandOutput.Fail(io.Error, string.Create(CultureInfo.InvariantCulture, $"--subject-key-file holds {length} bytes; a subject key needs at least {Meds.FhirMapping.FhirMappingSettings.MinSubjectKeyBytes}."),
                "make one with 'openssl rand -hex 32 > subject.key' (chmod 600), and keep it apart from the datasets.", ExitCodes.UsageError);
            return null;
        }
        return bytes[..length];
    }

    /// <summary>The issues file written beside the dataset: one JSON object per line (code, severity, path, message).</summary>
    public const string IssuesFile = "issues.ndjson";

    private static void WriteIssues(string path, IReadOnlyList<Core.Issue> issues)
    {
        // Issue messages quote input values and paths: owner-only, like the rest of the dataset (fhir-ingestion.md).
        using var stream = OwnerOnlyFiles.Create(path);
        using var json = new System.Text.Json.Utf8JsonWriter(stream);
        // Sorted by where they are, so that a re-run writes the same file whatever the order the parallel map found them in.
        foreach (var issue in issues.OrderBy(i => i.Path, StringComparer.Ordinal).ThenBy(i => i.Code, StringComparer.Ordinal))
        {
            json.WriteStartObject();
            json.WriteString("code", issue.Code);
            json.WriteString("severity", issue.Severity.ToString().ToLowerInvariant());
            json.WriteString("path", issue.Path);
            json.WriteString("message", issue.Message);
            json.WriteEndObject();
            json.Flush();
            stream.WriteByte((byte)'\n');
            json.Reset();
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (FileFailures.IsFileFailure(e))
        {
            // Best effort: the error already names the file.
        }
    }

    /// <summary>Whether one of the two folders is the other or lies inside it (full paths, ordinal; a trailing separator ignored).</summary>
    internal static bool Overlaps(string a, string b)
    {
        static string Normal(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)) + Path.DirectorySeparatorChar;
        var (x, y) = (Normal(a), Normal(b));
        return x.StartsWith(y, StringComparison.Ordinal) || y.StartsWith(x, StringComparison.Ordinal);
    }

    private static FhirIngestionSettings Settings(DirectoryInfo output, DirectoryInfo? omop, DirectoryInfo? vocabulary, int? shards, DateTimeOffset? createdAt)
    {
        var writer = Meds.MedsDatasetWriterSettings.Default;
        if (createdAt is { } fixedTime)
            writer = writer with { Clock = new FixedClock(fixedTime) };
        return new FhirIngestionSettings
        {
            OutputFolder = output.FullName,
            OmopFolder = omop?.FullName,
            OmopVocabularyFolder = vocabulary?.FullName,
            Shards = shards,
            Writer = writer,
        };
    }

    private static int Run(string[] inputs, FhirIngestionSettings settings, System.CommandLine.InvocationConfiguration io, CancellationToken cancellationToken)
    {
        var missing = inputs.Where(p => !File.Exists(p) && !Directory.Exists(p)).ToArray();
        if (missing.Length > 0)
            return CommandOutput.Fail(io.Error, $"input not found: {string.Join(", ", missing)}", "pass existing files or folders.", ExitCodes.UsageError);

        if (settings.OmopVocabularyFolder is not null && settings.OmopFolder is null)
            return CommandOutput.Fail(io.Error, "--omop-vocabulary maps concepts of the OMOP tables, but no --omop folder was given.", "add --omop <dir>, or leave --omop-vocabulary out.", ExitCodes.UsageError);
        if (File.Exists(settings.OutputFolder))
            return CommandOutput.Fail(io.Error, $"--out '{settings.OutputFolder}' is a file.", "choose a new --out folder.", ExitCodes.UsageError);
        if (settings.OmopFolder is { } omop && Overlaps(omop, settings.OutputFolder))
            return CommandOutput.Fail(io.Error, $"--omop '{omop}' and --out '{settings.OutputFolder}' overlap: the OMOP tables would be written into the MEDS dataset (or it into them), and MEDS readers would take the OMOP Parquet files for shards.",
                "give --omop a folder of its own, beside --out (e.g. --out cohort/meds --omop cohort/omop).", ExitCodes.UsageError);

        var console = CommandOutput.ConsoleFor(io.Output);
        FhirIngestionSummary summary;
        try
        {
            summary = IngestProgressDisplay.Run(console, progress => new FhirIngestion(settings).Run(inputs, progress, cancellationToken));
        }
        catch (IOException e) when (e.Message.Contains("is not empty", StringComparison.Ordinal))
        {
            return CommandOutput.Fail(io.Error, e.Message, "choose a new --out folder.", ExitCodes.UsageError);
        }
        catch (Exception e) when (FileFailures.IsFileFailure(e))
        {
            return CommandOutput.Fail(io.Error, e.Message, FileFailures.IsFileTooLarge(e) ? FileFailures.Hint(e) : "check that the inputs are readable and the output folder is writable.");
        }

        IngestSummaryTables.Write(console, summary);
        if (summary.Issues.Count > 0 && Directory.Exists(settings.OutputFolder))
        {
            // The table counts issues by code; this file says where: the first ones found, each with its path.
            var issuesFile = Path.Combine(settings.OutputFolder, IssuesFile);
            try
            {
                WriteIssues(issuesFile, summary.Issues);
            }
            catch (Exception e) when (FileFailures.IsFileFailure(e))
            {
                // The dataset is written; only the list of where the issues are is lost (a partial list would look whole).
                TryDelete(issuesFile);
                return CommandOutput.Fail(io.Error, $"{issuesFile} could not be written ({e.Message}).",
                    $"{FileFailures.Hint(e)} The issue counts above are complete; run again into a new --out for the file.");
            }
            var counted = summary.IssuesByCode.Values.Sum();
            io.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{issuesFile}: {(summary.Issues.Count < counted ? $"the first {summary.Issues.Count:N0} of {counted:N0} issues" : $"all {counted:N0} issues")}, each with its path (file and element)."));
        }
        var phases = summary.Phases;
        io.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{settings.OutputFolder}: {summary.Events:N0} events for {summary.Subjects:N0} subjects from {summary.Resources:N0} resources in {summary.Files:N0} files; {summary.Quarantined:N0} quarantined; {summary.Elapsed.TotalSeconds:0.0} s (index {phases.Index.TotalSeconds:0.0} s, map {phases.Map.TotalSeconds:0.0} s, write {phases.Write.TotalSeconds:0.0} s)."));
        if (summary.NothingIngested)
        {
            var hint = summary.Files == 0
                ? "no FHIR file was found in the inputs: pass .json, .ndjson or .ndjson.gz files, or folders that hold them."
                : "check the issues above; inputs must be FHIR R4 JSON or NDJSON with Patient-linked resources.";
            // An empty dataset (metadata/ without a shard) is no use and would be taken for one by the next verb: only the
            // evidence stays, the quarantine and issues.ndjson (CLI review s10).
            Meds.Ingestion.OutputFolderCheck.RemoveOwned(settings.OutputFolder, includeQuarantine: false);
            var kept = Directory.Exists(settings.OutputFolder)
                ? $"{settings.OutputFolder} keeps only the quarantine and {IssuesFile}: delete them, or choose a new --out, before running again."
                : "nothing was kept.";
            return CommandOutput.Fail(io.Error, "nothing could be ingested (no MEDS event was produced).", $"{hint} {kept}");
        }
        return ExitCodes.Success;
    }
}
