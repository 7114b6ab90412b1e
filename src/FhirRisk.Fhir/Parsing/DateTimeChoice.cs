using System.Text;
using FhirRisk.Fhir.Model;

namespace FhirRisk.Fhir.Parsing;

/// <summary>The names of the alternatives of a [x] choice read as a dateTime (<c>{prefix}DateTime</c>, <c>{prefix}Instant</c>, <c>{prefix}Period</c>).</summary>
internal sealed class DateTimeChoiceNames(string prefix, bool hasAge = false)
{
    public static readonly DateTimeChoiceNames Effective = new("effective");
    public static readonly DateTimeChoiceNames Onset = new("onset", hasAge: true);
    public static readonly DateTimeChoiceNames Performed = new("performed", hasAge: true);

    /// <summary>Whether the choice has an Age alternative (<c>{prefix}Age</c>: onset[x], performed[x]).</summary>
    public bool HasAge { get; } = hasAge;

    public byte[] Age { get; } = Encoding.UTF8.GetBytes(prefix + "Age");

    public byte[] DateTime { get; } = Encoding.UTF8.GetBytes(prefix + "DateTime");

    public byte[] Instant { get; } = Encoding.UTF8.GetBytes(prefix + "Instant");

    public byte[] Period { get; } = Encoding.UTF8.GetBytes(prefix + "Period");

    public string InstantName { get; } = prefix + "Instant";

    public string PeriodName { get; } = prefix + "Period";
}

/// <summary>
/// A [x] choice read as a dateTime (effective[x], onset[x], performed[x]): <c>{prefix}DateTime</c>, else
/// <c>{prefix}Instant</c>, else the start and end of <c>{prefix}Period</c>. All three are read as they come; the ones
/// not used, and their issues, are dropped by <see cref="Resolve"/>.
/// </summary>
/// <param name="dateTimeOrder">The read position of <c>{prefix}DateTime</c>; Instant and Period take the next two, and
/// Age, where the choice has one, the one after.</param>
internal struct DateTimeChoice(DateTimeChoiceNames names, int dateTimeOrder)
{
    private FhirDateTime? _dateTime;
    private FhirDateTime? _instant;
    private FhirPeriod? _period;

    /// <summary><c>{prefix}Age</c> (onsetAge, performedAge): the patient's age when it happened, which a mapper can
    /// place from the birth date when the choice has no dateTime or Period.</summary>
    public FhirQuantity? Age { get; private set; }

    public bool TryRead(ref FhirElementReader r)
    {
        if (r.Is(names.DateTime, dateTimeOrder))
            _dateTime = r.Date();
        else if (r.Is(names.Instant, dateTimeOrder + 1))
            _instant = r.Date();
        else if (r.Is(names.Period, dateTimeOrder + 2))
            _period = r.Period();
        else if (names.HasAge && r.Is(names.Age, dateTimeOrder + 3))
            Age = r.Quantity();
        else
            return false;
        return true;
    }

    /// <summary>The choice's start and end; call once the object holding it has been read.</summary>
    public readonly (FhirDateTime? Start, FhirDateTime? End) Resolve(ref FhirElementReader r)
    {
        if ((_dateTime ?? _instant) is not { } single)
            return (_period?.Start, _period?.End);
        if (_dateTime is not null)
            r.DiscardIssues(names.InstantName);
        r.DiscardIssues(names.PeriodName);
        return (single, null);
    }
}
