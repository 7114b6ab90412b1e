namespace FhirRisk.Model.Checkpoints.Internal;

/// <summary>
/// Checks that a file holds exactly the tensors a model expects — same names, F32, same shapes — before any data is
/// read, so a failed load leaves the caller's buffers untouched and names every problem it can in one message.
/// </summary>
internal static class ExpectedTensors
{
    // Enough names to recognise the pattern (a renamed layer, a missing block) without flooding the message.
    private const int NamesShown = 5;

    public static void Check(SafeTensorsReader file, IReadOnlyList<(string Name, IReadOnlyList<long> Shape)> expected)
    {
        var wanted = expected.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        var missing = expected.Where(e => file.Find(e.Name) is null).Select(e => e.Name).ToList();
        if (missing.Count > 0)
            throw new CheckpointException(CheckpointErrorCodes.MissingTensor, file.FilePath,
                $"{missing.Count} of {expected.Count} expected tensors are missing: {List(missing)}. Hint: the checkpoint is from a model with other layers or names; load it with its own config.json, or re-save it.",
                missing[0]);

        var extra = file.Tensors.Where(t => !wanted.Contains(t.Name)).Select(t => t.Name).ToList();
        if (extra.Count > 0)
            throw new CheckpointException(CheckpointErrorCodes.UnexpectedTensor, file.FilePath,
                $"the file has {extra.Count} tensors the model does not: {List(extra)}. Hint: the checkpoint is from a larger or different model; load it with its own config.json.",
                extra[0]);

        foreach (var (name, shape) in expected)
        {
            var entry = file.Find(name)!;
            if (entry.DType != SafeTensorsDType.F32)
                throw new CheckpointException(CheckpointErrorCodes.DTypeMismatch, file.FilePath,
                    $"expected dtype F32, found {entry.DType}. Hint: save the tensor as float32 (tensor.float() in PyTorch).", name);
            if (!entry.Shape.SequenceEqual(shape))
                throw new CheckpointException(CheckpointErrorCodes.ShapeMismatch, file.FilePath,
                    $"expected shape {TensorEntry.FormatShape(shape)}, found {entry.ShapeText}. Hint: the checkpoint was saved from a model of another size; load it with its own config.json.",
                    name);
        }
    }

    private static string List(List<string> names) =>
        string.Join(", ", names.Take(NamesShown).Select(n => $"'{n}'")) + (names.Count > NamesShown ? $" and {names.Count - NamesShown} more" : "");
}
