using System.Globalization;
using System.Text.Json;
using FhirRisk.Core;

namespace FhirRisk.Meds.Tasks;

/// <summary>
/// The task parameters a set of labels was made with (<c>task_parameters.json</c> beside <c>labels/</c>,
/// docs/formats/labels.md), and the same object inside a finetuning run's record, so that heads trained on
/// 7-day prolonged stays are served as 7-day prolonged stays, by either method. Durations as days (the stay tasks) or
/// hours (the ED tasks), as numbers.
/// </summary>
public static class TaskParametersFile
{
    public const string FileName = "task_parameters.json";
    public const string Format = "fhirrisk-task-parameters";
    public const int Version = 1;

    private static readonly (string Name, Func<TaskParameters, TimeSpan> Get, Func<TaskParameters, double, TaskParameters> Set, bool Days)[] Fields =
    [
        ("prolonged_stay_days", p => p.ProlongedStay, (p, v) => p with { ProlongedStay = TimeSpan.FromDays(v) }, true),
        ("readmission_window_days", p => p.ReadmissionWindow, (p, v) => p with { ReadmissionWindow = TimeSpan.FromDays(v) }, true),
        ("stay_horizon_days", p => p.StayHorizon, (p, v) => p with { StayHorizon = TimeSpan.FromDays(v) }, true),
        ("ed_hospitalization_window_hours", p => p.EdHospitalizationWindow, (p, v) => p with { EdHospitalizationWindow = TimeSpan.FromHours(v) }, false),
        ("ed_critical_window_hours", p => p.EdCriticalWindow, (p, v) => p with { EdCriticalWindow = TimeSpan.FromHours(v) }, false),
        ("ed_reattendance_window_hours", p => p.EdReattendanceWindow, (p, v) => p with { EdReattendanceWindow = TimeSpan.FromHours(v) }, false),
        ("ed_admission_grace_hours", p => p.EdAdmissionGrace, (p, v) => p with { EdAdmissionGrace = TimeSpan.FromHours(v) }, false),
    ];

    /// <summary>Writes <paramref name="parameters"/> to <c>task_parameters.json</c> in <paramref name="folder"/>.</summary>
    public static void Write(string folder, TaskParameters parameters)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentNullException.ThrowIfNull(parameters);
        Directory.CreateDirectory(folder);
        DurableFiles.Write(Path.Combine(folder, FileName), stream =>
        {
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            json.WriteString("format", Format);
            json.WriteNumber("version", Version);
            WriteFields(json, parameters);
            json.WriteEndObject();
        });
    }

    /// <summary>Writes <paramref name="parameters"/> as an object named <paramref name="name"/> (the finetuning record's
    /// <c>task_parameters</c>).</summary>
    public static void WriteObject(Utf8JsonWriter json, string name, TaskParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(parameters);
        json.WriteStartObject(name);
        WriteFields(json, parameters);
        json.WriteEndObject();
    }

    private static void WriteFields(Utf8JsonWriter json, TaskParameters parameters)
    {
        foreach (var (name, get, _, days) in Fields)
            json.WriteNumber(name, days ? get(parameters).TotalDays : get(parameters).TotalHours);
    }

    /// <summary>The parameters <paramref name="folder"/>'s <c>task_parameters.json</c> records, or null when it has none
    /// (labels made before the file was written, or by another tool: made with the defaults, as those versions could
    /// only be).</summary>
    /// <exception cref="InvalidDataException">The file is damaged or of another format, naming it.</exception>
    public static TaskParameters? Read(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
            return null;
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String
                || format.GetString() != Format || !root.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.Number
                || !version.TryGetInt32(out var v) || v != Version)
                throw new InvalidDataException($"{path}: not a {Format} file of version {Version}. Hint: run 'fhirrisk labels' again into a new folder.");
            return FromObject(root, path);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message}). Hint: run 'fhirrisk labels' again into a new folder.", e);
        }
    }

    /// <summary>
    /// The parameters of the labels <paramref name="labelsFolder"/> holds: its own <c>task_parameters.json</c>, or, when it
    /// is the MEDS task root of a <c>fhirrisk labels</c> output (<c>&lt;out&gt;/labels</c>, which finetuning accepts too),
    /// its parent's; null when neither has one.
    /// </summary>
    /// <exception cref="InvalidDataException">The file found is damaged.</exception>
    public static TaskParameters? ReadForLabels(string labelsFolder)
    {
        ArgumentException.ThrowIfNullOrEmpty(labelsFolder);
        if (Read(labelsFolder) is { } own)
            return own;
        var full = Path.GetFullPath(labelsFolder).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        return Path.GetFileName(full) == "labels" && !Directory.Exists(Path.Combine(full, "labels")) && Path.GetDirectoryName(full) is { } parent
            ? Read(parent)
            : null;
    }

    /// <summary>The parameters of an object written by <see cref="WriteObject"/>; a field it lacks keeps its default.</summary>
    /// <param name="where">The file, for the message.</param>
    /// <exception cref="InvalidDataException">A field is not a positive number (the admission grace: not negative).</exception>
    public static TaskParameters FromObject(JsonElement element, string where)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{where}: the task parameters are not a JSON object.");
        // A name this version does not know is a parameter it would not honour (written by a newer version): refused, not
        // read under the old definitions.
        foreach (var member in element.EnumerateObject())
        {
            if (!Fields.Any(f => f.Name == member.Name) && member.Name is not ("format" or "version"))
                throw new InvalidDataException($"{where}: unknown task parameter '{member.Name}' (written by a newer version?). Hint: use a FhirRisk version that knows it.");
        }
        var parameters = TaskParameters.Default;
        foreach (var (name, _, set, _) in Fields)
        {
            if (!element.TryGetProperty(name, out var value))
                continue;
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number) || !double.IsFinite(number) || number < 0
                || number > 100_000)
                throw new InvalidDataException($"{where}: '{name}' must be a number from 0 to 100000, not {value.GetRawText()}.");
            parameters = set(parameters, number);
        }
        try
        {
            parameters.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new InvalidDataException($"{where}: {e.Message}", e);
        }
        return parameters;
    }

    /// <summary>The differences between two sets of parameters, one "name a → b" per field, in the file's names and
    /// units; empty when they agree.</summary>
    public static IReadOnlyList<string> Differences(TaskParameters a, TaskParameters b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return [.. Fields.Where(f => f.Get(a) != f.Get(b)).Select(f => string.Create(CultureInfo.InvariantCulture,
            $"{f.Name} {(f.Days ? f.Get(a).TotalDays : f.Get(a).TotalHours)} → {(f.Days ? f.Get(b).TotalDays : f.Get(b).TotalHours)}"))];
    }
}
