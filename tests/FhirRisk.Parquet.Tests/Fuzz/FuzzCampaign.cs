using System.Diagnostics;

namespace FhirRisk.Parquet.Tests.Fuzz;

/// <summary>One fuzz input and how it was made (seed file, case seed, mutations), for the failure report.</summary>
internal sealed record FuzzInput(int Case, byte[] Bytes, string Origin);

/// <summary>What a campaign did: how many cases ran and the problems found (at most the configured number).</summary>
internal sealed record FuzzCampaignResult(int CasesRun, IReadOnlyList<string> Failures);

/// <summary>
/// Runs fuzz cases one after another on a dedicated background thread while the calling thread watches the clock: a
/// case running past <see cref="CaseTimeLimit"/> is reported as a hang and the campaign stops (the stuck thread cannot
/// be aborted, only abandoned). A dedicated thread keeps the per-case allocation count exact and the watchdog
/// independent of thread-pool starvation from tests running in parallel.
/// </summary>
internal sealed class FuzzCampaign
{
    public required TimeSpan Budget { get; init; }

    public required TimeSpan CaseTimeLimit { get; init; }

    public required long AllocationLimit { get; init; }

    public required int MaxFailures { get; init; }

    /// <summary>Runs cases 0, 1, … until <paramref name="plannedCases"/> ran, the budget is spent, or enough failures were found.</summary>
    public FuzzCampaignResult Run(int plannedCases, Func<int, FuzzInput> makeCase)
    {
        var failures = new List<string>();
        var clock = Stopwatch.StartNew();
        FuzzInput? running = null;
        long runningSince = 0;
        var casesRun = 0;
        var stop = false;
        var worker = new Thread(() =>
        {
            for (var i = 0; i < plannedCases && !Volatile.Read(ref stop) && clock.Elapsed < Budget; i++)
            {
                var problem = RunOne(i, makeCase, clock, ref running, ref runningSince);
                Interlocked.Increment(ref casesRun);
                if (problem is null)
                    continue;
                lock (failures)
                {
                    failures.Add(problem);
                    if (failures.Count >= MaxFailures)
                        return;
                }
            }
        })
        { IsBackground = true, Name = "parquet-fuzz" };
        worker.Start();
        while (!worker.Join(TimeSpan.FromMilliseconds(100)))
        {
            var since = Interlocked.Read(ref runningSince);
            if (since != 0 && clock.Elapsed.Ticks - since > CaseTimeLimit.Ticks)
            {
                Volatile.Write(ref stop, true);
                lock (failures)
                    failures.Add(Describe(Volatile.Read(ref running)!, $"still running after {CaseTimeLimit.TotalSeconds:0.#} s (hang?)"));
                break;
            }
        }
        lock (failures)
            return new FuzzCampaignResult(Volatile.Read(ref casesRun), [.. failures]);
    }

    private string? RunOne(int index, Func<int, FuzzInput> makeCase, Stopwatch clock, ref FuzzInput? running, ref long runningSince)
    {
        FuzzInput? input = null;
        try
        {
            input = makeCase(index);
            Volatile.Write(ref running, input);
            Interlocked.Exchange(ref runningSince, clock.Elapsed.Ticks);
            var problem = FuzzCase.Judge(input.Bytes, $"fuzz-{input.Case}.parquet", AllocationLimit);
            return problem is null ? null : Describe(input, problem);
        }
        catch (Exception ex)
        {
            // Only the harness itself (mutation, seeds) can land here; report it rather than crash the test host.
            return $"harness error at case {index} ({input?.Origin}): {ex}";
        }
        finally
        {
            Interlocked.Exchange(ref runningSince, 0);
        }
    }

    /// <summary>The failure line, naming where the failing input was saved so it can be replayed byte for byte.</summary>
    private static string Describe(FuzzInput input, string problem)
    {
        var folder = Path.Combine(Path.GetTempPath(), "fhirrisk-parquet-fuzz");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"case-{input.Case}.parquet");
        File.WriteAllBytes(path, input.Bytes);
        return $"{input.Origin} (saved as {path}):\n  {problem}";
    }
}
