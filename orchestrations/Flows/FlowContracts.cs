using Connector.Orchestrations.ModelFit;
using Connector.Orchestrations.Storage;

namespace Connector.Orchestrations.Flows;

// Everything that crosses an orchestration boundary is small: ids, blob names, counts and totals. Row data stays in
// Blob storage, so a run's history does not grow with the number of rows it moves.

/// <summary>
/// Which run of which connection, and which attempt of it: 1, then one more each time the run is rewound (a new
/// execution of the same run id that takes the recorded result of every step an earlier attempt finished).
/// </summary>
public sealed record RunRef(string ConnectionId, string RunId, int Attempt = 1);

/// <summary>A fiscal period of the Sage company.</summary>
public sealed record FiscalPeriodRef(string FiscalYear, int Period);

/// <summary>
/// Control totals of one period (Anaplan period code): GL rows carry Debit, Credit and Amount = net; AP rows carry
/// Amount = invoice amount and Count = invoice count.
/// </summary>
public sealed record PeriodTotals(string Period, long Rows, decimal Debit, decimal Credit, decimal Amount, decimal Count)
{
    public static PeriodTotals Empty(string period) => new(period, 0, 0m, 0m, 0m, 0m);

    public PeriodTotals Add(decimal debit, decimal credit, decimal amount, decimal count)
        => this with { Rows = this.Rows + 1, Debit = this.Debit + debit, Credit = this.Credit + credit, Amount = this.Amount + amount, Count = this.Count + count };
}

/// <summary>
/// What an extraction activity staged: the CSV parts and the numbers to reconcile against. <c>SentRowsBlob</c> holds
/// every row the incremental pull returned (key → hash), the candidate for "remembered as sent" once Anaplan accepted
/// them; <c>Resent</c> says which staged rows are there because an earlier run's load did not take them.
/// <c>RejectedRowsBlob</c> keeps the Sage rows the extraction refused, as Sage gave them, so they can be mapped again and
/// sent once the mapping is fixed (<see cref="Actuals.RejectedGlRow"/>).
/// </summary>
public sealed record DatasetManifest(
    string Dataset,
    StagedCsv Staged,
    long Read,
    long Rejected,
    IReadOnlyList<PeriodTotals> SageTotals,
    IReadOnlyList<PeriodTotals> StagedTotals,
    string? NextWatermark,
    string? RejectionsBlob,
    string? SentRowsBlob = null,
    long Unchanged = 0,
    IReadOnlyList<ResentRows>? Resent = null,
    string? RejectedRowsBlob = null)
{
    /// <summary>
    /// Gets where a GL extraction stopped when it staged one file of several (<see cref="Actuals.GlFiles"/>): the next file
    /// goes on from there; null when the extraction read to the end of the run's periods.
    /// </summary>
    public Actuals.GlResume? Resume { get; init; }

    /// <summary>
    /// Gets the files a GL extraction staged when it staged several, in order (each loaded by its own import); null for one
    /// file. The manifest itself then adds them up: its <c>Staged</c> reads every file's rows in turn.
    /// </summary>
    public IReadOnlyList<DatasetManifest>? Files { get; init; }
}

/// <summary>
/// Rows a run sends again because an earlier run's load did not get them into Anaplan: from which run, why, how many
/// rows, and (GL, which is re-sent by period) which periods.
/// </summary>
public sealed record ResentRows(string FromRunId, string Reason, long Rows, IReadOnlyList<string>? Periods = null);

/// <summary>A read-back export to run right after an import, inside the same model lock, and where to stage its file.</summary>
/// <param name="Setting">The setting that names the export, for error messages (<c>Actuals:ReadBack:GlExport</c>).</param>
/// <param name="Columns">The columns the export must have (the configured header names).</param>
/// <param name="ExportId">The export's id as this attempt of the run checked it (null: found by name when it runs).</param>
public sealed record ReadBackRequest(string ExportName, string Setting, IReadOnlyList<string> Columns, string BlobName, string? ExportId = null)
{
    /// <summary>This read-back with the export id the run's model check found for it (when the check saw this export).</summary>
    public ReadBackRequest Checked(ImportTarget? target)
        => target is { ReadBackExportId: { } id } && string.Equals(target.ReadBackExport, this.ExportName, StringComparison.OrdinalIgnoreCase)
            ? this with { ExportId = id }
            : this;
}

/// <summary>
/// Where one dataset loads, as this attempt of the run checked it before anything was uploaded: the import, the file it
/// reads, and the read-back export (name and id) when one is configured. Ids only: every attempt, and every run, checks
/// the model again rather than reuse them.
/// </summary>
public sealed record ImportTarget(string Dataset, string ImportName, string ImportId, string FileId, string? ReadBackExport = null, string? ReadBackExportId = null)
{
    /// <summary>The target of a dataset among <paramref name="targets"/>, or null.</summary>
    public static ImportTarget? Of(IReadOnlyList<ImportTarget>? targets, string dataset) => targets?.FirstOrDefault(t => t.Dataset == dataset);
}

/// <summary>
/// Input of <see cref="Anaplan.LoadDatasetOrchestrator"/>; <c>Layout</c> is the import's file as the run staged it;
/// <c>Target</c> is the import and file the run's model check found (null: the load checks them itself first).
/// </summary>
public sealed record LoadDatasetInput(
    RunRef Run, string Dataset, string ImportName, StagedCsv Staged, ReadBackRequest? ReadBack = null, DatasetLayout? Layout = null, ImportTarget? Target = null)
{
    /// <summary>
    /// Gets the name the load's steps are recorded under (its load, its task, the rows Anaplan refused): the dataset's, or
    /// one file's of a dataset staged in several (<c>gl-actuals:2</c>).
    /// </summary>
    public string? Step { get; init; }

    /// <summary>Gets the audit sequence after which the rows this load's import refuses are numbered (the rows earlier files of the dataset had refused).</summary>
    public long FailedBefore { get; init; }

    /// <summary>Gets the step name (<see cref="Step"/>, or the dataset).</summary>
    public string StepName => this.Step ?? this.Dataset;
}

/// <summary>
/// Outcome of loading one dataset into Anaplan. <c>RefusedKeysBlob</c> names the rows the failure dump listed (key →
/// Anaplan's error) and <c>RefusedRowsNamed</c> says whether the dump named every failed row; <c>ReadBackBlob</c> is
/// the read-back export taken right after the import (or <c>ReadBackError</c> says why there is none).
/// </summary>
public sealed record LoadDatasetResult(
    string Dataset,
    string ImportName,
    string? TaskId,
    string State,
    bool Successful,
    long Success,
    long Failed,
    long Ignored,
    long Total,
    IReadOnlyList<PeriodTotals> FailedTotals,
    string? Message,
    string? RefusedKeysBlob = null,
    bool RefusedRowsNamed = false,
    string? ReadBackBlob = null,
    string? ReadBackError = null);

/// <summary>Input of <see cref="Anaplan.RunExportOrchestrator"/>.</summary>
public sealed record RunExportInput(RunRef Run, string ExportName, string BlobName);

/// <summary>Outcome of running an export: where its file was staged.</summary>
public sealed record ExportResult(string ExportName, string? TaskId, string State, string? BlobName, long Bytes, IReadOnlyList<string> Header);

/// <summary>Progress shown as a run's custom status while it runs.</summary>
public sealed record RunProgress(string Step, string? Dataset, string? Detail);

/// <summary>Names of the datasets, as they appear in blob paths, audit rows and watermarks.</summary>
public static class Datasets
{
    public const string Accounts = "accounts";
    public const string CostCenters = "cost-centers";
    public const string Vendors = "vendors";
    public const string GlActuals = "gl-actuals";
    public const string ApActuals = "ap-actuals";
    public const string Dimensions = "dimensions";
    public const string Budget = "budget";

    /// <summary>Gets the CSV header of each dataset in the shipped model (the default layout; a run maps the connector's fields onto each import's own headers).</summary>
    public static IReadOnlyList<string> Header(string dataset) => dataset switch
    {
        Accounts => ["Code", "Name", "Type", "Group"],
        CostCenters => ["Code", "Name"],
        Vendors => ["Code", "Name", "Division", "Status"],
        GlActuals => ["Account", "Cost Center", "Period", "Debit", "Credit", "Net"],
        ApActuals => ["Vendor", "Period", "Invoice Amount", "Invoice Count"],
        _ => throw new ArgumentOutOfRangeException(nameof(dataset), dataset, "Not an uploaded dataset."),
    };

    /// <summary>Where everything a run stages lives (<c>runs/{connection}/{run}/</c>): the lifecycle rule's scope.</summary>
    public const string RunsPrefix = "runs/";

    /// <summary>Where what a connection remembers between runs lives (<c>state/...</c>): never expired by the lifecycle rule.</summary>
    public const string StatePrefix = "state/";

    /// <summary>Blob prefix of a dataset's staged parts.</summary>
    public static string StagingPrefix(RunRef run, string dataset) => $"{RunFolder(run.ConnectionId, run.RunId)}{dataset}";

    /// <summary>The name a dataset's blobs go by for one of its files (the dataset's own for the first, <c>gl-actuals-file2</c> for the second, ...).</summary>
    public static string FileName(string dataset, int file) => file <= 1 ? dataset : $"{dataset}-file{file.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>Blob name of a run-level artefact (snapshots, exports, rejections).</summary>
    public static string RunBlob(RunRef run, string name) => $"{RunFolder(run.ConnectionId, run.RunId)}{name}";

    /// <summary>The folder of everything a run staged (<c>runs/{connection}/{run}/</c>).</summary>
    public static string RunFolder(string connectionId, string runId) => $"{RunsPrefix}{BlobSafe(connectionId)}/{BlobSafe(runId)}/";

    /// <summary>
    /// Blob name of what a run leaves for the runs after it (the rows Anaplan accepted, the rows it still owes), which the
    /// connection's watermark names until a later run replaces it.
    /// </summary>
    public static string StateBlob(RunRef run, string name) => $"{StatePrefix}{BlobSafe(run.ConnectionId)}/{BlobSafe(run.RunId)}/{name}";

    /// <summary>The folder of what a run left for later runs (<c>state/{connection}/{run}/</c>).</summary>
    public static string StateFolder(string connectionId, string runId) => $"{StatePrefix}{BlobSafe(connectionId)}/{BlobSafe(runId)}/";

    /// <summary>A name made safe for a blob path segment (no ':' or '/', no spaces).</summary>
    public static string BlobSafeName(string value) => BlobSafe(value).Replace(' ', '-').ToLowerInvariant();

    private static string BlobSafe(string value) => value.Replace(':', '_').Replace('/', '_');
}
