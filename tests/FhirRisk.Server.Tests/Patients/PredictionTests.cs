using System.Text;
using System.Text.Json.Nodes;
using FhirRisk.Inference.Prediction;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Server.Patients;
using FhirRisk.Server.Tests.Infrastructure;
using FhirRisk.Server.Timeline;
using FhirRisk.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FhirRisk.Server.Tests.Patients;

/// <summary>Predictions over stored + supplied data: IPatientRiskService directly and RiskService through grpc-js.</summary>
public sealed class PredictionTests : IAsyncLifetime
{
    private TestFhirRiskServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await TestFhirRiskServer.StartAsync();
        await _server.WaitUntilReadyAsync();
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Stored_history_is_combined_with_supplied_resources_which_replace_stored_ones()
    {
        await PushAsync(TestBundles.Patient("p1", labs: 3));
        var builder = _server.Services.GetRequiredService<PatientTimelineBuilder>();
        var changed = TestBundles.Lab("p1-lab0", "p1", "p1-enc", new DateTime(2021, 3, 1, 12, 0, 0, DateTimeKind.Utc), 99.5);
        var extra = TestBundles.Lab("p1-new", "p1", "p1-enc", new DateTime(2021, 3, 2, 12, 0, 0, DateTimeKind.Utc), 7.25);

        var stored = await builder.BuildAsync("p1", [], useStoredHistory: true, CancellationToken.None);
        var combined = await builder.BuildAsync("p1", [Utf8(changed), Utf8(extra)], useStoredHistory: true, CancellationToken.None);

        static float?[] Labs(PatientEventsResult r) => [.. r.Events.Where(e => e.Code.StartsWith("LOINC//2160-0", StringComparison.Ordinal)).Select(e => e.NumericValue)];
        Assert.Equal([1f, 2f, 3f], Labs(stored));
        Assert.Equal([99.5f, 2f, 3f, 7.25f], Labs(combined));
        Assert.Contains(combined.Events, e => e.Code == "HOSPITAL_ADMISSION//IMP" || e.Code.StartsWith("HOSPITAL_ADMISSION", StringComparison.Ordinal));
    }

    [Fact]
    public async Task One_record_gives_one_order_of_events_however_its_resources_arrive()
    {
        // Service review s10 #2: the same bundle as written, reversed, or pushed before gave different mortality risks,
        // because events of one timestamp kept the order their resources came in. Three labs and a diagnosis at one time.
        var at = new DateTime(2021, 3, 5, 12, 0, 0, DateTimeKind.Utc);
        var bundle = TestBundles.Patient("p-order", labs: 1);
        JsonObject[] extra =
        [
            TestBundles.Lab("p-order-a", "p-order", "p-order-enc", at, 4.5),
            TestBundles.Lab("p-order-c", "p-order", "p-order-enc", at, 1.5),
            TestBundles.Lab("p-order-b", "p-order", "p-order-enc", at, 9.5),
        ];
        var entries = bundle["entry"]!.AsArray().Select(e => e!["resource"]!.DeepClone().AsObject()).Concat(extra).ToArray();
        var builder = _server.Services.GetRequiredService<PatientTimelineBuilder>();
        async Task<string[]> Events(IEnumerable<JsonObject> resources, bool stored) =>
            [.. (await builder.BuildAsync("p-order", [.. resources.Select(Utf8)], stored, CancellationToken.None)).Events.Select(e => $"{e.Time:O} {e.Code} {e.NumericValue}")];

        var written = await Events(entries, stored: false);
        Assert.Equal(written, await Events(entries.Reverse(), stored: false));
        Assert.Equal(written, await Events(entries.Skip(2).Concat(entries.Take(2)), stored: false));
        await PushAsync(TestBundles.Patient("p-order", labs: 1));
        Assert.Equal(written, await Events(extra.Reverse(), stored: true));
        Assert.Equal(["4.5", "9.5", "1.5"], written.Where(e => e.StartsWith(at.ToString("O"), StringComparison.Ordinal)).Select(e => e.Split(' ')[^1]));
    }

    [Fact]
    public async Task Of_two_supplied_versions_of_one_resource_the_newer_by_its_meta_is_read_whatever_their_order()
    {
        // Train/serve review s19 #5: a history Bundle lists the newest version first, and the last copy read won.
        var at = new DateTime(2021, 3, 1, 12, 0, 0, DateTimeKind.Utc);
        JsonObject Version(double value, string versionId, string? updated)
        {
            var lab = TestBundles.Lab("p-ver-lab", "p-ver", "p-ver-enc", at, value);
            lab["meta"] = updated is null ? new JsonObject { ["versionId"] = versionId } : new JsonObject { ["versionId"] = versionId, ["lastUpdated"] = updated };
            return lab;
        }
        var patient = TestBundles.Patient("p-ver", labs: 0)["entry"]!.AsArray().Select(e => e!["resource"]!.DeepClone().AsObject()).ToArray();
        var builder = _server.Services.GetRequiredService<PatientTimelineBuilder>();
        async Task<float?> Read(params JsonObject[] labs) =>
            (await builder.BuildAsync("p-ver", [.. patient.Concat(labs).Select(Utf8)], useStoredHistory: false, CancellationToken.None))
                .Events.Single(e => e.Code.StartsWith("LOINC//2160-0", StringComparison.Ordinal)).NumericValue;

        Assert.Equal(7.5f, await Read(Version(7.5, "2", null), Version(1.5, "1", null)));
        Assert.Equal(7.5f, await Read(Version(1.5, "1", null), Version(7.5, "2", null)));
        // lastUpdated decides before versionId; copies the meta does not order: the later one.
        Assert.Equal(1.5f, await Read(Version(1.5, "1", "2021-03-05T00:00:00Z"), Version(7.5, "2", "2021-03-04T00:00:00Z")));
        Assert.Equal(7.5f, await Read(Version(1.5, "x", null), Version(7.5, "y", null)));
        Assert.False(PatientTimelineBuilder.IsNewerBySender(
            new TimelineResource("Observation", "o", "p", null, "h", Array.Empty<byte>()) { SourceVersion = new TimelineSourceVersion(1, null) },
            new TimelineResource("Observation", "o", "p", null, "h", Array.Empty<byte>()) { SourceVersion = new TimelineSourceVersion(null, 5) }));
    }

    [Fact]
    public async Task A_supplied_copy_older_than_the_stored_one_by_its_meta_leaves_the_stored_one_in_place()
    {
        // An EHR's cached prefetch may lag a push that came since: the store's newer version is read, as a push of the
        // older copy would not have replaced it either.
        var at = new DateTime(2021, 3, 1, 12, 0, 0, DateTimeKind.Utc);
        JsonObject Copy(double value, string? versionId, string? updated)
        {
            var lab = TestBundles.Lab("p-stale-lab", "p-stale", "p-stale-enc", at, value);
            if (versionId is not null)
                lab["meta"] = updated is null ? new JsonObject { ["versionId"] = versionId } : new JsonObject { ["versionId"] = versionId, ["lastUpdated"] = updated };
            return lab;
        }
        await PushAsync(TestBundles.Patient("p-stale", labs: 0));
        await PushAsync(new JsonObject
        {
            ["resourceType"] = "Bundle",
            ["type"] = "batch",
            ["entry"] = new JsonArray(new JsonObject
            {
                ["resource"] = Copy(5.5, "3", "2021-03-03T00:00:00Z"),
                ["request"] = new JsonObject { ["method"] = "PUT", ["url"] = "Observation/p-stale-lab" },
            }),
        });
        var builder = _server.Services.GetRequiredService<PatientTimelineBuilder>();
        async Task<float?> Read(JsonObject supplied) =>
            (await builder.BuildAsync("p-stale", [Utf8(supplied)], useStoredHistory: true, CancellationToken.None))
                .Events.Single(e => e.Code.StartsWith("LOINC//2160-0", StringComparison.Ordinal)).NumericValue;

        Assert.Equal(5.5f, await Read(Copy(1.5, "2", "2021-03-02T00:00:00Z"))); // older: the stored one
        // Older by versionId alone: the supplied one. The push and the prefetch may come from different servers, whose
        // version counters do not compare (review s20 L4).
        Assert.Equal(1.5f, await Read(Copy(1.5, "2", null)));
        Assert.Equal(7.5f, await Read(Copy(7.5, "4", "2021-03-04T00:00:00Z"))); // newer: the supplied one, for this call
        Assert.Equal(7.5f, await Read(Copy(7.5, null, null))); // not ordered: the supplied one, as before
        Assert.Equal(5.5f, (await builder.BuildAsync("p-stale", [], useStoredHistory: true, CancellationToken.None))
            .Events.Single(e => e.Code.StartsWith("LOINC//2160-0", StringComparison.Ordinal)).NumericValue); // the store unchanged
    }

    [Fact]
    public async Task A_resource_whose_newest_copy_names_another_patient_is_left_out_with_its_older_copies()
    {
        // The version is chosen before the patient is checked: an older copy naming this patient does not stand in for
        // the newer one that moved the resource to another chart, stored or supplied.
        var at = new DateTime(2021, 3, 1, 12, 0, 0, DateTimeKind.Utc);
        JsonObject Copy(string patient, string versionId)
        {
            var lab = TestBundles.Lab("p-moved-lab", patient, "p-moved-enc", at, 4.5);
            lab["meta"] = new JsonObject { ["versionId"] = versionId };
            return lab;
        }
        var patient = TestBundles.Patient("p-moved", labs: 0)["entry"]!.AsArray().Select(e => e!["resource"]!.DeepClone().AsObject()).ToArray();
        var builder = _server.Services.GetRequiredService<PatientTimelineBuilder>();
        async Task<PatientEventsResult> Build(bool stored, params JsonObject[] labs) =>
            await builder.BuildAsync("p-moved", [.. patient.Concat(labs).Select(Utf8)], stored, CancellationToken.None);
        static int Labs(PatientEventsResult r) => r.Events.Count(e => e.Code.StartsWith("LOINC//2160-0", StringComparison.Ordinal));

        var moved = await Build(false, Copy("p-moved", "1"), Copy("p-other", "2"));
        Assert.Equal(0, Labs(moved));
        Assert.Equal(1, moved.Gaps.OtherPatient);
        var movedBack = await Build(false, Copy("p-other", "1"), Copy("p-moved", "2"));
        Assert.Equal(1, Labs(movedBack));
        Assert.Equal(0, movedBack.Gaps.OtherPatient); // the older copy is superseded, not left out

        await PushAsync(new JsonObject
        {
            ["resourceType"] = "Bundle",
            ["type"] = "batch",
            ["entry"] = new JsonArray(
                new JsonObject { ["resource"] = patient[0].DeepClone(), ["request"] = new JsonObject { ["method"] = "PUT", ["url"] = "Patient/p-moved" } },
                new JsonObject { ["resource"] = Copy("p-moved", "1"), ["request"] = new JsonObject { ["method"] = "PUT", ["url"] = "Observation/p-moved-lab" } }),
        });
        Assert.Equal(1, Labs(await Build(true)));
        var storedThenMoved = await Build(true, Copy("p-other", "2"));
        Assert.Equal(0, Labs(storedThenMoved));
        Assert.Equal(1, storedThenMoved.Gaps.OtherPatient);

        // The newest copy is the stored one, pushed to another chart since; the caller's older copy names this patient
        // (review s20 M3). The patient's read never returns the moved row, so it is looked up by id.
        JsonObject Dated(string patient, string updated)
        {
            var lab = TestBundles.Lab("p-moved-lab2", patient, "p-moved-enc", at, 6.5);
            lab["meta"] = new JsonObject { ["versionId"] = "1", ["lastUpdated"] = updated };
            return lab;
        }
        await PushAsync(new JsonObject
        {
            ["resourceType"] = "Bundle",
            ["type"] = "batch",
            ["entry"] = new JsonArray(
                new JsonObject { ["resource"] = Dated("p-other", "2021-03-05T00:00:00Z"), ["request"] = new JsonObject { ["method"] = "PUT", ["url"] = "Observation/p-moved-lab2" } }),
        });
        var staleCopy = await Build(true, Dated("p-moved", "2021-03-04T00:00:00Z"));
        Assert.DoesNotContain(staleCopy.Events, e => e.NumericValue == 6.5f);
        Assert.Equal(1, staleCopy.Gaps.OtherPatient);
        var newerCopy = await Build(true, Dated("p-moved", "2021-03-06T00:00:00Z")); // moved back since: this patient's
        Assert.Contains(newerCopy.Events, e => e.NumericValue == 6.5f);
    }

    [Fact]
    public async Task A_merged_chart_s_stored_history_is_read_with_the_chart_it_was_merged_into_whichever_is_asked_for()
    {
        // Ingestion follows Patient.link replaced-by to the surviving chart; the store and the service now do too. Two
        // charts of one person pushed apart, then the old one retired into the new one.
        await PushAsync(TestBundles.Patient("p-merged-old", labs: 2, firstValue: 1.0));
        await PushAsync(TestBundles.Patient("p-merged-new", labs: 3, firstValue: 10.0));
        var builder = _server.Services.GetRequiredService<PatientTimelineBuilder>();
        static float?[] Labs(PatientEventsResult r) =>
            [.. r.Events.Where(e => e.Code.StartsWith("LOINC//2160-0", StringComparison.Ordinal)).Select(e => e.NumericValue).Order()];
        Assert.Equal([10f, 11f, 12f], Labs(await builder.BuildAsync("p-merged-new", [], useStoredHistory: true, CancellationToken.None)));

        var retired = TestBundles.Patient("p-merged-old", labs: 0)["entry"]!.AsArray()[0]!["resource"]!.DeepClone().AsObject();
        retired["active"] = false;
        retired["link"] = new JsonArray(new JsonObject { ["type"] = "replaced-by", ["other"] = new JsonObject { ["reference"] = "Patient/p-merged-new" } });
        await PushAsync(new JsonObject
        {
            ["resourceType"] = "Bundle",
            ["type"] = "batch",
            ["entry"] = new JsonArray(new JsonObject { ["resource"] = retired, ["request"] = new JsonObject { ["method"] = "PUT", ["url"] = "Patient/p-merged-old" } }),
        });

        var survivor = await builder.BuildAsync("p-merged-new", [], useStoredHistory: true, CancellationToken.None);
        Assert.Equal([1f, 2f, 10f, 11f, 12f], Labs(survivor));
        Assert.Single(survivor.Events.Select(e => e.SubjectId).Distinct());
        // Asked by the retired chart's id (an EHR still using it): the same person, the same record.
        var byRetiredId = await builder.BuildAsync("p-merged-old", [], useStoredHistory: true, CancellationToken.None);
        Assert.Equal(survivor.Events.Select(e => $"{e.Time:O} {e.Code} {e.NumericValue}"), byRetiredId.Events.Select(e => $"{e.Time:O} {e.Code} {e.NumericValue}"));
        // A supplied resource of the retired chart is the patient's, not another patient's.
        var late = TestBundles.Lab("p-merged-late", "p-merged-old", "p-merged-old-enc", new DateTime(2021, 3, 2, 9, 0, 0, DateTimeKind.Utc), 7.5);
        var withLate = await builder.BuildAsync("p-merged-new", [Utf8(late)], useStoredHistory: true, CancellationToken.None);
        Assert.Equal([1f, 2f, 7.5f, 10f, 11f, 12f], Labs(withLate));
        Assert.Equal(0, withLate.Gaps.OtherPatient);
    }

    [Fact]
    public async Task A_supplied_copy_of_a_merged_chart_s_resource_is_the_patient_s()
    {
        // The retired chart's Patient was stored with its replaced-by, its labs under its id; a supplied copy of one of
        // those labs names the retired id: the patient's own data, not another patient's (review s20-merges M3).
        await PushAsync(TestBundles.Patient("p-fam-new", labs: 1, firstValue: 10.0));
        var retired = TestBundles.Patient("p-fam-old", labs: 2, firstValue: 1.0);
        var patient = retired["entry"]!.AsArray()[0]!["resource"]!.AsObject();
        patient["link"] = new JsonArray(new JsonObject { ["type"] = "replaced-by", ["other"] = new JsonObject { ["reference"] = "Patient/p-fam-new" } });
        await PushAsync(retired);
        var builder = _server.Services.GetRequiredService<PatientTimelineBuilder>();
        var copy = TestBundles.Lab("p-fam-old-lab0", "p-fam-old", "p-fam-old-enc", new DateTime(2021, 3, 1, 12, 0, 0, DateTimeKind.Utc), 1.0);

        var read = await builder.BuildAsync("p-fam-new", [Utf8(copy)], useStoredHistory: true, CancellationToken.None);

        Assert.Equal([1f, 2f, 10f], read.Events.Where(e => e.Code.StartsWith("LOINC//2160-0", StringComparison.Ordinal)).Select(e => e.NumericValue).Order());
        Assert.Equal(0, read.Gaps.OtherPatient);
    }

    [Fact]
    public async Task A_supplied_bundle_holding_a_merged_chart_is_read_as_one_patient()
    {
        // The survivor's side only (link replaces), as some servers write a merge.
        var builder = _server.Services.GetRequiredService<PatientTimelineBuilder>();
        var old = TestBundles.Patient("p-sup-old", labs: 2, firstValue: 1.0)["entry"]!.AsArray().Select(e => e!["resource"]!.DeepClone().AsObject());
        var survivor = TestBundles.Patient("p-sup-new", labs: 1, firstValue: 10.0)["entry"]!.AsArray().Select(e => e!["resource"]!.DeepClone().AsObject()).ToArray();
        survivor[0]["link"] = new JsonArray(new JsonObject { ["type"] = "replaces", ["other"] = new JsonObject { ["reference"] = "Patient/p-sup-old" } });

        var read = await builder.BuildAsync("p-sup-new", [.. survivor.Concat(old).Select(Utf8)], useStoredHistory: false, CancellationToken.None);

        Assert.Equal([1f, 2f, 10f], read.Events.Where(e => e.Code.StartsWith("LOINC//2160-0", StringComparison.Ordinal)).Select(e => e.NumericValue).Order());
        Assert.Equal(0, read.Gaps.OtherPatient);

        // The retired chart's own replaced-by, and no patient named (review s20-merges L6): one patient, the survivor.
        var retired = TestBundles.Patient("p-sup-old2", labs: 2, firstValue: 1.0)["entry"]!.AsArray().Select(e => e!["resource"]!.DeepClone().AsObject()).ToArray();
        retired[0]["link"] = new JsonArray(new JsonObject { ["type"] = "replaced-by", ["other"] = new JsonObject { ["reference"] = "Patient/p-sup-new2" } });
        var kept = TestBundles.Patient("p-sup-new2", labs: 1, firstValue: 10.0)["entry"]!.AsArray().Select(e => e!["resource"]!.DeepClone().AsObject());
        var unnamed = await builder.BuildAsync(null, [.. retired.Concat(kept).Select(Utf8)], useStoredHistory: false, CancellationToken.None);
        Assert.Equal([1f, 2f, 10f], unnamed.Events.Where(e => e.Code.StartsWith("LOINC//2160-0", StringComparison.Ordinal)).Select(e => e.NumericValue).Order());
    }

    [Fact]
    public async Task Issues_of_stored_resources_name_their_type_but_not_their_id_and_supplied_ones_keep_theirs()
    {
        // A value beyond float32 is a warning; stored ids may be accession numbers pushed by another client.
        await PushAsync(TestBundles.Patient("p5", labs: 1));
        await PushAsync(new JsonObject
        {
            ["resourceType"] = "Bundle",
            ["type"] = "transaction",
            ["entry"] = new JsonArray(new JsonObject
            {
                ["resource"] = TestBundles.Lab("acc-7731-stored", "p5", "p5-enc", new DateTime(2021, 3, 1, 14, 0, 0, DateTimeKind.Utc), 1e300),
                ["request"] = new JsonObject { ["method"] = "PUT", ["url"] = "Observation/acc-7731-stored" },
            }),
        });
        var builder = _server.Services.GetRequiredService<PatientTimelineBuilder>();
        var supplied = TestBundles.Lab("acc-7731-supplied", "p5", "p5-enc", new DateTime(2021, 3, 1, 15, 0, 0, DateTimeKind.Utc), 1e300);

        var result = await builder.BuildAsync("p5", [Utf8(supplied)], useStoredHistory: true, CancellationToken.None);

        var paths = result.Warnings.Select(w => w.Path).ToArray();
        Assert.Contains(paths, p => p.StartsWith("timeline:Observation.", StringComparison.Ordinal));
        Assert.DoesNotContain(paths, p => p.Contains("acc-7731-stored", StringComparison.Ordinal));
        Assert.Contains(paths, p => p.Contains("Observation/acc-7731-supplied", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_patient_risk_service_answers_each_task_from_stored_data()
    {
        await PushAsync(TestBundles.Patient("p2"));

        var result = await _server.Patients.PredictAsync(new PatientRiskRequest("p2", [], ["hospital_mortality", "icu_admission"]))
            .WaitAsync(TestFhirRiskServer.Timeout);

        Assert.Equal(["hospital_mortality", "icu_admission"], result.Risks.Select(r => r.Task));
        Assert.All(result.Risks, r => Assert.Equal(RiskMethod.Rollouts, r.Method));
        Assert.All(result.Risks, r => Assert.Equal(RolloutEstimator.Hazard, r.Estimator)); // Model:RolloutEstimator's default
        Assert.All(result.Risks, r => Assert.InRange(r.Risk, r.Interval!.Value.Lower, r.Interval!.Value.Upper));
        Assert.True(result.EventCount > 8);
        Assert.StartsWith("model@", result.ModelVersion, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_encounter_being_discharged_is_closed_at_the_last_event_while_the_record_shows_it_open()
    {
        // A stay still in progress in the record: no period.end.
        var bundle = TestBundles.Patient("p7", labs: 2);
        var encounter = bundle["entry"]!.AsArray().Select(e => e!["resource"]!).Single(r => (string?)r["resourceType"] == "Encounter");
        encounter["status"] = "in-progress";
        encounter["period"]!.AsObject().Remove("end");
        await PushAsync(bundle);
        await PushAsync(TestBundles.Patient("p8", labs: 2)); // finished three days after the admission
        var builder = _server.Services.GetRequiredService<PatientTimelineBuilder>();
        PatientRiskRequest Discharging(string patient) => new(patient, [], ["readmission_30d"]) { DischargingEncounterId = patient + "-enc" };

        var open = await builder.BuildAsync(Discharging("p7"), CancellationToken.None);
        var asStored = await builder.BuildAsync("p7", [], useStoredHistory: true, CancellationToken.None);
        var finished = await builder.BuildAsync(Discharging("p8"), CancellationToken.None);
        var discharged = await _server.Patients.PredictAsync(Discharging("p7")).WaitAsync(TestFhirRiskServer.Timeout);
        var inStay = await _server.Patients.PredictAsync(new PatientRiskRequest("p7", [], ["readmission_30d"])).WaitAsync(TestFhirRiskServer.Timeout);

        Assert.DoesNotContain(asStored.Events, e => e.Code.StartsWith("HOSPITAL_DISCHARGE", StringComparison.Ordinal));
        var last = open.Events[^1];
        // The model's most common live discharge, a token it has learnt (the disposition is not known yet).
        var vocabulary = _server.Services.GetRequiredService<RiskModel>().Session.Tokenizer.Vocabulary;
        Assert.Equal((DischargeNow.HospitalDischargeCode(vocabulary), asStored.Events[^1].Time), (last.Code, last.Time));
        Assert.NotEqual(DischargeNow.UnknownDisposition, last.Code);
        Assert.Equal(asStored.Events.Count + 1, open.Events.Count);
        Assert.Single(finished.Events, e => e.Code.StartsWith("HOSPITAL_DISCHARGE", StringComparison.Ordinal)); // its own end only
        Assert.Equal(inStay.EventCount + 1, discharged.EventCount);
        Assert.All(discharged.Risks.Concat(inStay.Risks), r => Assert.Null(r.Observed));
    }

    [Fact]
    public async Task A_death_at_midnight_with_later_events_that_day_is_not_read_when_asked_that_morning()
    {
        // Train/serve review s19 #9: the labels and the offline encoding take such a death at its day's end; the service
        // dropped the day's later events at the cut-off first, so asked at 10:00 it read the death as already charted.
        var bundle = TestBundles.Patient("p-dod", labs: 2);
        var resources = bundle["entry"]!.AsArray().Select(e => e!["resource"]!.DeepClone().AsObject()).ToList();
        var encounter = resources.Single(r => (string?)r["resourceType"] == "Encounter");
        encounter["status"] = "in-progress";
        encounter["period"]!.AsObject().Remove("end");
        resources.Single(r => (string?)r["resourceType"] == "Patient")["deceasedDateTime"] = "2021-03-02T00:00:00Z";
        resources.Add(TestBundles.Lab("p-dod-late", "p-dod", "p-dod-enc", new DateTime(2021, 3, 2, 15, 0, 0, DateTimeKind.Utc), 5.5));
        PatientRiskRequest Asked(int day, int hour) =>
            new("p-dod", [.. resources.Select(Utf8)], ["hospital_mortality"], new DateTimeOffset(2021, 3, day, hour, 0, 0, TimeSpan.Zero))
            {
                UseStoredHistory = false,
            };

        var morning = await _server.Patients.PredictAsync(Asked(2, 10)).WaitAsync(TestFhirRiskServer.Timeout);
        var nextDay = await _server.Patients.PredictAsync(Asked(3, 1)).WaitAsync(TestFhirRiskServer.Timeout);

        Assert.Null(Assert.Single(morning.Risks).Observed);
        Assert.NotNull(Assert.Single(nextDay.Risks).Observed); // taken at the day's end, and read once that has passed
    }

    [Fact]
    public async Task An_unknown_patient_is_unavailable_data()
    {
        await Assert.ThrowsAsync<PatientDataUnavailableException>(() =>
            _server.Patients.PredictAsync(new PatientRiskRequest("nobody", [], ["hospital_mortality"])).WaitAsync(TestFhirRiskServer.Timeout));
    }

    [Fact]
    public async Task Predict_over_gRPC_reads_stored_and_supplied_data()
    {
        await PushAsync(TestBundles.Patient("p3", labs: 3));
        var supplied = new JsonObject
        {
            ["resourceType"] = "Bundle", ["type"] = "collection",
            ["entry"] = new JsonArray { new JsonObject { ["resource"] = TestBundles.Lab("p3-late", "p3", "p3-enc", new DateTime(2021, 3, 3, 6, 0, 0, DateTimeKind.Utc), 4.5) } },
        };

        var calls = await GrpcJsClient.CallAsync(new JsonObject
        {
            ["calls"] = new JsonArray
            {
                Predict(new JsonObject { ["stored"] = new JsonObject { ["patient_id"] = "p3" }, ["reference"] = "r-stored" }),
                Predict(new JsonObject
                {
                    ["bundle"] = new JsonObject { ["json"] = Convert.ToBase64String(Utf8(supplied)), ["patient_id"] = "p3" },
                    ["reference"] = "r-bundle",
                }),
                Predict(new JsonObject { ["stored"] = new JsonObject { ["patient_id"] = "nobody" } }),
                Predict(new JsonObject { ["stored"] = new JsonObject { ["patient_id"] = "p3" } }, task: "no_such_task"),
            },
        });

        var results = calls.Root.GetProperty("results").EnumerateArray().Select(c => new GrpcJsResult(c)).ToArray();
        Assert.Equal("OK", results[0].StatusName);
        var answer = results[0].Messages.Single();
        Assert.Equal("r-stored", answer.GetProperty("reference").GetString());
        Assert.Equal("hospital_mortality", answer.GetProperty("risks")[0].GetProperty("task").GetString());
        Assert.Equal("METHOD_ROLLOUTS", answer.GetProperty("risks")[0].GetProperty("method").GetString());
        Assert.Equal("ESTIMATOR_HAZARD", answer.GetProperty("risks")[0].GetProperty("estimator").GetString());
        Assert.Equal("OK", results[1].StatusName);
        Assert.Equal("r-bundle", results[1].Messages.Single().GetProperty("reference").GetString());
        Assert.Equal("NOT_FOUND", results[2].StatusName);
        Assert.Equal("INVALID_ARGUMENT", results[3].StatusName);
        Assert.Contains("no_such_task", results[3].Details, StringComparison.Ordinal);
        Assert.Empty(_server.Logs.Errors);
    }

    [Fact]
    public async Task PredictStream_and_Ingest_over_gRPC()
    {
        var ingest = await GrpcJsClient.CallAsync(new JsonObject
        {
            ["address"] = _server.GrpcAddress, ["service"] = "fhirrisk.v1.RiskService", ["method"] = "Ingest", ["deadlineMs"] = 60000,
            ["request"] = new JsonObject { ["bundle_json"] = Convert.ToBase64String(Utf8(TestBundles.Patient("p4"))) },
        });
        var stream = await GrpcJsClient.CallAsync(new JsonObject
        {
            ["address"] = _server.GrpcAddress, ["service"] = "fhirrisk.v1.RiskService", ["method"] = "PredictStream", ["deadlineMs"] = 60000,
            ["request"] = new JsonObject
            {
                ["patients"] = new JsonArray
                {
                    new JsonObject { ["stored"] = new JsonObject { ["patient_id"] = "p4" }, ["reference"] = "a" },
                    new JsonObject { ["stored"] = new JsonObject { ["patient_id"] = "nobody" }, ["reference"] = "b" },
                },
                ["options"] = new JsonObject { ["tasks"] = new JsonArray { "hospital_mortality" } },
            },
        });

        Assert.Equal("OK", ingest.StatusName);
        Assert.Equal("9", ingest.Messages.Single().GetProperty("accepted").ToString());
        Assert.Equal("OK", stream.StatusName);
        var byReference = stream.Messages.ToDictionary(m => m.GetProperty("reference").GetString()!);
        Assert.True(byReference["a"].TryGetProperty("prediction", out _));
        Assert.Equal(5, byReference["b"].GetProperty("error").GetProperty("code").GetInt32()); // NOT_FOUND
    }

    [ExternalDataFact]
    public async Task A_pushed_Synthea_patient_is_predicted_from_the_store()
    {
        var file = Directory.EnumerateFiles(ExternalData.Path("fhir", "synthea-r4-bundles"), "*.json").Order(StringComparer.Ordinal).First();
        var json = await File.ReadAllTextAsync(file);
        using var pushed = await _server.PostAsync("/fhir", json);
        var patientId = JsonNode.Parse(json)!["entry"]!.AsArray().First(e => e!["resource"]!["resourceType"]!.GetValue<string>() == "Patient")!["resource"]!["id"]!.GetValue<string>();

        var result = await _server.Patients.PredictAsync(new PatientRiskRequest(patientId, [], ["readmission_30d"])).WaitAsync(TestFhirRiskServer.Timeout);

        Assert.Equal(System.Net.HttpStatusCode.OK, pushed.StatusCode);
        Assert.Equal("readmission_30d", result.Risks.Single().Task);
        Assert.True(result.EventCount > 50);
    }

    private JsonObject Predict(JsonObject patient, string task = "hospital_mortality") => new()
    {
        ["address"] = _server.GrpcAddress, ["service"] = "fhirrisk.v1.RiskService", ["method"] = "Predict", ["deadlineMs"] = 60000,
        ["request"] = new JsonObject { ["patient"] = patient, ["options"] = new JsonObject { ["tasks"] = new JsonArray { task } } },
    };

    [Fact]
    public async Task A_stored_history_over_the_read_limit_is_read_newest_first_and_said_to_be_cut()
    {
        // Review s24-store #5: every prediction read and parsed a patient's whole stored history, however large.
        await using var server = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?> { ["TimelineStore:MaxPatientReadBytes"] = "1048576" });
        await server.WaitUntilReadyAsync();
        using (var first = await server.PostAsync("/fhir", TestBundles.Patient("big", type: "batch", labs: 2000).ToJsonString()))
            Assert.Equal(System.Net.HttpStatusCode.OK, first.StatusCode);
        var later = new JsonArray();
        for (var i = 0; i < 1500; i++)
        {
            var id = $"big-late{i}";
            later.Add(new JsonObject
            {
                ["fullUrl"] = "urn:uuid:" + id,
                ["resource"] = TestBundles.Lab(id, "big", "big-enc", new DateTime(2021, 3, 5, 0, 0, 0, DateTimeKind.Utc).AddMinutes(i), 5000 + i),
                ["request"] = new JsonObject { ["method"] = "POST", ["url"] = "Observation" },
            });
        }
        using (var second = await server.PostAsync("/fhir", new JsonObject { ["resourceType"] = "Bundle", ["type"] = "batch", ["entry"] = later }.ToJsonString()))
            Assert.Equal(System.Net.HttpStatusCode.OK, second.StatusCode);
        Assert.True((await server.Store.ReadPatientAsync("big")).Sum(r => r.Json.Length) > 1 << 20, "the stored history is not over the limit");

        var result = await server.Services.GetRequiredService<PatientTimelineBuilder>().BuildAsync("big", [], useStoredHistory: true, CancellationToken.None);

        Assert.True(result.Gaps.StoredHistoryCut);
        Assert.Contains(result.Warnings, w => w.Code == "PUSH104");
        Assert.DoesNotContain(result.Warnings, w => w.Code == "FHIRMAP004"); // the labs kept have their stay (review s25 M1)
        var labs = result.Events.Where(e => e.Code.StartsWith("LOINC//2160-0", StringComparison.Ordinal)).ToList();
        Assert.Equal(1500, labs.Count(e => e.NumericValue >= 5000)); // the newest push whole
        Assert.InRange(labs.Count, 1501, 3499); // and part of the older one
        var unbounded = await _server.Services.GetRequiredService<PatientTimelineBuilder>().BuildAsync("absent", [Utf8(TestBundles.Patient("absent"))], useStoredHistory: true, CancellationToken.None);
        Assert.False(unbounded.Gaps.StoredHistoryCut);
    }

    private async Task PushAsync(JsonObject bundle)
    {
        using var response = await _server.PostAsync("/fhir", bundle.ToJsonString());
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }

    private static byte[] Utf8(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());
}
