using Connector.Bench;

// dotnet run -c Release --project bench -- [--quick] [--out FILE]   (see BenchOptions.Usage)
BenchOptions? options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

return options is null ? 0 : await Bench.RunAsync(options, Console.Out);
