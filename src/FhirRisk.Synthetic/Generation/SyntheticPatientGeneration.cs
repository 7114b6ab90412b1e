using System.Diagnostics;
using System.Globalization;
using FhirRisk.Core;
using FhirRisk.Inference;
using FhirRisk.Meds;
using FhirRisk.Meds.Tasks;
using FhirRisk.Synthetic.Generation.Reports;

namespace FhirRisk.Synthetic.Generation;

/// <summary>Where a generation run is: <paramref name="Stage"/> is "generating", "reading train" or "measuring".</summary>
public sealed record GenerationProgress(string Stage, long Done, long Total);

/// <summary>What a generation run wrote and measured.</summary>
/// <param name="Patients">Synthetic patients written.</param>
/// <param name="Empty">Patients left out because nothing was generated for them (no static value, no event).</param>
/// <param name="Ended">Patients written whose timeline the model ended (<c>TIMELINE_END</c>) rather than the budget or time
/// limit; of <paramref name="Patients"/>.</param>
/// <param name="Tokens">Tokens generated.</param>
/// <param name="Events">MEDS rows written.</param>
/// <param name="Timelines">How the generated timelines began (<see cref="GeneratedTimeline"/>).</param>
/// <param name="Resources">FHIR resources per type.</param>
/// <param name="SkippedCodes">Events with no FHIR resource here, per vocabulary.</param>
/// <param name="FhirChanges">Encounter events FHIR could not carry as they are (<see cref="EncounterTracker"/>), per change.</param>
/// <param name="Fidelity">The fidelity report; null without a dataset.</param>
/// <param name="Privacy">The privacy report; null without a dataset.</param>
/// <param name="Warnings">What the user should know about this run (no patient data).</param>
/// <param name="Elapsed">Wall time.</param>
public sealed record GenerationSummary(
    int Patients,
    int Empty,
    int Ended,
    long Tokens,
    long Events,
    TimelineStarts Timelines,
    IReadOnlyList<(string Type, long Count)> Resources,
    IReadOnlyDictionary<string, long> SkippedCodes,
    IReadOnlyDictionary<string, long> FhirChanges,
    FidelityReport? Fidelity,
    PrivacyReport? Privacy,
    IReadOnlyList<string> Warnings,
    TimeSpan Elapsed);

/// <summary>How the generated timelines began; <paramref name="Trimmed"/> and <paramref name="EventsDropped"/> are of the
/// patients written.</summary>
/// <param name="Trimmed">Timelines whose first generated events came before any encounter opened (the model began
/// inside an encounter); they now begin at their first opening event.</param>
/// <param name="EventsDropped">Events dropped from those timelines.</param>
/// <param name="Resampled">Patients whose first rollout opened no encounter, so it was drawn again
/// (<see cref="TimelineSampler.MaxAttempts"/> in all).</param>
/// <param name="NoEncounter">Patients left out because none of their rollouts opened an encounter.</param>
public sealed record TimelineStarts(int Trimmed, long EventsDropped, int Resampled, int NoEncounter);

/// <summary>The output folder cannot be written to: it holds files, or it is a file.</summary>
public sealed class GenerationOutputException(string message) : IOException(message);

/// <summary>
/// No patient was written: every rollout gave nothing or opened no encounter (the token budget ran out first). A MEDS
/// dataset of no patient is not a dataset (<c>meds validate</c>: MEDS001), so the run fails and removes what it wrote,
/// keeping an output folder that was there before it (review s22 generate L3).
/// </summary>
/// <param name="Empty">Patients for whom nothing was generated.</param>
/// <param name="NoEncounter">Patients none of whose rollouts opened an encounter.</param>
public sealed class NoPatientGeneratedException(int empty, int noEncounter)
    : Exception($"No synthetic patient was generated: {empty} had nothing generated and {noEncounter} opened no encounter in any of their {TimelineSampler.MaxAttempts} rollouts.")
{
    public int Empty { get; } = empty;

    public int NoEncounter { get; } = noEncounter;
}

/// <summary>
/// <c>fhirrisk generate</c> (issue 7 item 4, docs/generate.md): samples timelines from static prefixes
/// (<see cref="StaticPrompts"/>, <see cref="TimelineSampler"/>, <see cref="GeneratedTimeline"/>), writes them as a MEDS
/// dataset (<c>meds/</c>, all in the train split, so a model can be trained on them) and as FHIR R4 NDJSON (<c>fhir/</c>,
/// <see cref="GeneratedFhirWriter"/>), and, given the training data, the fidelity and privacy reports (<c>reports/</c>).
/// The training data is read before any patient is generated, so a bad split fails in seconds, not after N rollouts;
/// a run that fails removes what it wrote. Logs nothing about patients.
/// </summary>
public static class SyntheticPatientGeneration
{
    public const string MedsFolder = "meds";
    public const string FhirFolder = "fhir";
    public const string ReportsFolder = "reports";

    /// <exception cref="GenerationOutputException">The output folder holds files or is a file.</exception>
    /// <exception cref="InferenceException">The model directory's parts disagree.</exception>
    /// <exception cref="NoPatientGeneratedException">No patient was generated; nothing is kept.</exception>
    public static GenerationSummary Run(GenerationSettings settings, IProgress<GenerationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var clock = Stopwatch.StartNew();
        if (File.Exists(settings.OutputFolder))
            throw new GenerationOutputException($"'{settings.OutputFolder}' is a file, not a folder.");
        if (Directory.Exists(settings.OutputFolder) && Directory.EnumerateFileSystemEntries(settings.OutputFolder).Any())
            throw new GenerationOutputException($"'{settings.OutputFolder}' is not empty.");
        if (settings.Dataset is { } dataset && !Directory.Exists(dataset))
            throw new DirectoryNotFoundException($"MEDS dataset folder '{dataset}' does not exist.");
        using var session = InferenceSession.Open(settings.ModelDirectory, new InferenceOptions { Threads = settings.Threads });
        var warnings = new List<string>();
        if (session.GeneratesFromHeadsBackbone)
            warnings.Add($"the model directory has task heads but no {InferenceSession.PretrainedFolder}/ backbone beside them: sampling from the finetuned backbone, which was trained for its heads, not to write timelines. Pass the pretrained model (its {InferenceSession.PretrainedFolder}/ folder) for generation.");
        if (session.Tokenizer.FittedOn.SiteTimeZone is { } named && GeneratedTimeline.SiteZone(session.Tokenizer) is null)
            warnings.Add($"the model's data was read in the time zone '{named}', which this system's zone database does not know: birth dates are written as UTC days and the output names no zone. Install the tzdata package to generate that site's days.");
        var random = new Random((int)(settings.Seed ^ (settings.Seed >> 32)));
        var (prompts, donors) = StaticPrompts.Draw(session.Tokenizer, settings.Dataset, settings.Patients, random, settings.TimeLimit, settings.MaxUnknownShare);
        if (donors is { TooLate: > 0 })
            warnings.Add(string.Create(CultureInfo.InvariantCulture, $"{donors.TooLate} train patient(s) start too late for {settings.TimeLimit.TotalDays / 365.25:0.#} years of generated time before the end of year 9999 and were not drawn as donors; they are still in the reports."));
        if (donors?.TrainingData.Warning is { } notTrainingData)
            warnings.Add(notTrainingData);
        var tasks = TaskCatalog.Create();
        var vectors = new PatientVectors();
        var real = settings.Dataset is { } data ? ReadReal(data, tasks, vectors, settings, progress, cancellationToken) : default;

        var createdFolder = !Directory.Exists(settings.OutputFolder);
        try
        {
            var generated = Generate(session, prompts, tasks, vectors, settings, progress, cancellationToken);
            if (generated.Summary.Patients == 0)
                throw new NoPatientGeneratedException(generated.Summary.Empty, generated.Summary.Timelines.NoEncounter);
            FidelityReport? fidelity = null;
            PrivacyReport? privacy = null;
            if (real.Train is not null)
            {
                progress?.Report(new GenerationProgress("measuring", 0, 1));
                var folder = Path.Combine(settings.OutputFolder, ReportsFolder);
                fidelity = FidelityReport.Compare(generated.Profile, real.Train);
                fidelity.Write(folder, generated.Profile, real.Train);
                privacy = PrivacyReport.Measure(generated.Vectors, real.TrainVectors, real.HeldOutVectors, settings.Threads, new Random((int)settings.Seed + 2), real.TrainCopies)
                    with { TrainingData = donors?.TrainingData, HeldOutSplit = real.HeldOutSplit };
                privacy.Write(folder);
                if (privacy.Warning is { } small)
                    warnings.Add(small);
                progress?.Report(new GenerationProgress("measuring", 1, 1));
            }
            var summary = generated.Summary;
            return summary with { Fidelity = fidelity, Privacy = privacy, Warnings = warnings, Elapsed = clock.Elapsed };
        }
        catch
        {
            RemoveOutput(settings.OutputFolder, createdFolder);
            throw;
        }
    }

    private sealed record Generated(GenerationSummary Summary, CohortProfile Profile, List<PatientVector> Vectors);

    /// <summary>Samples the patients and writes <c>meds/</c> and <c>fhir/</c>; profiles and vectors them on the way.</summary>
    private static Generated Generate(InferenceSession session, IReadOnlyList<StaticPrompt> prompts, IReadOnlyList<TaskDefinition> tasks,
        PatientVectors vectors, GenerationSettings settings, IProgress<GenerationProgress>? progress, CancellationToken cancellationToken)
    {
        var profile = new CohortProfile(tasks);
        var syntheticVectors = new List<PatientVector>();
        var (written, empty, ended, tokens, events) = (0, 0, 0, 0L, 0L);
        var (trimmed, dropped, resampled, noEncounter) = (0, 0L, 0, 0);
        // A model fitted on data read in a site time zone generates that site's days: birth dates are written as its local
        // days, and the MEDS dataset names the zone as ingestion would have.
        var zone = GeneratedTimeline.SiteZone(session.Tokenizer);
        // The codes' names the model's tokenizer carries (codes.tsv) go into the FHIR displays and codes.parquet.
        var names = session.Tokenizer.CodeDescriptions;
        using var fhir = new GeneratedFhirWriter(Path.Combine(settings.OutputFolder, FhirFolder), zone, names);
        using var meds = new MedsDatasetWriter(Path.Combine(settings.OutputFolder, MedsFolder),
            new MedsDatasetWriterSettings { DatasetName = "fhirrisk-synthetic", Clock = settings.Clock, SiteTimeZone = zone is null ? null : session.Tokenizer.FittedOn.SiteTimeZone });
        meds.DescribeCodes(code => Meds.FhirMapping.CodeDescriptions.Lookup(names, code));
        foreach (var patient in TimelineSampler.Generate(session, prompts, settings, cancellationToken))
        {
            tokens += patient.Tokens;
            resampled += patient.Attempts > 1 ? 1 : 0;
            progress?.Report(new GenerationProgress("generating", written + empty + noEncounter + 1, settings.Patients));
            if (patient.Events.Count == 0)
            {
                empty++;
                continue;
            }
            if (!patient.OpensEncounter)
            {
                noEncounter++;
                continue;
            }
            // Ended, trimmed and dropped describe the patients written, whose number is their denominator; a patient left
            // out would add all its events to "dropped" (review s22 generate L6).
            ended += patient.Ended ? 1 : 0;
            trimmed += patient.EventsBeforeFirstEncounter > 0 ? 1 : 0;
            dropped += patient.EventsBeforeFirstEncounter;
            meds.WriteSubject(patient.SubjectId, patient.Events, MedsSchema.TrainSplit);
            fhir.Write(patient);
            profile.Add(patient.SubjectId, patient.Events, cutShort: !patient.Ended);
            if (syntheticVectors.Count < settings.PrivacySample)
                syntheticVectors.Add(vectors.Of(patient.Events));
            written++;
            events += patient.Events.Count;
        }
        progress?.Report(new GenerationProgress("generating", settings.Patients, settings.Patients));
        meds.Complete();
        fhir.Complete(settings.Clock.UtcNow.UtcDateTime);
        var summary = new GenerationSummary(written, empty, ended, tokens, events, new TimelineStarts(trimmed, dropped, resampled, noEncounter),
            fhir.Counts, fhir.Skipped, fhir.Changes, null, null, [], TimeSpan.Zero);
        return new Generated(summary, profile, syntheticVectors);
    }

    /// <summary>Removes what a failed run wrote: the output folder was empty (or absent) when it began.</summary>
    private static void RemoveOutput(string folder, bool createdFolder)
    {
        try
        {
            foreach (var part in new[] { MedsFolder, FhirFolder, ReportsFolder })
            {
                if (Directory.Exists(Path.Combine(folder, part)))
                    Directory.Delete(Path.Combine(folder, part), recursive: true);
            }
            if (createdFolder && Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any())
                Directory.Delete(folder);
        }
        catch (Exception e) when (FileFailures.IsFileFailure(e))
        {
            // The original failure is the one to report; a folder left behind is named by the rerun's "not empty".
        }
    }

    /// <summary>The train profile, seeded uniform samples (reservoir) of train and held-out vectors, and every train
    /// patient indexed for the exact-copy test.</summary>
    private static (CohortProfile? Train, List<PatientVector> TrainVectors, List<PatientVector> HeldOutVectors, CopyIndex? TrainCopies, string HeldOutSplit) ReadReal(
        string dataset, IReadOnlyList<TaskDefinition> tasks, PatientVectors vectors, GenerationSettings settings,
        IProgress<GenerationProgress>? progress, CancellationToken cancellationToken)
    {
        var reader = MedsDatasetReader.Open(dataset);
        var train = new CohortProfile(tasks);
        var random = new Random((int)settings.Seed + 1);
        var trainVectors = new List<PatientVector>();
        var heldOutVectors = new List<PatientVector>();
        var copies = new CopyIndex();
        var heldOutSplit = HasEvents(reader, MedsSchema.HeldOutSplit) ? MedsSchema.HeldOutSplit : MedsSchema.TuningSplit;
        var seen = (Train: 0, HeldOut: 0);
        foreach (var subject in reader.ReadSubjects(new MedsReadOptions { Splits = [MedsSchema.TrainSplit, heldOutSplit] }))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (subject.Split == MedsSchema.TrainSplit)
            {
                train.Add(subject.SubjectId, subject.Events);
                var vector = vectors.Of(subject.Events);
                copies.Add(vector);
                Reservoir(trainVectors, ++seen.Train, settings.PrivacySample, random, () => vector);
                progress?.Report(new GenerationProgress("reading train", seen.Train, 0));
            }
            else
            {
                Reservoir(heldOutVectors, ++seen.HeldOut, settings.PrivacySample, random, () => vectors.Of(subject.Events));
            }
        }
        return (train, trainVectors, heldOutVectors, copies, heldOutSplit);
    }

    /// <summary>Whether a shard can hold subjects of <paramref name="split"/>: one in its folder, or one directly in
    /// <c>data/</c> while <c>subject_splits.parquet</c> lists the split. A split only listed (a valid dataset that
    /// ships no <c>data/held_out/</c>, MEDS022) holds no patient, and the tuning split is then the held-out group
    /// (review s22 generate L4).</summary>
    private static bool HasEvents(MedsDatasetReader reader, string split) =>
        reader.Shards.Any(s => s.Split == split) || (reader.Shards.Any(s => s.Split.Length == 0) && reader.SubjectSplits.Values.Contains(split));

    // Algorithm R: the n-th item replaces a random slot with probability k / n.
    private static void Reservoir(List<PatientVector> sample, int n, int k, Random random, Func<PatientVector> item)
    {
        if (sample.Count < k)
            sample.Add(item());
        else if (random.Next(n) is var slot && slot < k)
            sample[slot] = item();
    }
}
