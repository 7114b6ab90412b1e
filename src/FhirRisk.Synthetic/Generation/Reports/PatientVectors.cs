using FhirRisk.Meds;

namespace FhirRisk.Synthetic.Generation.Reports;

/// <summary>
/// A patient as the privacy tests see them (CEHR-GPT's representation, peers.md §2.3): age in years / 100, sex one-hot,
/// and a multi-hot vector of the codes of their timed events — stored sparse as the sorted indices of the codes present.
/// A patient with no timed event has no age (0 here) and <paramref name="HasEvents"/> false.
/// </summary>
internal sealed record PatientVector(double Age, int Sex, int[] Codes, bool HasEvents = true)
{
    /// <summary>
    /// Whether <paramref name="synthetic"/> is an exact copy of <paramref name="real"/>: the same sex and codes, ages at
    /// most a year apart (a synthetic age is drawn within the year its prompt's rounded age allows, so a memorised
    /// timeline is not at distance 0 from its source). Patients with no timed event copy nothing.
    /// </summary>
    // A year, in age/100, and the day a birth date is floored to.
    internal const double CopyAgeTolerance = 1.01 / 100;

    public static bool IsCopy(PatientVector synthetic, PatientVector real) =>
        synthetic.HasEvents && real.HasEvents && synthetic.Sex == real.Sex
        && Math.Abs(synthetic.Age - real.Age) <= CopyAgeTolerance && synthetic.Codes.AsSpan().SequenceEqual(real.Codes);
}

/// <summary>
/// Every train patient by sex and code set, with their ages, so that the exact-copy test looks a patient up against the
/// whole train split in O(1) rather than against the distance tests' sample of it (review s16-eval #2: a sample of
/// 1,000 of 15,958 train patients saw about 6 % of the copies a model made). Keys are 128 bits of SHA-256.
/// </summary>
internal sealed class CopyIndex
{
    private readonly Dictionary<UInt128, List<double>> _ages = [];

    /// <summary>Train patients added.</summary>
    public int Patients { get; private set; }

    public static CopyIndex Of(IEnumerable<PatientVector> train)
    {
        var index = new CopyIndex();
        foreach (var patient in train)
            index.Add(patient);
        return index;
    }

    public void Add(PatientVector real)
    {
        Patients++;
        if (!real.HasEvents)
            return;
        ref var ages = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_ages, Key(real), out _);
        (ages ??= []).Add(real.Age);
    }

    /// <summary><see cref="PatientVector.IsCopy"/> against some train patient added.</summary>
    public bool Copies(PatientVector patient) =>
        patient.HasEvents && _ages.TryGetValue(Key(patient), out var ages) && ages.Exists(a => Math.Abs(patient.Age - a) <= PatientVector.CopyAgeTolerance);

    private static UInt128 Key(PatientVector patient)
    {
        var bytes = new byte[4 * (patient.Codes.Length + 1)];
        BitConverter.TryWriteBytes(bytes, patient.Sex);
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(patient.Codes.AsSpan()).CopyTo(bytes.AsSpan(4));
        var hash = System.Security.Cryptography.SHA256.HashData(bytes);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(hash);
    }
}

/// <summary>Builds <see cref="PatientVector"/>s over one code index shared by every cohort, and their distances.</summary>
internal sealed class PatientVectors
{
    private readonly Dictionary<string, int> _codes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _sexes = new(StringComparer.Ordinal);

    public PatientVector Of(IReadOnlyList<MedsEvent> events)
    {
        var sexCode = events.FirstOrDefault(e => e.Code.StartsWith("GENDER//", StringComparison.Ordinal)).Code ?? "";
        if (!_sexes.TryGetValue(sexCode, out var sex))
            _sexes[sexCode] = sex = _sexes.Count;
        var birth = events.FirstOrDefault(e => e.Code == MedsSchema.BirthCode).Time;
        var timed = events.Where(e => e.Time is not null && e.Code != MedsSchema.BirthCode).ToList();
        var age = birth is { } b && timed.Count > 0 ? (timed.Min(e => e.Time!.Value) - b).TotalDays / 365.2425 / 100 : 0;
        var codes = new SortedSet<int>();
        foreach (var ev in timed)
        {
            if (!_codes.TryGetValue(ev.Code, out var index))
                _codes[ev.Code] = index = _codes.Count;
            codes.Add(index);
        }
        return new PatientVector(age, sex, [.. codes], timed.Count > 0);
    }

    /// <summary>Squared Euclidean distance: codes in one but not the other, the age difference squared, 2 for a different sex.</summary>
    public static double Distance(PatientVector a, PatientVector b)
    {
        int i = 0, j = 0, common = 0;
        while (i < a.Codes.Length && j < b.Codes.Length)
        {
            var (x, y) = (a.Codes[i], b.Codes[j]);
            common += x == y ? 1 : 0;
            i += x <= y ? 1 : 0;
            j += y <= x ? 1 : 0;
        }
        var age = a.Age - b.Age;
        return a.Codes.Length + b.Codes.Length - 2 * common + age * age + (a.Sex == b.Sex ? 0 : 2);
    }

    /// <summary>For each of <paramref name="from"/>, the distance to its nearest record of <paramref name="to"/>
    /// (itself excluded when both lists are the same).</summary>
    public static double[] Nearest(IReadOnlyList<PatientVector> from, IReadOnlyList<PatientVector> to, int threads)
    {
        var same = ReferenceEquals(from, to);
        var nearest = new double[from.Count];
        Parallel.For(0, from.Count, new ParallelOptions { MaxDegreeOfParallelism = threads }, i =>
        {
            var best = double.PositiveInfinity;
            for (var k = 0; k < to.Count; k++)
            {
                if (!(same && k == i))
                    best = Math.Min(best, Distance(from[i], to[k]));
            }
            nearest[i] = best;
        });
        return nearest;
    }
}
