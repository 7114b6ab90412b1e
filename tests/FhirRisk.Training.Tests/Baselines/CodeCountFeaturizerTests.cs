using FhirRisk.Meds;
using FhirRisk.Training.Baselines;
using FhirRisk.Training.Linear;
using FhirRisk.Training.Probes;

namespace FhirRisk.Training.Tests.Baselines;

public sealed class CodeCountFeaturizerTests
{
    private static readonly DateTime Birth = new(1950, 6, 1);
    private static readonly DateTime Admission = new(2020, 3, 1, 8, 0, 0);

    [Fact]
    public void Vocabulary_RollsIcdCodesUpToTheirCategory_AndKeepsFeaturesReachingTheMinimumCount()
    {
        string[] codes = ["ICD10CM//E11.65", "ICD10CM//E11.9", "ICD10CM//E11.9", "LOINC//2160-0//mg/dL", "LOINC//2160-0//mg/dL", "RXNORM//1"];

        var vocabulary = CodeCountVocabulary.Fit(codes, new CodeCountSettings { MinCount = 2 });

        // E11 collects all three ICD events, E11.9 two; E11.65, its parent E11.6 and the single drug fall short.
        Assert.Equal(["ICD10CM//E11", "ICD10CM//E11.9", "LOINC//2160-0//mg/dL", CodeCountVocabulary.AgeFeature], vocabulary.Features);
        Assert.Equal(-1, vocabulary.IndexOf("ICD10CM//E11.6"));
    }

    [Fact]
    public void Vocabulary_WithNothingFrequentEnough_FailsWithACode()
    {
        var error = Assert.Throws<TrainingException>(() => CodeCountVocabulary.Fit(["A//1"], new CodeCountSettings { MinCount = 3 }));

        Assert.Equal(ProbeErrorCodes.EmptyVocabulary, error.Code);
    }

    [Fact]
    public void Add_CountsEventsAtOrBeforeThePredictionTime_WithRollUpStaticsAndAge()
    {
        var vocabulary = CodeCountVocabulary.Fit(["GENDER//F", "ICD10CM//E11.9", "HOSPITAL_ADMISSION//EMER", "LOINC//1", "MEDS_BIRTH"], new CodeCountSettings { MinCount = 1 });
        var featurizer = new CodeCountFeaturizer(vocabulary);
        var subject = new MedsSubject(1, "train",
        [
            new MedsEvent(1, null, "GENDER//F"),
            new MedsEvent(1, Birth, "MEDS_BIRTH"),
            new MedsEvent(1, Admission.AddDays(-30), "ICD10CM//E11.9"),
            new MedsEvent(1, Admission.AddDays(-30), "ICD10CM//E11.65"),   // not in the vocabulary, but rolls up to E11
            new MedsEvent(1, Admission, "HOSPITAL_ADMISSION//EMER"),
            new MedsEvent(1, Admission, "LOINC//1"),                        // same timestamp: context (inclusive)
            new MedsEvent(1, Admission.AddHours(2), "LOINC//1"),            // after: not counted at the admission
        ]);

        featurizer.Add(subject, [Admission, Admission.AddHours(3)]);
        var rows = Dense(featurizer.Build());

        var atAdmission = rows[0];
        Assert.Equal(1, atAdmission[vocabulary.IndexOf("GENDER//F")]);
        Assert.Equal(1, atAdmission[vocabulary.IndexOf("MEDS_BIRTH")]);
        Assert.Equal(1, atAdmission[vocabulary.IndexOf("ICD10CM//E11.9")]);
        Assert.Equal(2, atAdmission[vocabulary.IndexOf("ICD10CM//E11")]);
        Assert.Equal(1, atAdmission[vocabulary.IndexOf("HOSPITAL_ADMISSION//EMER")]);
        Assert.Equal(1, atAdmission[vocabulary.IndexOf("LOINC//1")]);
        Assert.Equal((Admission - Birth).TotalDays / 365.2425, atAdmission[vocabulary.AgeColumn], 12);
        Assert.Equal(2, rows[1][vocabulary.IndexOf("LOINC//1")]);
    }

    [Fact]
    public void Add_WithoutABirth_LeavesAgeZero_AndRowsFollowTheOrderAdded()
    {
        var vocabulary = CodeCountVocabulary.Fit(["A//1", "B//1"], new CodeCountSettings { MinCount = 1 });
        var featurizer = new CodeCountFeaturizer(vocabulary);

        featurizer.Add(new MedsSubject(1, "train", [new MedsEvent(1, Admission, "A//1")]), [Admission]);
        featurizer.Add(new MedsSubject(2, "train", [new MedsEvent(2, Admission, "B//1"), new MedsEvent(2, Admission, "B//1")]), [Admission]);
        var rows = Dense(featurizer.Build());

        Assert.Equal([1.0, 0.0, 0.0], rows[0]);
        Assert.Equal([0.0, 2.0, 0.0], rows[1]);
    }

    [Fact]
    public void Add_PlacesDateOnlyEventsAsTheLabelsDo_SoNoCountReadsTheDaysOutcome()
    {
        // Review s16-eval #1 (MIMIC-IV's MEDS): a death and the stay's ICD procedures recorded by date sit at midnight
        // before the 09:00 admission and the 14:00 hospice discharge. The labels place the death after the discharge (a
        // live discharge, readmission_30d positive); the counts read MEDS_DEATH = 1 at that discharge, and the stay's own
        // ventilation at its admission.
        using var folder = new FhirRisk.Testing.TempDirectory();
        var day = new DateTime(2150, 3, 1);
        using (var writer = new MedsDatasetWriter(folder.Path))
        {
            for (var id = 1L; id <= 25; id++)
            {
                writer.WriteSubject(id,
                [
                    new MedsEvent(id, Birth, "MEDS_BIRTH"),
                    new MedsEvent(id, day.AddDays(id), "MEDS_DEATH"),
                    new MedsEvent(id, day.AddDays(id), "PROCEDURE//ICD//10//5A1955Z"),
                    new MedsEvent(id, day.AddDays(id).AddHours(9), "HOSPITAL_ADMISSION//EMER"),
                    new MedsEvent(id, day.AddDays(id).AddHours(14), "HOSPITAL_DISCHARGE//HOSPICE"),
                ], MedsSchema.TrainSplit);
            }
            writer.Complete();
        }
        var dataset = MedsDatasetReader.Open(folder.Path);
        var subject = dataset.ReadSubjects(new MedsReadOptions()).First();
        var (admission, discharge) = (day.AddDays(1).AddHours(9), day.AddDays(1).AddHours(14));

        double[] At(CodeCountSettings settings, string feature)
        {
            var vocabulary = CodeCountVocabulary.Fit(dataset, settings);
            var featurizer = new CodeCountFeaturizer(vocabulary);
            featurizer.Add(subject, [admission, discharge]);
            return [.. Dense(featurizer.Build()).Select(row => row[vocabulary.IndexOf(feature)])];
        }

        var placed = new CodeCountSettings { MinCount = 1 };
        Assert.Equal(["PROCEDURE//ICD"], CodeCountVocabulary.Fit(dataset, placed).DayEndCodes);
        Assert.Equal([0.0, 0.0], At(placed, "MEDS_DEATH"));
        Assert.Equal([0.0, 0.0], At(placed, "PROCEDURE//ICD//10//5A1955Z"));
        // --keep-midnight: counted where the source wrote them, as a tokenizer fitted with --keep-midnight reads them.
        var asWritten = placed with { PlaceDateOnly = false };
        Assert.Empty(CodeCountVocabulary.Fit(dataset, asWritten).DayEndCodes);
        Assert.Equal([1.0, 1.0], At(asWritten, "MEDS_DEATH"));
    }

    private static double[][] Dense(FeatureMatrix matrix)
    {
        var rows = new double[matrix.Rows][];
        for (var i = 0; i < matrix.Rows; i++)
        {
            var unit = new double[matrix.Rows];
            unit[i] = 1;
            rows[i] = new double[matrix.Columns];
            matrix.MultiplyTransposed(unit, rows[i]);
        }
        return rows;
    }
}
