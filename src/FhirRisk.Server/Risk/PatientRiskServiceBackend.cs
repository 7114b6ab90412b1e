using System.Runtime.CompilerServices;
using System.Threading.Channels;
using FhirRisk.Grpc.V1;
using FhirRisk.Inference.Prediction;
using FhirRisk.Meds;
using FhirRisk.Server.FhirPush;
using FhirRisk.Server.Grpc;
using FhirRisk.Server.Patients;
using FhirRisk.Server.Timeline;
using Google.Protobuf;
using Duration = Google.Protobuf.WellKnownTypes.Duration;
using Method = FhirRisk.Grpc.V1.Method;
using EntryOutcome = FhirRisk.Grpc.V1.EntryOutcome;
using Microsoft.Extensions.Options;
using CoreIssue = FhirRisk.Core.Issue;
using WireRisk = FhirRisk.Grpc.V1.Risk;
using CoreSeverity = FhirRisk.Core.IssueSeverity;

namespace FhirRisk.Server.Risk;

/// <summary>
/// <c>fhirrisk.v1.RiskService</c> over <see cref="IPatientRiskService"/> (bundle and stored sources), the model directly
/// (MEDS events) and FHIR push (Ingest). Status mapping (docs/grpc.md "What the backend does"): no model or store →
/// UNAVAILABLE; a patient with no data → NOT_FOUND; unusable input or an unknown task → INVALID_ARGUMENT with our own
/// message (never patient data). Explain, Embed and Generate are UNIMPLEMENTED until Inference offers them.
/// </summary>
internal sealed class PatientRiskServiceBackend(
    IPatientRiskService patients,
    TimelinePredictor predictor,
    FhirPushService push,
    IOptions<RiskModelOptions> options) : IRiskServiceBackend
{
    public Task<PredictResponse> PredictAsync(PredictRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Guard(() => PredictOneAsync(request.Patient, request.Options, cancellationToken));
    }

    public async IAsyncEnumerable<PredictStreamResponse> PredictStreamAsync(PredictStreamRequest request,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var answers = Channel.CreateUnbounded<PredictStreamResponse>();
        using var gate = new SemaphoreSlim(options.Value.StreamConcurrency);
        var work = request.Patients.Select(async (patient, index) =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                answers.Writer.TryWrite(await AnswerOneAsync(patient, (uint)index, request.Options, cancellationToken).ConfigureAwait(false));
            }
            finally
            {
                gate.Release();
            }
        }).ToArray();
        var all = Task.WhenAll(work).ContinueWith(t => answers.Writer.TryComplete(t.Exception?.GetBaseException()),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        await foreach (var answer in answers.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            yield return answer;
        await all.ConfigureAwait(false);
    }

    public Task<ExplainResponse> ExplainAsync(ExplainRequest request, CancellationToken cancellationToken) =>
        throw new GrpcStatusException(GrpcStatusCode.Unimplemented, "Explain is not served yet: Inference has no explanation method (docs/inference.md).");

    public Task<EmbedResponse> EmbedAsync(EmbedRequest request, CancellationToken cancellationToken) =>
        throw new GrpcStatusException(GrpcStatusCode.Unimplemented, "Embed is not served yet: Inference has no embedding method (docs/inference.md).");

    public Task<GenerateResponse> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken) =>
        throw new GrpcStatusException(GrpcStatusCode.Unimplemented, "Generate is not served yet: Inference does not decode rollouts to events (docs/inference.md).");

    public async Task<IngestResponse> IngestAsync(IngestRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        FhirPushResult result;
        try
        {
            result = request.ContentCase switch
            {
                IngestRequest.ContentOneofCase.BundleJson => await push.PushBundleAsync(request.BundleJson.Memory, cancellationToken).ConfigureAwait(false),
                IngestRequest.ContentOneofCase.Ndjson => await push.ImportNdjsonAsync(request.Ndjson.Memory, cancellationToken).ConfigureAwait(false),
                _ => throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, "Set bundle_json or ndjson."),
            };
        }
        catch (TimelineStoreUnavailableException)
        {
            throw new GrpcStatusException(GrpcStatusCode.Unavailable, "The timeline store is not available; retry later.");
        }
        if (result.StatusCode != 200)
            throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, "The bundle was rejected and nothing was stored; POST it to /fhir for the OperationOutcome.");
        var response = new IngestResponse();
        foreach (var (outcome, index) in result.Outcomes.Select((o, i) => (o, i)))
        {
            var entry = new EntryOutcome
            {
                Index = (uint)index,
                ResourceType = outcome.Prepared.Entry.ResourceType ?? "",
                Id = outcome.Result?.Id ?? "",
                Accepted = outcome.Result is not null,
            };
            entry.Issues.AddRange(outcome.Prepared.Issues.Select(ToWire));
            response.Entries.Add(entry);
        }
        response.Accepted = (uint)result.Outcomes.Count(o => o.Result is not null);
        response.Rejected = (uint)result.Outcomes.Count(o => o.Result is null);
        return response;
    }

    private async Task<PredictStreamResponse> AnswerOneAsync(PatientInput patient, uint index, PredictOptions? predictOptions, CancellationToken cancellationToken)
    {
        var answer = new PredictStreamResponse { Index = index, Reference = patient.Reference };
        try
        {
            answer.Prediction = await Guard(() => PredictOneAsync(patient, predictOptions, cancellationToken)).ConfigureAwait(false);
        }
        catch (GrpcStatusException e)
        {
            answer.Error = new Error { Code = (int)e.Code, Message = e.Message };
        }
        return answer;
    }

    private async Task<PredictResponse> PredictOneAsync(PatientInput? patient, PredictOptions? predictOptions, CancellationToken cancellationToken)
    {
        if (patient is null)
            throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, "Set patient.");
        var tasks = predictOptions?.Tasks.ToArray() ?? [];
        var method = predictOptions?.Method switch
        {
            Method.Rollouts => RiskMethod.Rollouts,
            Method.Heads => RiskMethod.Heads,
            _ => (RiskMethod?)null,
        };
        DateTimeOffset? at = patient.PredictionTime is { } time ? time.ToDateTimeOffset() : null;
        var result = patient.SourceCase switch
        {
            PatientInput.SourceOneofCase.Bundle => await patients.PredictAsync(new PatientRiskRequest(
                NullIfEmpty(patient.Bundle.PatientId), [patient.Bundle.Json.Memory], tasks, at, method), cancellationToken).ConfigureAwait(false),
            PatientInput.SourceOneofCase.Stored => await patients.PredictAsync(new PatientRiskRequest(
                NullIfEmpty(patient.Stored.PatientId) ?? throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, "Set stored.patient_id."),
                [], tasks, at, method), cancellationToken).ConfigureAwait(false),
            PatientInput.SourceOneofCase.Events => await predictor.PredictAsync(Events(patient.Events), tasks, at, method, [], cancellationToken).ConfigureAwait(false),
            _ => throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, "Set patient.bundle, patient.events or patient.stored."),
        };
        var response = new PredictResponse
        {
            Model = new ModelInfo { Name = result.ModelVersion.Split('@')[0], Version = result.ModelVersion },
            Reference = patient.Reference,
            PredictionTime = patient.PredictionTime,
            Latency = Duration.FromTimeSpan(result.Risks.Count > 0 ? result.Risks[0].Latency : TimeSpan.Zero),
        };
        response.Risks.AddRange(result.Risks.Select(ToWire));
        response.Issues.AddRange(result.Warnings.Select(w => new Issue { Code = w.Split(' ')[0], Severity = IssueSeverity.Warning, Message = w }));
        return response;
    }

    /// <summary>Wire events in MEDS order (static first, then by time); they belong to one anonymous subject.</summary>
    private static List<MedsEvent> Events(PatientEvents events)
    {
        if (events.Events.Count == 0)
            throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, "patient.events holds no events.");
        return [.. events.Events
            .Select(e => new MedsEvent(0, e.Time?.ToDateTime(), e.Code,
                e.HasNumericValue ? (float)e.NumericValue : null, e.HasTextValue ? e.TextValue : null))
            .OrderBy(e => e.Time is null ? 0 : 1).ThenBy(e => e.Time ?? DateTime.MinValue)];
    }

    private static WireRisk ToWire(TaskRisk risk) => new()
    {
        Task = risk.Task,
        Probability = risk.Risk,
        Method = risk.Method == RiskMethod.Heads ? Method.Heads : Method.Rollouts,
        N = (uint)risk.N,
        Latency = Duration.FromTimeSpan(risk.Latency),
        Interval = risk.Interval is { } interval ? new Interval { Lower = interval.Lower, Upper = interval.Upper, Level = 0.95 } : null,
    };

    private static Issue ToWire(CoreIssue issue) => new()
    {
        Code = issue.Code,
        Path = issue.Path,
        Message = issue.Message,
        Severity = issue.Severity switch
        {
            CoreSeverity.Error => IssueSeverity.Error,
            CoreSeverity.Warning => IssueSeverity.Warning,
            _ => IssueSeverity.Information,
        },
    };

    private static string? NullIfEmpty(string value) => string.IsNullOrWhiteSpace(value) ? null : value;

    /// <summary>Our exceptions to statuses; messages are ours and hold no patient data.</summary>
    private static async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (PatientDataUnavailableException e)
        {
            throw new GrpcStatusException(GrpcStatusCode.NotFound, e.Message);
        }
        catch (Exception e) when (e is RiskModelUnavailableException or TimelineStoreUnavailableException)
        {
            throw new GrpcStatusException(GrpcStatusCode.Unavailable, e.Message);
        }
        catch (ArgumentException e) when (e.ParamName is not null)
        {
            throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal));
        }
    }
}
