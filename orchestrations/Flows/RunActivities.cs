using System.Text.Json;
using System.Text.Json.Serialization;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.ModelFit;
using Connector.Orchestrations.Scheduling;
using Connector.Orchestrations.Storage;
using Connector.Orchestrations.Telemetry;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Connector.Orchestrations.Flows;

/// <summary>Input of <see cref="BeginRunActivity"/>.</summary>
public sealed record BeginRunInput(RunRef Run, string Flow, string Trigger, DateTime StartedAt);

/// <summary>
/// What a run starts from: the connection's settings as they are now, and the results of the steps earlier attempts of
/// the run finished (none for a first attempt).
/// </summary>
public sealed record RunStart(ConnectionOptions Connection, IReadOnlyDictionary<string, RecordedStep> Steps)
{
    /// <summary>
    /// Gets how many accounts the connection's last actuals alignment refused (null: none recorded, or not an actuals
    /// run): GL is staged before the alignment is built only when it refused none.
    /// </summary>
    public int? RefusedLastRun { get; init; }
}

/// <summary>Input of <see cref="CompleteRunActivity"/>: the run's final status and its summary (JSON) for the audit.</summary>
public sealed record CompleteRunInput(RunRef Run, string Flow, string Trigger, string Status, DateTime StartedAt, DateTime FinishedAt, string SummaryJson);

/// <summary>Input of <see cref="FailRunActivity"/>: a run whose orchestrator threw, and why.</summary>
public sealed record FailRunInput(RunRef Run, string Flow, DateTime FailedAt, string Cause);

/// <summary>Input of <see cref="RecordDatasetActivity"/>.</summary>
public sealed record RecordDatasetInput(RunRef Run, string Dataset, string Status, IReadOnlyDictionary<string, long> Counts, IReadOnlyDictionary<string, string> Details);

/// <summary>
/// Input of <see cref="CommitWatermarkActivity"/>, after a load has ended (however it ended). Incremental datasets pass
/// the watermark, the rows the pull returned (<c>SentRowsBlob</c>), what was staged and how the load went
/// (<see cref="LoadOutcomes"/>; for <c>Refused</c>, the refused rows by key) and the layout the rows were staged in (its
/// signature is kept with the watermark: a later run with another layout sends everything again). GL passes the codes of
/// the periods it sent (<c>SentPeriods</c>) and those of them it must send again (<c>PendingPeriods</c>).
/// </summary>
public sealed record CommitWatermarkInput(
    RunRef Run,
    string Dataset,
    string? Value,
    DateTime At,
    string? SentRowsBlob = null,
    string Outcome = LoadOutcomes.Loaded,
    string? Reason = null,
    StagedCsv? Staged = null,
    string? RefusedKeysBlob = null,
    IReadOnlyList<string>? SentPeriods = null,
    IReadOnlyList<PendingPeriod>? PendingPeriods = null,
    DatasetLayout? Layout = null);

/// <summary>What a commit left for the next run: rows (incremental) or periods (GL) to send again.</summary>
public sealed record CommitResult(long PendingRows, int PendingPeriods);

/// <summary>How a load ended, for what the connector remembers as sent.</summary>
public static class LoadOutcomes
{
    /// <summary>Anaplan took every staged row (or nothing needed sending).</summary>
    public const string Loaded = "Loaded";

    /// <summary>The import completed, and its failure dump names the rows Anaplan refused.</summary>
    public const string Refused = "Refused";

    /// <summary>Nothing can be counted as loaded: the import failed, never ran, or refused rows the dump does not name.</summary>
    public const string Failed = "Failed";

    /// <summary>How a refused row's reason starts (the rest is Anaplan's error for that row).</summary>
    public const string RefusedPrefix = "Anaplan refused the row";
}

/// <summary>A seam around the moment a load has ended and its outcome is not committed yet (crash tests).</summary>
public interface IWatermarkCommitObserver
{
    /// <summary>Called before the commit of <paramref name="dataset"/> for <paramref name="run"/> is written.</summary>
    void BeforeCommit(RunRef run, string dataset);
}

/// <summary>
/// Opens a run (or an attempt of it): writes its audit row and returns the connection's settings as they are now, with
/// the results every earlier attempt of the run recorded. The orchestration works from this snapshot (recorded in its
/// history), so a configuration change never alters a run half-way, and a resumed run skips what is already done.
/// </summary>
public sealed class BeginRunActivity(
    ConnectionClients clients, ConnectorStorage storage, AuditStore audit, StepResultStore steps, ConnectionStateStore state, ILogger<BeginRunActivity> logger)
    : TaskActivity<BeginRunInput, RunStart>
{
    public override async Task<RunStart> RunAsync(TaskActivityContext context, BeginRunInput input)
    {
        ConnectionOptions connection = clients.Connection(input.Run.ConnectionId);
        await storage.EnsureCreatedOnceAsync();
        IReadOnlyDictionary<string, RecordedStep> recorded = input.Run.Attempt > 1 ? await steps.GetAsync(input.Run.RunId) : new Dictionary<string, RecordedStep>();
        RunAudit? before = input.Run.Attempt > 1 ? await audit.GetRunAsync(input.Run.ConnectionId, input.Run.RunId) : null;
        await audit.UpsertRunAsync(new RunAudit(
            input.Run.ConnectionId,
            input.Run.RunId,
            input.Flow,
            input.Trigger,
            RunStatuses.Running,
            before?.StartedAt ?? new DateTimeOffset(input.StartedAt, TimeSpan.Zero),
            null,
            null,
            null) { Attempt = input.Run.Attempt });
        return new RunStart(connection, recorded) { RefusedLastRun = input.Flow == ScheduleEvaluator.Flows.Actuals ? await this.RefusedLastRunAsync(input.Run.ConnectionId) : null };
    }

    private async Task<int?> RefusedLastRunAsync(string connectionId)
    {
        try
        {
            return await state.GetRefusedByAnaplanAsync(connectionId);
        }
        catch (Exception ex) when (StorageFailure.Is(ex))
        {
            Logs.ConnectionStateUnavailable(logger, ex, connectionId, StorageFailure.Status(ex));
            return null;
        }
    }
}

/// <summary>Closes a run's audit row with its status and summary, and reports the run's end (the alerts' signal).</summary>
public sealed class CompleteRunActivity(AuditStore audit, ILogger<CompleteRunActivity> logger) : TaskActivity<CompleteRunInput, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, CompleteRunInput input)
    {
        await audit.UpsertRunAsync(new RunAudit(
            input.Run.ConnectionId,
            input.Run.RunId,
            input.Flow,
            input.Trigger,
            input.Status,
            new DateTimeOffset(input.StartedAt, TimeSpan.Zero),
            new DateTimeOffset(input.FinishedAt, TimeSpan.Zero),
            input.SummaryJson,
            null) { Attempt = input.Run.Attempt });
        ConnectorTelemetry.RunEnded(logger, input.Flow, input.Run.ConnectionId, input.Run.RunId, input.Status);
        return true;
    }
}

/// <summary>
/// Closes the audit row of a run whose orchestrator threw: <c>Failed</c>, when, and the cause; and reports the run's end
/// (the alerts' signal, once). The orchestrator calls it and then lets the exception end the run.
/// </summary>
public sealed class FailRunActivity(ConnectorStorage storage, AuditStore audit, ILogger<FailRunActivity> logger) : TaskActivity<FailRunInput, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, FailRunInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await storage.EnsureCreatedOnceAsync();
        await audit.EndRunAsync(input.Run.ConnectionId, input.Run.RunId, RunStatuses.Failed, new DateTimeOffset(input.FailedAt, TimeSpan.Zero), input.Cause);
        ConnectorTelemetry.RunEnded(logger, input.Flow, input.Run.ConnectionId, input.Run.RunId, RunStatuses.Failed);
        return true;
    }
}

/// <summary>Writes one dataset's audit row (counts and details).</summary>
public sealed class RecordDatasetActivity(AuditStore audit) : TaskActivity<RecordDatasetInput, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, RecordDatasetInput input)
    {
        await audit.UpsertDatasetAsync(new DatasetAudit(input.Run.ConnectionId, input.Run.RunId, input.Dataset, input.Status, input.Counts, input.Details));
        ConnectorTelemetry.DatasetRecorded(input.Run.ConnectionId, input.Dataset, input.Counts);
        return true;
    }
}

/// <summary>
/// Records what a load got into Anaplan, once it has ended. The rule: a row is remembered as sent only once Anaplan
/// accepted it. Incremental datasets: the watermark moves to the pull's; the rows remembered as sent are the rows the
/// pull returned minus those Anaplan did not take; the rows it did not take (every staged row of a failed load, the
/// refused ones of a partial load) are kept, with their content and the reason, for the next run to send again. GL: the
/// periods of a failed or partial load are kept for the next run; periods this run sent fully are cleared.
/// </summary>
public sealed class CommitWatermarkActivity(WatermarkStore watermarks, ConnectorStorage storage, StepResultStore steps, IWatermarkCommitObserver? observer = null)
    : TaskActivity<CommitWatermarkInput, CommitResult>
{
    public override async Task<CommitResult> RunAsync(TaskActivityContext context, CommitWatermarkInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return await steps.RecordAsync(input.Run, StepKeys.Commit(input.Dataset), await this.CommitAsync(input));
    }

    private async Task<CommitResult> CommitAsync(CommitWatermarkInput input)
    {
        observer?.BeforeCommit(input.Run, input.Dataset);
        DateTimeOffset at = new(input.At, TimeSpan.Zero);
        if (input.Value is null)
        {
            Watermark? before = await watermarks.GetAsync(input.Run.ConnectionId, input.Dataset);
            var sent = new HashSet<string>(input.SentPeriods ?? [], StringComparer.OrdinalIgnoreCase);
            List<PendingPeriod> pending = [.. (before?.PendingPeriods ?? []).Where(p => !sent.Contains(p.PeriodCode)), .. input.PendingPeriods ?? []];
            await watermarks.SetPendingPeriodsAsync(input.Run.ConnectionId, input.Dataset, pending, input.Run.RunId, at);
            return new CommitResult(0, pending.Count);
        }

        var accepted = await SentRows.ReadAsync(storage.StagingContainer, input.SentRowsBlob);
        var pendingRows = new List<PendingRow>();
        DatasetLayout layout = input.Layout ?? DatasetLayout.Default(input.Dataset);
        if (input.Outcome != LoadOutcomes.Loaded && input.Staged is { } staged)
        {
            var rows = new List<(string Key, string[] Fields)>();
            await foreach (string[] row in StagedCsvReader.ReadAsync(storage, staged))
            {
                rows.Add((layout.Key(row), row));
            }

            Dictionary<string, string>? refused = input.Outcome == LoadOutcomes.Refused
                ? await SentRows.ReadAsync(storage.StagingContainer, input.RefusedKeysBlob) ?? []
                : null;
            string reason = input.Reason ?? "the load failed";
            var stagedKeys = rows.Select(r => r.Key).ToHashSet(StringComparer.Ordinal);
            if (refused is not null && !refused.Keys.All(stagedKeys.Contains))
            {
                // The dump names a row this run did not stage as such: nothing can be counted as taken.
                reason = $"Anaplan's failure dump names rows that do not match the staged ones ({refused.Count} refused); the whole load is sent again";
                refused = null;
            }

            foreach ((string key, string[] fields) in rows)
            {
                string? error = null;
                if (refused is not null && !refused.TryGetValue(key, out error))
                {
                    continue; // Anaplan took this row
                }

                accepted?.Remove(key);
                pendingRows.Add(new PendingRow(key, fields, input.Run.RunId, error is null ? reason : $"{LoadOutcomes.RefusedPrefix}: {error}"));
            }
        }

        string? acceptedBlob = accepted is null
            ? null
            : await SentRows.WriteAsync(storage.StagingContainer, Datasets.StateBlob(input.Run, $"{input.Dataset}-accepted.json"), accepted);
        string? pendingBlob = await PendingRows.WriteAsync(storage.StagingContainer, Datasets.StateBlob(input.Run, $"{input.Dataset}-pending.json"), pendingRows);
        await watermarks.CommitAsync(input.Run.ConnectionId, input.Dataset, input.Value, input.Run.RunId, at, acceptedBlob, pendingBlob, pendingRows.Count, layout.Signature);
        return new CommitResult(pendingRows.Count, 0);
    }
}

/// <summary>Run statuses shown in the audit and the run summary.</summary>
public static class RunStatuses
{
    public const string Running = "Running";
    public const string Completed = "Completed";
    public const string CompletedWithRejections = "CompletedWithRejections";
    public const string CompletedWithFailures = "CompletedWithFailures";

    /// <summary>Everything loaded, but the values read back from Anaplan differ from Sage's (listed in the summary and the audit).</summary>
    public const string CompletedWithDifferences = "CompletedWithDifferences";
    public const string Failed = "Failed";
    public const string Terminated = "Terminated";
    public const string DryRun = "DryRun";
}

/// <summary>JSON settings for summaries stored in the audit.</summary>
public static class SummaryJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);
}

/// <summary>Anaplan period codes of the first format (<c>{year}</c>, <c>{period}</c>), for runs started before <see cref="PeriodCodec"/>.</summary>
public static class PeriodCodes
{
    /// <summary>Formats a period with a <c>PeriodFormat</c> of <c>{year}</c> and <c>{period}</c> ("FY{year}-P{period}" → "FY2026-P03").</summary>
    public static string Format(string format, string fiscalYear, int period)
        => format.Replace("{year}", fiscalYear, StringComparison.Ordinal)
            .Replace("{period}", period.ToString("D2", System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
}
