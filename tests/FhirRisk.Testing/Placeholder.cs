namespace FhirRisk.Testing;
