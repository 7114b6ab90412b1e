using FhirRisk.Meds;
using FhirRisk.Meds.Tasks;
using FhirRisk.Tokenizer.Internal;

namespace FhirRisk.Tokenizer;

/// <summary>
/// How the events of one timestamp are ordered before they become tokens (<see cref="TokenizerSettings.TieOrder"/>).
/// MEDS gives the rows of a timestamp no order, and neither does FHIR: a search returns its matches in any order, and a
/// Bulk Data export writes one file per resource type. A model reads its tokens in sequence, so an order that follows
/// the input makes the same record give different risks from different sources, or from one server on different
/// calls (docs/formats/tokenizer.md "Events at the same time").
/// </summary>
public enum TieOrder
{
    /// <summary>The order the events arrive in (tokenizers fitted before this setting existed read so).</summary>
    Input,

    /// <summary>As a stay reads: what opens a stay or visit first (<c>ED_REGISTRATION</c>, <c>HOSPITAL_ADMISSION</c>,
    /// <c>ICU_ADMISSION</c>, <c>VISIT</c>), then what was charted, then what closes one (<c>ED_OUT</c>,
    /// <c>ICU_DISCHARGE</c>, <c>HOSPITAL_DISCHARGE</c>), then <c>MEDS_DEATH</c>; within each, by the tokens each event
    /// writes (its code's token ids in vocabulary order, then its decile). A transfer — a stay of a kind open before the
    /// timestamp closes and one of the same kind opens at it — writes the close first, so the new stay does not read as
    /// closed the moment it begins. The same events always give the same tokens, whatever order they came in, and
    /// decoded events re-encode to them.</summary>
    Canonical,
}

/// <summary>One event of a timestamp while it is put in order: its tokens (no plan: a static field or birth, which
/// writes none and goes first, by code), and its decile (0: none).</summary>
internal readonly record struct TieEntry(int Index, CodePlan? Plan, int Bin, string Code, int Rank)
{
    private static readonly StayKind[] s_stays = [StayKind.Hospital, StayKind.Icu, StayKind.Emergency];

    /// <summary>The rank of a transfer's close: before everything else of its timestamp.</summary>
    public const int TransferClose = -1;

    /// <summary>The stay kind a token opens (<c>+1 + kind</c>) or closes (<c>-(1 + kind)</c>), kind the index in
    /// hospital, ICU, ED; 0 for any other token. Read from the token, as <see cref="RankOf"/> is.</summary>
    public static int StayOf(string token)
    {
        var family = Vocabulary.VocabularyOf(token.StartsWith(Vocabulary.UnknownPrefix, StringComparison.Ordinal) ? token[Vocabulary.UnknownPrefix.Length..] : token);
        for (var k = 0; k < s_stays.Length; k++)
        {
            if (s_stays[k].StartCode == family)
                return k + 1;
            if (s_stays[k].EndCode == family)
                return -(k + 1);
        }
        return 0;
    }

    /// <summary>The place of a token's events in a timestamp (<see cref="TieOrder.Canonical"/>): 0 opens a stay or
    /// visit, 1 is charted within one, 2 closes one, 3 is death. Read from the token, so an unknown code of a family
    /// (<c>UNK//HOSPITAL_DISCHARGE</c>) keeps its family's place.</summary>
    public static int RankOf(string token)
    {
        var family = Vocabulary.VocabularyOf(token.StartsWith(Vocabulary.UnknownPrefix, StringComparison.Ordinal) ? token[Vocabulary.UnknownPrefix.Length..] : token);
        if (family == MedsSchema.DeathCode)
            return 3;
        if (family == "VISIT" || s_stays.Any(s => s.StartCode == family))
            return 0;
        return s_stays.Any(s => s.EndCode == family) ? 2 : 1;
    }

    public static int Compare(TieEntry x, TieEntry y)
    {
        if (x.Plan is null || y.Plan is null)
            return x.Plan is null && y.Plan is null ? string.CompareOrdinal(x.Code, y.Code) : x.Plan is null ? -1 : 1;
        if (x.Rank != y.Rank)
            return x.Rank.CompareTo(y.Rank);
        var (a, b) = (x.Plan.TokenIds, y.Plan.TokenIds);
        for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
        {
            if (a[i] != b[i])
                return a[i].CompareTo(b[i]);
        }
        return a.Length != b.Length ? a.Length.CompareTo(b.Length) : x.Bin.CompareTo(y.Bin);
    }
}
