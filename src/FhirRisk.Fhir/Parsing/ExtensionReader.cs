using FhirRisk.Fhir.Model;

namespace FhirRisk.Fhir.Parsing;

/// <summary>
/// Flattens an extension: its own value and its sub-extensions' values (US Core race/ethnicity put codings in
/// <c>ombCategory</c> and <c>detailed</c>, text in <c>text</c>; http://hl7.org/fhir/us/core/StructureDefinition-us-core-race.html).
/// Sub-extensions are read one level deep.
/// </summary>
internal static class ExtensionReader
{
    // An extension reads its url first, a sub-extension after its value.
    private enum ExtensionOrder
    {
        Url,
        ValueCoding,
        ValueCodeableConcept,
        ValueString,
        ValueCode,
        Extension,
        SubExtensionUrl,
    }

    /// <summary>An extension item; null (and nothing but its url read) when it has no url.</summary>
    public static FhirExtension? Extension(ref FhirElementReader r)
    {
        if (!r.Object())
            return null;
        string? url = null;
        var value = new ExtensionValue();
        IReadOnlyList<SubExtension> subExtensions = [];
        while (r.NextProperty())
        {
            if (r.Is("url"u8, ExtensionOrder.Url))
                url = r.RepeatedString();
            else if (r.Is("extension"u8, ExtensionOrder.Extension))
                subExtensions = r.List(SubExtensionOf);
            else if (!value.TryRead(ref r))
                r.Skip();
        }
        if (url is null)
        {
            r.DiscardIssuesExcept("url");
            return null;
        }
        var codings = new List<FhirCoding>();
        value.AddCodings(codings);
        var text = value.Text(ref r);
        foreach (var sub in subExtensions)
        {
            codings.AddRange(sub.Codings);
            if (sub.Url == "text" || text is null)
                text = sub.Text ?? text;
        }
        return new FhirExtension(url, codings, text);
    }

    private static SubExtension? SubExtensionOf(ref FhirElementReader r)
    {
        if (!r.Object())
            return null;
        string? url = null;
        var value = new ExtensionValue();
        while (r.NextProperty())
        {
            if (r.Is("url"u8, ExtensionOrder.SubExtensionUrl))
                url = r.RepeatedString();
            else if (!value.TryRead(ref r))
                r.Skip();
        }
        var codings = new List<FhirCoding>();
        value.AddCodings(codings);
        return new SubExtension(url, codings, value.Text(ref r));
    }

    private sealed record SubExtension(string? Url, List<FhirCoding> Codings, string? Text);

    /// <summary>The value[x] of an extension that we keep: codings (valueCoding, valueCodeableConcept) and text (valueString, else valueCode).</summary>
    private struct ExtensionValue
    {
        private FhirCoding? _coding;
        private FhirCodeableConcept? _concept;
        private string? _string;
        private string? _code;

        public bool TryRead(ref FhirElementReader r)
        {
            if (r.Is("valueCoding"u8, ExtensionOrder.ValueCoding))
                _coding = r.Coding();
            else if (r.Is("valueCodeableConcept"u8, ExtensionOrder.ValueCodeableConcept))
                _concept = r.Concept();
            else if (r.Is("valueString"u8, ExtensionOrder.ValueString))
                _string = r.RepeatedString();
            else if (r.Is("valueCode"u8, ExtensionOrder.ValueCode))
                _code = r.RepeatedString();
            else
                return false;
            return true;
        }

        public readonly void AddCodings(List<FhirCoding> codings)
        {
            if (_coding is not null)
                codings.Add(_coding);
            if (_concept is not null)
                codings.AddRange(_concept.Codings);
        }

        /// <summary>The text; call once the extension has been read (valueCode is used, and its issues kept, only without a valueString).</summary>
        public readonly string? Text(ref FhirElementReader r)
        {
            if (_string is null)
                return _code;
            r.DiscardIssues("valueCode");
            return _string;
        }
    }
}
