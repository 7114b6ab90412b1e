using System.IO.Compression;
using System.Text.Json;

namespace FhirRisk.Bench.Ingest;

/// <summary>
/// The peer of <c>bench ingest</c>: the least work any JSON ingester must do — decompress and tokenize every byte with
/// <see cref="Utf8JsonReader"/> in 1 MiB streaming blocks, building nothing. NDJSON and JSON files alike are read as a
/// sequence of JSON values (<see cref="JsonReaderOptions.AllowMultipleValues"/>).
/// </summary>
internal static class RawTokenScan
{
    private const int BlockBytes = 1 << 20;

    /// <summary>Decompressed bytes and JSON tokens of <paramref name="files"/>.</summary>
    public static (long Bytes, long Tokens) Scan(IEnumerable<string> files)
    {
        long bytes = 0, tokens = 0;
        var buffer = new byte[BlockBytes];
        foreach (var file in files)
        {
            using var stream = Open(file);
            var (fileBytes, fileTokens) = ScanStream(stream, ref buffer);
            bytes += fileBytes;
            tokens += fileTokens;
        }
        return (bytes, tokens);
    }

    private static Stream Open(string file)
    {
        var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return file.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(stream, CompressionMode.Decompress) : stream;
    }

    private static (long Bytes, long Tokens) ScanStream(Stream stream, ref byte[] buffer)
    {
        var state = new JsonReaderState(new JsonReaderOptions { AllowMultipleValues = true, MaxDepth = 1024 });
        long bytes = 0, tokens = 0;
        var filled = 0;
        while (true)
        {
            if (filled == buffer.Length)
                Array.Resize(ref buffer, buffer.Length * 2); // one token longer than the block
            var read = stream.Read(buffer, filled, buffer.Length - filled);
            bytes += read;
            var final = read == 0;
            var reader = new Utf8JsonReader(buffer.AsSpan(0, filled + read), final, state);
            while (reader.Read())
                tokens++;
            state = reader.CurrentState;
            var consumed = (int)reader.BytesConsumed;
            filled = filled + read - consumed;
            Buffer.BlockCopy(buffer, consumed, buffer, 0, filled);
            if (final)
                return (bytes, tokens);
        }
    }
}
