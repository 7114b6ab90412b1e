namespace FhirRisk.Synthetic.Model;

/// <summary>
/// One patient from (seed, index) alone: the profile and every outcome from the outcome stream, every measurement
/// from the measurement stream, ids from the identifier stream (<see cref="SimulationRandom"/>).
/// </summary>
internal sealed class PatientSimulator(SimulationSettings settings)
{
    private readonly LatentModel _model = new(settings.Model);

    public PatientTimeline Simulate(long index)
    {
        var outcomes = new SimulationRandom(settings.Seed, index, StreamPurpose.Outcomes);
        var measurements = new SimulationRandom(settings.Seed, index, StreamPurpose.Measurements);
        var ids = new ResourceIds(new SimulationRandom(settings.Seed, index, StreamPurpose.Identifiers));
        var start = settings.WindowStart;
        var end = start.AddDays(settings.WindowDays);

        var timeline = new PatientTimeline(PatientProfile.Draw(ids.Next(), start, settings.Model, outcomes));
        var chart = new Chart(timeline, ids, measurements);
        new AcuteCareSimulator(_model, timeline, outcomes, new StayCharting(timeline, ids, chart, measurements)).Run(start, end);
        new AmbulatoryCare(_model, timeline, ids, chart, measurements).Run(start, end);
        return timeline;
    }
}
