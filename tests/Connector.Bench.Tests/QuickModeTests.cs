using System.Text.RegularExpressions;

namespace Connector.Bench.Tests;

/// <summary>
/// The benchmark's quick mode runs end to end (agent, emulator, worker and Azurite as their own processes) and writes a
/// well-formed Markdown report. No figure is checked against a target: speed belongs to the benchmark, not to tests.
/// </summary>
public sealed partial class QuickModeTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("bench-quick-test-").FullName;

    public void Dispose() => Directory.Delete(this.directory, recursive: true);

    [Fact]
    public async Task QuickMode_RunsAndWritesEveryTable_WellFormed()
    {
        string output = Path.Combine(this.directory, "report.md");
        BenchOptions options = BenchOptions.Parse(["--quick", "--budgets", "10", "--out", output, "--work", Path.Combine(this.directory, "work")])!;
        using var log = new StringWriter();

        int exit = await Bench.RunAsync(options, log);

        Assert.True(exit == 0, log.ToString());
        string report = await File.ReadAllTextAsync(output);
        List<List<string[]>> tables = Tables(report);
        Assert.Equal(6, tables.Count); // pipeline, stages, bounds, resources, budgets, targets
        foreach (List<string[]> table in tables)
        {
            // A header, its separator and at least one row, every row as wide as the header.
            Assert.True(table.Count >= 3, report);
            Assert.All(table, row => Assert.Equal(table[0].Length, row.Length));
            Assert.Matches("^:?-{3,}:?$", table[1][0]);
        }

        // The pipeline moved the quick mode's GL rows, and the figures are numbers read back from the run.
        string[] pipeline = tables[0][2];
        Assert.InRange(Number(pipeline[0]), 9_000, 11_000);
        Assert.Equal("Completed", pipeline[2]);
        Assert.All(pipeline[3..5], cell => Assert.True(Number(cell) > 0, cell));
        // What bounds the run, from its history: the pickup comes before the extraction starts, and the run ends after it.
        string[] bounds = tables[2][2];
        Assert.All([bounds[1], bounds[2], bounds[5], bounds[6], bounds[7]], cell => Assert.True(Number(cell) > 0, cell)); // pickup, before, after, ceiling s, ceiling ratio
        Assert.True(Number(bounds[2]) >= Number(bounds[1]), string.Join(" | ", bounds)); // start to extraction ≥ start to first step
        Assert.All(tables[3][2][7..], cell => Assert.True(Number(cell) > 0, cell)); // requests, minimum, ratio, history rows
        Assert.Equal("10", tables[4][2][0]);

        // The machine was waited for before each measured step: the agent's warm-up, paging alone, the run, staging alone
        // and the budget, and the report says so (a machine that stayed busy is measured anyway, and said to be).
        Match quiet = QuietLine().Match(report);
        Assert.True(quiet.Success, report);
        Assert.Equal(5, int.Parse(quiet.Groups["waits"].Value, System.Globalization.CultureInfo.InvariantCulture));

        // Every target of the issue is listed, met or not, or said not to be measured in quick mode.
        Assert.Equal(9, tables[5].Count - 2);
        Assert.All(tables[5][2..], row => Assert.Matches("^(pass|fail|not measured in this run)$", row[3]));
    }

    private static List<List<string[]>> Tables(string markdown)
    {
        var tables = new List<List<string[]>>();
        List<string[]>? current = null;
        foreach (string line in markdown.Split('\n').Select(l => l.TrimEnd('\r')))
        {
            if (line.StartsWith('|'))
            {
                if (current is null)
                {
                    current = [];
                    tables.Add(current);
                }

                current.Add([.. line.Trim('|').Split('|').Select(c => c.Trim())]);
            }
            else
            {
                current = null;
            }
        }

        return tables;
    }

    private static double Number(string cell)
        => double.Parse(NumberPart().Match(cell).Value.Replace(",", string.Empty, StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex(@"[0-9][0-9,]*(\.[0-9]+)?")]
    private static partial Regex NumberPart();

    [GeneratedRegex(@"the benchmark waited for a quiet machine: .* (?<waits>[0-9]+) waits, median [0-9.]+ s, longest [0-9.]+ s")]
    private static partial Regex QuietLine();
}
