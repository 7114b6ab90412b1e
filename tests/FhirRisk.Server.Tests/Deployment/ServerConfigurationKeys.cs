using System.Collections;
using System.Reflection;
using FhirRisk.Server.Http;

namespace FhirRisk.Server.Tests.Deployment;

/// <summary>
/// Whether a setting in a manifest names something the server binds: <c>FHIRRISK_Section__A__0__B</c> is the path
/// <c>Section:A:0:B</c>, walked through the options class whose <c>Section</c> constant is <c>Section</c> (properties by
/// name, list items by index, dictionary entries by any key), as the configuration binder would.
/// </summary>
internal static class ServerConfigurationKeys
{
    /// <summary>Variables the host itself reads (not through an options class).</summary>
    private static readonly HashSet<string> HostVariables = new(StringComparer.Ordinal) { "ASPNETCORE_ENVIRONMENT", "ASPNETCORE_HTTP_PORTS" };

    private static readonly Dictionary<string, Type> Sections = typeof(HttpListenerOptions).Assembly.GetTypes()
        .Select(t => (Type: t, Field: t.GetField("Section", BindingFlags.Public | BindingFlags.Static)))
        .Where(s => s.Field is { IsLiteral: true } && s.Field.FieldType == typeof(string))
        .ToDictionary(s => (string)s.Field!.GetRawConstantValue()!, s => s.Type, StringComparer.OrdinalIgnoreCase);

    public static IReadOnlyCollection<string> SectionNames => Sections.Keys;

    /// <summary>Null when the server reads <paramref name="variable"/>; otherwise why not.</summary>
    public static string? Problem(string variable)
    {
        if (HostVariables.Contains(variable))
            return null;
        const string Prefix = "FHIRRISK_";
        if (!variable.StartsWith(Prefix, StringComparison.Ordinal))
            return $"{variable}: not a FHIRRISK_ setting nor one the host reads";
        var path = variable[Prefix.Length..].Split("__");
        if (!Sections.TryGetValue(path[0], out var type))
            return $"{variable}: no options class binds section '{path[0]}'";
        for (var i = 1; i < path.Length; i++)
        {
            type = Nullable.GetUnderlyingType(type) ?? type;
            var next = Step(type, path[i]);
            if (next is null)
                return $"{variable}: {type.Name} has no '{path[i]}'";
            type = next;
        }
        return null;
    }

    private static Type? Step(Type type, string segment)
    {
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
            return type.GetGenericArguments()[1];
        if (type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type))
        {
            var item = type.IsArray ? type.GetElementType() : type.GetGenericArguments().SingleOrDefault();
            return int.TryParse(segment, out var index) && index >= 0 ? item : null;
        }
        var property = type.GetProperty(segment, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
        return property is { CanWrite: true } ? property.PropertyType : null;
    }
}
