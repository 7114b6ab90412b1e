namespace FhirRisk.Bench.Parquet;

/// <summary>
/// Generates a deterministic, realistically shaped MEDS shard (DESIGN §3): subjects are contiguous and time-sorted,
/// with log-normally distributed lengths; each starts with static rows (null time), then birth, then encounters
/// whose events share timestamps in small groups (panels). About 40% of rows carry a numeric lab value, about 1%
/// a text value; codes follow a Zipf law over ~14,000 distinct codes.
/// </summary>
internal sealed class MedsShardGenerator
{
    private const long MicrosPerMinute = 60_000_000L;
    private const long MicrosPerYear = 365L * 24 * 60 * MicrosPerMinute;
    private const long Year1930 = -40L * MicrosPerYear;
    private const double NumericShare = 0.44;
    private const double OutsideEncounterShare = 0.08;

    private readonly DeterministicRandom _random;
    private readonly CodeVocabulary _vocabulary;
    private readonly ZipfSampler _labs;
    private readonly ZipfSampler _events;
    private long _encounterId = 20_000_000;

    private MedsShardGenerator(ulong seed)
    {
        _random = new DeterministicRandom(seed);
        _vocabulary = new CodeVocabulary(labCount: 4_000, eventCount: 10_000, _random);
        _labs = new ZipfSampler(_vocabulary.Labs.Count, exponent: 1.05);
        _events = new ZipfSampler(_vocabulary.Events.Count, exponent: 1.0);
    }

    public static MedsShard Generate(int rowCount, ulong seed = 0x4D454453)
    {
        var generator = new MedsShardGenerator(seed);
        var shard = new MedsShard(rowCount);
        var subjectId = (long)(generator._random.NextUInt64() >> 24);
        for (var row = 0; row < rowCount;)
        {
            // Sorted 63-bit ids with random gaps, like the hashed subject ids of DESIGN §3 within one shard.
            subjectId += 1 + (long)(generator._random.NextUInt64() >> 18);
            var end = (int)Math.Min(rowCount, (long)row + generator.SubjectLength());
            row = generator.WriteSubject(shard, row, end, subjectId);
        }

        return shard;
    }

    /// <summary>Events per subject: log-normal with median ~270 and mean ~500, clamped to 8 .. 30,000.</summary>
    private int SubjectLength() => (int)Math.Clamp(Math.Exp(5.6 + 1.1 * _random.NextNormal()), 8, 30_000);

    private int WriteSubject(MedsShard shard, int row, int end, long subjectId)
    {
        foreach (var codes in new[] { CodeVocabulary.Genders, CodeVocabulary.Races, CodeVocabulary.Ethnicities })
        {
            if (row < end)
                Put(shard, row++, subjectId, time: null, codes[_random.NextInt(codes.Count)], encounter: null);
        }

        var birth = Year1930 + (long)(_random.NextDouble() * 70 * MicrosPerYear);
        if (row < end)
            Put(shard, row++, subjectId, birth, "MEDS_BIRTH", encounter: null);

        var time = birth + (long)((18 + 60 * _random.NextDouble()) * MicrosPerYear);
        var expectedEncounters = Math.Max(1, (end - row) / 20);
        var meanGap = (1 + 19 * _random.NextDouble()) * MicrosPerYear / expectedEncounters;
        while (row < end)
        {
            time += 1 + (long)_random.NextExponential(meanGap);
            row = WriteEncounter(shard, row, end, subjectId, ref time);
        }

        if (_random.NextBool(0.05))
            Put(shard, end - 1, subjectId, shard.TimeValid[end - 1] ? shard.Time[end - 1] : null, "MEDS_DEATH", encounter: null);
        return end;
    }

    private int WriteEncounter(MedsShard shard, int row, int end, long subjectId, ref long time)
    {
        var encounter = _encounterId += 1 + _random.NextInt(100);
        Put(shard, row++, subjectId, time, CodeVocabulary.EncounterStarts[_random.NextInt(CodeVocabulary.EncounterStarts.Count)], encounter);
        var encounterEnd = (int)Math.Min(end, row + (long)_random.NextExponential(20));
        while (row < encounterEnd)
        {
            // A panel: several results with one timestamp; panels are minutes to hours apart.
            time += 1 + (long)_random.NextExponential(90 * MicrosPerMinute);
            var panelEnd = Math.Min(encounterEnd, row + _random.NextInt(1, 9));
            for (; row < panelEnd; row++)
                PutEvent(shard, row, subjectId, time, _random.NextBool(OutsideEncounterShare) ? null : encounter);
        }

        return row;
    }

    private void PutEvent(MedsShard shard, int row, long subjectId, long time, long? encounter)
    {
        if (!_random.NextBool(NumericShare))
        {
            Put(shard, row, subjectId, time, _vocabulary.Events[_events.Sample(_random)], encounter);
            return;
        }

        var lab = _vocabulary.Labs[_labs.Sample(_random)];
        Put(shard, row, subjectId, time, lab.Code, encounter);
        var outcome = _random.NextDouble();
        if (outcome < 0.03)
        {
            shard.TextValue[row] = CodeVocabulary.TextResults[_random.NextInt(CodeVocabulary.TextResults.Count)];
        }
        else if (outcome >= 0.04)
        {
            var value = lab.TypicalValue * Math.Exp(0.25 * _random.NextNormal());
            shard.NumericValue[row] = (float)Math.Round(value, lab.Decimals);
            shard.NumericValid[row] = true;
        }
    }

    /// <summary>Sets every column of <paramref name="row"/>; numeric and text values start null.</summary>
    private static void Put(MedsShard shard, int row, long subjectId, long? time, string code, long? encounter)
    {
        shard.SubjectId[row] = subjectId;
        shard.Time[row] = time ?? 0;
        shard.TimeValid[row] = time.HasValue;
        shard.Code[row] = code;
        shard.NumericValue[row] = 0;
        shard.NumericValid[row] = false;
        shard.TextValue[row] = null;
        shard.EncounterId[row] = encounter ?? 0;
        shard.EncounterValid[row] = encounter.HasValue;
    }
}
