using System.Globalization;

namespace Connector.Orchestrations.Anaplan;

/// <summary>A workspace.</summary>
public sealed record AnaplanWorkspace(string Id, string Name, bool Active, long? SizeAllowance, long? CurrentSize);

/// <summary>A model. <see cref="ActiveState"/> is kept as text: UNLOCKED, ACTIVE, PRODUCTION, MAINTENANCE,
/// PRODUCTION_MAINTENANCE, LOCKED, ARCHIVED or a state Anaplan adds later.</summary>
public sealed record AnaplanModelInfo(string Id, string Name, string? ActiveState, string? CurrentWorkspaceId, bool? ModelTransactionRunning);

/// <summary>What <c>/models/{id}/status</c> says. <see cref="IsBusy"/> is true while an action runs.</summary>
public sealed record AnaplanModelStatus(string? CurrentStep, double? Progress, string? Tooltip)
{
    /// <summary>True when the model reports an action in progress (anything but "Open"/"Closed").</summary>
    public bool IsBusy => this.CurrentStep is { Length: > 0 } step
        && !step.Equals("Open", StringComparison.OrdinalIgnoreCase)
        && !step.Equals("Closed", StringComparison.OrdinalIgnoreCase);
}

/// <summary>A file of the model.</summary>
public sealed record AnaplanFile(string Id, string Name, int ChunkCount, string? Delimiter, string? Encoding, int? FirstDataRow, string? Format, int? HeaderRow, string? Separator);

/// <summary>An import. <see cref="ImportDataSourceId"/> is the file to upload before running it.</summary>
public sealed record AnaplanImport(string Id, string Name, string? ImportDataSourceId, string? ImportType);

/// <summary>An export. Its output file has the export's id.</summary>
public sealed record AnaplanExport(string Id, string Name, string? ExportType, string? ExportFormat, string? Encoding);

/// <summary>A process (a sequence of actions; not atomic).</summary>
public sealed record AnaplanProcess(string Id, string Name);

/// <summary>A list of the model (<c>GET .../lists</c>).</summary>
public sealed record AnaplanList(string Id, string Name);

/// <summary>A list's metadata (<c>GET .../lists/{id}</c>): <see cref="ItemCount"/> and the names of its properties.</summary>
public sealed record AnaplanListMetadata(string Id, string Name, long? ItemCount, IReadOnlyList<string> Properties);

/// <summary>A list item (<c>GET .../lists/{id}/items</c>); <see cref="Properties"/> come with <c>includeAll=true</c>.</summary>
public sealed record AnaplanListItem(string Id, string Name, string? Code, string? Parent, IReadOnlyDictionary<string, string> Properties);

/// <summary>An import's source description.</summary>
public sealed record AnaplanImportMetadata(
    string? Name, IReadOnlyList<string> HeaderNames, int ColumnCount, string? ColumnSeparator, string? TextDelimiter, int? HeaderRow, int? FirstDataRow, string? TextEncoding);

/// <summary>An export's output description.</summary>
public sealed record AnaplanExportMetadata(IReadOnlyList<string> HeaderNames, int ColumnCount, long? RowCount, string? Separator, string? Delimiter, string? Encoding, string? ExportFormat);

/// <summary>Which kind of action a task runs; it picks the URL segment.</summary>
public enum AnaplanActionType
{
    Import,
    Export,
    Process,
}

/// <summary>A task as Anaplan reports it. <see cref="State"/> may be a state this client does not know.</summary>
public sealed record AnaplanTaskInfo(string TaskId, AnaplanTaskState State, string? CurrentStep, double? Progress, DateTimeOffset? CreationTime, AnaplanTaskResult? Result);

/// <summary>One entry of a result's <c>details</c>: a message, a type and the flat key/value list.</summary>
public sealed record AnaplanResultDetail(string? LocalMessageText, string? Type, IReadOnlyDictionary<string, string> Values);

/// <summary>Row counts of an import, read from the <c>values</c> lists of its details.</summary>
public sealed record AnaplanRowCounts(long SuccessRowCount, long FailedCount, long IgnoredCount, long TotalRowCount);

/// <summary>The result of a finished task. COMPLETE does not mean successful: check <see cref="Successful"/>
/// and <see cref="FailureDumpAvailable"/>.</summary>
public sealed record AnaplanTaskResult(
    bool Successful, bool FailureDumpAvailable, string? ObjectId, IReadOnlyList<AnaplanResultDetail> Details, IReadOnlyList<AnaplanTaskResult> NestedResults)
{
    /// <summary>Import row counts (the first value of each key across the details; 0 when absent).</summary>
    public AnaplanRowCounts Counts => new(this.Count("successRowCount"), this.Count("failedCount"), this.Count("ignoredCount"), this.Count("totalRowCount"));

    /// <summary>The first value of <paramref name="key"/> in any detail, or null.</summary>
    public string? Value(string key) => this.Details.Select(d => d.Values.GetValueOrDefault(key)).FirstOrDefault(v => v is not null);

    private long Count(string key)
        => long.TryParse(this.Value(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) ? n : 0;
}

/// <summary>Result of a streamed upload.</summary>
public sealed record AnaplanUploadResult(string FileId, int ChunkCount, long UncompressedBytes, long CompressedBytes);

/// <summary>A failed row from a failure dump.</summary>
/// <param name="Line">The line of the source file (<c>_Line_</c>).</param>
/// <param name="Error">Why it failed (<c>_Error_1_</c>).</param>
/// <param name="Values">The data columns of the row, by header.</param>
public sealed record AnaplanFailedRow(long Line, string Error, IReadOnlyDictionary<string, string> Values);

/// <summary>A parsed failure dump: the data columns and the failed rows.</summary>
public sealed record AnaplanFailureDump(IReadOnlyList<string> Columns, IReadOnlyList<AnaplanFailedRow> Rows);
