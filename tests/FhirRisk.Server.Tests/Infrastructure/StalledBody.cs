using System.Net;
using System.Text;

namespace FhirRisk.Server.Tests.Infrastructure;

/// <summary>A request body sent chunked: <c>head</c>, then nothing until <c>release</c> completes, then <c>tail</c>.
/// It holds a request open on the server, past its admission, for as long as a test needs.</summary>
internal sealed class StalledBody : HttpContent
{
    private readonly byte[] _head;
    private readonly byte[] _tail;
    private readonly Task _release;

    private readonly bool _declared;

    /// <param name="declareLength">Send <c>Content-Length</c> (the whole body's) instead of a chunked body.</param>
    public StalledBody(string head, string tail, Task release, string mediaType, bool declareLength = false)
    {
        (_head, _tail, _release, _declared) = (Encoding.UTF8.GetBytes(head), Encoding.UTF8.GetBytes(tail), release, declareLength);
        Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(mediaType);
    }

    /// <summary>Polls <paramref name="condition"/> (the server's count of held requests) for up to 30 s.</summary>
    public static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the held request did not reach the server in 30 s");
            await Task.Delay(10);
        }
    }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        await stream.WriteAsync(_head);
        await stream.FlushAsync();
        await _release.WaitAsync(TimeSpan.FromSeconds(60));
        await stream.WriteAsync(_tail);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = _declared ? _head.Length + _tail.Length : -1;
        return _declared;
    }
}
