namespace FhirRisk.Fhir;

/// <summary>
/// Stable codes for problems found while finding, reading and parsing FHIR input (STYLE 7: errors are data). Tests
/// assert these codes, never messages. Mapping problems (FHIR → MEDS/OMOP) have their own catalog (FHIRMAP…).
/// Documented in docs/formats/fhir-ingestion.md.
/// </summary>
public static class FhirIssueCodes
{
    /// <summary>Bytes that are not valid JSON (a line of NDJSON, a whole JSON file, or a resource). Unrecoverable.</summary>
    public const string InvalidJson = "FHIR001";

    /// <summary>A resource (NDJSON line or JSON file) larger than <see cref="FhirReaderSettings.MaxResourceBytes"/>. Unrecoverable.</summary>
    public const string ResourceTooLarge = "FHIR002";

    /// <summary>JSON nested deeper than <see cref="FhirReaderSettings.MaxDepth"/>. Unrecoverable.</summary>
    public const string NestingTooDeep = "FHIR003";

    /// <summary>A JSON object without a string <c>resourceType</c>. Unrecoverable.</summary>
    public const string MissingResourceType = "FHIR004";

    /// <summary>A resource that is not a JSON object (an array, a number…). Unrecoverable.</summary>
    public const string ResourceNotObject = "FHIR005";

    /// <summary>An element of the wrong JSON type (<c>"status": 5</c>, a string where an object is expected). The element is ignored.</summary>
    public const string WrongElementType = "FHIR006";

    /// <summary>A date, dateTime or instant that does not match R4 §2.24 (or names no real calendar day). The element is ignored.</summary>
    public const string InvalidDate = "FHIR007";

    /// <summary>A decimal or integer outside double/int range, or a string such as "NaN" where a number is required. The value is ignored.</summary>
    public const string InvalidNumber = "FHIR008";

    /// <summary>An Observation value[x] whose type R4 does not define (e.g. <c>valueFoo</c>). Kept as kind Other.</summary>
    public const string UnsupportedValueType = "FHIR009";

    /// <summary>Immunization.occurrenceString: a free-text time that cannot be placed on the timeline.</summary>
    public const string OccurrenceString = "FHIR010";

    /// <summary>A gzip stream that ends early or is corrupt; what was read before the damage is kept.</summary>
    public const string TruncatedGzip = "FHIR011";

    /// <summary>An input path that does not exist.</summary>
    public const string MissingInput = "FHIR012";

    /// <summary>An input file whose extension is not .json, .json.gz, .ndjson or .ndjson.gz; it is not read.</summary>
    public const string UnsupportedInputFile = "FHIR013";

    /// <summary>A Bulk Data manifest that is not valid JSON or lacks <c>output[]</c>; the folder is read without it.</summary>
    public const string InvalidManifest = "FHIR014";

    /// <summary>A file named by a Bulk Data manifest that is not in the export folder.</summary>
    public const string ManifestFileMissing = "FHIR015";

    /// <summary>A Bundle entry without a resource (e.g. a DELETE in a transaction, or a response entry): nothing to ingest.</summary>
    public const string EntryWithoutResource = "FHIR016";

    /// <summary>An I/O error reading an input file; what was read before the error is kept.</summary>
    public const string ReadError = "FHIR017";

    /// <summary>A dateTime with a time but no zone offset (R4 requires one); it is read in the site time zone (UTC by default).</summary>
    public const string DateTimeWithoutZone = "FHIR018";

    /// <summary>Warning: a Bundle inside a Bundle inside a Bundle; one level of nesting (a batch-response of searchsets)
    /// is read, a deeper one is not.</summary>
    public const string NestedBundleNotRead = "FHIR019";

    /// <summary>Warning: an NDJSON line holds a Bundle. NDJSON (Bulk Data) holds one resource a line, so the Bundle is
    /// quarantined whole rather than read; give it as a <c>.json</c> file, where Bundles are read.</summary>
    public const string BundleInNdjson = "FHIR020";

    /// <summary>
    /// The FHIR IssueType (http://hl7.org/fhir/R4/valueset-issue-type.html) that each code maps to in an OperationOutcome.
    /// </summary>
    public static string IssueType(string code) => code switch
    {
        InvalidJson or NestingTooDeep or ResourceNotObject or WrongElementType => "structure",
        ResourceTooLarge => "too-long",
        MissingResourceType => "required",
        InvalidDate or InvalidNumber or OccurrenceString or DateTimeWithoutZone => "value",
        UnsupportedValueType or UnsupportedInputFile or NestedBundleNotRead or BundleInNdjson => "not-supported",
        TruncatedGzip => "incomplete",
        MissingInput or ManifestFileMissing => "not-found",
        InvalidManifest => "invalid",
        EntryWithoutResource => "informational",
        ReadError => "exception",
        _ => "processing",
    };
}
