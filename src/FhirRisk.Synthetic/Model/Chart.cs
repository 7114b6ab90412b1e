using FhirRisk.Synthetic.Codes;

namespace FhirRisk.Synthetic.Model;

/// <summary>
/// Charts measurements of the latent state (docs/simulator.md §3): every value is drawn from the measurement stream, so
/// charting more or less never changes an outcome draw.
/// </summary>
internal sealed class Chart(PatientTimeline timeline, ResourceIds ids, SimulationRandom random)
{
    /// <summary>Heart rate, respiratory rate, temperature, SpO₂ and a blood pressure panel.</summary>
    public void Vitals(DateTime time, string encounterId, double severity, string? signatureLoinc = null)
    {
        foreach (var vital in Labs.Vitals)
            Single(vital, time, encounterId, severity, signatureLoinc);
        var systolic = Value(Labs.SystolicPressure, time, encounterId, severity, signatureLoinc);
        var diastolic = Math.Min(Value(Labs.DiastolicPressure, time, encounterId, severity, signatureLoinc), systolic - 10);
        timeline.Observations.Add(new ObservationRecord(ids.Next(), time, encounterId, Labs.SystolicPressure, systolic,
            Labs.BloodPressurePanel, Labs.DiastolicPressure, diastolic));
    }

    /// <summary>Every test of <paramref name="panel"/> at one draw time.</summary>
    public void Panel(IReadOnlyList<Measurement> panel, DateTime time, string encounterId, double severity, string? signatureLoinc = null)
    {
        foreach (var measurement in panel)
            Single(measurement, time, encounterId, severity, signatureLoinc);
    }

    public void Single(Measurement measurement, DateTime time, string encounterId, double severity, string? signatureLoinc = null) =>
        timeline.Observations.Add(new ObservationRecord(ids.Next(), time, encounterId, measurement, Value(measurement, time, encounterId, severity, signatureLoinc)));

    /// <summary>A diagnosis's signature measurement moves twice as far with severity. What the draw says about the
    /// severity goes to the timeline's <see cref="SeverityEvidence"/> (the observable truth, docs/simulator.md §6).</summary>
    private double Value(Measurement measurement, DateTime time, string encounterId, double severity, string? signatureLoinc)
    {
        var multiplier = measurement.Code.Code == signatureLoinc ? 2.0 : 1.0;
        var z = random.Normal();
        var loading = measurement.SeverityShift * multiplier;
        timeline.Evidence.Add(encounterId, time, measurement.SeverityShift, z + loading * severity, measurement.Code.Code, multiplier);
        return measurement.ValueAt(z, severity, timeline.Profile.Comorbidities, multiplier);
    }
}
