using FhirRisk.Bench;

// DESIGN §8: `dotnet run -c Release --project bench/FhirRisk.Bench -- <name> [--quick]`.
return BenchmarkCommandLine.Run(args, BenchmarkCatalog.Create(), Console.Out, Console.Error);
