namespace FhirRisk.Training.Linear;

/// <summary>
/// Limited-memory BFGS (Nocedal &amp; Wright, Numerical Optimization, 2nd ed., Algorithm 7.4 with the two-loop recursion
/// 7.5 and initial scaling 7.20) with a backtracking Armijo line search. Enough for a smooth, strictly convex objective
/// such as L2-regularised logistic regression, where every step has sᵀy &gt; 0 without a Wolfe search.
/// </summary>
internal static class Lbfgs
{
    private const double ArmijoSlope = 1e-4;
    private const int MaxBacktracks = 60;

    /// <summary>Evaluates the objective at <c>x</c> and writes its gradient.</summary>
    public delegate double Objective(ReadOnlySpan<double> x, Span<double> gradient);

    /// <summary>Minimises <paramref name="objective"/> from <paramref name="x"/> (updated in place).</summary>
    public static LbfgsResult Minimize(Objective objective, double[] x, double tolerance, int maxIterations, int history)
    {
        var n = x.Length;
        var g = new double[n];
        var f = objective(x, g);
        var s = new double[history][];
        var y = new double[history][];
        var rho = new double[history];
        for (var k = 0; k < history; k++)
            (s[k], y[k]) = (new double[n], new double[n]);
        var (pairs, newest) = (0, -1);
        var direction = new double[n];
        var alpha = new double[history];
        var xNew = new double[n];
        var gNew = new double[n];

        for (var iteration = 0; ; iteration++)
        {
            var gradientNorm = MaxAbs(g);
            if (gradientNorm <= tolerance)
                return new LbfgsResult(iteration, f, gradientNorm, LbfgsStatus.Converged);
            if (iteration == maxIterations)
                return new LbfgsResult(iteration, f, gradientNorm, LbfgsStatus.IterationLimit);

            TwoLoopDirection(g, s, y, rho, pairs, newest, alpha, direction);
            var slope = Dot(g, direction);
            if (!(slope < 0))
            {
                // Round-off made the quasi-Newton direction useless: restart from steepest descent.
                pairs = 0;
                for (var i = 0; i < n; i++)
                    direction[i] = -g[i];
                slope = -Dot(g, g);
            }

            // Without curvature pairs the direction is −g; its first trial step is capped at unit length.
            var step = pairs == 0 ? Math.Min(1.0, 1.0 / Math.Sqrt(Dot(g, g))) : 1.0;
            var fNew = TryStep(objective, x, direction, step, xNew, gNew);
            var backtracks = 0;
            while (!(fNew <= f + (ArmijoSlope * step * slope)) && !WithinRoundOff(f, fNew, gradientNorm, gNew))
            {
                if (++backtracks == MaxBacktracks)
                    return new LbfgsResult(iteration, f, gradientNorm, LbfgsStatus.LineSearchFailed);
                step *= 0.5;
                fNew = TryStep(objective, x, direction, step, xNew, gNew);
            }

            newest = (newest + 1) % history;
            var (sk, yk) = (s[newest], y[newest]);
            for (var i = 0; i < n; i++)
            {
                sk[i] = xNew[i] - x[i];
                yk[i] = gNew[i] - g[i];
            }
            var sy = Dot(sk, yk);
            if (sy > 0)
            {
                rho[newest] = 1.0 / sy;
                pairs = Math.Min(pairs + 1, history);
            }
            else
            {
                // Skip the pair; its slot held the oldest pair (when the memory was full), which is now gone.
                newest = (newest + history - 1) % history;
                pairs = Math.Min(pairs, history - 1);
            }
            f = fNew;
            xNew.CopyTo(x, 0);
            gNew.CopyTo(g, 0);
        }
    }

    private static double TryStep(Objective objective, double[] x, double[] direction, double step, double[] xNew, double[] gNew)
    {
        for (var i = 0; i < x.Length; i++)
            xNew[i] = x[i] + (step * direction[i]);
        return objective(xNew, gNew);
    }

    /// <summary>
    /// Near the optimum the objective's decrease falls below the rounding of its own sum, and an Armijo test on values
    /// alone would reject a step that plainly helps. There the gradient, which stays resolvable, decides.
    /// </summary>
    private static bool WithinRoundOff(double f, double fNew, double gradientNorm, ReadOnlySpan<double> gNew) =>
        Math.Abs(fNew - f) <= 1e-13 * Math.Max(1.0, Math.Abs(f)) && MaxAbs(gNew) < gradientNorm;

    /// <summary>direction = −H·g, H the L-BFGS inverse-Hessian approximation from the stored pairs (Algorithm 7.4).</summary>
    private static void TwoLoopDirection(double[] g, double[][] s, double[][] y, double[] rho, int pairs, int newest, double[] alpha, double[] direction)
    {
        var history = s.Length;
        for (var i = 0; i < g.Length; i++)
            direction[i] = -g[i];
        for (var k = 0; k < pairs; k++)
        {
            var j = (newest - k + history) % history;
            alpha[j] = rho[j] * Dot(s[j], direction);
            Axpy(-alpha[j], y[j], direction);
        }
        if (pairs > 0)
        {
            // H₀ = γI with γ = sᵀy / yᵀy of the newest pair (7.20).
            var gamma = 1.0 / (rho[newest] * Dot(y[newest], y[newest]));
            for (var i = 0; i < direction.Length; i++)
                direction[i] *= gamma;
        }
        for (var k = pairs - 1; k >= 0; k--)
        {
            var j = (newest - k + history) % history;
            var beta = rho[j] * Dot(y[j], direction);
            Axpy(alpha[j] - beta, s[j], direction);
        }
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b) => VectorMath.Dot(a, b);

    private static void Axpy(double a, ReadOnlySpan<double> x, Span<double> y) => VectorMath.Axpy(a, x, y);

    private static double MaxAbs(ReadOnlySpan<double> values) => VectorMath.MaxAbs(values);
}

/// <summary>Why the solver stopped.</summary>
internal enum LbfgsStatus
{
    Converged,
    IterationLimit,
    LineSearchFailed,
}

/// <summary>The end state of a <see cref="Lbfgs.Minimize"/> run.</summary>
internal readonly record struct LbfgsResult(int Iterations, double Objective, double GradientNorm, LbfgsStatus Status);
