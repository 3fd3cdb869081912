using System.Globalization;

namespace Connector.Bench;

/// <summary>What one benchmark run measures and where it writes.</summary>
/// <param name="GlRows">GL rows of each pipeline run (one full fiscal year of the simulated LNG company, its chart sized to hold them).</param>
/// <param name="FixedChartRows">GL rows of each size of the fixed-chart series: the chart stays at <paramref name="Accounts"/> accounts and the rows come from more fiscal periods, resynced by one run per fiscal year against one worker.</param>
/// <param name="Accounts">The chart of the fixed-chart series.</param>
/// <param name="BudgetEntries">Journal entries of each budget run.</param>
/// <param name="Output">The Markdown file the tables go to.</param>
/// <param name="WorkDirectory">Where company files, credentials and settings go (deleted afterwards unless <paramref name="Keep"/>).</param>
/// <param name="Keep">Whether to keep <paramref name="WorkDirectory"/>.</param>
/// <param name="Quick">Whether this is the quick mode (recorded in the report).</param>
/// <param name="GlRowsPerFile">The connection's <c>Actuals:GlRowsPerFile</c> (null: the connector's default).</param>
/// <param name="ColdWorker">Whether to measure the runs on a fresh worker, without the warm-up run (see <c>Bench.WarmUpWorkerAsync</c>).</param>
/// <param name="WarmUpRuns">How many warm-up runs a fresh worker makes before anything is measured (ignored with <paramref name="ColdWorker"/>).</param>
public sealed record BenchOptions(IReadOnlyList<int> GlRows, IReadOnlyList<int> FixedChartRows, int Accounts, IReadOnlyList<int> BudgetEntries, string Output, string WorkDirectory, bool Keep, bool Quick, bool ColdWorker = false, int? GlRowsPerFile = null, int WarmUpRuns = BenchOptions.DefaultWarmUpRuns)
{
    /// <summary>The warm-up runs of a fresh worker by default.</summary>
    public const int DefaultWarmUpRuns = 1;

    /// <summary>Gets every size measured, in order: the series whose chart grows with the rows, then the fixed-chart series.</summary>
    public IReadOnlyList<BenchSize> Sizes => [.. this.GlRows.Select(r => new BenchSize(r, null)), .. this.FixedChartRows.Select(r => new BenchSize(r, this.Accounts))];

    public const string Usage = """
        connector-bench: the actuals pipeline and budget posting measured end to end, every part in its own process.

        dotnet run -c Release --project bench -- [--quick] [--out FILE] [--rows 10000,100000] [--fixed-rows 10000,2000000] [--accounts 10000]
                                                 [--budgets 100,5000] [--cold-worker | --warm-up-runs N] [--gl-rows-per-file N]
                                                 [--work DIR] [--keep]
          --quick       10 k GL rows and a budget of 100 entries (a few minutes), no fixed-chart series
          --rows        GL rows per pipeline run, one fiscal year on a chart sized to hold them (default 10000,100000,1000000,2000000;
                        "none" for none)
          --fixed-rows  GL rows per size of the fixed-chart series: a chart of --accounts accounts, the rows from more fiscal
                        periods, one full-resync run per fiscal year against one worker (default 10000,2000000 when
                        neither --rows nor --quick is given, otherwise none; "none" for none)
          --accounts    the fixed chart's accounts (default 10000)
          --budgets   entries per budget run (default 100,5000)
          --gl-rows-per-file  the connection's Actuals:GlRowsPerFile (default: the connector's; 0 for one file)
          --cold-worker  no warm-up run: the measured runs are a fresh worker's first (shows start-up and the JIT)
          --warm-up-runs  warm-up runs of a fresh worker before anything is measured (default 1)
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

        static int[] Sizes(string text, string name) => text.Trim().Equals("none", StringComparison.OrdinalIgnoreCase) ? [] : Numbers(text, name);

        int[] rows = Value("--rows") is { } r ? Sizes(r, "--rows") : quick ? [10_000] : [10_000, 100_000, 1_000_000, 2_000_000];
        int[] fixedRows = Value("--fixed-rows") is { } f ? Sizes(f, "--fixed-rows") : quick || Value("--rows") is not null ? [] : [10_000, 2_000_000];
        int accounts = Value("--accounts") is { } a ? Numbers(a, "--accounts").Single() : 10_000;
        int[] budgets = Value("--budgets") is { } b ? Sizes(b, "--budgets") : quick ? [100] : [100, 5_000];
        string work = Value("--work") ?? Directory.CreateTempSubdirectory("connector-bench-").FullName;
        return new BenchOptions(rows, fixedRows, accounts, budgets, Path.GetFullPath(Value("--out") ?? "bench-results.md"), Path.GetFullPath(work), args.Contains("--keep"), quick, args.Contains("--cold-worker"),
            Value("--gl-rows-per-file") is { } g ? (g.Trim() == "0" ? 0 : Numbers(g, "--gl-rows-per-file").Single()) : null,
            Value("--warm-up-runs") is { } w ? Numbers(w, "--warm-up-runs").Single() : DefaultWarmUpRuns);
    }
}

/// <summary>One size of the benchmark: its GL rows, and the chart they sit on (null: a chart sized so that one fiscal year holds the rows).</summary>
public sealed record BenchSize(int Rows, int? Accounts)
{
    /// <summary>Gets a short name for files and task hubs: <c>10000</c>, or <c>10000-chart10000</c> for a fixed chart.</summary>
    public string Label => this.Accounts is { } a ? FormattableString.Invariant($"{this.Rows}-chart{a}") : this.Rows.ToString(CultureInfo.InvariantCulture);
}
