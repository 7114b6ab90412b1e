using System.Globalization;
using System.Text;
using System.Text.Json;
using FhirRisk.Core.Plotting;

namespace FhirRisk.Synthetic.Generation.Reports;

/// <summary>One task's label rate in both cohorts.</summary>
public sealed record OutcomeRate(string Task, long SyntheticPositives, long SyntheticLabelled, long TrainPositives, long TrainLabelled)
{
    /// <summary>Synthetic points left out because the token budget cut their timeline before the question was settled.</summary>
    public long SyntheticCutShort { get; init; }

    public double SyntheticRate => SyntheticLabelled == 0 ? double.NaN : (double)SyntheticPositives / SyntheticLabelled;

    public double TrainRate => TrainLabelled == 0 ? double.NaN : (double)TrainPositives / TrainLabelled;
}

/// <summary>
/// Synthetic patients against the training data (docs/generate.md "Fidelity"): HALO/ETHOS-style code-frequency
/// correlation (Pearson r of unigram frequencies and of patient prevalence over the union of codes, ethos.md §5),
/// sex, age and length-of-stay distributions (with the Kolmogorov–Smirnov distance), encounters begun before the
/// timeline or open at its end (<see cref="EncounterCompleteness"/>), and each task's label rate.
/// </summary>
public sealed record FidelityReport(
    int SyntheticPatients,
    int TrainPatients,
    int CodesCompared,
    double FrequencyCorrelation,
    double PrevalenceCorrelation,
    IReadOnlyList<(string Code, double Train, double Synthetic)> TopCodes,
    IReadOnlyDictionary<string, (double Train, double Synthetic)> Sex,
    (DistributionSummary Train, DistributionSummary Synthetic, double Ks) Age,
    (DistributionSummary Train, DistributionSummary Synthetic, double Ks) LengthOfStayDays,
    (EncounterCompleteness Train, EncounterCompleteness Synthetic) Encounters,
    IReadOnlyList<OutcomeRate> Outcomes)
{
    public const string MarkdownFile = "fidelity.md";
    public const string JsonFile = "fidelity.json";

    internal static FidelityReport Compare(CohortProfile synthetic, CohortProfile train)
    {
        var codes = train.CodeEvents.Keys.Union(synthetic.CodeEvents.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        double Frequency(CohortProfile p, string c) => p.Events == 0 ? 0 : (double)p.CodeEvents.GetValueOrDefault(c) / p.Events;
        double Prevalence(CohortProfile p, string c) => p.Patients == 0 ? 0 : (double)p.CodePatients.GetValueOrDefault(c) / p.Patients;
        var top = codes.OrderByDescending(c => Frequency(train, c)).ThenBy(c => c, StringComparer.Ordinal).Take(15)
            .Select(c => (c, Frequency(train, c), Frequency(synthetic, c))).ToArray();
        var sexes = train.Sexes.Keys.Union(synthetic.Sexes.Keys).Order(StringComparer.Ordinal)
            .ToDictionary(s => s, s => (Share(train.Sexes, s, train.Patients), Share(synthetic.Sexes, s, synthetic.Patients)));
        var outcomes = train.Tasks.Select((t, i) => new OutcomeRate(t.Name, synthetic.Outcomes[i].Positives, synthetic.Outcomes[i].Labelled, train.Outcomes[i].Positives, train.Outcomes[i].Labelled)
        {
            SyntheticCutShort = synthetic.CutShort[i],
        }).ToArray();
        return new FidelityReport(
            synthetic.Patients, train.Patients, codes.Length,
            CohortStatistics.Pearson([.. codes.Select(c => Frequency(train, c))], [.. codes.Select(c => Frequency(synthetic, c))]),
            CohortStatistics.Pearson([.. codes.Select(c => Prevalence(train, c))], [.. codes.Select(c => Prevalence(synthetic, c))]),
            top, sexes,
            (CohortStatistics.Summarize(train.Ages), CohortStatistics.Summarize(synthetic.Ages), CohortStatistics.KolmogorovSmirnov(train.Ages, synthetic.Ages)),
            (CohortStatistics.Summarize(train.StayDays), CohortStatistics.Summarize(synthetic.StayDays), CohortStatistics.KolmogorovSmirnov(train.StayDays, synthetic.StayDays)),
            (train.Encounters, synthetic.Encounters),
            outcomes);
    }

    /// <summary>Writes <c>fidelity.md</c>, <c>fidelity.json</c> and the plots (<c>plots/age.png</c>, <c>plots/length-of-stay.png</c>, <c>plots/code-frequency.png</c>).</summary>
    internal void Write(string folder, CohortProfile synthetic, CohortProfile train)
    {
        Directory.CreateDirectory(Path.Combine(folder, "plots"));
        File.WriteAllText(Path.Combine(folder, MarkdownFile), Markdown());
        File.WriteAllBytes(Path.Combine(folder, JsonFile), Json());
        Plots(Path.Combine(folder, "plots"), synthetic, train);
    }

    private static double Share(Dictionary<string, long> counts, string key, int total) => total == 0 ? double.NaN : (double)counts.GetValueOrDefault(key) / total;

    private string Markdown()
    {
        var md = new StringBuilder();
        md.AppendLine("# Fidelity of the synthetic patients").AppendLine();
        md.AppendLine(Invariant($"{SyntheticPatients} synthetic patients against {TrainPatients} train patients (docs/generate.md \"Fidelity\").")).AppendLine();
        md.AppendLine("| measure | value |").AppendLine("|---|---|");
        md.AppendLine(Invariant($"| codes compared (union) | {CodesCompared} |"));
        md.AppendLine(Invariant($"| code frequency Pearson r (R²) | {FrequencyCorrelation:F3} ({FrequencyCorrelation * FrequencyCorrelation:F3}) |"));
        md.AppendLine(Invariant($"| code prevalence Pearson r (R²) | {PrevalenceCorrelation:F3} ({PrevalenceCorrelation * PrevalenceCorrelation:F3}) |"));
        md.AppendLine(Invariant($"| age KS distance | {Age.Ks:F3} |"));
        md.AppendLine(Invariant($"| length-of-stay KS distance | {LengthOfStayDays.Ks:F3} |")).AppendLine();
        md.AppendLine("## Distributions").AppendLine().AppendLine("| | train | synthetic |").AppendLine("|---|---|---|");
        foreach (var (sex, (t, s)) in Sex)
            md.AppendLine(Invariant($"| {sex} | {t:P1} | {s:P1} |"));
        md.AppendLine(Invariant($"| age, mean (quartiles) | {Describe(Age.Train)} | {Describe(Age.Synthetic)} |"));
        md.AppendLine(Invariant($"| length of stay, days | {Describe(LengthOfStayDays.Train)} | {Describe(LengthOfStayDays.Synthetic)} |"));
        md.AppendLine(Invariant($"| encounters opened per patient | {PerPatient(Encounters.Train.Opened, TrainPatients)} | {PerPatient(Encounters.Synthetic.Opened, SyntheticPatients)} |"));
        md.AppendLine(Invariant($"| encounters begun before the timeline | {Encounters.Train.BegunBefore} | {Encounters.Synthetic.BegunBefore} |"));
        md.AppendLine(Invariant($"| encounters open at the end of the timeline | {Encounters.Train.OpenAtEnd} | {Encounters.Synthetic.OpenAtEnd} |")).AppendLine();
        md.AppendLine("An encounter begun before the timeline (an end code with none open) or open at its end is not a whole stay: it is in no length of stay and no outcome rate.").AppendLine();
        md.AppendLine("## Outcome rates (task labels)").AppendLine().AppendLine("| task | train | synthetic | synthetic points cut short |").AppendLine("|---|---|---|---|");
        foreach (var o in Outcomes)
            md.AppendLine(Invariant($"| {o.Task} | {Rate(o.TrainRate)} ({o.TrainPositives}/{o.TrainLabelled}) | {Rate(o.SyntheticRate)} ({o.SyntheticPositives}/{o.SyntheticLabelled}) | {o.SyntheticCutShort} |"));
        md.AppendLine().AppendLine("A point whose question was still open where `--max-tokens` cut its timeline is left out of the synthetic rate (cut short), not counted as the end of a real extract is: a 30-day window cut after a week would read \"no readmission\".");
        md.AppendLine().AppendLine("## Most frequent train codes").AppendLine().AppendLine("| code | train | synthetic |").AppendLine("|---|---|---|");
        foreach (var (code, t, s) in TopCodes)
            md.AppendLine(Invariant($"| `{code}` | {t:P2} | {s:P2} |"));
        md.AppendLine().AppendLine("![age](plots/age.png) ![length of stay](plots/length-of-stay.png) ![code frequency](plots/code-frequency.png)");
        return md.ToString();
    }

    private byte[] Json()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("synthetic_patients", SyntheticPatients);
            json.WriteNumber("train_patients", TrainPatients);
            json.WriteNumber("codes_compared", CodesCompared);
            Number(json, "code_frequency_pearson_r", FrequencyCorrelation);
            Number(json, "code_prevalence_pearson_r", PrevalenceCorrelation);
            json.WriteStartObject("sex");
            foreach (var (sex, (t, s)) in Sex)
            {
                json.WriteStartObject(sex);
                Number(json, "train", t);
                Number(json, "synthetic", s);
                json.WriteEndObject();
            }
            json.WriteEndObject();
            Distribution(json, "age_years", Age);
            Distribution(json, "length_of_stay_days", LengthOfStayDays);
            json.WriteStartObject("encounters");
            Completeness(json, "train", Encounters.Train);
            Completeness(json, "synthetic", Encounters.Synthetic);
            json.WriteEndObject();
            json.WriteStartArray("outcomes");
            foreach (var o in Outcomes)
            {
                json.WriteStartObject();
                json.WriteString("task", o.Task);
                Number(json, "train_rate", o.TrainRate);
                json.WriteNumber("train_labelled", o.TrainLabelled);
                Number(json, "synthetic_rate", o.SyntheticRate);
                json.WriteNumber("synthetic_labelled", o.SyntheticLabelled);
                json.WriteNumber("synthetic_cut_short", o.SyntheticCutShort);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("top_codes");
            foreach (var (code, t, s) in TopCodes)
            {
                json.WriteStartObject();
                json.WriteString("code", code);
                Number(json, "train_frequency", t);
                Number(json, "synthetic_frequency", s);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return stream.ToArray();
    }

    private static void Plots(string folder, CohortProfile synthetic, CohortProfile train)
    {
        double[] ages = [.. Enumerable.Range(0, 20).Select(i => 2.5 + 5 * i)];
        var age = new LineChart("Age at the first event", "Age (years, 5-year bins)", "Share of patients") { XRange = (0, 100) };
        age.Add(new Series("train", ages, CohortStatistics.Histogram(train.Ages, 0, 5, 20)));
        age.Add(new Series("synthetic", ages, CohortStatistics.Histogram(synthetic.Ages, 0, 5, 20)) { Style = SeriesStyle.DashedLine });
        age.SavePng(Path.Combine(folder, "age.png"));

        double[] days = [.. Enumerable.Range(0, 30).Select(i => i + 0.5)];
        var stays = new LineChart("Hospital length of stay", "Days (1-day bins, last bin 29+)", "Share of stays") { XRange = (0, 30) };
        stays.Add(new Series("train", days, CohortStatistics.Histogram(train.StayDays, 0, 1, 30)));
        stays.Add(new Series("synthetic", days, CohortStatistics.Histogram(synthetic.StayDays, 0, 1, 30)) { Style = SeriesStyle.DashedLine });
        stays.SavePng(Path.Combine(folder, "length-of-stay.png"));

        var codes = train.CodeEvents.Keys.Union(synthetic.CodeEvents.Keys, StringComparer.Ordinal).ToArray();
        double Frequency(CohortProfile p, string c) => p.Events == 0 ? 0 : (double)p.CodeEvents.GetValueOrDefault(c) / p.Events;
        var scatter = new LineChart("Code frequency", "Train frequency", "Synthetic frequency") { XRange = (0, 1), YRange = (0, 1) };
        var max = codes.Length == 0 ? 1 : codes.Max(c => Math.Max(Frequency(train, c), Frequency(synthetic, c)));
        scatter.XRange = (0, max);
        scatter.YRange = (0, max);
        scatter.Add(new Series("codes", [.. codes.Select(c => Frequency(train, c))], [.. codes.Select(c => Frequency(synthetic, c))]) { Style = SeriesStyle.Markers });
        scatter.Add(new Series("y = x", [0, max], [0, max]) { Style = SeriesStyle.DashedLine });
        scatter.SavePng(Path.Combine(folder, "code-frequency.png"));
    }

    private static void Distribution(Utf8JsonWriter json, string name, (DistributionSummary Train, DistributionSummary Synthetic, double Ks) d)
    {
        json.WriteStartObject(name);
        Summarized(json, "train", d.Train);
        Summarized(json, "synthetic", d.Synthetic);
        Number(json, "ks_distance", d.Ks);
        json.WriteEndObject();
    }

    private static void Completeness(Utf8JsonWriter json, string name, EncounterCompleteness c)
    {
        json.WriteStartObject(name);
        json.WriteNumber("opened", c.Opened);
        json.WriteNumber("begun_before_timeline", c.BegunBefore);
        json.WriteNumber("open_at_end", c.OpenAtEnd);
        json.WriteEndObject();
    }

    private static string PerPatient(long count, int patients) => patients == 0 ? "n/a" : Invariant($"{(double)count / patients:F2}");

    private static void Summarized(Utf8JsonWriter json, string name, DistributionSummary s)
    {
        json.WriteStartObject(name);
        json.WriteNumber("n", s.N);
        Number(json, "mean", s.Mean);
        Number(json, "p25", s.P25);
        Number(json, "median", s.Median);
        Number(json, "p75", s.P75);
        json.WriteEndObject();
    }

    internal static void Number(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value))
            json.WriteNumber(name, Math.Round(value, 6));
        else
            json.WriteNull(name);
    }

    private static string Describe(DistributionSummary s) => s.N == 0 ? "n/a" : Invariant($"{s.Mean:F1} ({s.P25:F1}, {s.Median:F1}, {s.P75:F1}), n = {s.N}");

    private static string Rate(double rate) => double.IsNaN(rate) ? "n/a" : rate.ToString("P1", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
