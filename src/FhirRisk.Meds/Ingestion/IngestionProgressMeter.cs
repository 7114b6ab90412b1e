namespace FhirRisk.Meds.Ingestion;

/// <summary>Counts bytes and resources over both passes and reports at most every 256 KiB or 1,000 resources.</summary>
internal sealed class IngestionProgressMeter(IProgress<FhirIngestionProgress>? progress, long totalBytes)
{
    private const long BytesBetweenReports = 256 * 1024;
    private const long ResourcesBetweenReports = 1_000;

    private string _phase = "index";
    private long _lastBytes;
    private long _lastResources;

    public long Bytes { get; private set; }

    public long Resources { get; private set; }

    public void Phase(string phase)
    {
        _phase = phase;
        Report();
    }

    public void AddBytes(long bytes)
    {
        Bytes += bytes;
        if (Bytes - _lastBytes >= BytesBetweenReports)
            Report();
    }

    public void AddResource()
    {
        Resources++;
        if (Resources - _lastResources >= ResourcesBetweenReports)
            Report();
    }

    public void Report()
    {
        (_lastBytes, _lastResources) = (Bytes, Resources);
        progress?.Report(new FhirIngestionProgress(_phase, Math.Min(Bytes, totalBytes), totalBytes, Resources));
    }
}
