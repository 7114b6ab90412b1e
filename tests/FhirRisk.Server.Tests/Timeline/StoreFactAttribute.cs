using Xunit.Abstractions;
using Xunit.Sdk;

namespace FhirRisk.Server.Tests.Timeline;

/// <summary>
/// A fact of the shared store contract (<see cref="TimelineStoreContract"/>): it runs once per backend class, and is
/// skipped with the backend's message where the class names one (<see cref="RequiresPostgresAttribute"/>). xUnit 2 has
/// no dynamic skip, so the discoverer decides per test class.
/// </summary>
[XunitTestCaseDiscoverer("FhirRisk.Server.Tests.Timeline.StoreFactDiscoverer", "FhirRisk.Server.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class StoreFactAttribute : FactAttribute;

/// <summary>Marks a test class whose facts need the PostgreSQL test cluster.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class RequiresPostgresAttribute : Attribute;

public sealed class StoreFactDiscoverer(IMessageSink diagnostics) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        ArgumentNullException.ThrowIfNull(discoveryOptions);
        ArgumentNullException.ThrowIfNull(testMethod);
        var display = discoveryOptions.MethodDisplayOrDefault();
        var options = discoveryOptions.MethodDisplayOptionsOrDefault();
        var skip = testMethod.TestClass.Class.GetCustomAttributes(typeof(RequiresPostgresAttribute)).Any() ? PostgresCluster.SkipReason : null;
        return skip is null
            ? [new XunitTestCase(diagnostics, display, options, testMethod)]
            : [new XunitSkippedDataRowTestCase(diagnostics, display, options, testMethod, skip)];
    }
}
