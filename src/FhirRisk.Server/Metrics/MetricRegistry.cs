namespace FhirRisk.Server.Metrics;

/// <summary>The metric families <c>/metrics</c> exposes, in registration order; names are unique.</summary>
internal sealed class MetricRegistry
{
    private readonly List<MetricFamily> _families = [];

    public T Add<T>(T family)
        where T : MetricFamily
    {
        ArgumentNullException.ThrowIfNull(family);
        lock (_families)
        {
            if (_families.Any(f => f.Name == family.Name))
                throw new InvalidOperationException($"The metric {family.Name} is registered twice.");
            _families.Add(family);
        }
        return family;
    }

    /// <summary>Every family in the text exposition format.</summary>
    public string Scrape()
    {
        var text = new PrometheusText();
        lock (_families)
        {
            foreach (var family in _families)
                family.Write(text);
        }
        return text.ToString();
    }
}
