using System.Globalization;
using System.Text.Json;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Flows.Budgets;
using Connector.Agent.CommandLine;
using Connector.Local.Cli;
using Connector.Orchestrations.Storage;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Connector.Local;

/// <summary>
/// Follows a run on the console: a live display of its current step and elapsed time while it runs (only when the
/// output is a terminal; a pipe or a file gets no progress, only the result), then a summary a person can read.
/// </summary>
internal static class RunPrinter
{
    /// <summary>
    /// Waits for the run, showing its progress; returns <see cref="ExitCodes.Ok"/>, <see cref="ExitCodes.CompletedWithFailures"/> (failed records or reconciliation differences)
    /// or <see cref="ExitCodes.Failed"/>.
    /// </summary>
    public static async Task<int> WaitAndPrintAsync(CliContext cli, IServiceProvider services, string instanceId, bool json, CancellationToken cancellationToken)
    {
        DurableTaskClient client = services.GetRequiredService<DurableTaskClient>();
        OrchestrationMetadata state;
        try
        {
            state = cli.Interactive && !json
                ? await cli.Console.Status().StartAsync($"Run {Markup.Escape(instanceId)}: starting", status => WaitAsync(client, instanceId, (text, elapsed) =>
                {
                    status.Status = $"Run {Markup.Escape(instanceId)} [grey]({CliOutput.Duration(elapsed)})[/]: {Markup.Escape(text)}";
                }, cancellationToken))
                : await WaitAsync(client, instanceId, (_, _) => { }, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await cli.Error.WriteLineAsync($"Stopped following run {instanceId}; it goes on when a worker runs ('connector worker'). See it with 'connector runs show {instanceId}'.");
            throw;
        }

        TextWriter output = cli.Output;
        if (state.RuntimeStatus != OrchestrationRuntimeStatus.Completed)
        {
            await cli.Error.WriteLineAsync($"Run {instanceId} {state.RuntimeStatus}: {state.FailureDetails?.ErrorMessage}");
            await cli.Error.WriteLineAsync($"Inspect it with 'connector runs show {instanceId}'; after fixing the cause, 'connector runs rewind {instanceId}'.");
            return ExitCodes.Failed;
        }

        if (json)
        {
            output.WriteLine(JsonText.Pretty(state.SerializedOutput));
        }

        string status;
        if (state.Name == nameof(BudgetSyncOrchestrator))
        {
            BudgetRunSummary budget = state.ReadOutputAs<BudgetRunSummary>()!;
            status = budget.Status;
            if (!json)
            {
                // The output carries counts and the first problems; every entry's result is in the blob it names.
                IReadOnlyList<EntryResult> results = budget.ResultsBlob is { } blob
                    ? await BudgetRunResults.ReadAsync(services.GetRequiredService<ConnectorStorage>().StagingContainer, blob, cancellationToken)
                    : [];
                Print(output, budget, results);
            }
        }
        else
        {
            ActualsRunSummary actuals = state.ReadOutputAs<ActualsRunSummary>()!;
            status = actuals.Status;
            if (!json)
            {
                Print(output, actuals);
            }
        }

        return status is RunStatuses.CompletedWithFailures or RunStatuses.CompletedWithDifferences ? ExitCodes.CompletedWithFailures : ExitCodes.Ok;
    }

    private static async Task<OrchestrationMetadata> WaitAsync(
        DurableTaskClient client, string instanceId, Action<string, TimeSpan> progress, CancellationToken cancellationToken)
    {
        while (true)
        {
            OrchestrationMetadata? state = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellationToken);
            if (state is { IsCompleted: true })
            {
                return state;
            }

            if (state is not null)
            {
                string step = state.SerializedCustomStatus is { } custom && state.ReadCustomStatusAs<RunProgress>() is { } p
                    ? $"{p.Step}{(p.Dataset is null ? string.Empty : $" [{p.Dataset}]")}{(p.Detail is null ? string.Empty : $": {p.Detail}")}"
                    : state.RuntimeStatus.ToString();
                progress(step, DateTimeOffset.UtcNow - state.CreatedAt);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }
    }

    private static void Print(TextWriter output, BudgetRunSummary s, IReadOnlyList<EntryResult> results)
    {
        BudgetPlan p = s.Plan;
        output.WriteLine();
        output.WriteLine($"Run {s.RunId}: {s.Status} in {(s.FinishedAt - s.StartedAt).TotalSeconds:0.0} s (version {s.Version}, trigger: {s.Trigger})");
        output.WriteLine($"Export lines: {p.LinesRead} read, {p.LinesUsed} used, {p.SkippedBlankOrZero} blank or zero, {p.SkippedOtherVersion} other versions, "
            + $"{p.SkippedOutsideRange} outside the period range, {p.LinesRejected} rejected{(p.RejectionsBlob is null ? string.Empty : $" ({p.RejectionsBlob})")}");
        output.WriteLine($"Entries: {p.EntryCount} proposed, debit {Money(p.Debit)} = credit {Money(p.Credit)}; proposed entries CSV: {p.ProposedCsvBlob}");
        if (s.DryRun)
        {
            foreach (EntryResult e in results)
            {
                output.WriteLine($"  {e.ExternalId}  {e.GroupKey,-40} {e.Lines,4} lines  {Money(e.Debit),16}");
            }

            return;
        }

        foreach ((string status, int count) in s.ByStatus.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"  {status}: {count}");
        }

        output.WriteLine($"Every entry's result: {s.ResultsBlob}");
        foreach (EntryResult r in results)
        {
            output.WriteLine($"  {r.ExternalId}  {r.GroupKey,-40} {r.Status,-15} {(r.EntryNo is null ? string.Empty : $"entry {r.EntryNo}")}{(r.BatchNo is null ? string.Empty : $" batch {r.BatchNo}")} {r.Message}");
        }
    }

    private static void Print(TextWriter output, ActualsRunSummary s)
    {
        output.WriteLine();
        output.WriteLine($"Run {s.RunId}: {s.Status} in {(s.FinishedAt - s.StartedAt).TotalSeconds:0.0} s (trigger: {s.Trigger})");
        output.WriteLine($"Periods sent: {string.Join(", ", s.Periods)}");
        if (s.Alignment is { } a)
        {
            output.WriteLine($"Dimensions: account structure {a.Structure}; {a.SageAccounts} Sage accounts, {a.ValidAccounts} valid on both sides, {a.InvalidAccounts} not; "
                + $"Anaplan lists hold {a.AnaplanAccounts} accounts and {a.AnaplanCostCenters} cost centres; {a.AnaplanOnlyTotal} item(s) only in Anaplan"
                + (a.AnaplanOnlyTotal > 0 ? $" ({string.Join(", ", a.AnaplanOnlyAccounts.Concat(a.AnaplanOnlyCostCenters).Take(8))}{(a.AnaplanOnlyTotal > 8 ? ", …" : string.Empty)})" : string.Empty));
        }

        output.WriteLine();
        output.WriteLine($"{"dataset",-14}{"status",-20}{"read",8}{"rejected",10}{"unchanged",11}{"staged",9}{"accepted",10}{"failed",8}{"chunks",8}{"gzip bytes",12}");
        foreach (DatasetSummary d in s.Datasets)
        {
            output.WriteLine($"{d.Dataset,-14}{d.Status,-20}{d.Read,8}{d.Rejected,10}{d.Unchanged,11}{d.Staged,9}{d.Accepted,10}{d.Failed,8}{d.Parts,8}{d.CompressedBytes,12}");
        }

        foreach (DatasetSummary d in s.Datasets.Where(d => d.Files > 1))
        {
            output.WriteLine($"{d.Dataset}: staged and imported in {d.Files} files, each while the next was extracted (import tasks {d.ImportTaskId})");
        }

        foreach (DatasetSummary d in s.Datasets.Where(d => d.SageTotals.Count > 0 || d.Reconciliation is not null))
        {
            output.WriteLine();
            PrintReconciliation(output, d);
        }

        foreach (DatasetSummary d in s.Datasets.Where(d => d.Resent is { Count: > 0 }))
        {
            foreach (ResentRows r in d.Resent!)
            {
                output.WriteLine($"{d.Dataset}: re-sent {r.Rows} row(s){(r.Periods is { Count: > 0 } p ? $" of {string.Join(", ", p)}" : string.Empty)} for run {r.FromRunId}: {r.Reason}");
            }
        }

        foreach (DatasetSummary d in s.Datasets.Where(d => d.Status is not (DatasetStatuses.Loaded or DatasetStatuses.NoChanges) || d.RejectionsBlob is not null))
        {
            output.WriteLine($"{d.Dataset}: {d.Message}{(d.RejectionsBlob is null ? string.Empty : $" rejections: {d.RejectionsBlob}")}");
        }
    }

    /// <summary>Sage's totals, and Anaplan's only when they were read back from the model (never computed from what was sent).</summary>
    private static void PrintReconciliation(TextWriter output, DatasetSummary d)
    {
        Reconciliation? r = d.Reconciliation;
        if (r is null || r.Status is ReconciliationStatuses.NotReconciled or ReconciliationStatuses.Failed)
        {
            output.WriteLine($"Sage totals, {d.Dataset} ({r?.Reason ?? "not reconciled"}):");
            foreach (PeriodTotals sage in d.SageTotals)
            {
                output.WriteLine($"  {sage.Period,-12} debit {Money(sage.Debit)}   credit {Money(sage.Credit)}   amount {Money(sage.Amount)}");
            }

            return;
        }

        output.WriteLine($"Reconciliation, {d.Dataset}: {r.Status}; {r.CellsCompared} cell(s) read back from '{r.Export}', {r.Differences} difference(s) (Sage → Anaplan):");
        foreach (PeriodReconciliation p in r.Periods)
        {
            output.WriteLine(d.Dataset == Datasets.GlActuals
                ? $"  {p.Period,-12} debit {Money(p.Sage.Debit)} → {Money(p.Anaplan.Debit)}   credit {Money(p.Sage.Credit)} → {Money(p.Anaplan.Credit)}   net {Money(p.Sage.Amount)} → {Money(p.Anaplan.Amount)}{(p.Matches ? string.Empty : "   DIFFERS")}"
                : $"  {p.Period,-12} amount {Money(p.Sage.Amount)} → {Money(p.Anaplan.Amount)}   invoices {p.Sage.Count:0} → {p.Anaplan.Count:0}{(p.Matches ? string.Empty : "   DIFFERS")}");
        }

        foreach (CellDifference c in r.FirstDifferences)
        {
            output.WriteLine($"  differs: {c.Item} {c.Period} {c.LineItem}: Sage {Money(c.Sage)}, Anaplan '{c.Anaplan}'");
        }

        if (r.DifferencesBlob is not null)
        {
            output.WriteLine($"  every difference: {r.DifferencesBlob}");
        }
    }

    private static string Money(decimal? value) => (value ?? 0m).ToString("#,##0.00", CultureInfo.InvariantCulture);
}
