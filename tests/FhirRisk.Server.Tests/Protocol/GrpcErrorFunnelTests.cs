using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using FhirRisk.Server.Grpc;
using FhirRisk.Server.Grpc.Internal;

namespace FhirRisk.Server.Tests.Protocol;

public sealed class GrpcErrorFunnelTests
{
    // Stands for patient data that a framework exception message may quote.
    private const string PatientData = "Jane Doe 1961-07-04";

    private static readonly CallEndState Running = new(DeadlineExceeded: false, ClientCancelled: false, "trace-1");

    public static TheoryData<Exception, int> Mappings() => new()
    {
        { new ArgumentException(PatientData, "bundle"), (int)GrpcStatusCode.InvalidArgument },
        { new ArgumentNullException("patient", PatientData), (int)GrpcStatusCode.InvalidArgument },
        { new ArgumentOutOfRangeException("rollouts", PatientData), (int)GrpcStatusCode.InvalidArgument },
        { new FormatException(PatientData), (int)GrpcStatusCode.InvalidArgument },
        { new InvalidDataException(PatientData), (int)GrpcStatusCode.InvalidArgument },
        { new ValidationException(PatientData), (int)GrpcStatusCode.InvalidArgument },
        { new JsonException(PatientData, "$.entry[3].resource", 4, 17), (int)GrpcStatusCode.InvalidArgument },
        { new KeyNotFoundException(PatientData), (int)GrpcStatusCode.NotFound },
        { new NotImplementedException(PatientData), (int)GrpcStatusCode.Unimplemented },
        { new NotSupportedException(PatientData), (int)GrpcStatusCode.Unimplemented },
        { new OperationCanceledException(PatientData), (int)GrpcStatusCode.Cancelled },
        { new InvalidOperationException(PatientData), (int)GrpcStatusCode.Internal },
        { new NullReferenceException(PatientData), (int)GrpcStatusCode.Internal },
        { new IOException(PatientData), (int)GrpcStatusCode.Internal },
    };

    [Theory]
    [MemberData(nameof(Mappings))]
    public void ToStatus_MapsTheExceptionKind_WithoutItsMessage(Exception exception, int expected)
    {
        var status = GrpcErrorFunnel.ToStatus(exception, Running);

        Assert.Equal((GrpcStatusCode)expected, status.Code);
        Assert.DoesNotContain("Jane", status.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("1961", status.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", status.Message, StringComparison.Ordinal); // no stack frames
    }

    [Fact]
    public void ToStatus_GrpcStatusException_KeepsItsChosenStatus()
    {
        var status = GrpcErrorFunnel.ToStatus(new GrpcStatusException(GrpcStatusCode.FailedPrecondition, "Model not loaded."), Running);

        Assert.Equal(new GrpcStatus(GrpcStatusCode.FailedPrecondition, "Model not loaded."), status);
    }

    [Fact]
    public void ToStatus_Unexpected_InternalWithTheTraceIdentifier()
    {
        var exception = new InvalidOperationException(PatientData);

        var status = GrpcErrorFunnel.ToStatus(exception, Running);

        Assert.Equal("Internal error; the server logged it as trace-1.", status.Message);
        Assert.True(GrpcErrorFunnel.IsUnexpected(exception, status));
        Assert.False(GrpcErrorFunnel.IsUnexpected(new GrpcStatusException(GrpcStatusCode.Internal, "x"), status));
    }

    [Fact]
    public void ToStatus_ArgumentException_NamesTheParameter()
    {
        Assert.Equal("Invalid argument 'bundle'.", GrpcErrorFunnel.ToStatus(new ArgumentException(PatientData, "bundle"), Running).Message);
    }

    [Fact]
    public void ToStatus_JsonException_SaysWhereNotWhat()
    {
        var status = GrpcErrorFunnel.ToStatus(new JsonException(PatientData, "$.entry[3].resource", 4, 17), Running);

        Assert.Equal("The request holds invalid JSON at $.entry[3].resource (line 5, byte 18).", status.Message);
    }

    [Fact]
    public void ToStatus_AnyFailureAfterTheClientCancelled_Cancelled()
    {
        var state = new CallEndState(DeadlineExceeded: false, ClientCancelled: true, "t");

        Assert.Equal(GrpcStatusCode.Cancelled, GrpcErrorFunnel.ToStatus(new IOException("connection reset"), state).Code);
    }

    [Theory]
    [InlineData(true, false, (int)GrpcStatusCode.DeadlineExceeded)]
    [InlineData(true, true, (int)GrpcStatusCode.DeadlineExceeded)]
    [InlineData(false, true, (int)GrpcStatusCode.Cancelled)]
    [InlineData(false, false, (int)GrpcStatusCode.Cancelled)]
    public void ToStatus_Cancellation_AttributedToItsCause(bool deadline, bool client, int expected)
    {
        var state = new CallEndState(deadline, client, "t");

        Assert.Equal((GrpcStatusCode)expected, GrpcErrorFunnel.ToStatus(new TaskCanceledException(), state).Code);
    }
}
