using System.Globalization;
using System.Text.Json;
using Azure.Storage.Blobs.Specialized;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows.Dimensions;
using Connector.Orchestrations.ModelFit;
using Connector.Orchestrations.Sage100;
using Connector.Orchestrations.Storage;
using CsvHelper;
using Connector.Orchestrations.Telemetry;
using Microsoft.DurableTask;

namespace Connector.Orchestrations.Flows.Budgets;

/// <summary>
/// Reads the staged export in the shape the settings describe (<see cref="BudgetExportReader"/>: columns by name, the
/// version from a column or fixed by the view, one amount column or one per period, other columns ignored; numbers in
/// invariant culture, blank and zero values skipped), rejects lines with an unknown member, a bad or non-finite amount,
/// a period code outside the company's calendar or a cell the export lists twice (both lines; record and reason, in the
/// audit), and writes the proposed balanced entries: JSON lines in pages of a hundred for posting (read by index range),
/// and a CSV of all of them for people.
/// </summary>
public sealed class PlanBudgetEntriesActivity(ConnectionClients clients, ConnectorStorage storage, AuditStore audit, StepResultStore steps)
    : TaskActivity<PlanBudgetInput, BudgetPlan>
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public override async Task<BudgetPlan> RunAsync(TaskActivityContext context, PlanBudgetInput input)
        => await steps.RecordAsync(input.Run, StepKeys.Plan, await this.PlanAsync(input));

    private async Task<BudgetPlan> PlanAsync(PlanBudgetInput input)
    {
        ConnectionOptions connection = clients.Connection(input.Run.ConnectionId);
        SageFiscalCalendar calendar = await clients.Sage(input.Run.ConnectionId).GetFiscalCalendarAsync();
        AlignmentSnapshot snapshot = await AlignmentSnapshot.LoadAsync(storage.StagingContainer, input.SageSnapshotBlob);
        var periods = new PeriodCodec(PeriodSettings.Of(connection), calendar);
        var planner = new BudgetPlanner(
            connection.Id, periods, connection.Budgets.Grouping, connection.Budgets.SourceJournal, connection.Budgets.OffsetAccount, snapshot, calendar);

        long read = 0, blankOrZero = 0, otherVersion = 0, outsideRange = 0;
        await using var rejections = new RejectionSink(storage, audit, input.Run, Datasets.Budget);
        await using (Stream stream = await storage.StagingContainer.GetBlobClient(input.ExportBlob).OpenReadAsync())
        {
            await foreach (BudgetExportLine line in BudgetExportReader.ReadAsync(stream, connection.Budgets, periods, input.Version))
            {
                read++;
                switch (line.Kind)
                {
                    case BudgetAmountKind.Blank or BudgetAmountKind.Zero:
                        blankOrZero++;
                        continue;
                    case BudgetAmountKind.Invalid:
                        await rejections.RejectAsync(line.Record, line.ProblemField!, line.Problem!);
                        continue;
                }

                if (!string.Equals(line.Version, input.Version, StringComparison.OrdinalIgnoreCase))
                {
                    otherVersion++;
                    continue;
                }

                if (input.FiscalYear is not null && !InRange(periods, line.Period, input))
                {
                    outsideRange++;
                    continue;
                }

                if (planner.Add(line.Account, line.CostCenter, line.Period, input.Version, line.Amount, line.Line) is { } rejected)
                {
                    await rejections.RejectAsync(line.Record, rejected.Field, rejected.Reason);
                }
            }
        }

        // The refused lines are recorded before the entries are built: building can fail on the connection's settings
        // (an offset account Sage does not have), and the records of such a run must still be there to read and fix.
        foreach ((string record, string field, string reason) in planner.Retracted)
        {
            await rejections.RejectAsync(record, field, reason);
        }

        await rejections.CompleteAsync();
        IReadOnlyList<PlannedEntry> entries = planner.Build();
        string prefix = Datasets.RunBlob(input.Run, "budget/entries");
        await BudgetEntryPages.WriteAsync(storage.StagingContainer, prefix, entries);

        string csvBlob = Datasets.RunBlob(input.Run, "budget/proposed-entries.csv");
        await WriteProposedCsvAsync(storage, csvBlob, entries);
        ConnectorTelemetry.DatasetRecorded(input.Run.ConnectionId, Datasets.Budget, new Dictionary<string, long> { ["read"] = read, ["rejected"] = rejections.Count });
        return new BudgetPlan(
            prefix,
            csvBlob,
            entries.Count,
            read,
            entries.Sum(e => e.Lines.Count(l => l.SourceCell.Length > 0)),
            blankOrZero,
            otherVersion,
            outsideRange,
            rejections.Count,
            rejections.BlobName,
            entries.Sum(e => e.Debit),
            entries.Sum(e => e.Credit));
    }

    private static bool InRange(PeriodCodec periods, string period, PlanBudgetInput input)
        => periods.TryParse(period, out string year, out int number)
            && year == input.FiscalYear && number >= (input.FromPeriod ?? 1) && number <= (input.ToPeriod ?? 13);

    private static async Task WriteProposedCsvAsync(ConnectorStorage storage, string blobName, IReadOnlyList<PlannedEntry> entries)
    {
        await using Stream blob = await storage.StagingContainer.GetBlockBlobClient(blobName).OpenWriteAsync(overwrite: true);
        await using CsvWriter csv = CsvWriter.Create(blob, new CsvWriterOptions { FormatProvider = CultureInfo.InvariantCulture }, leaveOpen: true);
        csv.WriteRecord("ExternalId", "Entry", "Version", "FiscalYear", "Period", "PostingDate", "SourceJournal", "Account", "Debit", "Credit", "LineComment", "SourceCell", "SourceLine");
        foreach (PlannedEntry e in entries)
        {
            foreach (PlannedLine l in e.Lines)
            {
                // People open this file to review the proposal: text from Anaplan is neutralised against formulas.
                csv.WriteRecord(
                    e.ExternalId,
                    e.Index.ToString(CultureInfo.InvariantCulture),
                    SpreadsheetSafe.Text(e.Version),
                    e.FiscalYear,
                    e.Period.ToString("D2", CultureInfo.InvariantCulture),
                    e.PostingDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    e.SourceJournal,
                    SpreadsheetSafe.Text(l.Account),
                    l.Debit.ToString("0.00", CultureInfo.InvariantCulture),
                    l.Credit.ToString("0.00", CultureInfo.InvariantCulture),
                    SpreadsheetSafe.Text(l.Comment),
                    SpreadsheetSafe.Text(l.SourceCell),
                    l.SourceLine?.ToString(CultureInfo.InvariantCulture) ?? string.Empty);
            }
        }

        await csv.FlushAsync();
    }
}

/// <summary>
/// Posts a batch of proposed entries (a range of the plan's indexes, read from its blobs), each exactly once, one after
/// the other (Sage serializes writes per company). Sage has no idempotency key, so for each entry: an entry this run
/// already posted is taken from the journal record; otherwise its external id is looked up through the agent (unposted
/// entries, then history) and, if there, not posted again; otherwise the intent is recorded, the entry created and the
/// result recorded. The records, group marks and lookups of the whole batch are read first, several at a time, and the
/// intents written in one table transaction per hundred entries, so that only Sage's write and the result's record
/// are left per entry. A crash between Sage's write and the record is healed by the lookup when the batch runs again.
/// Validation errors are recorded with Sage's message and do not stop the other entries; a record lock (past the
/// client's retries) leaves the entry failed and the others go on, then the batch fails so the orchestration's durable
/// retry runs it again (what was posted is not posted twice); any other failure stops the batch there. The results,
/// one per entry, go to a blob, and the batch is recorded for the run (<see cref="StepKeys.PostBatch"/>) before it
/// returns or fails: only counts and the blob's name go back into the orchestration's history.
/// </summary>
public sealed class PostJournalBatchActivity(
    ConnectionClients clients,
    ConnectorStorage storage,
    JournalStore journal,
    AuditStore audit,
    StepResultStore steps,
    TimeProvider time,
    IJournalPostingObserver? observer = null)
    : TaskActivity<PostBatchInput, PostBatchResult>
{
    public override async Task<PostBatchResult> RunAsync(TaskActivityContext context, PostBatchInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await storage.EnsureCreatedOnceAsync();
        IReadOnlyList<PlannedEntry> entries = await BudgetEntryPages.ReadAsync(storage.StagingContainer, input.EntriesPrefix, input.EntriesPerPage, input.Start, input.Count);
        SageAgentClient sage = clients.Sage(input.Run.ConnectionId);
        var results = new List<EntryResult>(entries.Count);
        Exception? stopped = null;
        string? locked = null;
        using var cancel = new CancellationTokenSource();

        // What each entry needs to know (its record, its group's posted entry, the lookup in Sage) is read for the whole
        // batch first, a few reads at a time; then the intents of the entries to create go to the journal in one
        // transaction per hundred; then the entries are created one after the other (Sage serializes writes per company).
        Task<Known>[] reads = this.ReadAll(input.Run, sage, entries, cancel.Token);
        Known?[] known = new Known?[entries.Count];
        for (int i = 0; i < entries.Count && stopped is null; i++)
        {
            try
            {
                known[i] = await reads[i];
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancel.IsCancellationRequested)
            {
                // Sage or the table unavailable past the retries: no entry of the batch is attempted (the retry runs it again).
                stopped = ex;
            }
        }

        await cancel.CancelAsync();
        await Task.WhenAll(reads).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        if (stopped is null)
        {
            try
            {
                await this.RecordIntentsAsync(input.Run, entries, known);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                stopped = ex;
            }
        }

        for (int i = 0; i < entries.Count; i++)
        {
            PlannedEntry entry = entries[i];
            if (stopped is not null || known[i] is not { } read)
            {
                results.Add(Failed(entry, $"not attempted: the batch stopped before this entry ({stopped?.Message})"));
                continue;
            }

            try
            {
                results.Add(await this.PostAsync(input.Run, sage, entry, read));
            }
            catch (SageBusyException ex) when (ex.InnerException is SageAgentException { Code: SageAgentErrorCode.Locked })
            {
                // A lock on this entry: the others may go through.
                locked ??= ex.Message;
                results.Add(Failed(entry, ex.Message));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Sage unavailable past the client's retries, or something else: the rest of the batch would meet it too.
                stopped = ex;
                results.Add(Failed(entry, ex.Message));
            }
        }

        string blob = BudgetRunResults.BatchBlob(input.Run, input.Batch);
        await BudgetRunResults.WriteAsync(storage.StagingContainer, blob, results);
        var result = new PostBatchResult(
            input.Batch,
            input.Start,
            input.Count,
            results.GroupBy(r => r.Status).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            results.Count(r => IsProblem(r.Status)),
            blob);
        await steps.RecordAsync(input.Run, StepKeys.PostBatch(input.Batch), result);
        if (stopped is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(stopped);
        }

        return locked is null
            ? result
            : throw new SageBusyException($"{results.Count(r => r.Status == JournalStatuses.Failed)} entr(ies) of batch {input.Batch} met a record lock past the retries, e.g.: {locked}");
    }

    /// <summary>Gets a value indicating whether an entry in this status needs someone's attention (rejected, failed, held for review).</summary>
    internal static bool IsProblem(string status) => status is JournalStatuses.Rejected or JournalStatuses.Failed or JournalStatuses.NeedsReview;

    /// <summary>An entry that failed (not posted by this attempt, as far as the connector knows).</summary>
    internal static EntryResult Failed(PlannedEntry entry, string message)
        => new(entry.ExternalId, entry.GroupKey, entry.PeriodCode, JournalStatuses.Failed, null, null, entry.Debit, entry.Credit, message, entry.Lines.Count);

    /// <summary>
    /// What the connector knows of an entry before posting it: its journal record, the entry posted for its group, and
    /// the entry Sage holds with its external id (not asked when this run's record says it posted the entry).
    /// </summary>
    private sealed record Known(JournalRecord? Record, string? PostedForGroup, SageJournalEntry? InSage);

    /// <summary>How many entries of a batch are read at once (two table reads and one agent lookup each).</summary>
    private const int ParallelReads = 8;

    /// <summary>The most operations Azure Table storage takes in one transaction.</summary>
    private const int MaxTransaction = 100;

    private Task<Known>[] ReadAll(RunRef run, SageAgentClient sage, IReadOnlyList<PlannedEntry> entries, CancellationToken cancellationToken)
    {
        var gate = new SemaphoreSlim(ParallelReads);
        return [.. entries.Select(async entry =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                return await this.ReadAsync(run, sage, entry, cancellationToken);
            }
            finally
            {
                gate.Release();
            }
        })];
    }

    private async Task<Known> ReadAsync(RunRef run, SageAgentClient sage, PlannedEntry entry, CancellationToken cancellationToken)
    {
        Task<string?> group = journal.GetPostedForGroupAsync(run.ConnectionId, entry.GroupKey, cancellationToken);
        JournalRecord? record = await journal.GetAsync(run.ConnectionId, entry.ExternalId, cancellationToken);
        string? postedForGroup = await group;
        return PostedByThisRun(record, run)
            ? new Known(record, postedForGroup, null)
            : new Known(record, postedForGroup, await sage.FindJournalEntryAsync(entry.ExternalId, cancellationToken));
    }

    /// <summary>
    /// Records, before any of them is written to Sage, that this run is about to create the batch's entries that are
    /// to be created (<see cref="JournalStatuses.Posting"/>), a hundred to a transaction: if the worker dies after
    /// Sage's write, the next attempt finds the entry by its external id and the intent tells it this run posted it.
    /// An intent whose entry was never attempted changes nothing: the next attempt looks the entry up and creates it.
    /// </summary>
    private async Task RecordIntentsAsync(RunRef run, IReadOnlyList<PlannedEntry> entries, IReadOnlyList<Known?> known)
    {
        var intents = new List<JournalRecord>();
        for (int i = 0; i < entries.Count; i++)
        {
            if (known[i] is { } read && Decide(run, entries[i], read) is null)
            {
                intents.Add(this.Record(run, entries[i], JournalStatuses.Posting, null, null, null));
            }
        }

        foreach (JournalRecord[] chunk in intents.Chunk(MaxTransaction))
        {
            await journal.UpsertManyAsync(chunk);
        }
    }

    private static bool PostedByThisRun(JournalRecord? record, RunRef run)
        => record is { Status: JournalStatuses.Posted or JournalStatuses.AlreadyPosted } && record.RunId == run.RunId;

    /// <summary>What an entry's result is without writing it to Sage, or null when it is to be created.</summary>
    private sealed record Outcome(string Status, string? EntryNo, string? BatchNo, string? Message, bool MarkGroup, bool Recorded = false);

    private static Outcome? Decide(RunRef run, PlannedEntry entry, Known read)
    {
        JournalRecord? known = read.Record;
        if (PostedByThisRun(known, run))
        {
            // An earlier attempt of this run posted it and recorded Sage's entry number: nothing to ask Sage again.
            return new Outcome(known!.Status, known.EntryNo, known.BatchNo, known.Message, MarkGroup: false, Recorded: true);
        }

        if (read.InSage is { } existing)
        {
            // Posted by this run before a crash (the intent is ours and unfinished), or by an earlier run.
            string status = known is { Status: JournalStatuses.Posting } && known.RunId == run.RunId ? JournalStatuses.Posted : JournalStatuses.AlreadyPosted;
            return new Outcome(status, existing.EntryNo, existing.BatchNo, null, MarkGroup: true);
        }

        string? postedForGroup = read.PostedForGroup;
        if (postedForGroup is not null && postedForGroup != entry.ExternalId)
        {
            return new Outcome(
                JournalStatuses.NeedsReview, null, null,
                $"the approved values of {entry.GroupKey} changed after entry {postedForGroup} was posted for it; not posted, so the budget is not counted twice (reverse {postedForGroup} in Sage, then run again)",
                MarkGroup: false);
        }

        if (Math.Max(entry.Debit, entry.Credit) > SageLimits.MaxAmount)
        {
            // Every line fits Sage's amount field, but the entry's totals (and so its offset line) would not.
            return new Outcome(
                JournalStatuses.Rejected, null, null,
                $"the entry totals {entry.Debit.ToString("0.00", CultureInfo.InvariantCulture)}, more than Sage 100 stores in an amount ({SageLimits.MaxAmountText}); not posted (choose a finer grouping)",
                MarkGroup: false);
        }

        return null;
    }

    /// <summary>Posts an entry whose intent is recorded (<see cref="RecordIntentsAsync"/>), or records why it is not posted.</summary>
    private async Task<EntryResult> PostAsync(RunRef run, SageAgentClient sage, PlannedEntry entry, Known read)
    {
        if (Decide(run, entry, read) is { } outcome)
        {
            return outcome.Recorded
                ? new EntryResult(entry.ExternalId, entry.GroupKey, entry.PeriodCode, outcome.Status, outcome.EntryNo, outcome.BatchNo, entry.Debit, entry.Credit, outcome.Message, entry.Lines.Count)
                : await this.RecordAsync(run, entry, outcome.Status, outcome.EntryNo, outcome.BatchNo, outcome.Message, outcome.MarkGroup);
        }

        SageJournalEntryResult created;
        try
        {
            created = await sage.CreateJournalEntryAsync(new NewSageJournalEntry(
                entry.ExternalId,
                entry.SourceJournal,
                entry.PostingDate,
                [.. entry.Lines.Select(l => new NewSageJournalLine(l.Account, l.Debit, l.Credit, l.Comment))],
                entry.Comment));
        }
        catch (SageAgentException ex) when (ex.Code is SageAgentErrorCode.Validation or SageAgentErrorCode.Conflict or SageAgentErrorCode.BadRequest)
        {
            string where = ex.Line is { } line ? $" (line {line}: {entry.Lines.ElementAtOrDefault(line - 1)?.Account})" : ex.Field is null ? string.Empty : $" ({ex.Field})";
            return await this.RecordAsync(run, entry, JournalStatuses.Rejected, null, null, $"Sage refused the entry{where}: {ex.SageMessage ?? ex.Message}", markGroup: false);
        }
        catch (SageAgentException ex) when (ex.IsTransient)
        {
            throw new SageBusyException($"Sage was busy or unavailable posting {entry.ExternalId}: {ex.SageMessage ?? ex.Message}", ex);
        }

        observer?.AfterSageWrite(entry.ExternalId);
        bool ours = created.Created || (read.InSage is null && await this.StillOurIntentAsync(run, entry));
        return await this.RecordAsync(
            run, entry, ours ? JournalStatuses.Posted : JournalStatuses.AlreadyPosted, created.Entry.EntryNo, created.Entry.BatchNo, null, markGroup: true);
    }

    /// <summary>
    /// Whether an entry the agent answered "already there" (not created by this call) is still this run's own intent in
    /// the journal. Asked only then: the lookup before the write found the entry not in Sage and this run recorded its
    /// intent, so Sage having it now means either that the client sent the create again after the agent dropped the
    /// connection once Sage had written it (this run's own write), or that another run created it since (that run's
    /// intent, recorded before its write, replaced ours). Counted as posted by this run only in the first case.
    /// </summary>
    private async Task<bool> StillOurIntentAsync(RunRef run, PlannedEntry entry)
        => await journal.GetAsync(run.ConnectionId, entry.ExternalId) is { Status: JournalStatuses.Posting } record && record.RunId == run.RunId;

    private JournalRecord Record(RunRef run, PlannedEntry entry, string status, string? entryNo, string? batchNo, string? message)
        => new(
            run.ConnectionId,
            entry.ExternalId,
            status,
            run.RunId,
            entry.GroupKey,
            entry.Version,
            entry.PeriodCode,
            entryNo,
            batchNo,
            entry.Debit,
            entry.Credit,
            entry.Lines.Count,
            JsonSerializer.Serialize(entry.Lines.Where(l => l.SourceCell.Length > 0).Select(l => l.SourceCell)),
            message,
            time.GetUtcNow());

    private async Task<EntryResult> RecordAsync(RunRef run, PlannedEntry entry, string status, string? entryNo, string? batchNo, string? message, bool markGroup)
    {
        JournalRecord record = this.Record(run, entry, status, entryNo, batchNo, message);
        if (markGroup)
        {
            // The record and the group's mark in one transaction (one partition: the connection).
            await journal.UpsertPostedAsync(record);
        }
        else
        {
            await journal.UpsertAsync(record);
        }

        if (status is JournalStatuses.Rejected or JournalStatuses.NeedsReview)
        {
            await audit.WriteRecordsAsync(run.RunId, [CollectBudgetResultsActivity.AuditRow(entry.Index, entry.ExternalId, entry.GroupKey, message ?? status)]);
        }

        return new EntryResult(entry.ExternalId, entry.GroupKey, entry.PeriodCode, status, entryNo, batchNo, entry.Debit, entry.Credit, message, entry.Lines.Count);
    }
}

/// <summary>
/// Gathers a budgets run's results once posting is over: every planned entry's result, in plan order, into one blob
/// (<see cref="BudgetRunResults.RunBlob"/>) from the batches' blobs (the batch records of this attempt, or of an earlier
/// attempt for a batch a rewound run did not post again); an entry of a batch that failed without a result of this
/// attempt is reported failed with the batch's message. Writes an audit row per failed entry (rejected and held ones
/// were written when they happened). A dry run lists every entry as proposed. Returns the counts per status and the
/// first problem entries, which is all the run's summary carries.
/// </summary>
public sealed class CollectBudgetResultsActivity(ConnectorStorage storage, StepResultStore steps, AuditStore audit)
    : TaskActivity<CollectResultsInput, BudgetResultsDigest>
{
    /// <summary>The most problem entries a run's summary lists (the results blob has them all).</summary>
    public const int MaxProblemsInSummary = 20;

    public override async Task<BudgetResultsDigest> RunAsync(TaskActivityContext context, CollectResultsInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await storage.EnsureCreatedOnceAsync();
        BudgetPlan plan = input.Plan;
        IReadOnlyDictionary<string, RecordedStep> recorded = input.DryRun ? new Dictionary<string, RecordedStep>() : await steps.GetAsync(input.Run.RunId);
        var failed = input.FailedBatches.ToDictionary(f => f.Batch, f => f.Message);
        var all = new List<EntryResult>(plan.EntryCount);
        var failedAudit = new List<RecordAudit>();
        int size = Math.Max(1, input.BatchSize);
        for (int batch = 0, start = 0; start < plan.EntryCount; batch++, start += size)
        {
            int count = Math.Min(size, plan.EntryCount - start);
            IReadOnlyList<EntryResult> results = [];
            if (!input.DryRun
                && recorded.TryGetValue(StepKeys.PostBatch(batch), out RecordedStep? step)
                && step.Read<PostBatchResult>() is { } done
                && done.Start == start && done.Count == count
                && (!failed.ContainsKey(batch) || step.Attempt == input.Run.Attempt))
            {
                results = await BudgetRunResults.ReadAsync(storage.StagingContainer, done.ResultsBlob);
            }

            if (results.Count != count)
            {
                IReadOnlyList<PlannedEntry> entries = await BudgetEntryPages.ReadAsync(storage.StagingContainer, plan.EntriesPrefix, plan.EntriesPerPage, start, count);
                results = input.DryRun
                    ? [.. entries.Select(e => new EntryResult(e.ExternalId, e.GroupKey, e.PeriodCode, JournalStatuses.Proposed, null, null, e.Debit, e.Credit, null, e.Lines.Count))]
                    : [.. entries.Select(e => PostJournalBatchActivity.Failed(
                        e, failed.TryGetValue(batch, out string? why) ? why : "the batch recorded no result for this entry"))];
            }

            for (int i = 0; i < results.Count; i++)
            {
                if (results[i].Status == JournalStatuses.Failed)
                {
                    failedAudit.Add(AuditRow(start + i, results[i].ExternalId, results[i].GroupKey, results[i].Message ?? JournalStatuses.Failed));
                }
            }

            all.AddRange(results);
        }

        string blob = BudgetRunResults.RunBlob(input.Run);
        await BudgetRunResults.WriteAsync(storage.StagingContainer, blob, all);
        if (failedAudit.Count > 0)
        {
            await audit.WriteRecordsAsync(input.Run.RunId, failedAudit);
        }

        return new BudgetResultsDigest(
            blob,
            all.GroupBy(r => r.Status).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            [.. all.Where(r => PostJournalBatchActivity.IsProblem(r.Status)).Take(MaxProblemsInSummary)]);
    }

    /// <summary>The audit row of an entry that was rejected, failed or held (one per entry: its key is the entry's index).</summary>
    internal static RecordAudit AuditRow(int index, string externalId, string groupKey, string reason)
        => new(Datasets.Budget, RecordKinds.Failed, 1_000_000 + index, $"entry {externalId} ({groupKey})", null, reason, null);
}

/// <summary>Sage was locked or unavailable beyond the client's retries: the orchestration retries the activity later.</summary>
public sealed class SageBusyException : Exception
{
    public SageBusyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public SageBusyException(string message)
        : base(message)
    {
    }

    public SageBusyException()
    {
    }
}

/// <summary>A seam around the moment an entry exists in Sage but is not recorded yet (diagnostics; crash tests).</summary>
public interface IJournalPostingObserver
{
    /// <summary>Called after Sage accepted the entry and before the connector records it.</summary>
    void AfterSageWrite(string externalId);
}

