using FhirRisk.Model.Gpt;
using FhirRisk.Model.Heads;

namespace FhirRisk.Training.Finetuning;

/// <summary>Told after every finetuning step.</summary>
/// <param name="Step">Steps done.</param>
/// <param name="Steps">Steps of the run.</param>
/// <param name="Loss">This step's mean multitask loss over its labelled (point, task) pairs.</param>
public readonly record struct FinetuningProgress(int Step, int Steps, double Loss);

/// <summary>One task after finetuning, measured on the tuning split.</summary>
/// <param name="Task">The task name.</param>
/// <param name="TrainLabels">Labelled train points.</param>
/// <param name="TrainPositives">Positive train points.</param>
/// <param name="TuningLabels">Labelled tuning points.</param>
/// <param name="TuningPositives">Positive tuning points.</param>
/// <param name="Auroc">Tuning AUROC of the head's logits (calibration keeps the order); NaN without both classes.</param>
/// <param name="RawLogLoss">Tuning log-loss of σ(z), the head's own probability.</param>
/// <param name="CalibratedLogLoss">Tuning log-loss after <paramref name="Calibration"/> (fitted on the same points).</param>
/// <param name="CalibratedEce">Tuning expected calibration error (10 bins) after calibration.</param>
/// <param name="Calibration">The calibration chosen and saved.</param>
public sealed record TaskReport(string Task, int TrainLabels, int TrainPositives, int TuningLabels, int TuningPositives,
    double Auroc, double RawLogLoss, double CalibratedLogLoss, double CalibratedEce, ProbabilityCalibration Calibration);

/// <summary>What a finetuning run produced.</summary>
/// <param name="Model">The backbone with the task-token rows (trained unless frozen).</param>
/// <param name="Heads">The heads with their calibrations.</param>
/// <param name="Tasks">Per-task tuning measurements, in prompt order.</param>
/// <param name="StepsDone">Steps taken (fewer than the settings' when cancelled).</param>
/// <param name="Cancelled">Whether cancellation stopped the run early.</param>
/// <param name="FirstLoss">The first step's loss.</param>
/// <param name="LastLoss">The last step's loss.</param>
/// <param name="Elapsed">Wall time of the run.</param>
/// <param name="FirstLanguageModelLoss">With <see cref="FinetuningSettings.LanguageModelLoss"/>, the first step's next-token loss; null without.</param>
/// <param name="LastLanguageModelLoss">With <see cref="FinetuningSettings.LanguageModelLoss"/>, the last step's next-token loss; null without.</param>
public sealed record FinetuningResult(GptParameters Model, TaskHeads Heads, IReadOnlyList<TaskReport> Tasks, int StepsDone,
    bool Cancelled, double? FirstLoss, double? LastLoss, TimeSpan Elapsed, double? FirstLanguageModelLoss = null, double? LastLanguageModelLoss = null);
