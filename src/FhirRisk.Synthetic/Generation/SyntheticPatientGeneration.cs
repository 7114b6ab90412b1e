using System.Diagnostics;
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
/// <param name="Ended">Patients whose timeline the model ended (<c>TIMELINE_END</c>) rather than the budget or time limit.</param>
/// <param name="Tokens">Tokens generated.</param>
/// <param name="Events">MEDS rows written.</param>
/// <param name="Resources">FHIR resources per type.</param>
/// <param name="SkippedCodes">Events with no FHIR resource here, per vocabulary.</param>
/// <param name="Fidelity">The fidelity report; null without a dataset.</param>
/// <param name="Privacy">The privacy report; null without a dataset.</param>
/// <param name="Elapsed">Wall time.</param>
public sealed record GenerationSummary(
    int Patients,
    int Empty,
    int Ended,
    long Tokens,
    long Events,
    IReadOnlyList<(string Type, long Count)> Resources,
    IReadOnlyDictionary<string, long> SkippedCodes,
    FidelityReport? Fidelity,
    PrivacyReport? Privacy,
    TimeSpan Elapsed);

/// <summary>
/// <c>fhirrisk generate</c> (issue 7 item 4, docs/generate.md): samples whole timelines from static prefixes
/// (<see cref="StaticPrompts"/>, <see cref="TimelineSampler"/>), writes them as a MEDS dataset (<c>meds/</c>, all in the
/// train split, so a model can be trained on them) and as FHIR R4 NDJSON (<c>fhir/</c>, <see cref="GeneratedFhirWriter"/>),
/// and, given the training data, the fidelity and privacy reports (<c>reports/</c>). Logs nothing about patients.
/// </summary>
public static class SyntheticPatientGeneration
{
    public const string MedsFolder = "meds";
    public const string FhirFolder = "fhir";
    public const string ReportsFolder = "reports";

    /// <exception cref="IOException">The output folder holds files.</exception>
    /// <exception cref="InferenceException">The model directory's parts disagree.</exception>
    public static GenerationSummary Run(GenerationSettings settings, IProgress<GenerationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var clock = Stopwatch.StartNew();
        if (Directory.Exists(settings.OutputFolder) && Directory.EnumerateFileSystemEntries(settings.OutputFolder).Any())
            throw new IOException($"'{settings.OutputFolder}' is not empty. Hint: write each generation to a new folder.");
        if (settings.Dataset is { } dataset && !Directory.Exists(dataset))
            throw new DirectoryNotFoundException($"MEDS dataset folder '{dataset}' does not exist.");
        using var session = InferenceSession.Open(settings.ModelDirectory, new InferenceOptions { Threads = settings.Threads });
        var random = new Random((int)(settings.Seed ^ (settings.Seed >> 32)));
        var prompts = StaticPrompts.Draw(session.Tokenizer, settings.Dataset, settings.Patients, random);

        var tasks = TaskCatalog.Create();
        var synthetic = new CohortProfile(tasks);
        var vectors = new PatientVectors();
        var syntheticVectors = new List<PatientVector>();
        var (written, empty, ended, tokens, events) = (0, 0, 0, 0L, 0L);
        var fhir = new GeneratedFhirWriter(Path.Combine(settings.OutputFolder, FhirFolder));
        IReadOnlyList<(string, long)> resources;
        IReadOnlyDictionary<string, long> skipped;
        using (fhir)
        using (var meds = new MedsDatasetWriter(Path.Combine(settings.OutputFolder, MedsFolder), new MedsDatasetWriterSettings { DatasetName = "fhirrisk-synthetic" }))
        {
            foreach (var patient in TimelineSampler.Generate(session, prompts, settings, cancellationToken))
            {
                tokens += patient.Tokens;
                ended += patient.Ended ? 1 : 0;
                if (patient.Events.Count == 0)
                {
                    empty++;
                    continue;
                }
                meds.WriteSubject(patient.SubjectId, patient.Events, MedsSchema.TrainSplit);
                fhir.Write(patient);
                synthetic.Add(patient.SubjectId, patient.Events);
                if (syntheticVectors.Count < settings.PrivacySample)
                    syntheticVectors.Add(vectors.Of(patient.Events));
                written++;
                events += patient.Events.Count;
                progress?.Report(new GenerationProgress("generating", written + empty, settings.Patients));
            }
            progress?.Report(new GenerationProgress("generating", settings.Patients, settings.Patients));
            meds.Complete();
            fhir.Complete(DateTime.UtcNow);
            (resources, skipped) = (fhir.Counts, fhir.Skipped);
        }

        FidelityReport? fidelity = null;
        PrivacyReport? privacy = null;
        if (settings.Dataset is { } data)
        {
            var (train, trainVectors, heldOutVectors) = ReadReal(data, tasks, vectors, settings, progress, cancellationToken);
            progress?.Report(new GenerationProgress("measuring", 0, 1));
            var folder = Path.Combine(settings.OutputFolder, ReportsFolder);
            fidelity = FidelityReport.Compare(synthetic, train);
            fidelity.Write(folder, synthetic, train);
            privacy = PrivacyReport.Measure(syntheticVectors, trainVectors, heldOutVectors, settings.Threads);
            privacy.Write(folder);
            progress?.Report(new GenerationProgress("measuring", 1, 1));
        }
        return new GenerationSummary(written, empty, ended, tokens, events, resources, skipped, fidelity, privacy, clock.Elapsed);
    }

    /// <summary>The train profile, and seeded uniform samples (reservoir) of train and held-out vectors.</summary>
    private static (CohortProfile Train, List<PatientVector> TrainVectors, List<PatientVector> HeldOutVectors) ReadReal(
        string dataset, IReadOnlyList<TaskDefinition> tasks, PatientVectors vectors, GenerationSettings settings,
        IProgress<GenerationProgress>? progress, CancellationToken cancellationToken)
    {
        var reader = MedsDatasetReader.Open(dataset);
        var train = new CohortProfile(tasks);
        var random = new Random((int)settings.Seed + 1);
        var trainVectors = new List<PatientVector>();
        var heldOutVectors = new List<PatientVector>();
        var heldOutSplit = reader.SplitNames.Contains(MedsSchema.HeldOutSplit) ? MedsSchema.HeldOutSplit : MedsSchema.TuningSplit;
        var seen = (Train: 0, HeldOut: 0);
        foreach (var subject in reader.ReadSubjects(new MedsReadOptions { Splits = [MedsSchema.TrainSplit, heldOutSplit] }))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (subject.Split == MedsSchema.TrainSplit)
            {
                train.Add(subject.SubjectId, subject.Events);
                Reservoir(trainVectors, ++seen.Train, settings.PrivacySample, random, () => vectors.Of(subject.Events));
                progress?.Report(new GenerationProgress("reading train", seen.Train, 0));
            }
            else
            {
                Reservoir(heldOutVectors, ++seen.HeldOut, settings.PrivacySample, random, () => vectors.Of(subject.Events));
            }
        }
        return (train, trainVectors, heldOutVectors);
    }

    // Algorithm R: the n-th item replaces a random slot with probability k / n.
    private static void Reservoir(List<PatientVector> sample, int n, int k, Random random, Func<PatientVector> item)
    {
        if (sample.Count < k)
            sample.Add(item());
        else if (random.Next(n) is var slot && slot < k)
            sample[slot] = item();
    }
}
