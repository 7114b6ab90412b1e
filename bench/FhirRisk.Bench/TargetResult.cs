using System.Globalization;

namespace FhirRisk.Bench;

/// <summary>Which side of the target a value must fall on to pass.</summary>
internal enum TargetDirection
{
    /// <summary>value ≥ target (speed ratios).</summary>
    AtLeast,

    /// <summary>value &lt; target (memory, latency).</summary>
    Below,
}

/// <summary>One issue target of a benchmark, printed as the contract line of DESIGN §8.</summary>
internal sealed record TargetResult(string Metric, double Value, double Target, TargetDirection Direction)
{
    public bool Pass => Direction == TargetDirection.AtLeast ? Value >= Target : Value < Target;

    /// <summary><c>RESULT &lt;name&gt;.&lt;metric&gt; value=&lt;x&gt; target=&lt;y&gt; pass=&lt;true|false&gt;</c>.</summary>
    public string ToResultLine(string benchmark) => string.Create(CultureInfo.InvariantCulture,
        $"RESULT {benchmark}.{Metric} value={Value:0.###} target={Target:0.###} pass={(Pass ? "true" : "false")}");

    /// <summary>The comparison in words for tables: <c>≥ 0.5</c> or <c>&lt; 300</c>.</summary>
    public string TargetText => string.Create(CultureInfo.InvariantCulture,
        $"{(Direction == TargetDirection.AtLeast ? ">=" : "<")} {Target:0.###}");
}
