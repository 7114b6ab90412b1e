namespace FhirRisk.Parquet.Tests.Codecs;

/// <summary>Seeded inputs for codec tests: incompressible noise and MEDS-like compressible text.</summary>
internal static class CodecTestData
{
    public static byte[] Noise(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    public static byte[] MedsLikeText(int length, int seed)
    {
        var random = new Random(seed);
        string[] codes = ["LOINC//2160-0//mg/dL", "ICD10CM//E11.9", "HOSPITAL_ADMISSION//inpatient", "RXNORM//860975", "MEDS_BIRTH"];
        var data = new byte[length];
        var position = 0;
        while (position < length)
        {
            var piece = System.Text.Encoding.UTF8.GetBytes($"{random.Next(1000, 1100)},{codes[random.Next(codes.Length)]},{random.NextDouble():F2}\n");
            var take = Math.Min(piece.Length, length - position);
            piece.AsSpan(0, take).CopyTo(data.AsSpan(position));
            position += take;
        }
        return data;
    }
}
