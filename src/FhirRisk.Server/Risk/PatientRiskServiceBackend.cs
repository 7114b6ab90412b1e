using System.Runtime.CompilerServices;
using System.Threading.Channels;
using FhirRisk.Grpc.V1;
using FhirRisk.Server.FhirPush;
using FhirRisk.Server.Grpc;
using FhirRisk.Server.Grpc.Internal;
using FhirRisk.Server.Patients;
using FhirRisk.Server.Timeline;
using Google.Protobuf;
using Duration = Google.Protobuf.WellKnownTypes.Duration;
using Method = FhirRisk.Grpc.V1.Method;
using EntryOutcome = FhirRisk.Grpc.V1.EntryOutcome;
using Microsoft.Extensions.Options;
using CoreIssue = FhirRisk.Core.Issue;
using CoreSeverity = FhirRisk.Core.IssueSeverity;

namespace FhirRisk.Server.Risk;

/// <summary>
/// <c>fhirrisk.v1.RiskService</c> over <see cref="IPatientRiskService"/> (bundle and stored sources), the model directly
/// (MEDS events), <see cref="RiskAnalysisBackend"/> (Explain, Embed, Generate) and FHIR push (Ingest). Status mapping
/// (docs/grpc.md "What the backend does"): no model or store → UNAVAILABLE; the rollout engine at capacity (a shed
/// request that is not answered by the heads) → RESOURCE_EXHAUSTED; a patient with no data → NOT_FOUND; unusable
/// input, an unknown task or a request beyond the service's limits → INVALID_ARGUMENT with our own message (never
/// patient data).
/// </summary>
internal sealed class PatientRiskServiceBackend(
    IPatientRiskService patients,
    TimelinePredictor predictor,
    RiskAnalysisBackend analysis,
    FhirPushService push,
    RiskModel model,
    IOptions<RiskModelOptions> options,
    ILogger<PatientRiskServiceBackend> logger) : IRiskServiceBackend
{
    public Task<PredictResponse> PredictAsync(PredictRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var choices = Choices(request.Options);
        return Guard(() => PredictOneAsync(request.Patient, request.Options, choices, cancellationToken));
    }

    /// <summary>
    /// Each patient as <see cref="PredictAsync"/>, at most <see cref="RiskModelOptions.StreamConcurrency"/> at a time,
    /// answered in completion order. A patient is started only when a place is free, and a place is given back only once
    /// its answer is queued for the client, into a queue of that many answers: a client that stops reading stops the
    /// work, and the call holds at most twice that many answers (review s21-grpc H1: every patient was started at once
    /// and every answer queued without bound, 550 MB for one call of two million empty patients).
    /// </summary>
    public async IAsyncEnumerable<PredictStreamResponse> PredictStreamAsync(PredictStreamRequest request,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var limit = options.Value.MaxStreamPatients;
        if (request.Patients.Count > limit)
            throw new GrpcStatusException(GrpcStatusCode.InvalidArgument,
                $"PredictStream takes at most {limit} patients a call and this one has {request.Patients.Count}: send them as several calls (the server's Model:MaxStreamPatients).");
        // Batch work: each patient waits for a rollout place rather than being shed (docs/operations.md "Load shedding").
        var choices = Choices(request.Options) with { WaitForPlace = true };
        CheckTasks(request.Options);
        var places = options.Value.StreamConcurrency;
        var answers = Channel.CreateBounded<PredictStreamResponse>(new BoundedChannelOptions(places)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var producer = ProduceAsync(stop.Token);
        try
        {
            await foreach (var answer in answers.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                yield return answer;
        }
        finally
        {
            // The client went away or the stream ended: no patient's work outlives the call.
            await stop.CancelAsync().ConfigureAwait(false);
            await producer.ConfigureAwait(false);
        }

        async Task ProduceAsync(CancellationToken stopping)
        {
            using var gate = new SemaphoreSlim(places);
            var started = new List<Task>(Math.Min(request.Patients.Count, 1024));
            Exception? failure = null;
            try
            {
                for (var index = 0; index < request.Patients.Count; index++)
                {
                    await gate.WaitAsync(stopping).ConfigureAwait(false);
                    started.Add(AnswerAndQueueAsync(request.Patients[index], (uint)index));
                }
                await Task.WhenAll(started).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                failure = e;
                // Every started patient ends (its place given back) before the gate is disposed.
                await Task.WhenAll(started).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            answers.Writer.TryComplete(failure is OperationCanceledException ? null : failure);

            async Task AnswerAndQueueAsync(PatientInput patient, uint index)
            {
                try
                {
                    var answer = await AnswerOneAsync(patient, index, request.Options, choices, stopping).ConfigureAwait(false);
                    await answers.Writer.WriteAsync(answer, stopping).ConfigureAwait(false);
                }
                finally
                {
                    gate.Release();
                }
            }
        }
    }

    public Task<ExplainResponse> ExplainAsync(ExplainRequest request, CancellationToken cancellationToken) =>
        Guard(() => analysis.ExplainAsync(request, cancellationToken));

    public Task<EmbedResponse> EmbedAsync(EmbedRequest request, CancellationToken cancellationToken) =>
        Guard(() => analysis.EmbedAsync(request, cancellationToken));

    public Task<GenerateResponse> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken) =>
        Guard(() => analysis.GenerateAsync(request, cancellationToken));

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
            throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, IngestRejection.Message(result.Issues));
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
            entry.Issues.AddRange(outcome.Issues.Select(ToWire));
            response.Entries.Add(entry);
        }
        response.Accepted = (uint)result.Outcomes.Count(o => o.Result is not null);
        response.Rejected = (uint)result.Outcomes.Count(o => o.Result is null);
        return response;
    }

    private async Task<PredictStreamResponse> AnswerOneAsync(PatientInput patient, uint index, PredictOptions? predictOptions, RolloutChoices choices,
        CancellationToken cancellationToken)
    {
        var answer = new PredictStreamResponse { Index = index, Reference = patient.Reference };
        try
        {
            answer.Prediction = await Guard(() => PredictOneAsync(patient, predictOptions, choices, cancellationToken)).ConfigureAwait(false);
        }
        catch (GrpcStatusException e)
        {
            answer.Error = new Error { Code = (int)e.Code, Message = e.Message };
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // One patient's fault is its own error item; the stream goes on (docs/grpc.md). Mapped as a whole call's
            // would be, and logged without the exception's message, which may quote patient data.
            var trace = $"{Guid.NewGuid():N}"[..16];
            var status = GrpcErrorFunnel.ToStatus(e, new CallEndState(DeadlineExceeded: false, ClientCancelled: false, trace));
            if (GrpcErrorFunnel.IsUnexpected(e, status))
                GrpcLog.CallFailed(logger, $"PredictStream patient {index}", e.GetType().FullName ?? e.GetType().Name, trace, e.StackTrace);
            answer.Error = new Error { Code = (int)status.Code, Message = status.Message };
        }
        return answer;
    }

    /// <summary>Task names the model cannot answer fail the whole call before any patient is read: a catalog task
    /// (rollouts can answer it) or one of the finetuned heads'.</summary>
    private void CheckTasks(PredictOptions? predictOptions)
    {
        if (predictOptions is null || predictOptions.Tasks.Count == 0 || !model.IsLoaded)
            return;
        var heads = model.Session.Heads?.Tasks ?? [];
        foreach (var task in predictOptions.Tasks)
        {
            if (!Meds.Tasks.TaskCatalog.Names.Contains(task) && !heads.Contains(task))
                throw new GrpcStatusException(GrpcStatusCode.InvalidArgument,
                    $"options.tasks holds '{LogText.Of(task, 64)}', a task the model does not know; use names among {string.Join(", ", Meds.Tasks.TaskCatalog.Names.Union(heads))}.");
        }
    }

    private async Task<PredictResponse> PredictOneAsync(PatientInput? patient, PredictOptions? predictOptions, RolloutChoices choices,
        CancellationToken cancellationToken)
    {
        if (patient is null)
            throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, "Set patient.");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var tasks = predictOptions?.Tasks.ToArray() ?? [];
        var method = RiskWire.MethodOf(predictOptions?.Method ?? Method.Unspecified);
        var at = PatientInputReader.PredictionTime(patient);
        var result = patient.SourceCase switch
        {
            PatientInput.SourceOneofCase.Bundle => await patients.PredictAsync(new PatientRiskRequest(
                PatientInputReader.NullIfEmpty(patient.Bundle.PatientId), [patient.Bundle.Json.Memory], tasks, at, method) { Rollouts = choices },
                cancellationToken).ConfigureAwait(false),
            PatientInput.SourceOneofCase.Stored => await patients.PredictAsync(new PatientRiskRequest(
                PatientInputReader.NullIfEmpty(patient.Stored.PatientId) ?? throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, "Set stored.patient_id."),
                [], tasks, at, method) { Rollouts = choices }, cancellationToken).ConfigureAwait(false),
            PatientInput.SourceOneofCase.Events => await predictor.PredictAsync(PatientInputReader.Events(patient.Events), tasks, at, method, choices, [],
                cancellationToken).ConfigureAwait(false),
            _ => throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, "Set patient.bundle, patient.events or patient.stored."),
        };
        var response = new PredictResponse
        {
            Model = RiskWire.ModelOf(result.ModelVersion, model.HeadsStoppedEarly),
            Reference = patient.Reference,
            // The cut-off actually used: the request's, or the prediction point's (the last event's) when it set none.
            PredictionTime = patient.PredictionTime ?? (result.PredictionPoint is { } point ? Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(point) : null),
            // The whole prediction in the server: reading and encoding the patient, waiting for a place, the model.
            Latency = Duration.FromTimeSpan(clock.Elapsed),
        };
        response.Risks.AddRange(result.Risks.Select(r => RiskWire.RiskOf(r, choices.IntervalLevel)));
        response.Issues.AddRange(result.Warnings.Select(w => new Issue { Code = w.Split(' ')[0], Severity = IssueSeverity.Warning, Message = w, Path = PathOf(w) }));
        return response;
    }

    /// <summary>The structural path a grouped warning names ("CODE xN (first at Resource.element)"), or "".</summary>
    private static string PathOf(string warning)
    {
        const string Marker = "(first at ";
        var start = warning.IndexOf(Marker, StringComparison.Ordinal);
        return start < 0 ? "" : warning[(start + Marker.Length)..].TrimEnd(')');
    }

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

    /// <summary>The request's rollout count, seed and interval level, within the service's limits; the whole call fails
    /// INVALID_ARGUMENT otherwise (before any patient is read).</summary>
    private RolloutChoices Choices(PredictOptions? predictOptions)
    {
        if (predictOptions is null)
            return RolloutChoices.Default;
        var limit = options.Value.MaxRollouts;
        if (predictOptions.Rollouts > limit)
            throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, $"options.rollouts must be at most {limit} (Model:MaxRollouts).");
        var level = predictOptions.IntervalLevel;
        if (level != 0 && !(level is > 0 and < 1))
            throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, "options.interval_level must lie in (0, 1), or be 0 for 0.95.");
        if (!Enum.IsDefined(predictOptions.Method))
            throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, "options.method is not a known method.");
        return new RolloutChoices(
            predictOptions.Rollouts == 0 ? null : (int)predictOptions.Rollouts,
            predictOptions.HasSeed ? predictOptions.Seed : null,
            level == 0 ? 0.95 : level);
    }

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
        catch (RiskModelBusyException e)
        {
            throw new GrpcStatusException(GrpcStatusCode.ResourceExhausted, e.Message);
        }
        catch (PatientInputException e)
        {
            // Curated text only; any other ArgumentException goes on to GrpcErrorFunnel, which names its parameter only.
            throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, e.Curated);
        }
    }
}
