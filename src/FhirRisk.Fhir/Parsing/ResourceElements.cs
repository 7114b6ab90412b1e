using FhirRisk.Fhir.Model;

namespace FhirRisk.Fhir.Parsing;

/// <summary>
/// The elements every resource has (R4 Resource and DomainResource): <c>id</c>, <c>meta.profile</c>,
/// <c>identifier</c>, <c>contained</c>, and <c>resourceType</c>, which decides how the root is read.
/// </summary>
internal struct ResourceElements
{
    private string? _id;
    private IReadOnlyList<FhirIdentifier> _identifiers;
    private IReadOnlyList<string> _profiles;
    private IReadOnlyList<FhirResource> _contained;

    public ResourceElements()
    {
        _identifiers = [];
        _profiles = [];
        _contained = [];
    }

    /// <summary>The type the last <c>resourceType</c> names (null: none, not a string, or a type we do not ingest).</summary>
    public FhirResourceType? DeclaredType { get; private set; }

    // Filled after each type's own members, so these come last in every resource's read order.
    private enum Order
    {
        /// <summary>resourceType reports no issues: the parser judges its value.</summary>
        ResourceType = 1000,
        Meta,
        Id,
        Identifier,
        MetaProfile,
        Contained,
    }

    private enum IdentifierOrder
    {
        System,
        Value,
    }

    /// <summary>Reads the current property when it is one of these elements; false otherwise.</summary>
    public bool TryRead(ref FhirElementReader r)
    {
        if (r.Is("resourceType"u8, Order.ResourceType))
            DeclaredType = r.ResourceType();
        else if (r.Is("id"u8, Order.Id))
            _id = r.String();
        else if (r.Is("meta"u8, Order.Meta))
            _profiles = Profiles(ref r);
        else if (r.Is("identifier"u8, Order.Identifier))
            _identifiers = r.List(Identifier);
        else if (r.Is("contained"u8, Order.Contained))
            _contained = Contained(ref r);
        else
            return false;
        return true;
    }

    public readonly FhirResource Complete(FhirResource resource) =>
        resource with { Id = _id, Identifiers = _identifiers, Profiles = _profiles, Contained = _contained };

    private static IReadOnlyList<string> Profiles(ref FhirElementReader r)
    {
        IReadOnlyList<string> profiles = [];
        if (!r.InlineObject())
            return profiles;
        while (r.NextProperty())
        {
            if (r.Is("profile"u8, Order.MetaProfile))
                profiles = r.Strings();
            else
                r.Skip();
        }
        return profiles;
    }

    private static FhirIdentifier? Identifier(ref FhirElementReader r)
    {
        if (!r.Object())
            return null;
        string? system = null, value = null;
        while (r.NextProperty())
        {
            if (r.Is("system"u8, IdentifierOrder.System))
                system = r.String();
            else if (r.Is("value"u8, IdentifierOrder.Value))
                value = r.String();
            else
                r.Skip();
        }
        return new FhirIdentifier(system, value);
    }

    /// <summary>Contained resources of the types we ingest, each read by its own resourceType (e.g. a Medication behind <c>#med1</c>).</summary>
    private static IReadOnlyList<FhirResource> Contained(ref FhirElementReader r)
    {
        if (!r.Array())
            return [];
        List<FhirResource>? contained = null;
        while (r.NextItem())
        {
            if (r.ContainedResource(out var type))
                (contained ??= []).Add(type.Read(ref r, out _));
        }
        return contained ?? (IReadOnlyList<FhirResource>)[];
    }
}
