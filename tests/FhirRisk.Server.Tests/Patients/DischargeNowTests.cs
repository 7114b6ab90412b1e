using FhirRisk.Meds;
using FhirRisk.Server.Patients;
using FhirRisk.Tokenizer;

namespace FhirRisk.Server.Tests.Patients;

/// <summary>The encounter a CDS Hooks encounter-discharge call discharges is closed at the asked time, as ingestion would
/// write its end, and only while the record shows it open.</summary>
public sealed class DischargeNowTests
{
    private static readonly DateTime Admitted = new(2021, 3, 1, 8, 0, 0, DateTimeKind.Unspecified);

    private static MedsEvent[] OpenStay(long encounter, params string[] starts) =>
    [
        new(7, null, "GENDER//F"),
        .. starts.Select(code => new MedsEvent(7, Admitted, code, EncounterId: encounter)),
        new(7, Admitted.AddHours(4), "LOINC//2160-0//mg/dL", 1.2f, EncounterId: encounter),
        new(7, Admitted.AddHours(9), "LOINC//718-7//g/dL", 11f, EncounterId: encounter),
    ];

    [Fact]
    public void An_open_stay_is_discharged_at_the_last_event_after_everything_recorded_then()
    {
        var events = OpenStay(5, "HOSPITAL_ADMISSION//IMP");

        var closed = DischargeNow.Close(events, 5);

        Assert.Equal([.. events, new MedsEvent(7, Admitted.AddHours(9), "HOSPITAL_DISCHARGE//UNKNOWN", EncounterId: 5)], closed);
    }

    [Fact]
    public void Every_kind_of_stay_the_encounter_opened_is_ended_the_hospital_discharge_last()
    {
        var events = OpenStay(5, "ED_REGISTRATION", "HOSPITAL_ADMISSION//EMER", "ICU_ADMISSION//MICU");

        var closed = DischargeNow.Close(events, 5);

        // The hospital discharge is the last token at that time: the prediction point, as at a discharge in training.
        Assert.Equal(["ICU_DISCHARGE", "ED_OUT", "HOSPITAL_DISCHARGE//UNKNOWN"], closed.Skip(events.Length).Select(e => e.Code));
        // An ICU stay already ended in the encounter is left as it is.
        var icuEnded = OpenStay(5, "HOSPITAL_ADMISSION//IMP", "ICU_ADMISSION//MICU").Append(new MedsEvent(7, Admitted.AddHours(10), "ICU_DISCHARGE", EncounterId: 5)).ToArray();
        Assert.Equal(["HOSPITAL_DISCHARGE//UNKNOWN"], DischargeNow.Close(icuEnded, 5).Skip(icuEnded.Length).Select(e => e.Code));
    }

    [Fact]
    public void An_icu_stay_recorded_as_an_encounter_of_its_own_is_ended_with_the_hospital_stay()
    {
        // MIMIC's layout: the ICU stay is an encounter partOf the hospital one, with its own id.
        MedsEvent[] events =
        [
            new(7, Admitted, "HOSPITAL_ADMISSION//IMP", EncounterId: 5),
            new(7, Admitted.AddHours(2), "ICU_ADMISSION//MICU", EncounterId: 6),
            new(7, Admitted.AddHours(5), "LOINC//2160-0//mg/dL", 1.2f, EncounterId: 6),
        ];
        var endedIcu = events.Append(new MedsEvent(7, Admitted.AddHours(6), "ICU_DISCHARGE", EncounterId: 6)).ToArray();

        Assert.Equal([("ICU_DISCHARGE", (long?)6), ("HOSPITAL_DISCHARGE//UNKNOWN", 5)], DischargeNow.Close(events, 5).Skip(3).Select(e => (e.Code, e.EncounterId)));
        Assert.Equal(["HOSPITAL_DISCHARGE//UNKNOWN"], DischargeNow.Close(endedIcu, 5).Skip(4).Select(e => e.Code));

        // An ICU stay of an earlier hospital stay whose end the record lacks is not this stay's to close.
        MedsEvent[] older = [new(7, Admitted.AddDays(-30), "ICU_ADMISSION//MICU", EncounterId: 3), .. events.Where(e => e.EncounterId == 5)];
        Assert.Equal(["HOSPITAL_DISCHARGE//UNKNOWN"], DischargeNow.Close(older, 5).Skip(older.Length).Select(e => e.Code));
    }

    [Fact]
    public void At_an_asked_time_the_discharge_goes_before_later_events()
    {
        var events = OpenStay(5, "HOSPITAL_ADMISSION//IMP");

        var closed = DischargeNow.Close(events, 5, Admitted.AddHours(6));

        Assert.Equal(new MedsEvent(7, Admitted.AddHours(6), "HOSPITAL_DISCHARGE//UNKNOWN", EncounterId: 5), closed[3]);
        Assert.Equal(events[3], closed[4]);
        Assert.Equal(events.Length + 1, closed.Count);
    }

    [Fact]
    public void The_discharge_written_is_the_models_most_common_live_one_or_unknown_without_any()
    {
        var vocabulary = new Vocabulary(["HOSPITAL_DISCHARGE//exp", "HOSPITAL_DISCHARGE//snf", "HOSPITAL_DISCHARGE//home", "UNK//HOSPITAL_DISCHARGE", "HOSPITAL_DISCHARGE//DIED", "LAB//A"],
            [900, 200, 150, 0, 1000, 5000]);
        var noDischarge = new Vocabulary(["LAB//A"], [10]);

        Assert.Equal("HOSPITAL_DISCHARGE//snf", DischargeNow.HospitalDischargeCode(vocabulary)); // deaths are not live discharges
        Assert.Equal("HOSPITAL_DISCHARGE//UNKNOWN", DischargeNow.HospitalDischargeCode(noDischarge));
        Assert.Equal("HOSPITAL_DISCHARGE//snf", DischargeNow.Close(OpenStay(5, "HOSPITAL_ADMISSION//IMP"), 5, hospitalDischarge: "HOSPITAL_DISCHARGE//snf")[^1].Code);
    }

    [Fact]
    public void A_finished_or_unknown_encounter_or_one_asked_before_it_began_is_left_as_it_is()
    {
        var finished = OpenStay(5, "HOSPITAL_ADMISSION//IMP").Append(new MedsEvent(7, Admitted.AddDays(2), "HOSPITAL_DISCHARGE//HOME", EncounterId: 5)).ToArray();
        var open = OpenStay(5, "HOSPITAL_ADMISSION//IMP");
        var outpatient = OpenStay(5, "VISIT//AMB");

        Assert.Same(finished, DischargeNow.Close(finished, 5));
        Assert.Same(open, DischargeNow.Close(open, 6));
        Assert.Same(outpatient, DischargeNow.Close(outpatient, 5));
        Assert.Same(open, DischargeNow.Close(open, 5, Admitted.AddHours(-1)));
    }
}
