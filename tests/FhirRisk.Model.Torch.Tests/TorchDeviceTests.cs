namespace FhirRisk.Model.Torch.Tests;

public sealed class TorchDeviceTests
{
    [Theory]
    [InlineData("cpu", -1)]
    [InlineData("cuda", 0)]
    [InlineData("cuda:3", 3)]
    public void Parse_PyTorchDeviceNames(string text, int code)
    {
        var device = TorchDevice.Parse(text);

        Assert.Equal(code, device.Code);
        Assert.Equal(text == "cuda" ? "cuda:0" : text, device.ToString());
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:")]
    [InlineData("cuda:-1")]
    [InlineData("CPU")]
    public void Parse_UnknownNames_AreRefused(string text)
    {
        var error = Assert.Throws<ArgumentException>(() => TorchDevice.Parse(text));

        Assert.Contains("use cpu, cuda or cuda:<n>", error.Message, StringComparison.Ordinal);
    }
}
