using System.Globalization;
using System.Text.Json;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Flows.Budgets;
using Microsoft.DurableTask.Client;

namespace Connector.Local;

/// <summary>Follows a run on the console: its progress while it runs, then a summary a person can read.</summary>
internal static class RunPrinter
{
    /// <summary>Waits for the run, printing each new progress step; returns 0 (completed), 2 (completed with failures or differences) or 1 (failed).</summary>
    public static async Task<int> WaitAndPrintAsync(DurableTaskClient client, string instanceId, bool json, CancellationToken cancellationToken)
    {
        string? last = null;
        OrchestrationMetadata? state;
        while (true)
        {
            state = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellationToken);
            if (state?.SerializedCustomStatus is { } custom && custom != last)
            {
                last = custom;
                RunProgress? progress = state.ReadCustomStatusAs<RunProgress>();
                if (progress is not null)
                {
                    Console.WriteLine($"  … {progress.Step}{(progress.Dataset is null ? string.Empty : $" [{progress.Dataset}]")}{(progress.Detail is null ? string.Empty : $": {progress.Detail}")}");
                }
            }

            if (state is { IsCompleted: true })
            {
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }

        if (state.RuntimeStatus != OrchestrationRuntimeStatus.Completed)
        {
            Console.Error.WriteLine($"Run {instanceId} {state.RuntimeStatus}: {state.FailureDetails?.ErrorMessage}");
            Console.Error.WriteLine($"Inspect it with 'connector runs show {instanceId}'; after fixing the cause, 'connector runs rewind {instanceId}'.");
            return 1;
        }

        if (json)
        {
            Console.WriteLine(state.SerializedOutput is null ? "{}" : JsonSerializer.Serialize(JsonDocument.Parse(state.SerializedOutput), Cli.Json));
        }

        string status;
        if (state.Name == nameof(BudgetSyncOrchestrator))
        {
            BudgetRunSummary budget = state.ReadOutputAs<BudgetRunSummary>()!;
            status = budget.Status;
            if (!json)
            {
                Print(budget);
            }
        }
        else
        {
            ActualsRunSummary actuals = state.ReadOutputAs<ActualsRunSummary>()!;
            status = actuals.Status;
            if (!json)
            {
                Print(actuals);
            }
        }

        return status is RunStatuses.CompletedWithFailures or RunStatuses.CompletedWithDifferences ? 2 : 0;
    }

    private static void Print(BudgetRunSummary s)
    {
        BudgetPlan p = s.Plan;
        Console.WriteLine();
        Console.WriteLine($"Run {s.RunId}: {s.Status} in {(s.FinishedAt - s.StartedAt).TotalSeconds:0.0} s (version {s.Version}, trigger: {s.Trigger})");
        Console.WriteLine($"Export lines: {p.LinesRead} read, {p.LinesUsed} used, {p.SkippedBlankOrZero} blank or zero, {p.SkippedOtherVersion} other versions, "
            + $"{p.SkippedOutsideRange} outside the period range, {p.LinesRejected} rejected{(p.RejectionsBlob is null ? string.Empty : $" ({p.RejectionsBlob})")}");
        Console.WriteLine($"Entries: {p.EntryCount} proposed, debit {Money(p.Debit)} = credit {Money(p.Credit)}; proposed entries CSV: {p.ProposedCsvBlob}");
        if (s.DryRun)
        {
            foreach (EntrySummary e in p.Entries)
            {
                Console.WriteLine($"  {e.ExternalId}  {e.GroupKey,-40} {e.Lines,4} lines  {Money(e.Debit),16}");
            }

            return;
        }

        foreach (IGrouping<string, EntryResult> group in s.Results.GroupBy(r => r.Status))
        {
            Console.WriteLine($"  {group.Key}: {group.Count()}");
        }

        foreach (EntryResult r in s.Results)
        {
            Console.WriteLine($"  {r.ExternalId}  {r.GroupKey,-40} {r.Status,-15} {(r.EntryNo is null ? string.Empty : $"entry {r.EntryNo}")}{(r.BatchNo is null ? string.Empty : $" batch {r.BatchNo}")} {r.Message}");
        }
    }

    private static void Print(ActualsRunSummary s)
    {
        Console.WriteLine();
        Console.WriteLine($"Run {s.RunId}: {s.Status} in {(s.FinishedAt - s.StartedAt).TotalSeconds:0.0} s (trigger: {s.Trigger})");
        Console.WriteLine($"Periods sent: {string.Join(", ", s.Periods)}");
        if (s.Alignment is { } a)
        {
            Console.WriteLine($"Dimensions: account structure {a.Structure}; {a.SageAccounts} Sage accounts, {a.ValidAccounts} valid on both sides, {a.InvalidAccounts} not; "
                + $"Anaplan lists hold {a.AnaplanAccounts} accounts and {a.AnaplanCostCenters} cost centres; {a.AnaplanOnlyTotal} item(s) only in Anaplan"
                + (a.AnaplanOnlyTotal > 0 ? $" ({string.Join(", ", a.AnaplanOnlyAccounts.Concat(a.AnaplanOnlyCostCenters).Take(8))}{(a.AnaplanOnlyTotal > 8 ? ", …" : string.Empty)})" : string.Empty));
        }

        Console.WriteLine();
        Console.WriteLine($"{"dataset",-14}{"status",-20}{"read",8}{"rejected",10}{"unchanged",11}{"staged",9}{"accepted",10}{"failed",8}{"chunks",8}{"gzip bytes",12}");
        foreach (DatasetSummary d in s.Datasets)
        {
            Console.WriteLine($"{d.Dataset,-14}{d.Status,-20}{d.Read,8}{d.Rejected,10}{d.Unchanged,11}{d.Staged,9}{d.Accepted,10}{d.Failed,8}{d.Parts,8}{d.CompressedBytes,12}");
        }

        foreach (DatasetSummary d in s.Datasets.Where(d => d.SageTotals.Count > 0 || d.Reconciliation is not null))
        {
            Console.WriteLine();
            PrintReconciliation(d);
        }

        foreach (DatasetSummary d in s.Datasets.Where(d => d.Resent is { Count: > 0 }))
        {
            foreach (ResentRows r in d.Resent!)
            {
                Console.WriteLine($"{d.Dataset}: re-sent {r.Rows} row(s){(r.Periods is { Count: > 0 } p ? $" of {string.Join(", ", p)}" : string.Empty)} for run {r.FromRunId}: {r.Reason}");
            }
        }

        foreach (DatasetSummary d in s.Datasets.Where(d => d.Status is not (DatasetStatuses.Loaded or DatasetStatuses.NoChanges) || d.RejectionsBlob is not null))
        {
            Console.WriteLine($"{d.Dataset}: {d.Message}{(d.RejectionsBlob is null ? string.Empty : $" rejections: {d.RejectionsBlob}")}");
        }
    }

    /// <summary>Sage's totals, and Anaplan's only when they were read back from the model (never computed from what was sent).</summary>
    private static void PrintReconciliation(DatasetSummary d)
    {
        Reconciliation? r = d.Reconciliation;
        if (r is null || r.Status is ReconciliationStatuses.NotReconciled or ReconciliationStatuses.Failed)
        {
            Console.WriteLine($"Sage totals, {d.Dataset} ({r?.Reason ?? "not reconciled"}):");
            foreach (PeriodTotals sage in d.SageTotals)
            {
                Console.WriteLine($"  {sage.Period,-12} debit {Money(sage.Debit)}   credit {Money(sage.Credit)}   amount {Money(sage.Amount)}");
            }

            return;
        }

        Console.WriteLine($"Reconciliation, {d.Dataset}: {r.Status}; {r.CellsCompared} cell(s) read back from '{r.Export}', {r.Differences} difference(s) (Sage → Anaplan):");
        foreach (PeriodReconciliation p in r.Periods)
        {
            Console.WriteLine(d.Dataset == Datasets.GlActuals
                ? $"  {p.Period,-12} debit {Money(p.Sage.Debit)} → {Money(p.Anaplan.Debit)}   credit {Money(p.Sage.Credit)} → {Money(p.Anaplan.Credit)}   net {Money(p.Sage.Amount)} → {Money(p.Anaplan.Amount)}{(p.Matches ? string.Empty : "   DIFFERS")}"
                : $"  {p.Period,-12} amount {Money(p.Sage.Amount)} → {Money(p.Anaplan.Amount)}   invoices {p.Sage.Count:0} → {p.Anaplan.Count:0}{(p.Matches ? string.Empty : "   DIFFERS")}");
        }

        foreach (CellDifference c in r.FirstDifferences)
        {
            Console.WriteLine($"  differs: {c.Item} {c.Period} {c.LineItem}: Sage {Money(c.Sage)}, Anaplan '{c.Anaplan}'");
        }

        if (r.DifferencesBlob is not null)
        {
            Console.WriteLine($"  every difference: {r.DifferencesBlob}");
        }
    }

    private static string Money(decimal? value) => (value ?? 0m).ToString("#,##0.00", CultureInfo.InvariantCulture);
}
