namespace FhirRisk.Meds.Omop;

/// <summary>
/// The part of an OHDSI Athena vocabulary download the export needs: (vocabulary_id, concept_code) → concept_id for the
/// vocabularies FHIR codes map to, which of those concepts are standard (with their domain, which picks the event
/// table), and their "Maps to" targets. Both files are
/// streamed line by line (Athena ships them tab-separated, unquoted, with a header row), keeping only those entries,
/// so a multi-GB download is never held whole.
/// </summary>
public sealed class AthenaVocabulary
{
    /// <summary>OMOP vocabulary ids the FHIR systems we read map to (<see cref="OmopVocabularyIds"/>); others are skipped.</summary>
    public static readonly IReadOnlySet<string> DefaultVocabularies = new HashSet<string>(StringComparer.Ordinal)
    {
        "LOINC", "SNOMED", "RxNorm", "ICD10CM", "ICD10", "ICD9CM", "ICD9Proc", "ICD10PCS", "CPT4", "HCPCS", "NDC", "CVX", "ATC", "UCUM",
    };

    private readonly Dictionary<string, int> _conceptByCode = new(StringComparer.Ordinal);
    private readonly Dictionary<int, OmopDomain> _standardDomains = [];
    private readonly Dictionary<int, int> _mapsTo = [];

    private AthenaVocabulary()
    {
    }

    /// <summary>Concepts indexed (in the kept vocabularies).</summary>
    public int ConceptCount => _conceptByCode.Count;

    /// <summary>"Maps to" links kept.</summary>
    public int MapsToCount => _mapsTo.Count;

    /// <summary>Loads <c>CONCEPT.csv</c> and <c>CONCEPT_RELATIONSHIP.csv</c> from an Athena folder.</summary>
    public static AthenaVocabulary Load(string folder, IReadOnlySet<string>? vocabularies = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        using var concepts = new StreamReader(Path.Combine(folder, "CONCEPT.csv"));
        using var relationships = new StreamReader(Path.Combine(folder, "CONCEPT_RELATIONSHIP.csv"));
        return Load(concepts, relationships, vocabularies);
    }

    public static AthenaVocabulary Load(TextReader concepts, TextReader relationships, IReadOnlySet<string>? vocabularies = null)
    {
        ArgumentNullException.ThrowIfNull(concepts);
        ArgumentNullException.ThrowIfNull(relationships);
        var vocabulary = new AthenaVocabulary();
        vocabulary.ReadConcepts(concepts, vocabularies ?? DefaultVocabularies);
        vocabulary.ReadRelationships(relationships);
        return vocabulary;
    }

    /// <summary>The concept_id of a code in a vocabulary, standard or not; null when unknown.</summary>
    public int? SourceConceptId(string vocabularyId, string code) =>
        _conceptByCode.TryGetValue(Key(vocabularyId, code), out var id) ? id : null;

    /// <summary>
    /// The standard concept for a source concept: itself when standard, else its "Maps to" target (the smallest target id
    /// when a concept maps to several, so the choice never depends on file order); null when neither.
    /// </summary>
    public int? StandardConceptId(int sourceConceptId)
    {
        if (_standardDomains.ContainsKey(sourceConceptId))
            return sourceConceptId;
        return _mapsTo.TryGetValue(sourceConceptId, out var target) ? target : null;
    }

    /// <summary>
    /// The domain of a standard concept; <see cref="OmopDomain.Unknown"/> for a concept not loaded, which includes a
    /// "Maps to" target in a vocabulary outside the kept set (e.g. RxNorm Extension, OMOP Extension).
    /// </summary>
    public OmopDomain Domain(int standardConceptId) =>
        _standardDomains.TryGetValue(standardConceptId, out var domain) ? domain : OmopDomain.Unknown;

    private static string Key(string vocabularyId, string code) => vocabularyId + "\t" + code;

    private static OmopDomain ParseDomain(string domainId) => domainId switch
    {
        "Condition" => OmopDomain.Condition,
        "Procedure" => OmopDomain.Procedure,
        "Measurement" => OmopDomain.Measurement,
        "Observation" => OmopDomain.Observation,
        "Drug" => OmopDomain.Drug,
        _ => OmopDomain.Other,
    };

    private void ReadConcepts(TextReader reader, IReadOnlySet<string> vocabularies)
    {
        var header = new AthenaHeader(reader.ReadLine(), "CONCEPT.csv");
        int id = header["concept_id"], vocab = header["vocabulary_id"], code = header["concept_code"];
        int standard = header["standard_concept"], invalid = header["invalid_reason"], domain = header["domain_id"];
        while (reader.ReadLine() is { } line)
        {
            var fields = line.Split('\t');
            if (fields.Length < header.Count || !vocabularies.Contains(fields[vocab]) || !int.TryParse(fields[id], out var conceptId))
                continue;
            _conceptByCode.TryAdd(Key(fields[vocab], fields[code]), conceptId);
            if (fields[standard] == "S" && fields[invalid].Length == 0)
                _standardDomains[conceptId] = ParseDomain(fields[domain]);
        }
    }

    private void ReadRelationships(TextReader reader)
    {
        var header = new AthenaHeader(reader.ReadLine(), "CONCEPT_RELATIONSHIP.csv");
        int from = header["concept_id_1"], to = header["concept_id_2"], relationship = header["relationship_id"], invalid = header["invalid_reason"];
        var indexed = new HashSet<int>(_conceptByCode.Values);
        while (reader.ReadLine() is { } line)
        {
            var fields = line.Split('\t');
            if (fields.Length < header.Count || fields[relationship] != "Maps to" || fields[invalid].Length != 0)
                continue;
            if (!int.TryParse(fields[from], out var source) || !indexed.Contains(source) || !int.TryParse(fields[to], out var target))
                continue;
            if (!_mapsTo.TryGetValue(source, out var existing) || target < existing)
                _mapsTo[source] = target;
        }
    }

    /// <summary>Column positions from an Athena header row; a missing column is an actionable error.</summary>
    private sealed class AthenaHeader
    {
        private readonly string[] _names;
        private readonly string _file;

        public AthenaHeader(string? line, string file)
        {
            _file = file;
            _names = line?.Split('\t') ?? throw new InvalidDataException($"{file} is empty: expected a tab-separated Athena header row.");
        }

        public int Count => _names.Length;

        public int this[string column]
        {
            get
            {
                var index = Array.IndexOf(_names, column);
                return index >= 0 ? index : throw new InvalidDataException(
                    $"{_file} has no '{column}' column; expected the tab-separated Athena download format.");
            }
        }
    }
}
