using FhirRisk.Model.Cpu;

namespace FhirRisk.Model.Gpt;

/// <summary>Where one transformer block's tensors lie in the flat parameter (and gradient) buffer.</summary>
/// <param name="Ln1Weight">ln_1.weight (C).</param>
/// <param name="Ln1Bias">ln_1.bias (C).</param>
/// <param name="AttnWeight">attn.c_attn.weight (3C, C): the q, k, v projections stacked.</param>
/// <param name="AttnProjWeight">attn.c_proj.weight (C, C).</param>
/// <param name="Ln2Weight">ln_2.weight (C).</param>
/// <param name="Ln2Bias">ln_2.bias (C).</param>
/// <param name="FcWeight">mlp.c_fc.weight (4C, C).</param>
/// <param name="FcProjWeight">mlp.c_proj.weight (C, 4C).</param>
public sealed record BlockLayout(
    ParameterRange Ln1Weight,
    ParameterRange Ln1Bias,
    ParameterRange AttnWeight,
    ParameterRange AttnProjWeight,
    ParameterRange Ln2Weight,
    ParameterRange Ln2Bias,
    ParameterRange FcWeight,
    ParameterRange FcProjWeight);
