namespace FhirRisk.Fhir.Reading;

/// <summary>
/// Splits a stream into NDJSON lines with one reusable buffer that grows only up to the line limit, so a multi-GB file
/// (or a 100 MB line) never sits in memory whole. A line over the limit is not returned: the caller drains it in chunks
/// through <see cref="OpenRestOfLine"/>. Read failures (a truncated gzip stream, an I/O error) end the input and are kept
/// in <see cref="Failure"/>, because iterators cannot yield from inside a catch.
/// </summary>
internal sealed class NdjsonLineSource(Stream stream, int maxLineBytes)
{
    private const int InitialBuffer = 64 << 10;

    private byte[] _buffer = new byte[Math.Min(InitialBuffer, maxLineBytes + 1)];
    private int _start;
    private int _end;
    private bool _endOfInput;

    public Exception? Failure { get; private set; }

    /// <summary>Bytes read from the (decompressed) stream so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>True once the stream has ended or failed.</summary>
    public bool AtEnd => _endOfInput;

    /// <summary>1-based number of the line last returned or opened.</summary>
    public long LineNumber { get; private set; }

    /// <summary>True when the stream ended (or failed) without a newline after the last line.</summary>
    public bool LastLineUnterminated { get; private set; }

    /// <summary>
    /// Reads the next line (without its \n or \r\n). False at the end of input. The line lies in this source's buffer
    /// and is valid until the next read.
    /// </summary>
    public bool TryReadLine(out ReadOnlyMemory<byte> line, out bool oversized)
    {
        line = default;
        oversized = false;
        while (true)
        {
            var newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                LineNumber++;
                line = TrimCarriageReturn(_buffer.AsMemory(_start, newline));
                _start += newline + 1;
                return true;
            }
            if (_end - _start > maxLineBytes)
            {
                LineNumber++;
                oversized = true;
                return true;
            }
            if (_endOfInput)
            {
                if (_end == _start)
                    return false;
                LineNumber++;
                LastLineUnterminated = true;
                line = TrimCarriageReturn(_buffer.AsMemory(_start, _end - _start));
                _start = _end;
                return true;
            }
            Fill();
        }
    }

    /// <summary>A stream over the rest of the current (oversized) line, up to and including its newline.</summary>
    public Stream OpenRestOfLine() => new RestOfLineStream(this);

    private int ReadRestOfLine(Span<byte> destination)
    {
        while (_start == _end && !_endOfInput)
        {
            _start = _end = 0;
            Fill();
        }
        var available = _buffer.AsSpan(_start, _end - _start);
        var newline = available.IndexOf((byte)'\n');
        var take = Math.Min(destination.Length, newline >= 0 ? newline : available.Length);
        available[..take].CopyTo(destination);
        _start += take;
        if (take == 0 && newline == 0)
            _start++; // consume the newline: the line is finished
        return take;
    }

    private void Fill()
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
        {
            // Grow only to limit + 1: one byte past the limit is enough to know a line is oversized.
            var size = (int)Math.Min((long)_buffer.Length * 2, (long)maxLineBytes + 1);
            Array.Resize(ref _buffer, size);
        }
        try
        {
            var read = stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read == 0)
                _endOfInput = true;
            _end += read;
            BytesRead += read;
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            Failure = e;
            _endOfInput = true;
        }
    }

    private static ReadOnlyMemory<byte> TrimCarriageReturn(ReadOnlyMemory<byte> line) =>
        line.Length > 0 && line.Span[^1] == (byte)'\r' ? line[..^1] : line;

    private sealed class RestOfLineStream(NdjsonLineSource source) : Stream
    {
        private bool _done;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_done || buffer.Length == 0)
                return 0;
            var read = source.ReadRestOfLine(buffer);
            if (read == 0)
                _done = true;
            return read;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
