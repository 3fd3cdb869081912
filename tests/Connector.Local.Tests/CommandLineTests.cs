using System.CommandLine;
using Connector.Agent.CommandLine;
using Connector.Local.Cli;
using Connector.Tests.Shared;

namespace Connector.Local.Tests;

/// <summary>
/// The <c>connector</c> command line itself, as an operator types it: help for every command, and every bad input
/// answered with one clear message, the usage exit code and no stack trace. None of these reach storage.
/// </summary>
public sealed class CommandLineTests
{
    public static TheoryData<string, string> BadInputs => new()
    {
        { "runs list --max abc", "--max must be a whole number from 1 to 10000, not 'abc'." },
        { "runs list --max 0", "--max must be a whole number from 1 to 10000, not '0'." },
        { "runs purge-older-than abc", "<days> must be a whole number from 0 to 36500, not 'abc'." },
        { "runs list --status Bogus", "'Bogus' is not a run status. Use one of: Running, Completed, ContinuedAsNew, Failed, Canceled, Terminated, Pending, Suspended." },
        { "runs list --status Failed,Exploded", "'Exploded' is not a run status." },
        { "runs list --flow payroll", "'payroll'" },
        { "runs list --from yesterday", "--from must be an ISO 8601 time (2026-11-26T02:00Z) or an age such as 30m, 12h or 7d, not 'yesterday'." },
        { "demo --company XYZ", "'XYZ'" },
        { "run actuals", "Option '--connection' is required." },
        { "run actuals --connection abc --from 14", "--from must be a whole number from 1 to 13, not '14'." },
        { "run budgets --connection abc --full-resync", "'--full-resync'" },
        { "runs show", "run-id" },
        { "runs audit r1 --csv --json", "Choose one of --csv and --json." },
        { "mappings list abc vendor", "'vendor'" },
        { "runs frobnicate x", "'frobnicate'" },
        { "--settings /no/such/settings.json runs list", "/no/such/settings.json" },
        { "check", "connection" },
        { "discover --model x", "Option '--connection' is required." },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task BadInput_OneClearMessage_UsageExitCode_NoStackTrace(string commandLine, string message)
    {
        (int exit, string output, string errors) = await CommandProcess.RunAsync("connector.dll", commandLine.Split(' '));

        Assert.True(exit == ExitCodes.Usage, $"exit {exit}\n{output}\n{errors}");
        Assert.Contains(message, errors, StringComparison.Ordinal);
        Assert.Contains("--help' for usage.", errors, StringComparison.Ordinal);
        AssertNoStackTrace(output + errors);
    }

    [Theory]
    [InlineData("runs list --status Bogus", "Running, Completed, ContinuedAsNew, Failed, Canceled, Terminated, Pending, Suspended")]
    [InlineData("demo --company XYZ", "'ABC'")]
    [InlineData("runs list --flow payroll", "'selftest'")]
    [InlineData("mappings list abc vendor", "'costcenter'")]
    public async Task BadChoice_MessageListsTheValidValues(string commandLine, string valid)
    {
        (_, _, string errors) = await CommandProcess.RunAsync("connector.dll", commandLine.Split(' '));

        Assert.Contains(valid, errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoCommand_PrintsHelp_WithUsageExitCode()
    {
        (int exit, string output, string errors) = await CommandProcess.RunAsync("connector.dll", []);

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("Commands:", output, StringComparison.Ordinal);
        Assert.Contains("Exit codes: 0 done, 1 failed, 2 bad command line", output, StringComparison.Ordinal);
        AssertNoStackTrace(output + errors);
    }

    [Fact]
    public async Task EveryCommand_HasHelp_WithItsUsageAndADescriptionOfEveryOptionAndArgument()
    {
        RootCommand root = ConnectorCommandLine.Build(new GlobalOptions(new Dictionary<string, string?>()));
        var commands = new List<(string Path, Command Command)>();
        void Walk(string path, Command command)
        {
            foreach (Command sub in command.Subcommands)
            {
                commands.Add(($"{path} {sub.Name}".Trim(), sub));
                Walk($"{path} {sub.Name}", sub);
            }
        }

        Walk(string.Empty, root);
        Assert.Contains(commands, c => c.Path == "runs audit");
        Assert.Contains(commands, c => c.Path == "locks release-orphaned");
        foreach ((string path, Command command) in commands)
        {
            Assert.False(string.IsNullOrWhiteSpace(command.Description), $"'{path}' has no description");
            Assert.All(command.Options, o => Assert.False(string.IsNullOrWhiteSpace(o.Description), $"'{path} {o.Name}' has no description"));
            Assert.All(command.Arguments, a => Assert.False(string.IsNullOrWhiteSpace(a.Description), $"'{path} <{a.Name}>' has no description"));

            using var output = new StringWriter();
            int exit = await CommandLineRunner.RunAsync(root, [.. path.Split(' '), "--help"], output: output, error: output);
            Assert.True(exit == ExitCodes.Ok, $"'{path} --help' exited {exit}: {output}");
            string usage = output.ToString().Split("Usage:", 2)[^1];
            Assert.Contains($" {path}", usage, StringComparison.Ordinal); // in process the program is the test host, not "connector"
            Assert.Contains(command.Description!.Split('\n')[0][..20], output.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Csv_FormulaLeadingText_IsWrittenAsText()
    {
        using var output = new StringWriter();
        string[] risky = ["=SUM(A1:A9)", "+44 20", "-1+2", "@cmd", "\tx", "\ry", "600-01-02 / FY2026-P10"];

        Connector.Orchestrations.Operations.RunAuditReport.WriteCsv(output, ["record", "reason"], risky.Select(r => (IReadOnlyList<string?>)[r, "ok"]));

        string[] lines = output.ToString().Split(["\r\n", "\n"], StringSplitOptions.None);
        Assert.Equal("record,reason", lines[0]);
        Assert.StartsWith("\"'=SUM(A1:A9)\"", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("\"'+44 20\"", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("\"'-1+2\"", lines[3], StringComparison.Ordinal);
        Assert.StartsWith("\"'@cmd\"", lines[4], StringComparison.Ordinal);
        Assert.StartsWith("\"'\tx\"", lines[5], StringComparison.Ordinal);
        Assert.Contains("\"'\ry\"", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("600-01-02 / FY2026-P10,ok", output.ToString(), StringComparison.Ordinal);
    }

    internal static void AssertNoStackTrace(string text)
    {
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Exception:", text, StringComparison.Ordinal);
    }
}
