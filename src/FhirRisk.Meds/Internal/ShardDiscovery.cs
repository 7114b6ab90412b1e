namespace FhirRisk.Meds.Internal;

/// <summary>
/// Finds the event shards under <c>data/</c> (MEDS: <c>data/**/*.parquet</c>) in a stable order: by split
/// (train, tuning, held_out, others), then by path with numbers compared as numbers (<c>2.parquet</c> before <c>10.parquet</c>).
/// </summary>
internal static class ShardDiscovery
{
    public static IReadOnlyList<MedsShard> Find(string root)
    {
        var data = Path.Combine(root, MedsSchema.DataFolder);
        if (!Directory.Exists(data))
            return [];
        var shards = Directory.EnumerateFiles(data, "*.parquet", SearchOption.AllDirectories)
            .Select(full => ToShard(root, full))
            .ToList();
        shards.Sort(static (a, b) =>
        {
            var bySplit = MedsSchema.CompareSplits(a.Split, b.Split);
            return bySplit != 0 ? bySplit : NaturalStringComparer.Instance.Compare(a.RelativePath, b.RelativePath);
        });
        return shards;
    }

    private static MedsShard ToShard(string root, string fullPath)
    {
        var relative = Path.GetRelativePath(root, fullPath).Replace('\\', '/');
        var segments = relative.Split('/');
        var split = segments.Length >= 3 ? segments[1] : "";
        return new MedsShard(split, relative, Path.GetFullPath(fullPath));
    }
}

/// <summary>Ordinal comparison in which runs of ASCII digits compare by numeric value.</summary>
internal sealed class NaturalStringComparer : IComparer<string>
{
    public static readonly NaturalStringComparer Instance = new();

    public int Compare(string? x, string? y)
    {
        if (x is null || y is null)
            return x is null ? (y is null ? 0 : -1) : 1;
        int i = 0, j = 0;
        while (i < x.Length && j < y.Length)
        {
            if (char.IsAsciiDigit(x[i]) && char.IsAsciiDigit(y[j]))
            {
                var startX = i;
                var startY = j;
                while (i < x.Length && char.IsAsciiDigit(x[i])) i++;
                while (j < y.Length && char.IsAsciiDigit(y[j])) j++;
                var byNumber = CompareDigits(x.AsSpan(startX, i - startX), y.AsSpan(startY, j - startY));
                if (byNumber != 0)
                    return byNumber;
                continue;
            }
            if (x[i] != y[j])
                return x[i].CompareTo(y[j]);
            i++;
            j++;
        }
        return (x.Length - i).CompareTo(y.Length - j);
    }

    private static int CompareDigits(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        a = a.TrimStart('0');
        b = b.TrimStart('0');
        return a.Length != b.Length ? a.Length.CompareTo(b.Length) : a.SequenceCompareTo(b);
    }
}
