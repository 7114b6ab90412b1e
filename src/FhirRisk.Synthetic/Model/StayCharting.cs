using FhirRisk.Synthetic.Codes;

namespace FhirRisk.Synthetic.Model;

/// <summary>
/// Turns a sampled ED visit or hospital stay into its clinical record (docs/simulator.md §3): encounters, vitals and labs
/// that follow the severity course, orders and daily doses, procedures, and the discharge diagnoses. Everything here
/// comes from the measurement stream; nothing here changes an outcome.
/// </summary>
internal sealed class StayCharting(PatientTimeline timeline, ResourceIds ids, Chart chart, SimulationRandom random)
{
    private const int MaximumChartedDays = 30;

    private PatientProfile Patient => timeline.Profile;

    /// <summary>Triage vitals, the ED panel and the work-up; returns the ED encounter id.</summary>
    public string EmergencyVisit(DateTime registration, DateTime edOut, bool admitted, AcuteDiagnosis diagnosis, double severity)
    {
        var id = ids.Next();
        timeline.Encounters.Add(new EncounterRecord(id, EncounterKind.Emergency, registration, edOut,
            Disposition: admitted ? null : Dispositions.Home));
        chart.Vitals(registration.AddMinutes(5), id, severity, diagnosis.SignatureLoinc);
        chart.Panel(Labs.EmergencyPanel, registration.AddMinutes(30), id, severity, diagnosis.SignatureLoinc);
        foreach (var procedure in diagnosis.Workup)
            timeline.Procedures.Add(new ProcedureRecord(ids.Next(), procedure, registration.AddMinutes(45), id));
        return id;
    }

    /// <summary>The inpatient stay (and its ICU sub-encounter); returns the inpatient encounter id.</summary>
    public string HospitalStay(DateTime admission, StayOutcome stay, AcuteDiagnosis diagnosis, double severity, Coded admitSource)
    {
        var id = ids.Next();
        var discharge = admission.AddMinutes(stay.StayMinutes);
        var disposition = stay.Died ? Dispositions.Expired : SurvivorDisposition(severity, admission);
        timeline.Encounters.Add(new EncounterRecord(id, EncounterKind.Inpatient, admission, discharge, AdmitSource: admitSource, Disposition: disposition));
        var course = new SeverityCourse(severity, stay.Died, admission, discharge);
        if (admitSource != Dispositions.FromEmergency)
        {
            // A direct admission is charted at the admission itself: what the model may see at the prediction point.
            chart.Vitals(admission, id, severity, diagnosis.SignatureLoinc);
            chart.Panel(Labs.EmergencyPanel, admission, id, severity, diagnosis.SignatureLoinc);
        }

        var drugs = Orders(diagnosis, admission, id);
        var intubated = false;
        var vasopressor = false;
        if (stay.Icu)
            (intubated, vasopressor) = IcuStay(admission, stay, diagnosis, severity, id, drugs);
        DailyCare(admission, discharge, stay, course, diagnosis, id, drugs);
        DischargeDiagnoses(id, discharge, diagnosis, intubated, vasopressor && diagnosis.Code.Code == "A41.9");
        return id;
    }

    private (bool Intubated, bool Vasopressor) IcuStay(DateTime admission, StayOutcome stay, AcuteDiagnosis diagnosis, double severity,
        string stayId, List<DailyDrug> drugs)
    {
        var start = admission.AddMinutes(stay.IcuStartMinutes);
        var end = admission.AddMinutes(stay.IcuEndMinutes);
        timeline.Encounters.Add(new EncounterRecord(ids.Next(), EncounterKind.Icu, start, end, PartOfId: stayId, Unit: diagnosis.Unit));
        var intubated = random.Bernoulli(Probability.Logistic(-1.0 + severity));
        var vasopressor = random.Bernoulli(Probability.Logistic(-0.5 + severity));
        if (intubated)
        {
            timeline.Procedures.Add(new ProcedureRecord(ids.Next(), Procedures.Intubation, start.AddMinutes(30), stayId));
            Order(Drugs.Propofol, start.AddMinutes(30), stayId, drugs, until: end);
        }
        if (vasopressor)
            Order(Drugs.Epinephrine, start.AddMinutes(45), stayId, drugs, until: end);
        if ((diagnosis.Code.Code == "N17.9" || Patient.Has(Comorbidity.ChronicKidneyDisease)) && random.Bernoulli(Probability.Logistic(-1.5 + severity)))
            timeline.Procedures.Add(new ProcedureRecord(ids.Next(), Procedures.Dialysis, start.AddHours(6), stayId));
        return (intubated, vasopressor);
    }

    /// <summary>Vitals every morning on the ward and every 8 h in the ICU, labs every morning, doses every day at 09:00 of
    /// each drug from its order on (an ICU drug until the ICU discharge: review s16-simulator #3, propofol and epinephrine
    /// were given on the ward from the first day, before the ICU admission and their own order).</summary>
    private void DailyCare(DateTime admission, DateTime discharge, StayOutcome stay, SeverityCourse course, AcuteDiagnosis diagnosis,
        string stayId, List<DailyDrug> drugs)
    {
        var icuStart = admission.AddMinutes(stay.IcuStartMinutes);
        var icuEnd = admission.AddMinutes(stay.IcuEndMinutes);
        var lastCharted = admission.Date.AddDays(MaximumChartedDays);
        for (var day = admission.Date.AddDays(1); day < discharge && day <= lastCharted; day = day.AddDays(1))
        {
            var labTime = day.AddHours(6);
            if (labTime < discharge)
            {
                var inIcu = stay.Icu && labTime >= icuStart && labTime < icuEnd;
                chart.Panel(Labs.DailyPanel, labTime, stayId, course.At(labTime), diagnosis.SignatureLoinc);
                if (inIcu)
                    chart.Single(Labs.Lactate, labTime, stayId, course.At(labTime), diagnosis.SignatureLoinc);
            }
            var doseTime = day.AddHours(9);
            if (doseTime < discharge)
            {
                foreach (var drug in drugs)
                {
                    if (doseTime >= drug.From && !(doseTime >= drug.Until))
                        timeline.Medications.Add(new MedicationRecord(ids.Next(), drug.Drug, doseTime, stayId, Administered: true));
                }
            }
        }
        var vitalsEnd = discharge < lastCharted ? discharge : lastCharted;
        for (var time = admission.Date.AddHours(8); time < vitalsEnd; time = time.AddHours(8))
        {
            var inIcu = stay.Icu && time >= icuStart && time < icuEnd;
            if (time > admission && (inIcu || time.Hour == 8))
                chart.Vitals(time, stayId, course.At(time), diagnosis.SignatureLoinc);
        }
    }

    private List<DailyDrug> Orders(AcuteDiagnosis diagnosis, DateTime admission, string stayId)
    {
        var drugs = new List<DailyDrug>();
        var orderTime = admission.AddMinutes(60);
        foreach (var drug in diagnosis.Treatment)
            Order(drug, orderTime, stayId, drugs);
        if (diagnosis.Code.Code != "K92.2" && !drugs.Exists(d => d.Drug == Drugs.Heparin))
            Order(Drugs.Heparin, orderTime, stayId, drugs);
        if (Patient.Has(Comorbidity.Type2Diabetes))
            Order(Drugs.Insulin, orderTime, stayId, drugs);
        if (Patient.Has(Comorbidity.AtrialFibrillation) && random.Bernoulli(0.3))
            Order(Drugs.Amiodarone, orderTime, stayId, drugs);
        if (random.Bernoulli(0.6))
            Order(Drugs.Acetaminophen, orderTime, stayId, drugs);
        return drugs;
    }

    private void Order(Coded drug, DateTime time, string stayId, List<DailyDrug> drugs, DateTime? until = null)
    {
        timeline.Medications.Add(new MedicationRecord(ids.Next(), drug, time, stayId, Administered: false));
        if (drug == Drugs.Alteplase)
            timeline.Medications.Add(new MedicationRecord(ids.Next(), drug, time.AddMinutes(30), stayId, Administered: true));
        else
            drugs.Add(new DailyDrug(drug, time, until));
    }

    /// <summary>A drug given every morning from its order (<paramref name="From"/>) until <paramref name="Until"/> (the
    /// stay's end when null).</summary>
    private sealed record DailyDrug(Coded Drug, DateTime From, DateTime? Until);

    private void DischargeDiagnoses(string stayId, DateTime discharge, AcuteDiagnosis diagnosis, bool intubated, bool septicShock)
    {
        timeline.Conditions.Add(new ConditionRecord(ids.Next(), diagnosis.Code, discharge, null, stayId));
        if (septicShock)
            timeline.Conditions.Add(new ConditionRecord(ids.Next(), AcuteDiagnoses.SepticShock, discharge, null, stayId));
        if (intubated)
            timeline.Conditions.Add(new ConditionRecord(ids.Next(), AcuteDiagnoses.RespiratoryFailure, discharge, null, stayId));
        foreach (var entry in Comorbidities.All)
        {
            if (Patient.Has(entry.Flag))
                timeline.Conditions.Add(new ConditionRecord(ids.Next(), entry.Code, discharge, null, stayId));
        }
    }

    /// <summary>Older and sicker survivors go to a skilled nursing or rehabilitation facility more often.</summary>
    private Coded SurvivorDisposition(double severity, DateTime admission)
    {
        var facility = Probability.Logistic(-2.0 + 0.05 * (Patient.AgeAt(admission) - 65) + 0.5 * severity);
        return random.Bernoulli(facility) ? (random.Bernoulli(0.6) ? Dispositions.SkilledNursing : Dispositions.Rehabilitation) : Dispositions.Home;
    }
}

/// <summary>
/// The acute severity over a stay (docs/simulator.md §3): survivors recover, s(t) = s₀·e^(−3f); patients who die
/// worsen, s(t) = s₀ + 1.5·f, with f the fraction of the stay elapsed.
/// </summary>
internal readonly record struct SeverityCourse(double Initial, bool Died, DateTime Admission, DateTime Discharge)
{
    public double At(DateTime time)
    {
        var fraction = Math.Clamp((time - Admission).TotalMinutes / Math.Max(1, (Discharge - Admission).TotalMinutes), 0, 1);
        return Died ? Initial + 1.5 * fraction : Initial * Math.Exp(-3 * fraction);
    }
}
