using System.Globalization;

namespace FhirRisk.Synthetic.Generation.Reports;

/// <summary>
/// Whether <c>--data</c> is the data the model learnt from, as far as the model directory can tell: the subjects and
/// event rows of the splits its tokenizer was fitted on (<c>tokenizer.json</c>'s <c>fitted_on</c>: normally train;
/// every row of a subject counts, static rows included, as <c>tokenize fit</c> counts them), read in <c>--data</c>,
/// against the numbers the fit recorded. The privacy tests take <c>--data</c>'s train split as the model's members: when
/// it is other patients (another cohort, or the same records re-ingested with another subject key or split salt, which
/// moves patients between splits), membership inference, distance to closest record and the copy count compare
/// non-members with non-members and say nothing about leakage (review s22 generate M1). Equal counts do not prove
/// the same patients, but a cohort of other patients rarely matches both.
/// </summary>
/// <param name="Splits">The tokenizer's fit splits.</param>
/// <param name="Subjects">Subjects of those splits in <c>--data</c>.</param>
/// <param name="Events">Event rows of those splits in <c>--data</c>.</param>
/// <param name="FittedSubjects">Subjects the tokenizer was fitted on.</param>
/// <param name="FittedEvents">Event rows the tokenizer was fitted on.</param>
public sealed record TrainingDataCheck(IReadOnlyList<string> Splits, long Subjects, long Events, long FittedSubjects, long FittedEvents)
{
    public bool Matches => Subjects == FittedSubjects && Events == FittedEvents;

    /// <summary>What the user must know when <see cref="Matches"/> is false, else null (counts only).</summary>
    public string? Warning => Matches
        ? null
        : string.Create(CultureInfo.InvariantCulture,
            $"--data's {string.Join(" and ", Splits)} {(Splits.Count == 1 ? "split is" : "splits are")} not the data this model's tokenizer was fitted on ({Subjects:N0} subjects and {Events:N0} event rows in --data, {FittedSubjects:N0} and {FittedEvents:N0} in tokenizer.json's fitted_on): the membership-inference, distance-to-closest-record and copy numbers then compare patients the model never saw and say nothing about leakage. Pass the model's own training data, as it was ingested for training, as --data.");
}
