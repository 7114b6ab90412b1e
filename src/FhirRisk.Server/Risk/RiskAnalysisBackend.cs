using System.Diagnostics;
using System.Globalization;
using FhirRisk.Grpc.V1;
using FhirRisk.Inference;
using FhirRisk.Inference.Embeddings;
using FhirRisk.Inference.Explanations;
using FhirRisk.Inference.Generation;
using FhirRisk.Inference.Prediction;
using FhirRisk.Meds;
using FhirRisk.Server.Grpc;
using FhirRisk.Server.Patients;
using FhirRisk.Tokenizer;
using Microsoft.Extensions.Options;
using Duration = Google.Protobuf.WellKnownTypes.Duration;
using Method = FhirRisk.Grpc.V1.Method;

namespace FhirRisk.Server.Risk;

/// <summary>
/// Explain, Embed and Generate of <c>fhirrisk.v1.RiskService</c> (docs/grpc.md "What the backend does") over the loaded
/// model: the patient read by <see cref="PatientInputReader"/>, encoded at the prediction point, then
/// <see cref="IRiskExplainer"/>, <see cref="PatientEmbedder"/> or <see cref="TrajectoryGenerator"/>. Limits come from
/// <see cref="RiskModelOptions"/>; a request beyond them is INVALID_ARGUMENT naming the limit. Rollout explanations and
/// Generate sample futures, so they pass <see cref="RolloutAdmission"/> and are rejected when it sheds them.
/// </summary>
internal sealed class RiskAnalysisBackend(PatientInputReader inputs, TimelinePredictor encoder, RiskModel model, RolloutAdmission admission,
    IOptions<RiskModelOptions> options)
{
    /// <summary>The most contributors one Explain lists.</summary>
    public const int MaxTopK = 64;

    /// <summary>The most stop codes one Generate takes.</summary>
    public const int MaxStopCodes = 64;

    /// <summary>The sampling temperatures Generate accepts: a float's range, and beyond either end the samples are
    /// argmax or uniform noise anyway.</summary>
    public const double MinTemperature = 0.001, MaxTemperature = 100;

    /// <summary>The warning code of an explanation whose span held more facts than the explainer measures
    /// (<see cref="ExplainResponse.OmittedFacts"/>).</summary>
    public const string ExplanationSpanCutCode = "EXPLANATION_SPAN_CUT";

    /// <summary>The warning code of explained facts with no Δ (<see cref="RiskExplanation.UnscoredFacts"/>).</summary>
    public const string UnscoredFactsCode = "EXPLANATION_FACTS_UNSCORED";

    public async Task<ExplainResponse> ExplainAsync(ExplainRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.Task))
            throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, "Set task (a docs/tasks.md name).");
        if (request.TopK > MaxTopK)
            throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, $"top_k must be at most {MaxTopK}.");
        var explainer = model.Explainer(RiskWire.MethodOf(request.Method));
        var patient = await inputs.ReadAsync(request.Patient, cancellationToken).ConfigureAwait(false);
        var predictionTime = PatientInputReader.PredictionTime(request.Patient!);
        var (timeline, index) = encoder.Encode(patient.Events, predictionTime);
        if (index < 0)
            throw new PatientDataUnavailableException("The patient has no events at or before the prediction time.");
        var query = new ExplanationQuery(timeline, index, request.Task)
        {
            AsOf = predictionTime?.UtcDateTime,
            TopContributors = request.TopK == 0 ? null : (int)request.TopK,
            Seed = request.HasSeed ? request.Seed : null,
            CodeDescriptions = patient.CodeDescriptions,
        };
        RiskExplanation explanation;
        using var lease = ((IRiskPredictor)explainer).Method == RiskMethod.Rollouts
            ? await admission.EnterOrRejectAsync(cancellationToken).ConfigureAwait(false)
            : null;
        try
        {
            explanation = await explainer.ExplainAsync(query, cancellationToken).ConfigureAwait(false);
        }
        catch (InferenceException e) when (e.Code == InferenceErrorCodes.UnknownTask)
        {
            throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, e.Message);
        }
        var response = new ExplainResponse
        {
            Risk = RiskWire.RiskOf(explanation),
            // An answer already in the record was not predicted, so no fact moved it: "observed", with no contributors, by
            // either method (review s22 explain L2: the rollouts' trajectory listed the death itself as its top reason).
            Attribution = explanation.Answer?.Observed is not null ? "observed" : explanation.Method == RiskMethod.Rollouts ? "trajectory" : "occlusion",
            Model = RiskWire.ModelOf(model.Version, model.HeadsStoppedEarly),
            Reference = request.Patient!.Reference,
        };
        if (explanation.Answer?.Observed is null)
            response.Contributors.AddRange(explanation.TopContributors.Select(c => RiskWire.ContributorOf(c, patient.Events)));
        // What Predict would tell of the same answer, and what the explanation left out (review s22 explain M3).
        response.OmittedFacts = (uint)explanation.OmittedFacts;
        if (explanation.OmittedFacts > 0)
            response.Issues.Add(Note(ExplanationSpanCutCode, string.Create(CultureInfo.InvariantCulture,
                $"{ExplanationSpanCutCode} x{explanation.OmittedFacts}: only the span's last {explanation.Facts.Count} facts were explained; the {explanation.OmittedFacts} before them (from the stay's start) were not measured, so they are absent from the contributors, not unimportant")));
        if (explanation.UnscoredFacts is var unscored and > 0 && explanation.Answer?.Observed is null)
            response.Issues.Add(Note(UnscoredFactsCode, string.Create(CultureInfo.InvariantCulture,
                $"{UnscoredFactsCode} x{unscored}: facts beside a trajectory point where no rollout could be scored (each excluded, so the point's risk is unknown) have no weight and are not among the contributors")));
        if (timeline.Coverage.Unknown is var unknown and > 0)
            response.Issues.Add(Note(TimelinePredictor.UnknownCodesCode, TimelinePredictor.UnknownCodesNote(unknown)));
        if (model.TrainedOnSimulatedPatients)
            response.Issues.Add(Note(TimelinePredictor.SimulatedModelCode, TimelinePredictor.SimulatedModelNote));
        return response;

        static Issue Note(string code, string message) => new() { Code = code, Severity = IssueSeverity.Warning, Message = message };
    }

    public async Task<EmbedResponse> EmbedAsync(EmbedRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var pooling = request.Pooling switch
        {
            Pooling.Unspecified or Pooling.Last => EmbeddingPooling.Last,
            Pooling.Mean => EmbeddingPooling.Mean,
            _ => throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, "pooling must be POOLING_LAST or POOLING_MEAN."),
        };
        var embedder = model.Embedder;
        var point = await PointAsync(request.Patient, cancellationToken).ConfigureAwait(false);
        var embedding = point.Index >= 0
            ? await embedder.EmbedAsync(point.Timeline, point.Index, pooling, cancellationToken).ConfigureAwait(false)
            : await embedder.EmbedAsync(point.Prefix(model.Session.Tokenizer), pooling, cancellationToken).ConfigureAwait(false);
        var response = new EmbedResponse
        {
            Dimension = (uint)embedding.Vector.Length,
            Pooling = pooling == EmbeddingPooling.Mean ? Pooling.Mean : Pooling.Last,
            Tokens = (uint)embedding.Tokens,
            Model = RiskWire.ModelOf(model.Version, model.HeadsStoppedEarly),
            Reference = request.Patient!.Reference,
        };
        response.Embedding.AddRange(embedding.Vector);
        return response;
    }

    public async Task<GenerateResponse> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var clock = Stopwatch.StartNew();
        var settings = Settings(request);
        var generator = model.Trajectories;
        var point = await PointAsync(request.Patient, cancellationToken).ConfigureAwait(false);
        var session = model.Session;
        var prompt = point.Index >= 0 ? session.RolloutPrompt(point.Timeline, point.Index) : point.Prefix(session.Tokenizer);
        using var lease = await admission.EnterOrRejectAsync(cancellationToken).ConfigureAwait(false);
        var trajectories = await generator.GenerateAsync(prompt, point.Time, settings, cancellationToken).ConfigureAwait(false);
        var response = new GenerateResponse
        {
            Model = RiskWire.ModelOf(model.Version, model.HeadsStoppedEarly),
            Reference = request.Patient!.Reference,
        };
        response.Trajectories.AddRange(trajectories.Select(RiskWire.TrajectoryOf));
        response.Latency = Duration.FromTimeSpan(clock.Elapsed);
        return response;
    }

    /// <summary>The request's sampling, within the service's limits.</summary>
    private TrajectorySettings Settings(GenerateRequest request)
    {
        var limits = options.Value;
        if (request.Trajectories > limits.MaxTrajectories)
            throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, $"trajectories must be at most {limits.MaxTrajectories} (Model:MaxTrajectories).");
        if (request.MaxTokens > limits.MaxNewTokens)
            throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, $"max_tokens must be at most {limits.MaxNewTokens} (Model:MaxNewTokens).");
        if (!(request.Temperature >= 0 && double.IsFinite(request.Temperature)) || request.Temperature is > 0 and (< MinTemperature or > MaxTemperature))
            throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, $"temperature must be 0 (the default, 1) or lie in [{MinTemperature}, {MaxTemperature}].");
        if (request.Horizon is { } horizon && WireTime.ToSpan(horizon, "horizon") <= TimeSpan.Zero)
            throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, "horizon must be positive when set.");
        if (request.StopCodes.Count > MaxStopCodes)
            throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, $"stop_codes must hold at most {MaxStopCodes} codes.");
        if (request.StopCodes.Any(c => string.IsNullOrWhiteSpace(c) || c.EndsWith("//", StringComparison.Ordinal)))
            throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, "stop_codes must be code prefixes such as \"MEDS_DEATH\" or \"ICU_ADMISSION\" (not empty, no trailing \"//\").");
        return new TrajectorySettings
        {
            Count = request.Trajectories == 0 ? 1 : (int)request.Trajectories,
            MaxNewTokens = request.MaxTokens == 0 ? limits.MaxNewTokens : (int)request.MaxTokens,
            Horizon = request.Horizon is { } span ? WireTime.ToSpan(span, "horizon") : null,
            Temperature = request.Temperature == 0 ? 1f : (float)request.Temperature,
            Seed = request.HasSeed ? request.Seed : model.Session.Options.Rollouts.Seed,
            StopCodes = [.. request.StopCodes],
        };
    }

    /// <summary>
    /// Where the model reads the patient: the timeline up to the prediction point or, for a patient with no timeline
    /// token that early (static events only, or a prediction time before the first event), the static prefix built at
    /// the prediction time.
    /// </summary>
    private async Task<PromptPoint> PointAsync(PatientInput? input, CancellationToken cancellationToken)
    {
        var patient = await inputs.ReadAsync(input, cancellationToken).ConfigureAwait(false);
        var at = PatientInputReader.PredictionTime(input!);
        var (timeline, index) = encoder.Encode(patient.Events, at);
        if (index >= 0)
            return new PromptPoint(timeline, index, DateTime.UnixEpoch.AddTicks(timeline.Times[index] * TimeSpan.TicksPerMicrosecond));
        if (at is null)
            throw new PatientDataUnavailableException("The patient has no timeline events; a patient given by static events only needs patient.prediction_time.");
        return new PromptPoint(timeline, -1, at.Value.UtcDateTime);
    }

    /// <summary>A prediction point: a timeline token, or (index −1) only the statics at <paramref name="Time"/>.</summary>
    private sealed record PromptPoint(EncodedTimeline Timeline, int Index, DateTime Time)
    {
        public int[] Prefix(TimelineTokenizer tokenizer) => tokenizer.PrefixAt(Timeline.Statics, TimelinePredictor.MicrosOf(Time));
    }
}
