using FhirRisk.Fhir;
using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.FhirMapping;

/// <summary>One Observation a DiagnosticReport holds in <c>contained</c>, ready to map as if it stood alone.</summary>
internal sealed record ContainedResult(FhirObservation Observation, FhirResourceEnvelope Envelope);

/// <summary>
/// The result Observations a DiagnosticReport carries inside itself (<c>result</c> → <c>#id</c> → <c>contained</c>), as
/// lab interfaces often send them. They are the report's values, so they are mapped as Observations (MEDS events,
/// OMOP measurement rows); nothing else would read them. A contained resource lives in its container's context (FHIR R4
/// §2.23 "Contained Resources"), so a contained Observation without a subject, encounter or time of its own takes the
/// report's. Each is mapped once however many results name it; its issues name it by a FHIRPath location such as
/// <c>Bundle.entry[3].resource.contained.where(id='k')</c>.
/// </summary>
internal static class ContainedResults
{
    /// <summary>The contained Observations the report's results name, in result order, and the indexes of the results
    /// that name a <c>#id</c> no contained Observation has.</summary>
    public static (IReadOnlyList<ContainedResult> Results, IReadOnlyList<int> Unresolved) Of(FhirDiagnosticReport report, FhirResourceEnvelope envelope)
    {
        List<ContainedResult>? results = null;
        List<int>? unresolved = null;
        HashSet<string>? seen = null;
        for (var i = 0; i < report.Results.Count; i++)
        {
            if (ReferenceTarget.Parse(report.Results[i].Reference) is not { Form: ReferenceForm.Contained } target)
                continue;
            var observation = report.Contained.OfType<FhirObservation>().FirstOrDefault(o => o.Id == target.Id);
            if (observation is null)
            {
                (unresolved ??= []).Add(i);
                continue;
            }
            if (!(seen ??= new(StringComparer.Ordinal)).Add(target.Id!))
                continue;
            var location = $"{envelope.Location}.contained.where(id='{target.Id}')";
            (results ??= []).Add(new(InContext(observation, report), envelope with { ResourceType = observation.ResourceType, Location = location }));
        }
        return (results ?? (IReadOnlyList<ContainedResult>)[], unresolved ?? (IReadOnlyList<int>)[]);
    }

    private static FhirObservation InContext(FhirObservation observation, FhirDiagnosticReport report)
    {
        var timed = (observation.Effective ?? observation.EffectiveEnd ?? observation.Issued) is not null;
        return observation with
        {
            Subject = observation.Subject ?? report.Subject,
            Encounter = observation.Encounter ?? report.Encounter,
            Effective = timed ? observation.Effective : report.Effective,
            Issued = timed ? observation.Issued : report.Issued,
        };
    }
}
