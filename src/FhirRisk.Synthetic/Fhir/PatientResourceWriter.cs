using System.Text.Json;
using FhirRisk.Synthetic.Codes;
using FhirRisk.Synthetic.Model;

namespace FhirRisk.Synthetic.Fhir;

/// <summary>Patient (with the US Core race and ethnicity extensions) and the ICU Locations.</summary>
internal static class PatientResourceWriter
{
    private static readonly Coded s_hispanic = new(CodeSystemUris.RaceEthnicity, "2135-2", "Hispanic or Latino");
    private static readonly Coded s_notHispanic = new(CodeSystemUris.RaceEthnicity, "2186-5", "Not Hispanic or Latino");
    private static readonly Coded s_icuType = new(CodeSystemUris.RoleCode, "ICU", "Intensive care unit");

    public static void Patient(Utf8JsonWriter json, PatientTimeline timeline)
    {
        var patient = timeline.Profile;
        json.WriteStartObject();
        json.WriteString("resourceType"u8, FhirResourceTypes.Patient);
        json.WriteString("id"u8, patient.Id);
        json.WriteStartArray("extension"u8);
        OmbExtension(json, CodeSystemUris.UsCoreRace, new Coded(CodeSystemUris.RaceEthnicity, patient.Race.Code, patient.Race.Display));
        OmbExtension(json, CodeSystemUris.UsCoreEthnicity, patient.Hispanic ? s_hispanic : s_notHispanic);
        json.WriteEndArray();
        json.WriteString("gender"u8, patient.Female ? "female" : "male");
        FhirJson.Date(json, "birthDate"u8, patient.BirthDate);
        if (timeline.DeathTime is { } death)
            FhirJson.DateTime(json, "deceasedDateTime"u8, death);
        json.WriteEndObject();
    }

    public static void Location(Utf8JsonWriter json, IcuUnit unit)
    {
        json.WriteStartObject();
        json.WriteString("resourceType"u8, FhirResourceTypes.Location);
        json.WriteString("id"u8, unit.LocationId);
        json.WriteString("status"u8, "active");
        json.WriteString("name"u8, unit.Name);
        json.WriteString("mode"u8, "instance");
        FhirJson.CodeableConceptList(json, "type"u8, s_icuType);
        json.WriteEndObject();
    }

    /// <summary>A US Core race/ethnicity extension: the OMB category and the required text.</summary>
    private static void OmbExtension(Utf8JsonWriter json, string url, Coded category)
    {
        json.WriteStartObject();
        json.WriteString("url"u8, url);
        json.WriteStartArray("extension"u8);
        json.WriteStartObject();
        json.WriteString("url"u8, "ombCategory");
        FhirJson.Coding(json, "valueCoding"u8, category);
        json.WriteEndObject();
        json.WriteStartObject();
        json.WriteString("url"u8, "text");
        json.WriteString("valueString"u8, category.Display);
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
