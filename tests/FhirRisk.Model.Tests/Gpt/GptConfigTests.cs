using FhirRisk.Model.Gpt;

namespace FhirRisk.Model.Tests.Gpt;

public sealed class GptConfigTests
{
    [Theory]
    [InlineData(1, 64)]
    [InlineData(37, 64)]
    [InlineData(64, 64)]
    [InlineData(65, 128)]
    [InlineData(50257, 50304)]
    public void PaddedVocabSize_RoundsUpToMultipleOf64(int vocab, int padded) =>
        Assert.Equal(padded, new GptConfig(vocab, 1, 1, 8, 4).PaddedVocabSize);

    [Fact]
    public void Validate_ValidConfig_ReturnsItself()
    {
        var config = new GptConfig(37, 2, 3, 24, 7, 0.1f);
        Assert.Same(config, config.Validate());
        Assert.Equal(8, config.HeadSize);
    }

    [Theory]
    [InlineData(0, 2, 2, 16, 8, 0f, "VocabSize")]
    [InlineData(37, 0, 2, 16, 8, 0f, "Layers")]
    [InlineData(37, 2, 0, 16, 8, 0f, "Heads")]
    [InlineData(37, 2, 2, 0, 8, 0f, "Channels")]
    [InlineData(37, 2, 3, 16, 8, 0f, "Channels")]
    [InlineData(37, 2, 2, 16, 0, 0f, "ContextLength")]
    [InlineData(37, 2, 2, 16, 8, -0.1f, "Dropout")]
    [InlineData(37, 2, 2, 16, 8, 1f, "Dropout")]
    public void Validate_InvalidSetting_ThrowsNamingIt(int vocab, int layers, int heads, int channels, int context, float dropout, string setting)
    {
        var error = Assert.Throws<ArgumentException>(() => new GptConfig(vocab, layers, heads, channels, context, dropout).Validate());
        Assert.Equal(setting, error.ParamName);
    }

    [Fact]
    public void Layout_InvalidConfig_Throws() =>
        Assert.Throws<ArgumentException>(() => new GptLayout(new GptConfig(37, 2, 3, 16, 8)));
}
