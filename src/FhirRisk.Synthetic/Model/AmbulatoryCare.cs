using FhirRisk.Synthetic.Codes;

namespace FhirRisk.Synthetic.Model;

/// <summary>
/// Chronic care (docs/simulator.md §2): the problem list, and ambulatory visits as a Poisson process (rate rising with
/// the number of comorbidities) with vitals, an occasional basic metabolic panel (HbA1c for diabetics) and renewed
/// chronic medications. Visits are drawn after the acute timeline and skipped when they would fall inside an ED visit
/// or hospital stay, or after death; they come from the measurement stream and change no outcome.
/// </summary>
internal sealed class AmbulatoryCare(LatentModel model, PatientTimeline timeline, ResourceIds ids, Chart chart, SimulationRandom random)
{
    private PatientProfile Patient => timeline.Profile;

    public void Run(DateTime start, DateTime end)
    {
        ProblemList(start);
        var acute = timeline.Encounters
            .Where(e => e.Kind is EncounterKind.Emergency or EncounterKind.Inpatient)
            .Select(e => (From: e.Start.Date, To: e.End.Date.AddDays(1)))
            .ToList();
        var last = timeline.DeathTime is { } death && death < end ? death : end;
        var rate = model.AmbulatoryRatePerDay(Patient);
        for (var day = start.AddDays(random.Exponential(rate)); day < last; day = day.AddDays(random.Exponential(rate)))
        {
            var time = day.Date.AddHours(8).AddMinutes(15 * Math.Floor(random.Uniform(0, 36)));
            if (time >= last || acute.Any(a => time >= a.From && time < a.To))
                continue;
            Visit(time);
        }
    }

    private void ProblemList(DateTime start)
    {
        foreach (var entry in Comorbidities.All)
        {
            if (Patient.Has(entry.Flag))
            {
                var onset = start.AddDays(-Math.Floor(random.Uniform(365, 3650))).Date;
                timeline.Conditions.Add(new ConditionRecord(ids.Next(), entry.Code, start, onset, null));
            }
        }
    }

    private void Visit(DateTime time)
    {
        var id = ids.Next();
        timeline.Encounters.Add(new EncounterRecord(id, EncounterKind.Ambulatory, time, time.AddMinutes(30)));
        chart.Vitals(time.AddMinutes(5), id, severity: 0);
        if (random.Bernoulli(0.4))
            chart.Panel(Labs.OutpatientPanel, time.AddMinutes(20), id, severity: 0);
        if (Patient.Has(Comorbidity.Type2Diabetes) && random.Bernoulli(0.5))
            chart.Single(Labs.HemoglobinA1c, time.AddMinutes(20), id, severity: 0);
        foreach (var entry in Comorbidities.All)
        {
            if (!Patient.Has(entry.Flag))
                continue;
            foreach (var drug in entry.ChronicDrugs)
                timeline.Medications.Add(new MedicationRecord(ids.Next(), drug, time.AddMinutes(25), id, Administered: false));
        }
    }
}
