using FhirRisk.Cli;

// Composition only: the verbs live in Commands/, one file each (DESIGN §8).
return await FhirRiskCommandLine.RunAsync(args, Console.Out, Console.Error);
