using System.CommandLine;
using Connector.Agent.CommandLine;
using Connector.Orchestrations.Anaplan;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.ModelFit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Connector.Local.Cli;

/// <summary>
/// <c>connector check &lt;connection&gt;</c> ("ping your real systems") and <c>connector discover</c> (what the Anaplan
/// credentials can see, and a starter settings file for a chosen model). Both only read: they need neither the task hub
/// nor the connector's storage, so they run with the connector's runtime services alone.
/// </summary>
internal static class ModelFitCommands
{
    public static Command Check(GlobalOptions globals)
    {
        var connection = new Argument<string>("connection") { Description = "The connection id." };
        Option<bool> json = CommonOptions.Json("the check");
        var command = new Command(
            "check",
            "Ping both real systems of a connection and write nothing: the agent is reachable, its TLS certificate trusted (its SHA-256 fingerprint shown\n"
            + "when not pinned), the API key accepted, the company there, its account structure and calendar read; Anaplan authenticates, the\n"
            + "workspace and model exist and are online, each configured action and list exists, each import's headers are mapped (the mapping is\n"
            + "shown) and each export's columns understood. A failed line says the fix. Exit code 0 when every line passes, 1 otherwise.")
        {
            connection,
            json,
        };
        command.SetAction((parse, ct) => WithRuntimeAsync(globals, parse, async (cli, services) =>
        {
            ConnectionCheckReport report = await services.Get<ConnectionChecker>().CheckAsync(cli.Value(connection)!, ct);
            if (cli.Value(json))
            {
                cli.WriteJson(report);
            }
            else
            {
                TextWriter o = cli.Output;
                foreach (CheckLine line in report.Lines)
                {
                    o.WriteLine($"{line.Status.ToUpperInvariant(),-4}  {line.Name}");
                    o.WriteLine($"      {line.Detail}");
                    if (line.Fix is { } fix)
                    {
                        o.WriteLine($"      fix: {fix}");
                    }
                }

                int failed = report.Lines.Count(l => l.Status == CheckStatuses.Fail);
                o.WriteLine(report.Passed
                    ? $"{report.ConnectionId}: every line passed; nothing was written."
                    : $"{report.ConnectionId}: {failed} line(s) failed; nothing was written.");
            }

            return report.Passed ? ExitCodes.Ok : ExitCodes.Failed;
        }));
        return command;
    }

    public static Command Discover(GlobalOptions globals)
    {
        var connection = new Option<string>("--connection", "-c")
        {
            Description = "The connection whose Anaplan credentials sign in (and whose Sage agent gives the company's calendar).",
            Required = true,
        };
        var workspace = new Option<string?>("--workspace") { Description = "Only this workspace (id or name)." };
        var model = new Option<string?>("--model") { Description = "Propose a connection for this model (id or name) and write it to --out." };
        var id = new Option<string?>("--id") { Description = "The proposed connection's id (default: the --connection id)." };
        var output = new Option<FileInfo?>("--out", "-o") { Description = "Where to write the starter settings file (default: connector.<id>.settings.json)." };
        Option<bool> json = CommonOptions.Json("what was found (and the proposal)");
        var command = new Command(
            "discover",
            "Sign in to Anaplan and list the workspaces, models, import actions with their header names, export actions and lists the credentials\n"
            + "can see. With --model, write a starter settings file for that model with the mapping it proposes (read it before use: the notes\n"
            + "say what to check). Reads only: nothing is uploaded and no action runs.")
        {
            connection, workspace, model, id, output, json,
        };
        command.SetAction((parse, ct) => WithRuntimeAsync(globals, parse, async (cli, services) =>
        {
            DiscoveryResult result = await ModelDiscovery.RunAsync(
                services.Get<ConnectionClients>(), cli.Value(connection)!, cli.Value(workspace), cli.Value(model), cli.Value(id), ct);
            string? written = null;
            if (result.Proposal is { } proposal)
            {
                written = (cli.Value(output) ?? new FileInfo($"connector.{proposal.Connection.Id}.settings.json")).FullName;
                await File.WriteAllTextAsync(written, ModelDiscovery.SettingsJson(proposal), ct);
            }

            if (cli.Value(json))
            {
                cli.WriteJson(new { result.Report, result.Chosen, Proposal = result.Proposal?.Connection, Notes = result.Proposal?.Notes, SettingsFile = written });
                return ExitCodes.Ok;
            }

            Print(cli, result, written);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static void Print(CliContext cli, DiscoveryResult result, string? written)
    {
        TextWriter o = cli.Output;
        Table workspaces = CliOutput.Table("WORKSPACE", "ID", "MODELS");
        foreach (AnaplanWorkspace w in result.Report.Workspaces)
        {
            workspaces.Row(w.Name, w.Id, result.Report.Models.Count(m => m.WorkspaceId == w.Id));
        }

        cli.Console.Write(workspaces);
        foreach (DiscoveredModel m in result.Chosen is { } chosen ? [chosen] : result.Report.Models)
        {
            o.WriteLine();
            o.WriteLine($"Model '{m.Name}' {m.Id} in '{m.WorkspaceName}' {m.WorkspaceId} ({m.ActiveState ?? "state unknown"})");
            if (m.Problem is not null)
            {
                o.WriteLine($"  could not be read: {m.Problem}");
                continue;
            }

            foreach (DiscoveredImport i in m.Imports)
            {
                o.WriteLine($"  import  '{i.Name}' ({i.ImportType ?? "?"}): {string.Join(", ", i.Headers)}");
            }

            foreach (DiscoveredExport e in m.Exports)
            {
                o.WriteLine($"  export  '{e.Name}': {string.Join(", ", e.Headers)}");
            }

            foreach (DiscoveredList l in m.Lists)
            {
                o.WriteLine(l.Problem is null
                    ? $"  list    '{l.Name}': {l.ItemCount} item(s){(l.SampleCodes.Count > 0 ? $", e.g. {string.Join(", ", l.SampleCodes.Take(3))}" : string.Empty)}"
                    : $"  list    '{l.Name}': {l.Problem}");
            }
        }

        if (result.Proposal is { } proposal)
        {
            o.WriteLine();
            o.WriteLine($"Wrote the starter settings of connection '{proposal.Connection.Id}' to {written}. Check it before use:");
            foreach (string note in proposal.Notes)
            {
                o.WriteLine($"  - {note}");
            }

            o.WriteLine($"Then: connector --settings {written} check {proposal.Connection.Id}");
        }
    }

    /// <summary>Runs <paramref name="action"/> with the connector's runtime services (settings, credentials, clients), no task hub.</summary>
    private static async Task<int> WithRuntimeAsync(GlobalOptions globals, ParseResult parse, Func<CliContext, IServiceProvider, Task<int>> action)
    {
        CliContext cli = globals.Context(parse);
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning));
        services.AddConnectorRuntime(cli.Configuration, hostStorageConnectionString: null, checkCredentials: false);
        await using ServiceProvider provider = services.BuildServiceProvider();
        return await action(cli, provider);
    }
}
