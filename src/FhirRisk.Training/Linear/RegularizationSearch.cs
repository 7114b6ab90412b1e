using FhirRisk.Core.Statistics;

namespace FhirRisk.Training.Linear;

/// <summary>
/// Chooses the L2 strength of a <see cref="LogisticRegression"/> as EHRSHOT's logistic probe does (reference/peers.md
/// §3.3: a grid over C, picked by AUROC), but by k-fold cross-validation on the training examples instead of a separate
/// validation sample: for each C, the mean AUROC over the validation folds (scikit-learn's GridSearchCV scoring); the
/// highest wins, ties going to the smaller C (the stronger penalty). Folds are grouped by patient and stratified
/// (<see cref="CrossValidationFolds"/>). Each fold walks the grid from the smallest C, warm-starting from the last
/// solution. The chosen C is then fitted on all training examples. Deterministic for a seed and thread count alike.
/// </summary>
public static class RegularizationSearch
{
    /// <param name="features">(n, d) training features.</param>
    /// <param name="labels">(n) labels; both classes must occur.</param>
    /// <param name="groups">(n) patient ids (rows of one patient share a fold); null treats every row as its own patient.</param>
    /// <param name="settings">Grid, folds, seed, solver.</param>
    public static RegularizedFit Fit(FeatureMatrix features, ReadOnlySpan<bool> labels, ReadOnlySpan<long> groups = default, RegularizationSearchSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        settings = (settings ?? RegularizationSearchSettings.Default).Validate();
        var labelArray = labels.ToArray();
        var groupArray = groups.IsEmpty ? [.. Enumerable.Range(0, labels.Length).Select(i => (long)i)] : groups.ToArray();
        var grid = settings.Grid.Order().ToArray();

        var folds = CrossValidationFolds.Assign(labelArray, groupArray, settings.Folds, settings.Seed);
        if (folds is not null && !EveryTrainingPartHasBothClasses(folds, labelArray))
            folds = null;
        double[]? scores = null;
        var chosen = settings.FallbackC;
        if (folds is not null)
        {
            scores = CrossValidate(features, labelArray, folds, grid, settings);
            var best = 0;
            for (var i = 1; i < grid.Length; i++)
            {
                if (scores[i] > scores[best] || double.IsNaN(scores[best]))
                    best = i;
            }
            chosen = grid[best];
        }

        var fit = LogisticRegression.Fit(features, labelArray, chosen, settings.Solver);
        var path = scores is null ? [] : grid.Zip(scores, (c, s) => new GridScore(c, s)).ToArray();
        return new RegularizedFit(fit, folds is null ? 0 : folds.Max() + 1, path);
    }

    /// <summary>(grid) mean validation AUROC per C; a fold whose validation part has one class only is left out of the mean.</summary>
    private static double[] CrossValidate(FeatureMatrix features, bool[] labels, int[] folds, double[] grid, RegularizationSearchSettings settings)
    {
        var k = folds.Max() + 1;
        var foldScores = new double[k][];
        var solver = settings.Solver with { GradientTolerance = Math.Max(settings.ValidationTolerance, settings.Solver.GradientTolerance) };
        Parallel.For(0, k, new ParallelOptions { MaxDegreeOfParallelism = settings.Parallelism }, f =>
        {
            var train = Enumerable.Range(0, labels.Length).Where(i => folds[i] != f).ToArray();
            var validation = Enumerable.Range(0, labels.Length).Where(i => folds[i] == f).ToArray();
            var validationFeatures = features.SelectRows(validation);
            var validationLabels = validation.Select(i => labels[i]).ToArray();
            var problem = new LogisticProblem(features.SelectRows(train), train.Select(i => labels[i]).ToArray(), solver.Scaling);
            var theta = problem.InitialParameters();
            foldScores[f] = new double[grid.Length];
            for (var g = 0; g < grid.Length; g++)
            {
                problem.Solve(grid[g], theta, solver);
                var scores = problem.ToModel(theta, grid[g]).DecisionFunction(validationFeatures);
                foldScores[f][g] = BinaryMetrics.Auroc(scores, validationLabels);
            }
        });

        var means = new double[grid.Length];
        for (var g = 0; g < grid.Length; g++)
        {
            var valid = foldScores.Select(s => s[g]).Where(s => !double.IsNaN(s)).ToArray();
            means[g] = valid.Length == 0 ? double.NaN : valid.Average();
        }
        return means;
    }

    private static bool EveryTrainingPartHasBothClasses(int[] folds, bool[] labels)
    {
        var k = folds.Max() + 1;
        for (var f = 0; f < k; f++)
        {
            var (positive, negative) = (false, false);
            for (var i = 0; i < labels.Length; i++)
            {
                if (folds[i] == f)
                    continue;
                positive |= labels[i];
                negative |= !labels[i];
            }
            if (!positive || !negative)
                return false;
        }
        return true;
    }
}

/// <summary>The outcome of <see cref="RegularizationSearch.Fit"/>.</summary>
/// <param name="Fit">The model refitted on every training example with the chosen C (<c>Fit.Model.C</c>).</param>
/// <param name="Folds">Folds used; 0 when the examples were too few and <see cref="RegularizationSearchSettings.FallbackC"/> was used.</param>
/// <param name="Scores">Mean validation AUROC per C, ascending C; empty without cross-validation.</param>
public sealed record RegularizedFit(LogisticFit Fit, int Folds, IReadOnlyList<GridScore> Scores)
{
    public LogisticModel Model => Fit.Model;
}

/// <summary>One grid point of the search.</summary>
/// <param name="C">Inverse regularisation strength.</param>
/// <param name="Auroc">Mean validation AUROC (NaN when no fold could be scored).</param>
public readonly record struct GridScore(double C, double Auroc);
