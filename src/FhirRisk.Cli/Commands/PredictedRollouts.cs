using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Parquet;
using FhirRisk.Training.Evaluation;

namespace FhirRisk.Cli.Commands;

/// <summary>
/// The rollout settings a predictions file's rollouts ran with, recorded by <c>fhirrisk predict --method rollouts</c> as
/// JSON under the key-value metadata key <see cref="Key"/> (docs/formats/predictions.md), so that
/// <c>fhirrisk calibrate-rollouts</c> fits its map for the answers those settings give without being told them again.
/// Files written before it, or by other tools, have no such key: the command's options say then.
/// </summary>
internal sealed record PredictedRollouts(
    [property: JsonPropertyName("min_rollouts")] int MinRollouts,
    [property: JsonPropertyName("max_rollouts")] int MaxRollouts,
    [property: JsonPropertyName("pilot_rollouts")] int PilotRollouts,
    [property: JsonPropertyName("target_half_width")] double TargetHalfWidth,
    [property: JsonPropertyName("temperature")] float Temperature,
    [property: JsonPropertyName("top_k")] int TopK,
    [property: JsonPropertyName("top_p")] float TopP,
    [property: JsonPropertyName("max_new_tokens")] int MaxNewTokens,
    [property: JsonPropertyName("seed")] ulong Seed)
{
    public const string Key = "fhirrisk.rollouts";

    /// <summary>Hours before each point it was asked (<c>predict --asked-before-hours</c>); 0: at the point.</summary>
    [JsonPropertyName("asked_before_hours")]
    public double AskedBeforeHours { get; init; }

    /// <summary>The split of the labelled points (<c>predict --split</c>: tuning, held_out, train or all); null in files
    /// written before it was recorded.</summary>
    [JsonPropertyName("split")]
    public string? Split { get; init; }

    /// <summary>The prolonged-stay threshold (days) the rollouts answered <c>prolonged_los</c> and <c>composite</c> under:
    /// the session's task parameters (docs/formats/heads.md); null in files written before it was recorded, all rolled
    /// out under the defaults.</summary>
    [JsonPropertyName("prolonged_stay_days")]
    public double? ProlongedStayDays { get; init; }

    /// <summary>The threshold, the defaults' where the file does not record one.</summary>
    [JsonIgnore]
    public TimeSpan ProlongedStay => ProlongedStayDays is { } days ? TimeSpan.FromDays(days) : Meds.Tasks.TaskParameters.Default.ProlongedStay;

    /// <summary>The counts the answers were made with (<see cref="RolloutCounts"/>: the pilot counts for adaptive ones only).</summary>
    [JsonIgnore]
    public RolloutCounts Counts => new(MinRollouts, MaxRollouts, PilotRollouts);

    public static PredictedRollouts Of(RolloutSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new PredictedRollouts(settings.MinRollouts, settings.MaxRollouts, settings.Pilot, settings.TargetHalfWidth, settings.Sampling.Temperature,
            settings.Sampling.TopK, settings.Sampling.TopP, settings.MaxNewTokens, settings.Seed);
    }

    /// <summary>Writer options that record these settings in the file.</summary>
    public ParquetWriterOptions WriterOptions() => new() { KeyValueMetadata = new Dictionary<string, string> { [Key] = JsonSerializer.Serialize(this) } };

    /// <summary>The settings <paramref name="path"/> records; null when it records none.</summary>
    /// <exception cref="InvalidDataException">The key is there but does not hold these settings.</exception>
    public static PredictedRollouts? Read(string path)
    {
        using var reader = ParquetFileReader.Open(path);
        if (!reader.KeyValueMetadata.TryGetValue(Key, out var json))
            return null;
        try
        {
            return JsonSerializer.Deserialize<PredictedRollouts>(json) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}': its '{Key}' metadata is not the rollout settings 'fhirrisk predict' records ({e.Message}). Hint: rewrite it with 'fhirrisk predict'.", e);
        }
    }

    /// <summary>"adaptive 20–100 (pilot 10) at temperature 1", as maps name what they were fitted for.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Counts} at temperature {Temperature}{(AskedBeforeHours > 0 ? $", asked {AskedBeforeHours:0.##} h before each point" : "")}");
}
