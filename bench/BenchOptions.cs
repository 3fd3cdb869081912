using System.Globalization;

namespace Connector.Bench;

/// <summary>What one benchmark run measures and where it writes.</summary>
/// <param name="GlRows">GL rows of each pipeline run (one full fiscal year of the simulated LNG company, sized to hold them).</param>
/// <param name="BudgetEntries">Journal entries of each budget run.</param>
/// <param name="Output">The Markdown file the tables go to.</param>
/// <param name="WorkDirectory">Where company files, credentials and settings go (deleted afterwards unless <paramref name="Keep"/>).</param>
/// <param name="Keep">Whether to keep <paramref name="WorkDirectory"/>.</param>
/// <param name="Quick">Whether this is the quick mode (recorded in the report).</param>
public sealed record BenchOptions(IReadOnlyList<int> GlRows, IReadOnlyList<int> BudgetEntries, string Output, string WorkDirectory, bool Keep, bool Quick)
{
    public const string Usage = """
        connector-bench: the actuals pipeline and budget posting measured end to end, every part in its own process.

        dotnet run -c Release --project bench -- [--quick] [--out FILE] [--rows 10000,100000] [--budgets 100,5000] [--work DIR] [--keep]
          --quick     10 k GL rows and a budget of 100 entries (a few minutes)
          --rows      GL rows per pipeline run (default 10000,100000,1000000,2000000)
          --budgets   entries per budget run (default 100,5000)
          --out       the Markdown report (default bench-results.md in the current directory)
          --work      working directory (default a new temporary one, deleted at the end unless --keep)
        """;

    /// <summary>Parses the command line; null after printing the usage.</summary>
    public static BenchOptions? Parse(IReadOnlyList<string> args)
    {
        bool quick = args.Contains("--quick");
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(Usage);
            return null;
        }

        string? Value(string name)
        {
            int at = args.ToList().IndexOf(name);
            return at >= 0 && at + 1 < args.Count ? args[at + 1] : null;
        }

        static int[] Numbers(string text, string name)
            => [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(n =>
                int.TryParse(n.Replace("_", string.Empty, StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v > 0
                    ? v
                    : throw new ArgumentException($"{name}: '{n}' is not a positive whole number."))];

        int[] rows = Value("--rows") is { } r ? Numbers(r, "--rows") : quick ? [10_000] : [10_000, 100_000, 1_000_000, 2_000_000];
        int[] budgets = Value("--budgets") is { } b ? Numbers(b, "--budgets") : quick ? [100] : [100, 5_000];
        string work = Value("--work") ?? Directory.CreateTempSubdirectory("connector-bench-").FullName;
        return new BenchOptions(rows, budgets, Path.GetFullPath(Value("--out") ?? "bench-results.md"), Path.GetFullPath(work), args.Contains("--keep"), quick);
    }
}
