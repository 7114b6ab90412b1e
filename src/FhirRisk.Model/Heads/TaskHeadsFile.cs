using System.Globalization;
using System.Text.Json;
using FhirRisk.Core;
using FhirRisk.Model.Checkpoints;

namespace FhirRisk.Model.Heads;

/// <summary>
/// <c>heads.json</c> (docs/formats/heads.md): the task tokens and their ids, each head's weights and bias, and each
/// task's calibration, as UTF-8 JSON with doubles in their shortest round-trip form, written to <c>heads.json.partial</c>
/// flushed to disk and renamed (<see cref="DurableFiles"/>) so a finished name is always a whole file. Heads with a history block are written as version 2, with
/// <c>history_codes</c>, so a build that predates the block refuses them rather than prompting without it; heads without
/// one stay version 1.
/// </summary>
internal static class TaskHeadsFile
{
    public const string FileName = "heads.json";
    public const string Format = "fhirrisk-task-heads";
    public const int Version = 1;
    public const int HistoryVersion = 2;

    public static void Save(TaskHeads heads, string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        DurableFiles.Write(path, stream =>
        {
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            json.WriteString("format", Format);
            json.WriteNumber("version", heads.HistoryCodes == 0 ? Version : HistoryVersion);
            json.WriteNumber("channels", heads.Channels);
            json.WriteNumber("tokenizer_vocabulary_size", heads.TokenizerVocabularySize);
            json.WriteString("tokenizer_fingerprint", heads.TokenizerFingerprint.ToString("X16", CultureInfo.InvariantCulture));
            json.WriteNumber("model_vocabulary_size", heads.ModelVocabularySize);
            if (heads.HistoryCodes > 0)
                json.WriteNumber("history_codes", heads.HistoryCodes);
            json.WriteStartArray("tasks");
            for (var k = 0; k < heads.Count; k++)
            {
                var row = heads.Parameters.AsSpan(k * (heads.Channels + 1), heads.Channels + 1);
                var calibration = heads.Calibrations[k];
                json.WriteStartObject();
                json.WriteString("name", heads.Tasks[k]);
                json.WriteString("token", heads.TokenOf(k));
                json.WriteNumber("token_id", heads.TokenIdOf(k));
                json.WriteNumber("bias", row[^1]);
                json.WriteStartArray("weights");
                foreach (var w in row[..^1])
                    json.WriteNumberValue(w);
                json.WriteEndArray();
                json.WriteStartObject("calibration");
                json.WriteString("method", calibration.Method.ToString().ToLowerInvariant());
                json.WriteNumber("scale", calibration.Scale);
                json.WriteNumber("shift", calibration.Shift);
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    public static TaskHeads Load(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
            throw Bad(path, "the file is missing. Hint: finetune the model first ('fhirrisk finetune --model <dir> ... --out <dir>') and load the --out folder.");
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            var version = root.GetProperty("version").GetInt32();
            if (root.GetProperty("format").GetString() != Format || version is not (Version or HistoryVersion))
                throw Bad(path, $"not a version {Version} or {HistoryVersion} '{Format}' file. Hint: refinetune with this build, or load it with the release that wrote it.");
            var historyCodes = version == HistoryVersion ? root.GetProperty("history_codes").GetInt32() : 0;
            if (version == HistoryVersion && historyCodes < 1)
                throw Bad(path, $"history_codes is {historyCodes}; a version {HistoryVersion} file has at least 1. Hint: restore the file from the finetuning run.");
            var channels = root.GetProperty("channels").GetInt32();
            var vocabulary = root.GetProperty("tokenizer_vocabulary_size").GetInt32();
            var fingerprint = ulong.Parse(root.GetProperty("tokenizer_fingerprint").GetString()!, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var tasks = root.GetProperty("tasks").EnumerateArray().ToArray();
            var parameters = new double[tasks.Length * (channels + 1)];
            var calibrations = new ProbabilityCalibration[tasks.Length];
            for (var k = 0; k < tasks.Length; k++)
            {
                var task = tasks[k];
                if (task.GetProperty("token_id").GetInt32() != vocabulary + k)
                    throw Bad(path, $"task {k} has token id {task.GetProperty("token_id").GetInt32()}, not {vocabulary + k}. Hint: the file was edited; restore it from the finetuning run.");
                var weights = task.GetProperty("weights").EnumerateArray().Select(w => w.GetDouble()).ToArray();
                if (weights.Length != channels)
                    throw Bad(path, $"task {k} has {weights.Length} weights for {channels} channels. Hint: restore the file from the finetuning run.");
                weights.CopyTo(parameters, k * (channels + 1));
                parameters[k * (channels + 1) + channels] = task.GetProperty("bias").GetDouble();
                var calibration = task.GetProperty("calibration");
                calibrations[k] = new ProbabilityCalibration(
                    Enum.Parse<CalibrationMethod>(calibration.GetProperty("method").GetString()!, ignoreCase: true),
                    calibration.GetProperty("scale").GetDouble(),
                    calibration.GetProperty("shift").GetDouble());
                if (!(calibrations[k].Scale > 0) || !double.IsFinite(calibrations[k].Scale) || !double.IsFinite(calibrations[k].Shift))
                    throw Bad(path, string.Create(CultureInfo.InvariantCulture,
                        $"task {k}'s calibration has slope {calibrations[k].Scale} and shift {calibrations[k].Shift}; a slope that is not positive would reverse the head's ranking. Hint: finetune again with this build, whose calibration keeps the slope positive (docs/finetuning.md, \"Calibration\")."));
            }
            var names = tasks.Select(t => t.GetProperty("name").GetString()!).ToArray();
            return new TaskHeads(names, channels, vocabulary, fingerprint, parameters, calibrations, historyCodes);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException or OverflowException)
        {
            throw Bad(path, $"the file is damaged ({e.Message}). Hint: restore it from the finetuning run, or finetune again.", e);
        }
    }

    private static CheckpointException Bad(string path, string message, Exception? inner = null) =>
        new(CheckpointErrorCodes.BadHeads, path, message, innerException: inner);
}
