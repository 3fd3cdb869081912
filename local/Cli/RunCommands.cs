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
/// <c>connector runs ...</c>: list, show, audit, and the actions on one run (rewind, replay, replay-dataset,
/// retry-rejected, terminate, suspend, resume, purge) or many (rewind-failed, replay-failed, purge-older-than). Each
/// action on one run is one <see cref="RunAction"/> entry, so new ones slot in.
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

        runs.Add(Purge(globals));
        runs.Add(ReplayDataset(globals));
        runs.Add(RetryRejected(globals));
        runs.Add(Bulk(globals, "rewind-failed", "Rewind every run of a connection, created in a time range, that failed, was terminated or completed with failures."));
        runs.Add(Bulk(globals, "replay-failed", "Replay (a new run with the same input) every run of a connection, created in a time range, that failed, was terminated or completed with failures."));
        runs.Add(PurgeOlderThan(globals));
        return runs;
    }

    /// <summary>Who an action is recorded as done by: the operating-system user running the command.</summary>
    internal static string By => $"{Environment.UserName} (connector CLI)";

    private static IEnumerable<RunAction> Actions()
    {
        yield return new RunAction(
            "rewind",
            "Resume a run that failed, was terminated or completed with failures, under the same id: a new attempt that takes the recorded result of every step "
            + "an earlier attempt finished (nothing extracted, uploaded, imported or posted twice) and does the rest.",
            Destructive: false,
            async (services, id, reason, ct) =>
            {
                RewindResult r = await services.Get<RunRecovery>().RewindAsync(id, reason, By, ct);
                return (null, r.Started
                    ? $"Rewound run {id}: attempt {r.Attempt} is {r.Status}"
                    : $"Rewind requested: attempt {r.Attempt} of run {id} is queued ({r.Status}); a worker starts it when one runs");
            });
        yield return new RunAction("replay", "Start a new run with the same input as a finished run (its id is the original's plus ~replay-<time>).", Destructive: false,
            async (services, id, reason, ct) => { string replay = await services.Get<RunOperations>().ReplayAsync(id, ct); return (null, $"Replay started as {replay}"); });
        yield return new RunAction(
            "terminate",
            "Terminate a running run and its sub-runs, and release the Anaplan model lock it held; the audit records it as Terminated.",
            Destructive: true,
            async (services, id, reason, ct) =>
            {
                TerminateResult r = await services.Get<RunRecovery>().TerminateAsync(id, reason, By, ct);
                return (null, r.Stopped
                    ? $"Terminated run {id} and {r.Terminated.Count - 1} sub-run(s); released {r.LocksReleased} model lock(s)"
                    : $"Terminate requested for run {id} and {r.Terminated.Count - 1} sub-run(s); not yet seen stopped (a worker applies it when it next processes them; then run 'connector locks release-orphaned')");
            });
        yield return new RunAction("suspend", "Suspend a running run (it stops after its current step until resumed).", Destructive: false,
            async (services, id, reason, ct) => { await services.Get<RunOperations>().SuspendAsync(id, reason, ct); return (OrchestrationRuntimeStatus.Running, "Suspend"); });
        yield return new RunAction("resume", "Resume a suspended run.", Destructive: false,
            async (services, id, reason, ct) => { await services.Get<RunOperations>().ResumeAsync(id, reason, ct); return (OrchestrationRuntimeStatus.Suspended, "Resume"); });
    }

    private static Command Purge(GlobalOptions globals)
    {
        Argument<string> id = CommonOptions.RunId();
        var keepAudit = new Option<bool>("--keep-audit") { Description = "Keep the run's audit rows (the history, step results and staging go)." };
        Option<bool> yes = CommonOptions.Yes();
        var command = new Command(
            "purge",
            "Delete a finished run with its sub-runs: their history, the run's recorded step results, its staging blobs and (unless --keep-audit) its audit. Asks first unless --yes.")
        {
            id,
            keepAudit,
            yes,
        };
        globals.SetClientAction(command, async (cli, services, ct) =>
        {
            string run = cli.Value(id)!;
            RunDetails? current = await services.Get<RunOperations>().GetAsync(run, ct);
            string what = current is null ? "what is left of run" : $"run {run} ({current.Status}) and its sub-runs,";
            if (!await cli.ConfirmAsync($"Purge {what} {(current is null ? run : string.Empty)}{(cli.Value(keepAudit) ? " keeping its audit" : " with its audit")}?".Replace("  ", " ", StringComparison.Ordinal), cli.Value(yes), ct))
            {
                return ExitCodes.NotConfirmed;
            }

            PurgeRunResult r = await services.Get<RunRecovery>().PurgeAsync(run, cli.Value(keepAudit), ct);
            cli.Output.WriteLine(
                $"Purged run {run}: {r.Instances} instance(s), {r.StepResults} step result(s), {r.StagingBlobs} staging blob(s), "
                + (r.AuditKept ? "audit kept." : $"{r.AuditRows} audit row(s)."));
            if (r.KeptForLaterRuns.Count > 0)
            {
                cli.Output.WriteLine($"Kept {r.KeptForLaterRuns.Count} blob(s) the connection's watermarks still name (later runs read them).");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command ReplayDataset(GlobalOptions globals)
    {
        Argument<string> id = CommonOptions.RunId();
        var dataset = new Argument<string>("dataset") { Description = "The dataset to load again: accounts, cost-centers, vendors, gl-actuals or ap-actuals." };
        dataset.AcceptOnlyFromAmong([.. Orchestrations.Flows.Recovery.PrepareRecoveryActivity.ReplayableDatasets]);
        Option<string?> reason = CommonOptions.Reason("replay");
        var command = new Command(
            "replay-dataset",
            "Load one dataset of a finished actuals run into Anaplan again from the files it staged, without reading Sage again (a new recovery run).")
        {
            id,
            dataset,
            reason,
        };
        globals.SetClientAction(command, async (cli, services, ct) =>
        {
            RecoveryRunResult r = await services.Get<RunRecovery>().ReplayDatasetAsync(
                cli.Value(id)!, cli.Value(dataset)!, cli.Value(reason) ?? "operator replay-dataset (connector CLI)", By, ct);
            cli.Output.WriteLine($"Replay of {r.Dataset} of run {r.SourceRunId} started as {r.RunId}.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command RetryRejected(GlobalOptions globals)
    {
        Argument<string> id = CommonOptions.RunId();
        var dataset = new Option<string?>("--dataset") { Description = "The dataset whose rejected rows to send (gl-actuals, the default)." };
        Option<string?> reason = CommonOptions.Reason("retry");
        var command = new Command(
            "retry-rejected",
            "After a mapping fix: map the rows a finished actuals run rejected again with the current mappings, check them against Anaplan's current members, "
            + "and send those that now fit (a new recovery run; rows that still do not fit are rejected again, with the reason).")
        {
            id,
            dataset,
            reason,
        };
        globals.SetClientAction(command, async (cli, services, ct) =>
        {
            RecoveryRunResult r = await services.Get<RunRecovery>().RetryRejectedAsync(
                cli.Value(id)!, cli.Value(dataset), cli.Value(reason) ?? "operator retry-rejected (connector CLI)", By, ct);
            cli.Output.WriteLine($"Retry of the rejected {r.Dataset} rows of run {r.SourceRunId} started as {r.RunId}.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Bulk(GlobalOptions globals, string name, string description)
    {
        bool rewind = name == "rewind-failed";
        var connection = new Option<string>("--connection") { Description = "The connection whose runs to act on.", Required = true };
        var from = new Option<DateTimeOffset?>("--from") { Description = "Only runs created at or after this time: ISO 8601 (2026-11-26T02:00Z) or an age (30m, 12h, 7d).", CustomParser = Time };
        var to = new Option<DateTimeOffset?>("--to") { Description = "Only runs created before this time (same forms as --from).", CustomParser = Time };
        Option<string?> reason = CommonOptions.Reason(rewind ? "rewind" : "replay");
        Option<bool> dryRun = CommonOptions.DryRun("the runs it would act on");
        Option<bool> yes = CommonOptions.Yes();
        Option<bool> json = CommonOptions.Json("what was done to each run");
        var command = new Command(name, description + " Asks first unless --yes.") { connection, from, to, reason, dryRun, yes, json };
        globals.SetClientAction(command, async (cli, services, ct) =>
        {
            RunRecovery recovery = services.Get<RunRecovery>();
            string conn = cli.Value(connection)!;
            string why = cli.Value(reason) ?? $"operator {name} (connector CLI)";
            bool dry = cli.Value(dryRun);
            IReadOnlyList<RunSummary> candidates = await recovery.ListRecoverableAsync(conn, cli.Value(from), cli.Value(to), ct);
            if (!dry && candidates.Count > 0
                && !await cli.ConfirmAsync($"{(rewind ? "Rewind" : "Replay")} {candidates.Count} run(s) of connection {conn}?", cli.Value(yes), ct))
            {
                return ExitCodes.NotConfirmed;
            }

            IReadOnlyList<BulkRunResult> results = rewind
                ? await recovery.RewindManyAsync(conn, cli.Value(from), cli.Value(to), why, By, dry, ct)
                : await recovery.ReplayManyAsync(conn, cli.Value(from), cli.Value(to), why, By, dry, ct);
            if (cli.Value(json))
            {
                cli.WriteJson(new { dryRun = dry, runs = results });
                return results.Any(r => r.Error is not null) ? ExitCodes.Failed : ExitCodes.Ok;
            }

            cli.Output.WriteLine(results.Count == 0
                ? $"No run of connection {conn} in that range failed, was terminated or completed with failures."
                : dry ? $"Dry run: would {(rewind ? "rewind" : "replay")} {results.Count} run(s)." : $"{results.Count(r => r.Error is null)} of {results.Count} run(s) {(rewind ? "rewound" : "replayed")}.");
            if (results.Count > 0)
            {
                Table table = CliOutput.Table("RUN", "STATUS", "ACTION", "ATTEMPT OR NEW RUN", "ERROR");
                foreach (BulkRunResult r in results)
                {
                    table.Row(r.RunId, r.Status, r.Action, r.Attempt?.ToString(CultureInfo.InvariantCulture) ?? r.NewRunId, CliOutput.Short(r.Error, 100));
                }

                cli.Console.Write(table);
            }

            return results.Any(r => r.Error is not null) ? ExitCodes.Failed : ExitCodes.Ok;
        });
        return command;
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
            if (inspection.Run.Name == nameof(Orchestrations.Flows.Budgets.BudgetSyncOrchestrator) && inspection.Run.Output is { } output)
            {
                // A budgets run's output names the blob with every entry's result: shown whole.
                inspection = inspection with { Journal = await Orchestrations.Flows.Budgets.BudgetRunResults.ReadAsync(services.Get<ConnectorStorage>().StagingContainer, output, ct) };
            }

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
        var keepAudit = new Option<bool>("--keep-audit") { Description = "Keep the runs' audit rows." };
        Option<bool> yes = CommonOptions.Yes();
        var command = new Command(
            "purge-older-than",
            "Delete finished runs (and their sub-runs) created before a number of days ago: their history, step results, staging and (unless --keep-audit) audit. "
            + "Asks first unless --yes.")
        {
            days,
            status,
            dryRun,
            keepAudit,
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

            // Each run with its sub-runs, step results, staging and audit; then sub-runs left over from runs purged earlier.
            RunRecovery recovery = services.Get<RunRecovery>();
            int purged = 0;
            foreach (RunSummary run in candidates.Where(c => c.ParentInstanceId is null))
            {
                purged += (await recovery.PurgeAsync(run.InstanceId, cli.Value(keepAudit), ct)).Instances;
            }

            purged += await ops.PurgeAsync(DateTimeOffset.MinValue, before, statuses, ct);
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
        Func<IServiceProvider, string, string, CancellationToken, Task<(OrchestrationRuntimeStatus? From, string Done)>> Act)
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

                (OrchestrationRuntimeStatus? from, string done) = await this.Act(services, run, cli.Value(reason) ?? $"operator {this.Name} (connector CLI)", ct);
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
