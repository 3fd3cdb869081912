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
/// audit), and writes the proposed balanced
/// entries: one blob per entry for posting, and a CSV of all of them for people.
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
        foreach (PlannedEntry entry in entries)
        {
            await storage.StagingContainer.GetBlobClient($"{prefix}/{entry.Index:D5}.json").UploadAsync(BinaryData.FromObjectAsJson(entry, Json), overwrite: true);
        }

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
            entries.Sum(e => e.Credit),
            [.. entries.Select(e => new EntrySummary(e.ExternalId, e.GroupKey, e.PeriodCode, e.Lines.Count, e.Debit, e.Credit))]);
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
/// Posts one proposed entry exactly once. Sage has no idempotency key, so: look the external id up through the agent
/// (unposted entries, then history); if it is there, it is not posted again. Otherwise record the intent, create it,
/// record the result. A crash between Sage's write and the record is healed by the lookup on the retry. Validation
/// errors are recorded with Sage's message and do not stop other entries; locks are retried (the client's backoff,
/// then the orchestration's durable retry policy).
/// </summary>
public sealed class PostJournalEntryActivity(
    ConnectionClients clients, ConnectorStorage storage, JournalStore journal, AuditStore audit, TimeProvider time, IJournalPostingObserver? observer = null)
    : TaskActivity<PostEntryInput, EntryResult>
{
    public override async Task<EntryResult> RunAsync(TaskActivityContext context, PostEntryInput input)
    {
        PlannedEntry entry = (await storage.StagingContainer.GetBlobClient($"{input.EntriesPrefix}/{input.Index:D5}.json").DownloadContentAsync())
            .Value.Content.ToObjectFromJson<PlannedEntry>(PlanBudgetEntriesActivity.Json)!;
        SageAgentClient sage = clients.Sage(input.Run.ConnectionId);
        JournalRecord? known = await journal.GetAsync(input.Run.ConnectionId, entry.ExternalId);
        if (known is { Status: JournalStatuses.Posted or JournalStatuses.AlreadyPosted } && known.RunId == input.Run.RunId)
        {
            // An earlier attempt of this run posted it and recorded Sage's entry number: nothing to ask Sage again.
            return new EntryResult(entry.ExternalId, entry.GroupKey, entry.PeriodCode, known.Status, known.EntryNo, known.BatchNo, entry.Debit, entry.Credit, known.Message);
        }

        SageJournalEntry? existing = await sage.FindJournalEntryAsync(entry.ExternalId);
        if (existing is not null)
        {
            // Posted by this run before a crash (the intent is ours and unfinished), or by an earlier run.
            string status = known is { Status: JournalStatuses.Posting } && known.RunId == input.Run.RunId ? JournalStatuses.Posted : JournalStatuses.AlreadyPosted;
            return await this.RecordAsync(input.Run, entry, status, existing.EntryNo, existing.BatchNo, null, markGroup: true);
        }

        string? postedForGroup = await journal.GetPostedForGroupAsync(input.Run.ConnectionId, entry.GroupKey);
        if (postedForGroup is not null && postedForGroup != entry.ExternalId)
        {
            return await this.RecordAsync(
                input.Run, entry, JournalStatuses.NeedsReview, null, null,
                $"the approved values of {entry.GroupKey} changed after entry {postedForGroup} was posted for it; not posted, so the budget is not counted twice (reverse {postedForGroup} in Sage, then run again)",
                markGroup: false);
        }

        if (Math.Max(entry.Debit, entry.Credit) > SageLimits.MaxAmount)
        {
            // Every line fits Sage's amount field, but the entry's totals (and so its offset line) would not.
            return await this.RecordAsync(
                input.Run, entry, JournalStatuses.Rejected, null, null,
                $"the entry totals {entry.Debit.ToString("0.00", CultureInfo.InvariantCulture)}, more than Sage 100 stores in an amount ({SageLimits.MaxAmountText}); not posted (choose a finer grouping)",
                markGroup: false);
        }

        await this.RecordAsync(input.Run, entry, JournalStatuses.Posting, null, null, null, markGroup: false);
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
            return await this.RecordAsync(input.Run, entry, JournalStatuses.Rejected, null, null, $"Sage refused the entry{where}: {ex.SageMessage ?? ex.Message}", markGroup: false);
        }
        catch (SageAgentException ex) when (ex.IsTransient)
        {
            throw new SageBusyException($"Sage was busy or unavailable posting {entry.ExternalId}: {ex.SageMessage ?? ex.Message}", ex);
        }

        observer?.AfterSageWrite(entry.ExternalId);
        return await this.RecordAsync(
            input.Run, entry, created.Created ? JournalStatuses.Posted : JournalStatuses.AlreadyPosted, created.Entry.EntryNo, created.Entry.BatchNo, null, markGroup: true);
    }

    private async Task<EntryResult> RecordAsync(RunRef run, PlannedEntry entry, string status, string? entryNo, string? batchNo, string? message, bool markGroup)
    {
        await storage.EnsureCreatedOnceAsync();
        await journal.UpsertAsync(new JournalRecord(
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
            time.GetUtcNow()));
        if (markGroup)
        {
            await journal.SetPostedForGroupAsync(run.ConnectionId, entry.GroupKey, entry.ExternalId);
        }

        if (status is JournalStatuses.Rejected or JournalStatuses.NeedsReview)
        {
            await audit.WriteRecordsAsync(run.RunId, [new RecordAudit(Datasets.Budget, RecordKinds.Failed, 1_000_000 + entry.Index, $"entry {entry.ExternalId} ({entry.GroupKey})", null, message ?? status, null)]);
        }

        return new EntryResult(entry.ExternalId, entry.GroupKey, entry.PeriodCode, status, entryNo, batchNo, entry.Debit, entry.Credit, message);
    }
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
