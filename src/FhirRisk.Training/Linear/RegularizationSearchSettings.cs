namespace FhirRisk.Training.Linear;

/// <summary>How <see cref="RegularizationSearch"/> chooses C.</summary>
public sealed record RegularizationSearchSettings
{
    /// <summary>EHRSHOT's logistic-regression grid, C ∈ {10⁻⁸, 10⁻⁷, …, 10⁴} (reference/peers.md §3.3).</summary>
    public static IReadOnlyList<double> EhrshotGrid { get; } = [.. Enumerable.Range(-8, 13).Select(e => Math.Pow(10, e))];

    // Declared after the grid it defaults to: static initializers run in textual order.
    public static readonly RegularizationSearchSettings Default = new();

    /// <summary>The C values tried (default <see cref="EhrshotGrid"/>); each must be positive.</summary>
    public IReadOnlyList<double> Grid { get; init; } = EhrshotGrid;

    /// <summary>Cross-validation folds (default 5); fewer when a class has fewer groups than this.</summary>
    public int Folds { get; init; } = 5;

    /// <summary>The fold shuffle's seed (default 0).</summary>
    public ulong Seed { get; init; }

    /// <summary>The C used when the examples are too few to cross-validate (fewer than two groups of a class; default 1,
    /// scikit-learn's default).</summary>
    public double FallbackC { get; init; } = 1.0;

    /// <summary>Folds fitted at once (default: one per core).</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// The gradient tolerance of the cross-validation fits (default 1e-5): they only rank validation points, which is
    /// settled long before the last digits of the coefficients, and the weakly penalised end of the grid converges
    /// slowly. The final fit uses <see cref="Solver"/>'s tolerance.
    /// </summary>
    public double ValidationTolerance { get; init; } = 1e-5;

    /// <summary>The solver and scaling used for every fit.</summary>
    public LogisticRegressionSettings Solver { get; init; } = LogisticRegressionSettings.Default;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public RegularizationSearchSettings Validate()
    {
        if (Grid is null || Grid.Count == 0 || Grid.Any(c => !(c > 0) || double.IsInfinity(c)))
            throw new ArgumentException("Grid must list at least one positive, finite C.");
        ArgumentOutOfRangeException.ThrowIfLessThan(Folds, 2);
        if (!(FallbackC > 0) || double.IsInfinity(FallbackC))
            throw new ArgumentException($"FallbackC must be positive and finite (was {FallbackC}).");
        ArgumentOutOfRangeException.ThrowIfLessThan(Parallelism, 1);
        if (!(ValidationTolerance > 0))
            throw new ArgumentException($"ValidationTolerance must be positive (was {ValidationTolerance}).");
        ArgumentNullException.ThrowIfNull(Solver);
        Solver.Validate();
        return this;
    }
}
