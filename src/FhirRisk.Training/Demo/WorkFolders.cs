namespace FhirRisk.Training.Demo;

/// <summary>The intermediates of a demo run under its work folder (docs/demo-model.md, "Work folder").</summary>
internal sealed record WorkFolders(string Root)
{
    /// <summary>The simulated FHIR export and ground_truth.parquet.</summary>
    public string Cohort => Path.Combine(Root, "cohort");

    /// <summary>The ingestion's event spool (deleted by the ingestion when done).</summary>
    public string Spool => Path.Combine(Root, "spool");

    /// <summary>The MEDS dataset.</summary>
    public string Meds => Path.Combine(Root, "meds");

    /// <summary>Token shards and manifest.json.</summary>
    public string Tokens => Path.Combine(Root, "tokens");

    /// <summary>labels/&lt;task&gt;/ and stays/.</summary>
    public string Labels => Path.Combine(Root, "labels");

    /// <summary>The pretrained model directory with checkpoints/, shipped as pretrained/: the generative backbone when
    /// the recipe trains one, else the heads' backbone.</summary>
    public string Pretrained => Path.Combine(Root, "pretrained");

    /// <summary>The backbone the heads are finetuned from: <see cref="Pretrained"/> itself, or backbone/ when the recipe
    /// trains a generative backbone too.</summary>
    public string HeadsBackbone(DemoRecipe recipe) => recipe.Generative is null ? Pretrained : Path.Combine(Root, "backbone");

    /// <summary>The finetuned model directory.</summary>
    public string Finetuned => Path.Combine(Root, "finetuned");

    /// <summary>Held-out predictions of every method (evaluate's input).</summary>
    public string Predictions => Path.Combine(Root, "predictions");

    /// <summary>The independent validation cohort's own cohort/, meds/, tokens/, labels/ and predictions/.</summary>
    public WorkFolders Validation => new(Path.Combine(Root, "validation"));
}
