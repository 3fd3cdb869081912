using System.Globalization;
using Azure.Storage.Blobs.Specialized;
using Connector.Orchestrations.Storage;
using Connector.Orchestrations.Telemetry;
using CsvHelper;

namespace Connector.Orchestrations.Flows;

/// <summary>
/// Where an activity puts the rows it refuses: each one becomes an audit row (written in batches) and a line of a
/// rejections CSV in the run's staging folder, with the record, the field and the reason. One file of a dataset staged in
/// several (<paramref name="file"/> 2 and on) numbers its audit rows after the earlier files' (<paramref name="sequenceBefore"/>)
/// and writes its own CSV.
/// </summary>
public sealed class RejectionSink(ConnectorStorage storage, AuditStore audit, RunRef run, string dataset, int file = 1, long sequenceBefore = 0) : IAsyncDisposable
{
    private const int BatchSize = 100;
    private readonly List<RecordAudit> pending = [];
    private Stream? blob;
    private CsvWriter? csv;

    /// <summary>Gets how many rows were rejected.</summary>
    public long Count { get; private set; }

    /// <summary>Gets the rejections CSV blob name, or null when nothing was rejected.</summary>
    public string? BlobName { get; private set; }

    public async Task RejectAsync(string record, string? field, string reason, CancellationToken cancellationToken = default)
    {
        this.Count++;
        ConnectorTelemetry.Rejected(run.ConnectionId, dataset);
        this.pending.Add(new RecordAudit(dataset, RecordKinds.Rejected, sequenceBefore + this.Count, record, field, reason, null));
        if (this.csv is null)
        {
            this.BlobName = Datasets.RunBlob(run, $"{Datasets.FileName(dataset, file)}-rejections.csv");
            this.blob = await storage.StagingContainer.GetBlockBlobClient(this.BlobName).OpenWriteAsync(overwrite: true, cancellationToken: cancellationToken);
            this.csv = CsvWriter.Create(this.blob, new CsvWriterOptions { FormatProvider = CultureInfo.InvariantCulture }, leaveOpen: true);
            this.csv.WriteRecord("Record", "Field", "Reason");
        }

        // A person opens this file: text a spreadsheet would run as a formula is neutralised (the audit keeps it as it is).
        this.csv.WriteRecord(SpreadsheetSafe.Text(record), SpreadsheetSafe.Text(field), SpreadsheetSafe.Text(reason));
        if (this.pending.Count >= BatchSize)
        {
            await this.FlushAsync(cancellationToken);
        }
    }

    /// <summary>Writes what is pending to the audit and closes the CSV.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        await this.FlushAsync(cancellationToken);
        if (this.csv is not null)
        {
            await this.csv.FlushAsync(cancellationToken);
            await this.csv.DisposeAsync();
            this.csv = null;
            await this.blob!.DisposeAsync();
            this.blob = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (this.csv is not null)
        {
            await this.csv.DisposeAsync();
        }

        if (this.blob is not null)
        {
            await this.blob.DisposeAsync();
        }
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (this.pending.Count > 0)
        {
            await audit.WriteRecordsAsync(run.RunId, [.. this.pending], cancellationToken);
            this.pending.Clear();
        }
    }
}
