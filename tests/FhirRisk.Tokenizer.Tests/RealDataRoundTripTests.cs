using System.Diagnostics;
using FhirRisk.Core;
using FhirRisk.Meds;
using FhirRisk.Meds.Ingestion;
using FhirRisk.Testing;
using Xunit.Abstractions;

namespace FhirRisk.Tokenizer.Tests;

/// <summary>
/// The acceptance round trip (<see cref="TimelineRoundTrip"/>) on real data: PhysioNet's MIMIC-IV demo MEDS and our own
/// ingestion of the Synthea corpus.
/// </summary>
public sealed class RealDataRoundTripTests(ITestOutputHelper output)
{
    // The demo release ships tuning and held_out shards only (its train shard is missing), so the tokenizer is fitted
    // on tuning and held_out plays the unseen split.
    private static readonly TokenizerSettings s_mimicSettings = TokenizerSettings.Default with { FitSplits = [MedsSchema.TuningSplit] };

    private static string MimicDemo => ExternalData.Path("mimic-iv-demo", "mimic-iv-demo-meds-0.0.1");

    [ExternalDataFact]
    public void MimicDemo_EncodeDecode_PreservesCodesOrderAndTimes()
    {
        var dataset = MedsDatasetReader.Open(MimicDemo);
        var tokenizer = TimelineTokenizer.Fit(dataset, s_mimicSettings);
        var subjects = dataset.ReadSubjects(new MedsReadOptions { Splits = [MedsSchema.TuningSplit] }).ToList();

        Assert.NotEmpty(subjects);
        Assert.NotEmpty(tokenizer.Quantiles);
        Assert.Contains(tokenizer.Vocabulary.Tokens, t => t.StartsWith("DIAGNOSIS//ICD//10//3-6//", StringComparison.Ordinal));
        foreach (var subject in subjects)
            TimelineRoundTrip.Check(tokenizer, subject);
    }

    [ExternalDataFact]
    public void MimicDemo_HeldOutWithTuningVocabulary_UnseenCodesBackOffToAncestorOrUnknown()
    {
        var dataset = MedsDatasetReader.Open(MimicDemo);
        var tokenizer = TimelineTokenizer.Fit(dataset, s_mimicSettings);
        var backedOff = 0;
        foreach (var subject in dataset.ReadSubjects(new MedsReadOptions { Splits = [MedsSchema.HeldOutSplit] }))
        {
            var timeline = tokenizer.Encode(subject);
            var original = TimelineRoundTrip.TimelineEvents(tokenizer, subject.Events);
            var decoded = tokenizer.Decode(timeline.Tokens, subject.SubjectId, original[0].Time!.Value);

            Assert.Equal(original.Count, decoded.Count);
            for (var i = 0; i < original.Count; i++)
            {
                var (code, got) = (original[i].Code, decoded[i].Code);
                if (code == got)
                    continue;
                backedOff++;
                var isAncestor = code.StartsWith(got, StringComparison.Ordinal) && CodeHierarchy.Find(tokenizer.Settings.Hierarchies, code) is not null;
                Assert.True(isAncestor || got == "UNK//" + Vocabulary.VocabularyOf(code), $"{code} decoded as {got}");
            }
        }
        Assert.True(backedOff > 0, "held_out should hold codes the tuning split never saw");
    }

    [ExternalDataFact]
    public void MimicDemo_FitOnDefaultTrainSplit_RefusedBecauseTheDemoShipsNoTrainShard()
    {
        var dataset = MedsDatasetReader.Open(MimicDemo);

        var error = Assert.Throws<ArgumentException>(() => TimelineTokenizer.Fit(dataset));

        Assert.Contains("shards exist for: tuning, held_out", error.Message, StringComparison.Ordinal);
    }

    [ExternalDataFact]
    public void MimicDemo_Encode_ThroughputReported()
    {
        var dataset = MedsDatasetReader.Open(MimicDemo);
        var tokenizer = TimelineTokenizer.Fit(dataset, s_mimicSettings);
        var subjects = dataset.ReadSubjects().ToList();
        var buffer = tokenizer.CreateBuffer();
        foreach (var subject in subjects)
            tokenizer.Encode(subject.Events, buffer);

        const int Rounds = 20;
        long tokens = 0, events = 0;
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        for (var round = 0; round < Rounds; round++)
        {
            foreach (var subject in subjects)
            {
                tokenizer.Encode(subject.Events, buffer);
                tokens += buffer.Count;
                events += subject.Events.Count;
            }
        }
        clock.Stop();
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

        output.WriteLine($"MIMIC-IV demo encode: {events / clock.Elapsed.TotalSeconds:N0} events/s, {tokens / clock.Elapsed.TotalSeconds:N0} tokens/s, {(double)allocated / events:F2} bytes allocated per event ({subjects.Count} subjects, {events / Rounds:N0} events, {tokens / Rounds:N0} tokens per pass)");
        Assert.True(allocated < events, $"encoding allocated {allocated} bytes for {events} events");
    }

    [ExternalDataFact]
    public void SyntheaIngestion_EncodeDecode_PreservesCodesOrderAndTimes()
    {
        using var temp = new TempDirectory();
        new FhirIngestion(new FhirIngestionSettings
        {
            OutputFolder = temp.Path,
            Writer = MedsDatasetWriterSettings.Default with { Clock = new FixedClock(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero)) },
        }).Run([ExternalData.Path("fhir", "synthea-r4-corpus")]);
        var dataset = MedsDatasetReader.Open(temp.Path);
        var tokenizer = TimelineTokenizer.Fit(dataset);
        var subjects = dataset.ReadSubjects(new MedsReadOptions { Splits = [MedsSchema.TrainSplit] }).ToList();

        Assert.True(subjects.Count > 300, $"{subjects.Count} train subjects");
        Assert.NotEmpty(tokenizer.Quantiles);
        foreach (var subject in subjects)
            TimelineRoundTrip.Check(tokenizer, subject);
    }
}
