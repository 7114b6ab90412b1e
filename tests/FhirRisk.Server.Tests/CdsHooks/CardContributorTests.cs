using FhirRisk.Inference.Explanations;
using FhirRisk.Inference.Prediction;
using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.Patients;
using FhirRisk.Server.Tests.Infrastructure;
using FhirRisk.Server.Tests.Risk;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FhirRisk.Server.Tests.CdsHooks;

/// <summary>The card contributors the server registers with a model: heads occlusion from the demo model, listed in the
/// card's Markdown detail; none for rollout risks or past the time budget.</summary>
public sealed class CardContributorTests : IAsyncLifetime
{
    // Not hex and not a word a log would hold otherwise: the no-patient-data checks must not match a GUID or a path.
    private const string PatientId = "patient-contrib-q7";

    private TestFhirRiskServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await TestFhirRiskServer.StartAsync(DemoModel.Settings);
        await _server.WaitUntilReadyAsync();
        using var pushed = await _server.PostAsync("/fhir", TestBundles.Patient(PatientId).ToJsonString());
        Assert.Equal(System.Net.HttpStatusCode.OK, pushed.StatusCode);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Heads_risks_get_their_top_contributing_events_in_the_card_detail()
    {
        var source = _server.Services.GetRequiredService<ICardContributorSource>();
        var request = new PatientRiskRequest(PatientId, [], ["hospital_mortality", "icu_admission"], Method: RiskMethod.Heads);
        var result = await _server.Patients.PredictAsync(request).WaitAsync(TestFhirRiskServer.Timeout);

        var contributors = await source.GetContributorsAsync(request, result.Risks, CancellationToken.None);
        var inputs = result.Risks.Select((risk, i) => new RiskCardInput(risk, contributors[i])).ToList();
        var cards = new RiskCardFactory(new CdsHooksOptions()).Build(result, inputs, []);

        Assert.IsType<ExplainedCardContributors>(source);
        Assert.All(inputs, i => Assert.NotEmpty(i.Contributors));
        Assert.All(inputs, i => Assert.All(i.Contributors, c => Assert.DoesNotContain(PatientId, c.Label, StringComparison.Ordinal)));
        Assert.All(cards, c => Assert.Contains("**Top contributing events**", c.Detail, StringComparison.Ordinal));
        Assert.Contains(" pts |", cards[0].Detail, StringComparison.Ordinal);
        // The labs are named by the record's name, as a card line reads it ("Creatinine", not "Creatinine [Mass/volume]
        // in Serum or Plasma"), with their unit as people write it, not "LOINC 2160-0".
        Assert.All(inputs, i => Assert.Contains(i.Contributors, c => c.Label.StartsWith(TestBundles.CreatinineLabel + ": ", StringComparison.Ordinal)
            && c.Label.Contains(" mg/dL, decile ", StringComparison.Ordinal)));
        Assert.All(inputs, i => Assert.DoesNotContain(i.Contributors, c => c.Label.Contains("LOINC", StringComparison.Ordinal)));
        Assert.Empty(_server.Logs.Errors);
    }

    [Fact]
    public async Task Past_the_time_budget_a_card_gets_no_contributors_and_a_warning_naming_the_task()
    {
        var services = _server.Services;
        var source = new ExplainedCardContributors(services.GetRequiredService<PatientTimelineBuilder>(), services.GetRequiredService<TimelinePredictor>(),
            services.GetRequiredService<RiskModel>(), Options.Create(new CdsHooksOptions { ContributorTimeout = TimeSpan.FromTicks(1) }),
            services.GetRequiredService<ILogger<ExplainedCardContributors>>());
        var request = new PatientRiskRequest(PatientId, [], ["hospital_mortality"], Method: RiskMethod.Heads);
        var result = await _server.Patients.PredictAsync(request).WaitAsync(TestFhirRiskServer.Timeout);

        var contributors = await source.GetContributorsAsync(request, result.Risks, CancellationToken.None);

        Assert.Empty(Assert.Single(contributors));
        Assert.True(_server.Logs.Has(207));
        Assert.DoesNotContain(_server.Logs.Entries, e => e.Message.Contains(PatientId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_explanation_still_running_when_the_last_card_gives_up_is_cancelled()
    {
        var services = _server.Services;
        var model = services.GetRequiredService<RiskModel>();
        var held = new HeldExplainer(model.Explainer(RiskMethod.Heads));
        var source = new ExplainedCardContributors(services.GetRequiredService<PatientTimelineBuilder>(), services.GetRequiredService<TimelinePredictor>(),
            model, Options.Create(new CdsHooksOptions { ContributorTimeout = TimeSpan.FromSeconds(1) }),
            services.GetRequiredService<ILogger<ExplainedCardContributors>>()) { HeadsExplainer = () => held };
        // One card with a budget long enough for the pass to start on a loaded machine (the timeline is built first).
        var request = new PatientRiskRequest(PatientId, [], ["hospital_mortality"], Method: RiskMethod.Heads);
        var result = await _server.Patients.PredictAsync(request).WaitAsync(TestFhirRiskServer.Timeout);

        var contributors = await source.GetContributorsAsync(request, result.Risks, CancellationToken.None).WaitAsync(TestFhirRiskServer.Timeout);

        // The card waited its budget and went out without contributors; the pass it waited for, held mid-way, was told
        // to stop when the card gave up, not left to run on after the call.
        Assert.Empty(Assert.Single(contributors));
        await held.Started.Task.WaitAsync(TestFhirRiskServer.Timeout);
        Assert.True(await held.Cancelled.Task.WaitAsync(TestFhirRiskServer.Timeout));
        Assert.Equal(1, held.Calls);
    }

    [Fact]
    public async Task The_cards_of_a_call_wait_one_budget_together_not_one_each()
    {
        // Review s24-cds M3: every card reads the same explanation, and with a budget per card a stuck one held the answer
        // once per card (three cards, three budgets).
        var services = _server.Services;
        var model = services.GetRequiredService<RiskModel>();
        var held = new HeldExplainer(model.Explainer(RiskMethod.Heads));
        var budget = TimeSpan.FromSeconds(2);
        var source = new ExplainedCardContributors(services.GetRequiredService<PatientTimelineBuilder>(), services.GetRequiredService<TimelinePredictor>(),
            model, Options.Create(new CdsHooksOptions { ContributorTimeout = budget }),
            services.GetRequiredService<ILogger<ExplainedCardContributors>>()) { HeadsExplainer = () => held };
        var request = new PatientRiskRequest(PatientId, [], ["hospital_mortality", "prolonged_los", "composite"], Method: RiskMethod.Heads);
        var result = await _server.Patients.PredictAsync(request).WaitAsync(TestFhirRiskServer.Timeout);
        Assert.Equal(3, result.Risks.Count(r => r.Observed is null));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var contributors = await source.GetContributorsAsync(request, result.Risks, CancellationToken.None).WaitAsync(TestFhirRiskServer.Timeout);

        Assert.All(contributors, Assert.Empty);
        Assert.InRange(clock.Elapsed, budget, budget * 2.5); // one budget (with slack for a loaded machine), not three
        Assert.Equal(1, held.Calls);
    }

    /// <summary>The heads' explainer, held until its token is cancelled (or 30 s pass): a pass that does not end by itself.</summary>
    private sealed class HeldExplainer(IRiskExplainer heads) : IRiskExplainer, IRiskPredictor
    {
        private int _calls;

        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<bool> Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Calls => Volatile.Read(ref _calls);

        public RiskMethod Method => heads.Method;

        public IReadOnlyList<string> Tasks => ((IRiskPredictor)heads).Tasks;

        public Task<IReadOnlyList<TaskRisk>> PredictAsync(RiskQuery query, CancellationToken cancellationToken = default) =>
            ((IRiskPredictor)heads).PredictAsync(query, cancellationToken);

        public Task<RiskExplanation> ExplainAsync(ExplanationQuery query, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("the card source explains its tasks together");

        public async Task<IReadOnlyList<RiskExplanation>> ExplainManyAsync(IReadOnlyList<ExplanationQuery> queries, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            Started.TrySetResult();
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(30), cancellationToken);
                Cancelled.TrySetResult(false);
            }
            catch (OperationCanceledException)
            {
                Cancelled.TrySetResult(true);
                throw;
            }
            return await heads.ExplainManyAsync(queries, CancellationToken.None);
        }
    }

    [Fact]
    public async Task The_discharge_the_service_writes_for_encounter_discharge_is_no_contributor()
    {
        // Review s22 explain M4: the written discharge, with a guessed disposition, was scored by occlusion like any event
        // and could head the card's reasons for the readmission risk.
        const string Open = "patient-contrib-open";
        var bundle = TestBundles.Patient(Open, labs: 2);
        var encounter = bundle["entry"]!.AsArray().Select(e => e!["resource"]!).Single(r => (string?)r["resourceType"] == "Encounter");
        encounter["status"] = "in-progress";
        encounter["period"]!.AsObject().Remove("end");
        using (var pushed = await _server.PostAsync("/fhir", bundle.ToJsonString()))
            Assert.Equal(System.Net.HttpStatusCode.OK, pushed.StatusCode);
        var source = _server.Services.GetRequiredService<ICardContributorSource>();
        var request = new PatientRiskRequest(Open, [], ["readmission_30d"], Method: RiskMethod.Heads) { DischargingEncounterId = Open + "-enc" };
        var result = await _server.Patients.PredictAsync(request).WaitAsync(TestFhirRiskServer.Timeout);

        var written = (await _server.Services.GetRequiredService<PatientTimelineBuilder>().BuildAsync(request, CancellationToken.None)).WrittenEnds;
        var contributors = Assert.Single(await source.GetContributorsAsync(request, result.Risks, CancellationToken.None));

        var discharge = Assert.Single(written);
        Assert.StartsWith("HOSPITAL_DISCHARGE//", discharge.Code, StringComparison.Ordinal);
        Assert.NotEmpty(contributors);
        Assert.DoesNotContain(contributors, c => c.Label.StartsWith("Hospital discharge", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_card_says_from_when_its_contributors_were_measured_when_earlier_events_were_left_out()
    {
        // Review s22 explain M3: the explainer measures the stay's last 16 facts, and the card read as if it had all.
        const string Long = "patient-contrib-long";
        using (var pushed = await _server.PostAsync("/fhir", TestBundles.Patient(Long, labs: 24).ToJsonString()))
            Assert.Equal(System.Net.HttpStatusCode.OK, pushed.StatusCode);
        var source = _server.Services.GetRequiredService<ICardContributorSource>();
        var request = new PatientRiskRequest(Long, [], ["hospital_mortality"], Method: RiskMethod.Heads);
        var shortRequest = new PatientRiskRequest(PatientId, [], ["hospital_mortality"], Method: RiskMethod.Heads);
        var result = await _server.Patients.PredictAsync(request).WaitAsync(TestFhirRiskServer.Timeout);
        var shortResult = await _server.Patients.PredictAsync(shortRequest).WaitAsync(TestFhirRiskServer.Timeout);

        var contributors = Assert.Single(await source.GetContributorsAsync(request, result.Risks, CancellationToken.None));
        var shortContributors = Assert.Single(await source.GetContributorsAsync(shortRequest, shortResult.Risks, CancellationToken.None));
        var factory = new RiskCardFactory(new CdsHooksOptions());
        var card = Assert.Single(factory.Build(result, [new RiskCardInput(result.Risks[0], contributors)], []));
        var shortCard = Assert.Single(factory.Build(shortResult, [new RiskCardInput(shortResult.Risks[0], shortContributors)], []));

        Assert.True(contributors[0].ExplainedSince is not null, card.Detail);
        Assert.Matches(@"\*\*Top contributing events\*\* \(from 2021-03-\d\d \d\d:\d\d UTC; ", card.Detail);
        Assert.Contains("the stay's earlier events were not measured", card.Detail, StringComparison.Ordinal);
        Assert.All(shortContributors, c => Assert.Null(c.ExplainedSince));
        Assert.Contains("**Top contributing events**\n", shortCard.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rollout_risks_get_no_contributors()
    {
        var source = _server.Services.GetRequiredService<ICardContributorSource>();
        var request = new PatientRiskRequest(PatientId, [], ["hospital_mortality"], Method: RiskMethod.Rollouts);
        var result = await _server.Patients.PredictAsync(request).WaitAsync(TestFhirRiskServer.Timeout);

        var contributors = await source.GetContributorsAsync(request, result.Risks, CancellationToken.None);

        Assert.Empty(Assert.Single(contributors));
    }
}
