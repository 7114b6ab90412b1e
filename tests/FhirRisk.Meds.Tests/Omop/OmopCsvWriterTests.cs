using FhirRisk.Meds.Omop;
using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests.Omop;

/// <summary>RFC 4180 output: quoting only where needed, doubled quotes, CRLF, invariant formats, empty for null.</summary>
public sealed class OmopCsvWriterTests
{
    [Fact]
    public void WriteRow_MixedCells_Rfc4180Text()
    {
        using var temp = new TempDirectory();
        var table = new OmopTableSchema("t", [new("a", OmopColumnType.Text), new("b", OmopColumnType.Decimal), new("c", OmopColumnType.Date), new("d", OmopColumnType.DateTime), new("e", OmopColumnType.Integer)]);
        using (var writer = new OmopCsvWriter(temp.File("t.csv"), table))
        {
            writer.WriteRow(["say \"hi\", then\nleave", 0.1, new DateOnly(2023, 2, 28), new DateTime(2023, 2, 28, 23, 59, 59, 500), null]);
            writer.WriteRow(["plain", 1e308, null, new DateTime(2023, 1, 1), -5L]);
        }

        Assert.Equal(
            "a,b,c,d,e\r\n\"say \"\"hi\"\", then\nleave\",0.1,2023-02-28,2023-02-28 23:59:59.500000,\r\nplain,1E+308,,2023-01-01 00:00:00,-5\r\n",
            File.ReadAllText(temp.File("t.csv")));
    }

    [Fact]
    public void Truncate_SurrogatePairAtLimit_NotSplit()
    {
        Assert.Equal("ab", OmopTableSink.Truncate("ab\U0001F600c", 3));
        Assert.Equal("abc", OmopTableSink.Truncate("abcdef", 3));
    }
}
