namespace FhirRisk.Meds.Ingestion;

/// <summary>
/// Counts bytes and resources over both passes and reports at most every 256 KiB or 1,000 resources. Pass 1 reads two
/// files at once, so counting and reporting take a lock (a few thousand times per GB; reports never overlap).
/// </summary>
internal sealed class IngestionProgressMeter(IProgress<FhirIngestionProgress>? progress, long totalBytes)
{
    private const long BytesBetweenReports = 256 * 1024;
    private const long ResourcesBetweenReports = 1_000;

    private readonly Lock _lock = new();
    private string _phase = "index";
    private long _lastBytes;
    private long _lastResources;

    public long Bytes { get; private set; }

    public long Resources { get; private set; }

    public void Phase(string phase)
    {
        lock (_lock)
        {
            _phase = phase;
            Report();
        }
    }

    public void AddBytes(long bytes)
    {
        lock (_lock)
        {
            Bytes += bytes;
            if (Bytes - _lastBytes >= BytesBetweenReports)
                Report();
        }
    }

    public void AddResource()
    {
        lock (_lock)
        {
            Resources++;
            if (Resources - _lastResources >= ResourcesBetweenReports)
                Report();
        }
    }

    public void Report()
    {
        lock (_lock)
        {
            (_lastBytes, _lastResources) = (Bytes, Resources);
            progress?.Report(new FhirIngestionProgress(_phase, Math.Min(Bytes, totalBytes), totalBytes, Resources));
        }
    }
}
