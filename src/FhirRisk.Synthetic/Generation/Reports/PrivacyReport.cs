using System.Globalization;
using System.Text;
using System.Text.Json;
using FhirRisk.Core.Statistics;
using FhirRisk.Meds;

namespace FhirRisk.Synthetic.Generation.Reports;

/// <summary>
/// Privacy of the synthetic patients (docs/generate.md "Privacy"; CEHR-GPT's tests, peers.md §2.3), on
/// <see cref="PatientVector"/>s with squared Euclidean distances. The synthetic (S), train (T) and held-out (H) groups
/// are compared at one size, n = min(|S|, |T|, |H|) (each a seeded uniform subsample): nearest-neighbour distances
/// shrink as the pool grows, so a larger train group alone makes synthetic patients look nearer to train.
/// <list type="bullet">
/// <item><b>distance to closest record</b>: for each synthetic patient, its nearest train and nearest held-out
/// patient; a generator that copies its training data is nearer to train. Reported: medians, the median ratio
/// d(S, T) / d(S, H), and the share of synthetic patients strictly nearer to train than to held-out (≈ 0.5 when there
/// is no memorisation).</item>
/// <item><b>exact copies</b>: synthetic patients with the codes and sex of a train patient and an age within a year
/// (<see cref="PatientVector.IsCopy"/>), over every synthetic and train patient sampled (not only n). Simple patients
/// (one visit, a standard panel) match by chance, so the held-out patients that match a train patient by the same rule
/// are the baseline: a share of copies well above the held-out share is memorisation.</item>
/// <item><b>nearest-neighbour adversarial accuracy</b> AA = ½[mean(d_TS &gt; d_TT) + mean(d_ST &gt; d_SS)] (self-matches
/// excluded), against train and against held-out; ideal ≈ 0.5; privacy loss = AA(H) − AA(T).</item>
/// <item><b>membership inference</b>: an attacker scores each train (member) and held-out (non-member) patient by
/// −(distance to the nearest synthetic patient); AUC ≈ 0.5 means membership cannot be told.</item>
/// </list>
/// Without held-out patients n = min(|S|, |T|) and only the adversarial accuracy against train is computed.
/// </summary>
/// <param name="Groups">Patients available per group and the size n compared.</param>
public sealed record PrivacyReport(
    PrivacyGroups Groups,
    double MedianDistanceToTrain,
    double MedianDistanceToHeldOut,
    double MedianDistanceRatio,
    double CloserToTrainShare,
    int ExactTrainCopies,
    int HeldOutMatches,
    double AdversarialAccuracyTrain,
    double AdversarialAccuracyHeldOut,
    double MembershipInferenceAuc)
{
    public const string MarkdownFile = "privacy.md";
    public const string JsonFile = "privacy.json";

    /// <summary>Below this many patients per group the tests are noisy (a share's standard error is about 0.05 at 100).</summary>
    public const int SmallSample = 100;

    private const string NoHeldOut = "n/a (no held_out or tuning split)";

    /// <summary>The train patients the exact copies (and the held-out matches) were looked for among: the whole train
    /// split when the report is measured on a dataset, not only <see cref="PrivacyGroups.Train"/>'s sample.</summary>
    public int CopiesCheckedAgainst { get; init; }

    /// <summary>The standard error of <see cref="CloserToTrainShare"/>, the mean of n per-patient scores of 0, ½ or 1 (at
    /// most the binomial √(p(1 − p)/n): 0.029 for a share 0.57 at n = 284, so that share is 2.4 of them above 0.5).</summary>
    public double CloserToTrainShareError { get; init; } = double.NaN;

    /// <summary>What the train group was checked against: the tokenizer's fit (<see cref="TrainingDataCheck"/>); null when
    /// not checked.</summary>
    public TrainingDataCheck? TrainingData { get; init; }

    /// <summary>The split the held-out group came from: <c>held_out</c>, else <c>tuning</c>.</summary>
    public string HeldOutSplit { get; init; } = MedsSchema.HeldOutSplit;

    /// <summary>Why the held-out group is not clean non-members when it is the tuning split, else null.</summary>
    public string? HeldOutNote => HeldOutSplit == MedsSchema.TuningSplit && Groups.HeldOut > 0
        ? "the held-out group is the tuning split (the data has no held_out split with events). 'fhirrisk train' chose its checkpoint by the tuning loss, and 'calibrate-rollouts' fits on it, so these patients shaped the model a little: not clean non-members, they can make train and held-out look more alike than they are."
        : null;

    /// <summary>AA(H) − AA(T).</summary>
    public double PrivacyLoss => AdversarialAccuracyHeldOut - AdversarialAccuracyTrain;

    /// <summary>The patients per group compared (n).</summary>
    public int SampleSize => Groups.Compared;

    /// <summary>A warning when the groups are small, else null.</summary>
    public string? Warning => Groups.Compared < SmallSample
        ? Invariant($"the privacy tests compare {Groups.Compared} patients per group (fewer than {SmallSample}): their numbers are noisy; a larger held-out split or more synthetic patients make them firmer.")
        : null;

    /// <summary>The tests; exact copies are looked up in <paramref name="trainCopies"/> (every train patient), else among
    /// <paramref name="train"/>.</summary>
    internal static PrivacyReport Measure(IReadOnlyList<PatientVector> synthetic, IReadOnlyList<PatientVector> train, IReadOnlyList<PatientVector> heldOut, int threads, Random random,
        CopyIndex? trainCopies = null)
    {
        trainCopies ??= CopyIndex.Of(train);
        var copies = synthetic.Count(trainCopies.Copies);
        var heldOutMatches = heldOut.Count(trainCopies.Copies);
        var n = heldOut.Count == 0 ? Math.Min(synthetic.Count, train.Count) : Math.Min(Math.Min(synthetic.Count, train.Count), heldOut.Count);
        var groups = new PrivacyGroups(synthetic.Count, train.Count, heldOut.Count, n);
        var (s, t, h) = (Subsample(synthetic, n, random), Subsample(train, n, random), Subsample(heldOut, n, random));
        var toTrain = PatientVectors.Nearest(s, t, threads);
        var aaTrain = AdversarialAccuracy(s, t, toTrain, threads);
        if (h.Count == 0)
            return new PrivacyReport(groups, Median(toTrain), double.NaN, double.NaN, double.NaN, copies, heldOutMatches, aaTrain, double.NaN, double.NaN)
            {
                CopiesCheckedAgainst = trainCopies.Patients,
            };
        var toHeldOut = PatientVectors.Nearest(s, h, threads);
        // A tie (as near to both) counts a half: "nearer to train" is then ≈ 0.5 without leakage however often the
        // integer code distances tie (review s16-eval #4); its standard error is of these scores, not a binomial's.
        double[] nearer = [.. toTrain.Zip(toHeldOut, (a, b) => a < b ? 1.0 : a == b ? 0.5 : 0.0)];
        var ratios = toTrain.Zip(toHeldOut, (a, b) => b == 0 ? (a == 0 ? 1 : double.PositiveInfinity) : a / b).ToArray();
        var memberScores = PatientVectors.Nearest(t, s, threads).Select(d => -d);
        var nonMemberScores = PatientVectors.Nearest(h, s, threads).Select(d => -d);
        double[] scores = [.. memberScores, .. nonMemberScores];
        bool[] members = [.. Enumerable.Repeat(true, t.Count), .. Enumerable.Repeat(false, h.Count)];
        return new PrivacyReport(
            groups,
            Median(toTrain), Median(toHeldOut), Median(ratios),
            nearer.Average(),
            copies, heldOutMatches,
            aaTrain, AdversarialAccuracy(s, h, toHeldOut, threads),
            BinaryMetrics.Auroc(scores, members))
        {
            CopiesCheckedAgainst = trainCopies.Patients,
            CloserToTrainShareError = StandardErrorOfMean(nearer),
        };
    }

    private static double StandardErrorOfMean(double[] values)
    {
        var mean = values.Average();
        return Math.Sqrt(values.Sum(x => (x - mean) * (x - mean)) / values.Length) / Math.Sqrt(values.Length);
    }

    /// <summary>A uniform subsample of <paramref name="n"/> (a partial Fisher–Yates shuffle of the indices, kept in order).</summary>
    internal static IReadOnlyList<PatientVector> Subsample(IReadOnlyList<PatientVector> group, int n, Random random)
    {
        if (n >= group.Count)
            return group;
        var indices = Enumerable.Range(0, group.Count).ToArray();
        for (var i = 0; i < n; i++)
        {
            var j = random.Next(i, indices.Length);
            (indices[i], indices[j]) = (indices[j], indices[i]);
        }
        return [.. indices[..n].Order().Select(i => group[i])];
    }

    internal void Write(string folder)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, MarkdownFile), Markdown());
        using var stream = File.Create(Path.Combine(folder, JsonFile));
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("representation", "age/100, sex one-hot, multi-hot codes of timed events; squared Euclidean distance");
        json.WriteStartObject("available");
        json.WriteNumber("synthetic", Groups.Synthetic);
        json.WriteNumber("train", Groups.Train);
        json.WriteNumber("train_checked_for_copies", CopiesCheckedAgainst);
        json.WriteNumber("held_out", Groups.HeldOut);
        json.WriteEndObject();
        json.WriteNumber("compared_per_group", Groups.Compared);
        if (Warning is { } warning)
            json.WriteString("warning", warning);
        if (TrainingData is { } data)
        {
            // A program reading the numbers below must be able to tell that they say nothing (review s22 generate M1).
            json.WriteStartObject("training_data");
            json.WriteBoolean("matches_tokenizer_fit", data.Matches);
            json.WriteStartArray("splits");
            foreach (var split in data.Splits)
                json.WriteStringValue(split);
            json.WriteEndArray();
            json.WriteNumber("subjects", data.Subjects);
            json.WriteNumber("events", data.Events);
            json.WriteNumber("fitted_subjects", data.FittedSubjects);
            json.WriteNumber("fitted_events", data.FittedEvents);
            if (data.Warning is { } notTrainingData)
                json.WriteString("warning", notTrainingData);
            json.WriteEndObject();
        }
        json.WriteString("held_out_split", HeldOutSplit);
        if (HeldOutNote is { } note)
            json.WriteString("held_out_note", note);
        FidelityReport.Number(json, "median_distance_to_train", MedianDistanceToTrain);
        FidelityReport.Number(json, "median_distance_to_held_out", MedianDistanceToHeldOut);
        FidelityReport.Number(json, "median_distance_ratio_train_to_held_out", MedianDistanceRatio);
        FidelityReport.Number(json, "closer_to_train_share", CloserToTrainShare);
        FidelityReport.Number(json, "closer_to_train_share_standard_error", CloserToTrainShareError);
        json.WriteNumber("exact_train_copies", ExactTrainCopies);
        json.WriteNumber("held_out_matching_train", HeldOutMatches);
        FidelityReport.Number(json, "adversarial_accuracy_train", AdversarialAccuracyTrain);
        FidelityReport.Number(json, "adversarial_accuracy_held_out", AdversarialAccuracyHeldOut);
        FidelityReport.Number(json, "privacy_loss", PrivacyLoss);
        FidelityReport.Number(json, "membership_inference_auc", MembershipInferenceAuc);
        json.WriteEndObject();
    }

    // AA against real cohort R, given d(S, R) already: ½[mean(d_RS > d_RR) + mean(d_SR > d_SS)].
    private static double AdversarialAccuracy(IReadOnlyList<PatientVector> synthetic, IReadOnlyList<PatientVector> real, double[] syntheticToReal, int threads)
    {
        if (synthetic.Count < 2 || real.Count < 2)
            return double.NaN;
        var realToSynthetic = PatientVectors.Nearest(real, synthetic, threads);
        var realToReal = PatientVectors.Nearest(real, real, threads);
        var syntheticToSynthetic = PatientVectors.Nearest(synthetic, synthetic, threads);
        var real_ = realToSynthetic.Zip(realToReal).Average(p => p.First > p.Second ? 1.0 : 0.0);
        var synthetic_ = syntheticToReal.Zip(syntheticToSynthetic).Average(p => p.First > p.Second ? 1.0 : 0.0);
        return (real_ + synthetic_) / 2;
    }

    private static double Median(IReadOnlyList<double> values) => values.Count == 0 ? double.NaN : Percentiles.Linear(values.Order().ToArray(), 0.5);

    internal string Markdown()
    {
        var md = new StringBuilder();
        md.AppendLine("# Privacy of the synthetic patients").AppendLine();
        if (TrainingData?.Warning is { } notTrainingData)
            md.AppendLine("**Warning: not the model's training data.** " + notTrainingData).AppendLine();
        else if (TrainingData is { } data)
            md.AppendLine(Invariant($"The train group is the model's training data as far as the model can tell: the {string.Join(" and ", data.Splits)} patients of the data ({data.Subjects} subjects, {data.Events} event rows) are as many as its tokenizer was fitted on.")).AppendLine();
        md.AppendLine(Invariant($"n = {Groups.Compared} patients per group, each a seeded uniform sample of those available: {Groups.Synthetic} synthetic, {Groups.Train} train and {Groups.HeldOut} held-out. Patients are vectors of age/100, sex one-hot and multi-hot codes; distances are squared Euclidean (docs/generate.md \"Privacy\").")).AppendLine();
        if (Warning is { } warning)
            md.AppendLine("**Warning:** " + warning).AppendLine();
        if (HeldOutNote is { } note)
            md.AppendLine("**Note:** " + note).AppendLine();
        md.AppendLine("| test | value | no leakage looks like |").AppendLine("|---|---|---|");
        md.AppendLine(Invariant($"| median distance to closest train patient | {MedianDistanceToTrain:F2} | ≈ the held-out value |"));
        md.AppendLine(Invariant($"| median distance to closest held-out patient | {HeldOutValue(MedianDistanceToHeldOut, "F2")} | |"));
        md.AppendLine(Invariant($"| median ratio d(S,T) / d(S,H) | {HeldOutValue(MedianDistanceRatio, "F3")} | ≈ 1 |"));
        md.AppendLine(Invariant($"| share of synthetic nearer to train than held-out (a tie a half; ± its standard error) | {HeldOutValue(CloserToTrainShare, "F3")}{(Groups.HeldOut == 0 || double.IsNaN(CloserToTrainShareError) ? "" : $" ± {CloserToTrainShareError:F3}")} | ≈ 0.5 |"));
        md.AppendLine(Invariant($"| exact copies of a train patient: synthetic (of {Groups.Synthetic} against all {CopiesCheckedAgainst} train) | {ExactTrainCopies} ({Share(ExactTrainCopies, Groups.Synthetic)}) | ≈ the held-out share, or 0 |"));
        md.AppendLine(Invariant($"| held-out patients matching a train patient by the same rule (of {Groups.HeldOut}, against all {CopiesCheckedAgainst} train) | {(Groups.HeldOut == 0 ? NoHeldOut : $"{HeldOutMatches} ({Share(HeldOutMatches, Groups.HeldOut)})")} | the chance baseline |"));
        md.AppendLine(Invariant($"| adversarial accuracy vs train | {AdversarialAccuracyTrain:F3} | ≈ 0.5 |"));
        md.AppendLine(Invariant($"| adversarial accuracy vs held-out | {HeldOutValue(AdversarialAccuracyHeldOut, "F3")} | ≈ 0.5 |"));
        md.AppendLine(Invariant($"| privacy loss AA(H) − AA(T) | {HeldOutValue(PrivacyLoss, "F3")} | ≈ 0 |"));
        md.AppendLine(Invariant($"| membership inference AUC | {HeldOutValue(MembershipInferenceAuc, "F3")} | ≈ 0.5 |"));
        return md.ToString();
    }

    private static string Share(int count, int of) => of == 0 ? "n/a" : ((double)count / of).ToString("P1", CultureInfo.InvariantCulture);

    private string HeldOutValue(double value, string format) =>
        Groups.HeldOut == 0 ? NoHeldOut : double.IsNaN(value) ? "n/a" : value.ToString(format, CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Patients available in each privacy group (at most <see cref="GenerationSettings.PrivacySample"/>) and the
/// size n every group is subsampled to.</summary>
public sealed record PrivacyGroups(int Synthetic, int Train, int HeldOut, int Compared);
