using System.Globalization;
using System.Text;
using System.Text.Json;
using FhirRisk.Core.Statistics;

namespace FhirRisk.Synthetic.Generation.Reports;

/// <summary>
/// Privacy of the synthetic patients (docs/generate.md "Privacy"; CEHR-GPT's tests, peers.md §2.3), on
/// <see cref="PatientVector"/>s of at most <see cref="GenerationSettings.PrivacySample"/> synthetic (S), train (T) and
/// held-out (H) patients, with squared Euclidean distances:
/// <list type="bullet">
/// <item><b>distance to closest record</b>: for each synthetic patient, its nearest train and nearest held-out
/// patient; a generator that copies its training data is nearer to train. Reported: medians, the median ratio
/// d(S, T) / d(S, H), and the share of synthetic patients strictly nearer to train than to held-out (≈ 0.5 at equal
/// sample sizes when there is no memorisation), and the exact copies (distance 0 to a train patient).</item>
/// <item><b>nearest-neighbour adversarial accuracy</b> AA = ½[mean(d_TS &gt; d_TT) + mean(d_ST &gt; d_SS)] (self-matches
/// excluded), against train and against held-out; ideal ≈ 0.5; privacy loss = AA(H) − AA(T).</item>
/// <item><b>membership inference</b>: an attacker scores each train (member) and held-out (non-member) patient by
/// −(distance to the nearest synthetic patient); AUC ≈ 0.5 means membership cannot be told.</item>
/// </list>
/// Without held-out patients only the adversarial accuracy against train is computed.
/// </summary>
public sealed record PrivacyReport(
    int Synthetic,
    int Train,
    int HeldOut,
    double MedianDistanceToTrain,
    double MedianDistanceToHeldOut,
    double MedianDistanceRatio,
    double CloserToTrainShare,
    int ExactTrainCopies,
    double AdversarialAccuracyTrain,
    double AdversarialAccuracyHeldOut,
    double MembershipInferenceAuc)
{
    public const string MarkdownFile = "privacy.md";
    public const string JsonFile = "privacy.json";

    /// <summary>AA(H) − AA(T).</summary>
    public double PrivacyLoss => AdversarialAccuracyHeldOut - AdversarialAccuracyTrain;

    internal static PrivacyReport Measure(IReadOnlyList<PatientVector> synthetic, IReadOnlyList<PatientVector> train, IReadOnlyList<PatientVector> heldOut, int threads)
    {
        var toTrain = PatientVectors.Nearest(synthetic, train, threads);
        var aaTrain = AdversarialAccuracy(synthetic, train, toTrain, threads);
        if (heldOut.Count == 0)
            return new PrivacyReport(synthetic.Count, train.Count, 0, Median(toTrain), double.NaN, double.NaN, double.NaN,
                toTrain.Count(d => d == 0), aaTrain, double.NaN, double.NaN);
        var toHeldOut = PatientVectors.Nearest(synthetic, heldOut, threads);
        var ratios = toTrain.Zip(toHeldOut, (t, h) => h == 0 ? (t == 0 ? 1 : double.PositiveInfinity) : t / h).ToArray();
        var memberScores = PatientVectors.Nearest(train, synthetic, threads).Select(d => -d);
        var nonMemberScores = PatientVectors.Nearest(heldOut, synthetic, threads).Select(d => -d);
        double[] scores = [.. memberScores, .. nonMemberScores];
        bool[] members = [.. Enumerable.Repeat(true, train.Count), .. Enumerable.Repeat(false, heldOut.Count)];
        return new PrivacyReport(
            synthetic.Count, train.Count, heldOut.Count,
            Median(toTrain), Median(toHeldOut), Median(ratios),
            toTrain.Zip(toHeldOut).Count(p => p.First < p.Second) / (double)synthetic.Count,
            toTrain.Count(d => d == 0),
            aaTrain, AdversarialAccuracy(synthetic, heldOut, toHeldOut, threads),
            BinaryMetrics.Auroc(scores, members));
    }

    internal void Write(string folder)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, MarkdownFile), Markdown());
        using var stream = File.Create(Path.Combine(folder, JsonFile));
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("representation", "age/100, sex one-hot, multi-hot codes of timed events; squared Euclidean distance");
        json.WriteNumber("synthetic", Synthetic);
        json.WriteNumber("train", Train);
        json.WriteNumber("held_out", HeldOut);
        FidelityReport.Number(json, "median_distance_to_train", MedianDistanceToTrain);
        FidelityReport.Number(json, "median_distance_to_held_out", MedianDistanceToHeldOut);
        FidelityReport.Number(json, "median_distance_ratio_train_to_held_out", MedianDistanceRatio);
        FidelityReport.Number(json, "closer_to_train_share", CloserToTrainShare);
        json.WriteNumber("exact_train_copies", ExactTrainCopies);
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

    private string Markdown()
    {
        var md = new StringBuilder();
        md.AppendLine("# Privacy of the synthetic patients").AppendLine();
        md.AppendLine(Invariant($"{Synthetic} synthetic, {Train} train and {HeldOut} held-out patients as vectors of age/100, sex one-hot and multi-hot codes; squared Euclidean distances (docs/generate.md \"Privacy\").")).AppendLine();
        md.AppendLine("| test | value | no leakage looks like |").AppendLine("|---|---|---|");
        md.AppendLine(Invariant($"| median distance to closest train patient | {MedianDistanceToTrain:F2} | ≈ the held-out value |"));
        md.AppendLine(Invariant($"| median distance to closest held-out patient | {MedianDistanceToHeldOut:F2} | |"));
        md.AppendLine(Invariant($"| median ratio d(S,T) / d(S,H) | {MedianDistanceRatio:F3} | ≈ 1 |"));
        md.AppendLine(Invariant($"| share of synthetic nearer to train than held-out | {CloserToTrainShare:F3} | ≈ 0.5 (equal samples) |"));
        md.AppendLine(Invariant($"| exact copies of a train patient | {ExactTrainCopies} | 0 |"));
        md.AppendLine(Invariant($"| adversarial accuracy vs train | {AdversarialAccuracyTrain:F3} | ≈ 0.5 |"));
        md.AppendLine(Invariant($"| adversarial accuracy vs held-out | {AdversarialAccuracyHeldOut:F3} | ≈ 0.5 |"));
        md.AppendLine(Invariant($"| privacy loss AA(H) − AA(T) | {PrivacyLoss:F3} | ≈ 0 |"));
        md.AppendLine(Invariant($"| membership inference AUC | {MembershipInferenceAuc:F3} | ≈ 0.5 |"));
        return md.ToString();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
