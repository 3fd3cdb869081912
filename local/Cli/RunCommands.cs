using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Connector.Agent.CommandLine;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Storage;
using Microsoft.DurableTask.Client;
using Spectre.Console;

namespace Connector.Local.Cli;

/// <summary>
/// <c>connector runs ...</c>: list, show, audit, and the actions on one run (rewind, replay, terminate, suspend, resume,
/// purge) or many (purge-older-than). Each action is one <see cref="RunAction"/> entry, so new ones slot in.
/// </summary>
internal static class RunCommands
{
    /// <summary>How long an action waits to see the run change before saying it was only requested.</summary>
    private static readonly TimeSpan ActionSettles = TimeSpan.FromSeconds(10);

    public static Command Build(GlobalOptions globals)
    {
        var runs = new Command("runs", "Inspect and operate runs (orchestration instances) on the task hub.")
        {
            List(globals),
            Show(globals),
            RunAuditCommand.Build(globals),
        };

        foreach (RunAction action in Actions())
        {
            runs.Add(action.Build(globals));
        }

        runs.Add(PurgeOlderThan(globals));
        return runs;
    }

    private static IEnumerable<RunAction> Actions()
    {
        yield return new RunAction("rewind", "Rewind a failed run: its failed steps run again, its completed steps are kept.", Destructive: false,
            async (ops, id, reason, ct) => { await ops.RewindAsync(id, reason, ct); return (OrchestrationRuntimeStatus.Failed, "Rewind"); });
        yield return new RunAction("replay", "Start a new run with the same input as a finished run (its id is the original's plus ~replay-<time>).", Destructive: false,
            async (ops, id, reason, ct) => { string replay = await ops.ReplayAsync(id, ct); return (null, $"Replay started as {replay}"); });
        yield return new RunAction("terminate", "Terminate a running run. Locks it holds stay held until 'connector locks release-orphaned'.", Destructive: true,
            async (ops, id, reason, ct) => { await ops.TerminateAsync(id, reason, ct); return (OrchestrationRuntimeStatus.Running, "Terminate"); });
        yield return new RunAction("suspend", "Suspend a running run (it stops after its current step until resumed).", Destructive: false,
            async (ops, id, reason, ct) => { await ops.SuspendAsync(id, reason, ct); return (OrchestrationRuntimeStatus.Running, "Suspend"); });
        yield return new RunAction("resume", "Resume a suspended run.", Destructive: false,
            async (ops, id, reason, ct) => { await ops.ResumeAsync(id, reason, ct); return (OrchestrationRuntimeStatus.Suspended, "Resume"); });
        yield return new RunAction("purge", "Delete a finished run's history and state (its audit rows stay).", Destructive: true,
            async (ops, id, reason, ct) => { int n = await ops.PurgeAsync(id, ct); return (null, $"Purged {n} run(s): {id}"); });
    }

    private static Command List(GlobalOptions globals)
    {
        var connection = new Option<string?>("--connection") { Description = "Only runs of this connection." };
        var flow = new Option<string?>("--flow") { Description = "Only runs of this flow." };
        flow.AcceptOnlyFromAmong(StringComparer.OrdinalIgnoreCase, [.. RunIds.Flows.All]);
        var status = new Option<OrchestrationRuntimeStatus[]>("--status")
        {
            Description = $"Only runs in these statuses (repeat or separate with commas): {string.Join(", ", Enum.GetNames<OrchestrationRuntimeStatus>())}.",
            CustomParser = Statuses,
            AllowMultipleArgumentsPerToken = false,
        };
        var from = new Option<DateTimeOffset?>("--from") { Description = "Only runs created at or after this time: ISO 8601 (2026-11-26T02:00Z) or an age (30m, 12h, 7d).", CustomParser = Time };
        var to = new Option<DateTimeOffset?>("--to") { Description = "Only runs created before this time (same forms as --from).", CustomParser = Time };
        var prefix = new Option<string?>("--prefix") { Description = "Only runs whose id starts with this." };
        var max = new Option<int>("--max") { Description = "At most this many (the newest).", DefaultValueFactory = _ => 50, CustomParser = r => OptionParsers.Int(1, 10_000)(r) };
        var all = new Option<bool>("--all") { Description = "Include sub-runs (ids {parent}|{step}); by default only top-level runs are listed." };
        Option<bool> json = CommonOptions.Json("the runs");
        var command = new Command("list", "List runs, newest first: created, status, flow, connection, duration, id, and the current step or the failure.")
        {
            connection, flow, status, from, to, prefix, max, all, json,
        };
        globals.SetClientAction(command, async (cli, services, ct) =>
        {
            var query = new RunQuery
            {
                ConnectionId = cli.Value(connection),
                Flow = cli.Value(flow)?.ToLowerInvariant(),
                Statuses = cli.Value(status) is { Length: > 0 } statuses ? statuses : null,
                CreatedFrom = cli.Value(from),
                CreatedTo = cli.Value(to),
                InstanceIdPrefix = cli.Value(prefix),
                Max = cli.Value(max),
                IncludeSubRuns = cli.Value(all),
            };
            List<RunSummary> runs = await services.Get<RunOperations>().ListAsync(query, ct).ToListAsync(ct);
            if (cli.Value(json))
            {
                cli.WriteJson(runs);
                return ExitCodes.Ok;
            }

            if (runs.Count == 0)
            {
                cli.Output.WriteLine("No runs match.");
                return ExitCodes.Ok;
            }

            Table table = CliOutput.Table("CREATED (UTC)", "STATUS", "FLOW", "CONNECTION", "DURATION>", "RUN", "STEP OR FAILURE");
            foreach (RunSummary run in runs)
            {
                table.Row(
                    run.CreatedAt,
                    run.Status.ToString(),
                    run.Flow,
                    run.ConnectionId,
                    IsFinished(run.Status) ? run.LastUpdatedAt - run.CreatedAt : null,
                    run.InstanceId,
                    CliOutput.Short(run.Status == OrchestrationRuntimeStatus.Failed ? run.FailureCause ?? run.Step : run.Step, 100));
            }

            cli.Console.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Show(GlobalOptions globals)
    {
        Argument<string> id = CommonOptions.RunId();
        Option<bool> json = CommonOptions.Json("the run, its steps and its sub-runs");
        var command = new Command(
            "show",
            "Show one run: status, current step, input and output, the failure with its cause, every step with its start, end and duration, and the sub-run tree.")
        {
            id,
            json,
        };
        globals.SetClientAction(command, async (cli, services, ct) =>
        {
            RunInspection inspection = await services.Get<RunOperations>().InspectAsync(cli.Value(id)!, ct);
            if (cli.Value(json))
            {
                cli.WriteJson(inspection);
            }
            else
            {
                RunView.Write(cli, inspection);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command PurgeOlderThan(GlobalOptions globals)
    {
        var days = new Argument<int>("days") { Description = "Purge finished runs created more than this many days ago (0: all finished runs).", CustomParser = r => OptionParsers.Int(0, 36_500)(r) };
        var status = new Option<OrchestrationRuntimeStatus[]>("--status")
        {
            Description = "Only runs in these finished statuses: Completed, Failed, Terminated (default: all three).",
            CustomParser = Statuses,
        };
        Option<bool> dryRun = CommonOptions.DryRun("the runs that would be purged");
        Option<bool> yes = CommonOptions.Yes();
        var command = new Command(
            "purge-older-than",
            "Delete the history and state of finished runs (and their sub-runs) created before a number of days ago. Asks first unless --yes.")
        {
            days,
            status,
            dryRun,
            yes,
        };
        globals.SetClientAction(command, async (cli, services, ct) =>
        {
            RunOperations ops = services.Get<RunOperations>();
            int age = cli.Value(days);
            DateTimeOffset before = DateTimeOffset.UtcNow.AddDays(-age);
            OrchestrationRuntimeStatus[]? statuses = cli.Value(status) is { Length: > 0 } s ? s : null;
            List<RunSummary> candidates = await ops.ListPurgeableAsync(DateTimeOffset.MinValue, before, statuses, ct).ToListAsync(ct);
            int subRuns = candidates.Count(c => c.ParentInstanceId is not null);
            string what = $"{candidates.Count - subRuns} finished run(s) and {subRuns} sub-run(s) created before {CliOutput.Time(before)}";
            if (cli.Value(dryRun))
            {
                cli.Output.WriteLine($"Dry run: would purge {what}.");
                if (candidates.Count > 0)
                {
                    Table table = CliOutput.Table("CREATED (UTC)", "STATUS", "FLOW", "RUN");
                    foreach (RunSummary run in candidates)
                    {
                        table.Row(run.CreatedAt, run.Status.ToString(), run.Flow, run.InstanceId);
                    }

                    cli.Console.Write(table);
                }

                return ExitCodes.Ok;
            }

            if (candidates.Count == 0)
            {
                cli.Output.WriteLine($"Nothing to purge: no finished run was created before {CliOutput.Time(before)}.");
                return ExitCodes.Ok;
            }

            if (!await cli.ConfirmAsync($"Purge {what}? Their history cannot be recovered.", cli.Value(yes), ct))
            {
                return ExitCodes.NotConfirmed;
            }

            int purged = await ops.PurgeAsync(DateTimeOffset.MinValue, before, statuses, ct);
            cli.Output.WriteLine($"Purged {purged} run(s) and sub-run(s) created before {CliOutput.Time(before)}.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static bool IsFinished(OrchestrationRuntimeStatus status) => RunOperations.FinishedStatuses.Contains(status);

    private static OrchestrationRuntimeStatus[] Statuses(ArgumentResult result)
    {
        var statuses = new List<OrchestrationRuntimeStatus>();
        foreach (string value in result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
        {
            if (!int.TryParse(value, out _) && Enum.TryParse(value, ignoreCase: true, out OrchestrationRuntimeStatus status) && Enum.IsDefined(status))
            {
                statuses.Add(status);
            }
            else
            {
                result.AddError($"'{value}' is not a run status. Use one of: {string.Join(", ", Enum.GetNames<OrchestrationRuntimeStatus>())}.");
            }
        }

        return [.. statuses];
    }

    private static DateTimeOffset? Time(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value.Trim() : string.Empty;
        if (text.Length > 1 && char.IsAsciiLetter(text[^1])
            && double.TryParse(text[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double amount) && amount >= 0)
        {
            TimeSpan? age = char.ToLowerInvariant(text[^1]) switch
            {
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => null,
            };
            if (age is { } ago)
            {
                return DateTimeOffset.UtcNow - ago;
            }
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset at))
        {
            return at;
        }

        result.AddError($"{OptionParsers.Name(result)} must be an ISO 8601 time (2026-11-26T02:00Z) or an age such as 30m, 12h or 7d, not '{text}'.");
        return null;
    }

    /// <summary>One action on one run: its command, whether it asks first, and what it does.</summary>
    private sealed record RunAction(
        string Name,
        string Description,
        bool Destructive,
        Func<RunOperations, string, string, CancellationToken, Task<(OrchestrationRuntimeStatus? From, string Done)>> Act)
    {
        public Command Build(GlobalOptions globals)
        {
            Argument<string> id = CommonOptions.RunId();
            Option<string?> reason = CommonOptions.Reason(this.Name);
            Option<bool> yes = CommonOptions.Yes();
            var command = new Command(this.Name, this.Description + (this.Destructive ? " Asks first unless --yes." : string.Empty)) { id, reason };
            if (this.Destructive)
            {
                command.Add(yes);
            }

            globals.SetClientAction(command, async (cli, services, ct) =>
            {
                string run = cli.Value(id)!;
                RunOperations ops = services.Get<RunOperations>();
                RunDetails current = await ops.GetAsync(run, ct) ?? throw new RunNotFoundException(run);
                if (this.Destructive && !await cli.ConfirmAsync($"{this.Name} run {run} ({current.Status})?", cli.Value(yes), ct))
                {
                    return ExitCodes.NotConfirmed;
                }

                (OrchestrationRuntimeStatus? from, string done) = await this.Act(ops, run, cli.Value(reason) ?? $"operator {this.Name} (connector CLI)", ct);
                if (from is not { } before)
                {
                    cli.Output.WriteLine($"{done}.");
                    return ExitCodes.Ok;
                }

                // The action is a message the worker applies when it next processes the run: say what is observed.
                OrchestrationRuntimeStatus? now = await ops.WaitForChangeAsync(run, before, ActionSettles, ct);
                cli.Output.WriteLine(now is { } after && after != before
                    ? $"{done} applied: run {run} is now {after}."
                    : $"{done} requested for run {run}; it is still {now?.ToString() ?? "gone"} (a worker applies it when it next processes the run).");
                return ExitCodes.Ok;
            });
            return command;
        }
    }
}
