using System.Text.Json;
using FhirRisk.Model.Checkpoints;
using FhirRisk.Testing;
using Xunit.Abstractions;

namespace FhirRisk.Model.Tests.Checkpoints;

public sealed class CheckpointTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void SaveThenLoad_ParametersConfigAndOptimizer_RoundTripBitExactly()
    {
        var saved = TinyModel(seed: 1);
        var (m, v) = (TinyModel(seed: 2), TinyModel(seed: 3));
        var config = new Dictionary<string, object>
        {
            ["n_layer"] = 1, ["n_embd"] = 4, ["dropout"] = 0.1, ["name"] = "tiny", ["betas"] = new[] { 0.9, 0.95 },
        };
        Checkpoint.Save(_folder.Path, saved, config, new OptimizerCheckpoint(m, v), new TrainingProgress(1234, 42, ulong.MaxValue));

        var loaded = TinyModel(seed: 9);
        var (loadedM, loadedV) = (TinyModel(seed: 9), TinyModel(seed: 9));
        Checkpoint.LoadParameters(_folder.Path, loaded);
        var progress = Checkpoint.LoadOptimizer(_folder.Path, new OptimizerCheckpoint(loadedM, loadedV));
        var loadedConfig = Checkpoint.LoadConfig(_folder.Path);

        AssertSameBits(saved, loaded);
        AssertSameBits(m, loadedM);
        AssertSameBits(v, loadedV);
        Assert.Equal(new TrainingProgress(1234, 42, ulong.MaxValue), progress);
        Assert.Equal(4, loadedConfig.GetProperty("n_embd").GetInt32());
        Assert.Equal(0.95, loadedConfig.GetProperty("betas")[1].GetDouble());
        Assert.True(Checkpoint.HasOptimizerState(_folder.Path));
        Assert.Equal(["config.json", "model.safetensors", "optimizer.safetensors"],
            Directory.GetFiles(_folder.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Save_TwiceWithTheSameState_WritesIdenticalFiles()
    {
        var config = new Dictionary<string, object> { ["b"] = 2, ["a"] = "x" };
        var other = _folder.File("again");
        Checkpoint.Save(_folder.Path, TinyModel(1), config, new OptimizerCheckpoint(TinyModel(2), TinyModel(3)), new TrainingProgress(5, 6, 7));
        Checkpoint.Save(other, TinyModel(1), config, new OptimizerCheckpoint(TinyModel(2), TinyModel(3)), new TrainingProgress(5, 6, 7));

        foreach (var name in new[] { Checkpoint.ModelFileName, Checkpoint.ConfigFileName, Checkpoint.OptimizerFileName })
            Assert.Equal(File.ReadAllBytes(Path.Combine(_folder.Path, name)), File.ReadAllBytes(Path.Combine(other, name)));
        Assert.StartsWith("{\n  \"a\": \"x\",\n  \"b\": 2\n}", File.ReadAllText(Path.Combine(other, Checkpoint.ConfigFileName)), StringComparison.Ordinal);
    }

    [Fact]
    public void LoadParameters_TensorMissing_ListsItAndLeavesTheModelUntouched()
    {
        Checkpoint.Save(_folder.Path, TinyModel(1).Where(t => t.Name != "transformer.ln_f.bias").ToList(), EmptyConfig);
        var model = TinyModel(seed: 9);
        var before = model.Select(t => t.Data.ToArray()).ToList();

        var error = Assert.Throws<CheckpointException>(() => Checkpoint.LoadParameters(_folder.Path, model));

        Assert.Equal(CheckpointErrorCodes.MissingTensor, error.Code);
        Assert.Equal("transformer.ln_f.bias", error.Tensor);
        Assert.Contains(Checkpoint.ModelFileName, error.Message, StringComparison.Ordinal);
        Assert.Contains("1 of 5 expected tensors are missing: 'transformer.ln_f.bias'", error.Message, StringComparison.Ordinal);
        Assert.Contains("config.json", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.Select(t => t.Data.ToArray()).ToList());
    }

    [Fact]
    public void LoadParameters_ExtraTensor_NamesIt()
    {
        var withExtra = TinyModel(1).Append(new NamedTensor("lm_head.weight", [2, 4], new float[8])).ToList();
        Checkpoint.Save(_folder.Path, withExtra, EmptyConfig);

        var error = Assert.Throws<CheckpointException>(() => Checkpoint.LoadParameters(_folder.Path, TinyModel(9)));

        Assert.Equal(CheckpointErrorCodes.UnexpectedTensor, error.Code);
        Assert.Equal("lm_head.weight", error.Tensor);
        Assert.Contains("1 tensors the model does not: 'lm_head.weight'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadParameters_WrongShape_SaysExpectedAndFound()
    {
        var model = TinyModel(1);
        model[0] = model[0] with { Shape = [4, 2] };
        Checkpoint.Save(_folder.Path, model, EmptyConfig);

        var error = Assert.Throws<CheckpointException>(() => Checkpoint.LoadParameters(_folder.Path, TinyModel(9)));

        Assert.Equal(CheckpointErrorCodes.ShapeMismatch, error.Code);
        Assert.Equal("transformer.wte.weight", error.Tensor);
        Assert.Contains("expected shape [2, 4], found [4, 2]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadParameters_WrongDType_SaysExpectedAndFound()
    {
        var writer = new SafeTensorsWriter();
        foreach (var t in TinyModel(1).Skip(1))
            writer.Add(t.Name, t.Shape.ToArray(), (ReadOnlyMemory<float>)t.Data);
        writer.Add<double>("transformer.wte.weight", [2, 4], new double[8]);
        writer.WriteTo(_folder.File(Checkpoint.ModelFileName));

        var error = Assert.Throws<CheckpointException>(() => Checkpoint.LoadParameters(_folder.Path, TinyModel(9)));

        Assert.Equal(CheckpointErrorCodes.DTypeMismatch, error.Code);
        Assert.Contains("expected dtype F32, found F64", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadParameters_TruncatedModelFile_ReportsTruncation()
    {
        Checkpoint.Save(_folder.Path, TinyModel(1), EmptyConfig);
        var path = _folder.File(Checkpoint.ModelFileName);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^3]);

        var error = Assert.Throws<CheckpointException>(() => Checkpoint.LoadParameters(_folder.Path, TinyModel(9)));

        Assert.Equal(CheckpointErrorCodes.Truncated, error.Code);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadOptimizer_StepMissingFromMetadata_ReportsBadMetadata()
    {
        var writer = new SafeTensorsWriter();
        foreach (var t in TinyModel(1))
        {
            writer.Add(t.Name + ".exp_avg", t.Shape.ToArray(), (ReadOnlyMemory<float>)t.Data);
            writer.Add(t.Name + ".exp_avg_sq", t.Shape.ToArray(), (ReadOnlyMemory<float>)t.Data);
        }

        writer.WriteTo(_folder.File(Checkpoint.OptimizerFileName));

        var error = Assert.Throws<CheckpointException>(() =>
            Checkpoint.LoadOptimizer(_folder.Path, new OptimizerCheckpoint(TinyModel(9), TinyModel(9))));

        Assert.Equal(CheckpointErrorCodes.BadMetadata, error.Code);
        Assert.Contains("no 'step'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-3")]
    [InlineData("+3")]
    [InlineData(" 3")]
    public void LoadOptimizer_StepThatIsNotANonNegativeInteger_ReportsBadMetadata(string step)
    {
        var writer = new SafeTensorsWriter();
        foreach (var t in TinyModel(1))
        {
            writer.Add(t.Name + ".exp_avg", t.Shape.ToArray(), (ReadOnlyMemory<float>)t.Data);
            writer.Add(t.Name + ".exp_avg_sq", t.Shape.ToArray(), (ReadOnlyMemory<float>)t.Data);
        }
        writer.Metadata["fhirrisk.checkpoint_version"] = "1";
        writer.Metadata["step"] = step;
        writer.Metadata["rng_seed"] = "1";
        writer.Metadata["rng_counter"] = "0";
        writer.WriteTo(_folder.File(Checkpoint.OptimizerFileName));

        var error = Assert.Throws<CheckpointException>(() =>
            Checkpoint.LoadOptimizer(_folder.Path, new OptimizerCheckpoint(TinyModel(9), TinyModel(9))));

        Assert.Equal(CheckpointErrorCodes.BadMetadata, error.Code);
        Assert.Contains("'step' must be a non-negative integer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadParameters_NewerFormatVersion_AsksForAnUpgrade()
    {
        var writer = new SafeTensorsWriter();
        foreach (var t in TinyModel(1))
            writer.Add(t.Name, t.Shape.ToArray(), (ReadOnlyMemory<float>)t.Data);
        writer.Metadata["fhirrisk.checkpoint_version"] = "2";
        writer.WriteTo(_folder.File(Checkpoint.ModelFileName));

        var error = Assert.Throws<CheckpointException>(() => Checkpoint.LoadParameters(_folder.Path, TinyModel(9)));

        Assert.Equal(CheckpointErrorCodes.UnsupportedVersion, error.Code);
        Assert.Contains("upgrade", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadConfig_MissingOrMalformed_IsActionable()
    {
        var missing = Assert.Throws<CheckpointException>(() => Checkpoint.LoadConfig(_folder.Path));
        File.WriteAllText(_folder.File(Checkpoint.ConfigFileName), "{\"n_layer\": ");
        var malformed = Assert.Throws<CheckpointException>(() => Checkpoint.LoadConfig(_folder.Path));

        Assert.Equal(CheckpointErrorCodes.MissingFile, missing.Code);
        Assert.Equal(CheckpointErrorCodes.BadConfig, malformed.Code);
        Assert.Contains("config.json", malformed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SaveThenLoad_FiveMegabytesOfFloats_AllocatesFarLessThanTheData()
    {
        const int Elements = 5 * 1024 * 1024 / 4;
        var source = new float[Elements];
        for (var i = 0; i < source.Length; i++)
            source[i] = i * 0.5f - 7f;
        var destination = new float[Elements];
        NamedTensor[] saved = [new("transformer.wte.weight", [1280, 1024], source)];
        NamedTensor[] loaded = [new("transformer.wte.weight", [1280, 1024], destination)];
        var config = new Dictionary<string, object> { ["n_embd"] = 1024 };
        Checkpoint.Save(_folder.File("warmup"), saved, config);
        Checkpoint.LoadParameters(_folder.File("warmup"), loaded);
        Array.Clear(destination);

        var before = GC.GetAllocatedBytesForCurrentThread();
        Checkpoint.Save(_folder.Path, saved, config);
        Checkpoint.LoadParameters(_folder.Path, loaded);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        output.WriteLine($"save + load of {Elements * 4L} bytes allocated {allocated} bytes");
        Assert.Equal(source, destination);
        Assert.True(allocated < 256 * 1024, $"allocated {allocated} bytes for a {Elements * 4L}-byte checkpoint");
    }

    private static readonly Dictionary<string, object> EmptyConfig = [];

    // A nanoGPT-named miniature: Vp = 2, C = 4, T = 3.
    private static List<NamedTensor> TinyModel(int seed)
    {
        var random = new Random(seed);
        return
        [
            Tensor("transformer.wte.weight", [2, 4]),
            Tensor("transformer.wpe.weight", [3, 4]),
            Tensor("transformer.h.0.attn.c_attn.weight", [12, 4]),
            Tensor("transformer.ln_f.weight", [4]),
            Tensor("transformer.ln_f.bias", [4]),
        ];

        NamedTensor Tensor(string name, long[] shape)
        {
            var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
            for (var i = 0; i < data.Length; i++)
                data[i] = (float)random.NextDouble() - 0.5f;
            return new NamedTensor(name, shape, data);
        }
    }

    private static void AssertSameBits(List<NamedTensor> expected, List<NamedTensor> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (e, a) in expected.Zip(actual))
            Assert.Equal(e.Data.ToArray().Select(BitConverter.SingleToInt32Bits), a.Data.ToArray().Select(BitConverter.SingleToInt32Bits));
    }
}
