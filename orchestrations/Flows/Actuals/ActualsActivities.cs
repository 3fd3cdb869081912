using System.Globalization;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows.Dimensions;
using Connector.Orchestrations.Sage100;
using Connector.Orchestrations.Storage;
using Microsoft.DurableTask;

namespace Connector.Orchestrations.Flows.Actuals;

/// <summary>
/// Decides which fiscal periods a run sends, from the company's own calendar: a requested range (checked against the
/// calendar), or the current period and the configured number of prior periods, across a year end if need be.
/// </summary>
public sealed class ResolvePeriodsActivity(ConnectionClients clients) : TaskActivity<ResolvePeriodsInput, ResolvedPeriods>
{
    public override async Task<ResolvedPeriods> RunAsync(TaskActivityContext context, ResolvePeriodsInput input)
    {
        SageFiscalCalendar calendar = await clients.Sage(input.Run.ConnectionId).GetFiscalCalendarAsync();
        var all = calendar.Years.OrderBy(y => y.BeginDate)
            .SelectMany(y => y.Periods.OrderBy(p => p.Period).Select(p => new FiscalPeriodRef(y.FiscalYear, p.Period)))
            .ToList();

        if (input.FiscalYear is { } year)
        {
            SageFiscalYear fiscalYear = calendar.Years.FirstOrDefault(y => y.FiscalYear == year)
                ?? throw new ArgumentException($"Fiscal year {year} is not in the company's calendar (it has {string.Join(", ", calendar.Years.Select(y => y.FiscalYear))}).");
            int last = fiscalYear.Periods.Max(p => p.Period);
            int from = input.FromPeriod ?? 1, to = input.ToPeriod ?? last;
            if (from < 1 || to > last || from > to)
            {
                throw new ArgumentException($"Periods {from}–{to} are not a range of fiscal year {year}, which has periods 1–{last}.");
            }

            return new ResolvedPeriods([.. all.Where(p => p.FiscalYear == year && p.Period >= from && p.Period <= to)], calendar.CurrentFiscalYear, calendar.CurrentPeriod);
        }

        int current = all.FindIndex(p => p.FiscalYear == calendar.CurrentFiscalYear && p.Period == calendar.CurrentPeriod);
        if (current < 0)
        {
            throw new ConnectorConfigurationException($"The current period {calendar.CurrentFiscalYear}-{calendar.CurrentPeriod} is not in the company's calendar.");
        }

        int first = Math.Max(0, current - input.PriorPeriods);
        return new ResolvedPeriods(all.GetRange(first, current - first + 1), calendar.CurrentFiscalYear, calendar.CurrentPeriod);
    }
}

/// <summary>
/// Streams GL period balances for the run's periods from the agent straight into gzip CSV parts in Blob storage, one
/// part per Anaplan chunk. Rows whose account or cost centre is not valid on both sides are not staged: they go to the
/// rejections with the record and the reason. Returns a small manifest with the Sage and staged control totals.
/// </summary>
public sealed class ExtractGlActualsActivity(ConnectionClients clients, ConnectorStorage storage, AuditStore audit)
    : TaskActivity<ExtractInput, DatasetManifest>
{
    public override async Task<DatasetManifest> RunAsync(TaskActivityContext context, ExtractInput input)
    {
        ConnectionOptions connection = clients.Connection(input.Run.ConnectionId);
        SageAgentClient sage = clients.Sage(input.Run.ConnectionId);
        AlignmentSnapshot snapshot = await AlignmentSnapshot.LoadAsync(storage.StagingContainer, input.AlignmentBlob);
        Dictionary<string, AccountAlignment> accounts = snapshot.BySageAccount();
        var wanted = input.Periods.ToHashSet();
        var sageTotals = new Totals();
        var stagedTotals = new Totals();
        var cells = snapshot.RequiresAggregation ? new Dictionary<(string, string, string), (decimal Debit, decimal Credit, decimal Net)>() : null;
        long read = 0;

        await using var rejections = new RejectionSink(storage, audit, input.Run, Datasets.GlActuals);
        await using var writer = new CsvPartWriter(
            storage.StagingContainer, Datasets.StagingPrefix(input.Run, Datasets.GlActuals), Datasets.GlActuals,
            Datasets.Header(Datasets.GlActuals), connection.Anaplan.ChunkSizeMb * 1024L * 1024L);

        foreach (IGrouping<string, FiscalPeriodRef> year in input.Periods.GroupBy(p => p.FiscalYear))
        {
            await foreach (SagePeriodBalance row in sage.GetPeriodBalancesAsync(year.Key, year.Min(p => p.Period), year.Max(p => p.Period)))
            {
                if (!wanted.Contains(new FiscalPeriodRef(row.FiscalYear, row.FiscalPeriod)))
                {
                    continue;
                }

                read++;
                string period = PeriodCodes.Format(connection.PeriodFormat, row.FiscalYear, row.FiscalPeriod);
                sageTotals.Add(period, row.Debit, row.Credit, row.Net, 0m);
                string record = $"{row.Account} / {period}";
                if (!accounts.TryGetValue(row.Account.Trim(), out AccountAlignment? a))
                {
                    await rejections.RejectAsync(record, "Account", $"account '{row.Account}' was not in the chart of accounts read at the start of the run");
                    continue;
                }

                if (!a.Valid)
                {
                    await rejections.RejectAsync(record, a.Field, a.Reason ?? "not valid on both sides");
                    continue;
                }

                stagedTotals.Add(period, row.Debit, row.Credit, row.Net, 0m);
                if (cells is not null)
                {
                    (string, string, string) key = (a.Account, a.CostCenter, period);
                    (decimal d, decimal c, decimal n) = cells.GetValueOrDefault(key);
                    cells[key] = (d + row.Debit, c + row.Credit, n + row.Net);
                }
                else
                {
                    await writer.WriteRowAsync([a.Account, a.CostCenter, period, Money(row.Debit), Money(row.Credit), Money(row.Net)]);
                }
            }
        }

        if (cells is not null)
        {
            // Mapping overrides send several Sage accounts to one Anaplan cell: the cell gets their sum, not the last one.
            foreach (((string account, string costCenter, string period), (decimal debit, decimal credit, decimal net)) in cells.OrderBy(c => c.Key))
            {
                await writer.WriteRowAsync([account, costCenter, period, Money(debit), Money(credit), Money(net)]);
            }
        }

        StagedCsv staged = await writer.CompleteAsync();
        await rejections.CompleteAsync();
        return new DatasetManifest(Datasets.GlActuals, staged, read, rejections.Count, sageTotals.ToList(), stagedTotals.ToList(), null, rejections.BlobName);
    }

    internal static string Money(decimal value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// Pulls AP invoice totals changed since the committed watermark (minus the overlap) and stages them: full
/// recomputed totals per vendor and invoice period, so the import replaces the cells. The next watermark is returned,
/// not committed: the orchestration commits it once the import has completed.
/// </summary>
public sealed class ExtractApActualsActivity(ConnectionClients clients, ConnectorStorage storage, WatermarkStore watermarks)
    : TaskActivity<ExtractInput, DatasetManifest>
{
    public override async Task<DatasetManifest> RunAsync(TaskActivityContext context, ExtractInput input)
    {
        await using IncrementalStaging staging = await IncrementalStaging.OpenAsync(clients, storage, watermarks, input, Datasets.ApActuals);
        SageChangeFeed<SageInvoiceTotal> feed = clients.Sage(input.Run.ConnectionId).GetInvoiceTotalsAsync(staging.ChangedSince, staging.Overlap);
        var totals = new Totals();
        await foreach (SageInvoiceTotal row in feed)
        {
            string period = PeriodCodes.Format(staging.Connection.PeriodFormat, row.FiscalYear, row.FiscalPeriod);
            string[] fields = [row.VendorKey, period, ExtractGlActualsActivity.Money(row.InvoiceAmount), row.InvoiceCount.ToString(CultureInfo.InvariantCulture)];
            if (await staging.StageIfChangedAsync($"{row.VendorKey}|{period}", fields))
            {
                totals.Add(period, 0m, 0m, row.InvoiceAmount, row.InvoiceCount);
            }
        }

        return await staging.CompleteAsync(feed.Watermark, totals.ToList());
    }
}

/// <summary>Pulls vendors changed since the committed watermark (minus the overlap) and stages them for the Vendors list.</summary>
public sealed class ExtractVendorsActivity(ConnectionClients clients, ConnectorStorage storage, WatermarkStore watermarks)
    : TaskActivity<ExtractInput, DatasetManifest>
{
    public override async Task<DatasetManifest> RunAsync(TaskActivityContext context, ExtractInput input)
    {
        await using IncrementalStaging staging = await IncrementalStaging.OpenAsync(clients, storage, watermarks, input, Datasets.Vendors);
        SageChangeFeed<SageVendor> feed = clients.Sage(input.Run.ConnectionId).GetVendorsAsync(staging.ChangedSince, staging.Overlap);
        await foreach (SageVendor vendor in feed)
        {
            await staging.StageIfChangedAsync(vendor.VendorKey, [vendor.VendorKey, vendor.Name.Trim(), vendor.DivisionNo, vendor.Status]);
        }

        return await staging.CompleteAsync(feed.Watermark, []);
    }
}

/// <summary>
/// What the incremental extractions share: the committed watermark (none on a full resync), the rows the last run
/// loaded (so the overlap re-reads nothing twice), the staging writer, and the manifest with the next watermark.
/// </summary>
internal sealed class IncrementalStaging : IAsyncDisposable
{
    private readonly ConnectorStorage storage;
    private readonly ExtractInput input;
    private readonly string dataset;
    private readonly Watermark? since;
    private readonly SentRows sent;
    private readonly CsvPartWriter writer;
    private long read;

    private IncrementalStaging(ConnectionOptions connection, ConnectorStorage storage, ExtractInput input, string dataset, Watermark? since, SentRows sent)
    {
        this.Connection = connection;
        this.storage = storage;
        this.input = input;
        this.dataset = dataset;
        this.since = since;
        this.sent = sent;
        this.writer = new CsvPartWriter(
            storage.StagingContainer, Datasets.StagingPrefix(input.Run, dataset), dataset, Datasets.Header(dataset), connection.Anaplan.ChunkSizeMb * 1024L * 1024L);
    }

    public ConnectionOptions Connection { get; }

    public SageWatermark? ChangedSince => this.since is null ? null : SageWatermark.Parse(this.since.Value);

    public TimeSpan Overlap => this.Connection.Actuals.IncrementalOverlap;

    public static async Task<IncrementalStaging> OpenAsync(
        ConnectionClients clients, ConnectorStorage storage, WatermarkStore watermarks, ExtractInput input, string dataset)
    {
        Watermark? since = input.FullResync ? null : await watermarks.GetAsync(input.Run.ConnectionId, dataset);
        SentRows sent = await SentRows.LoadAsync(storage.StagingContainer, since?.SentRowsBlob);
        return new IncrementalStaging(clients.Connection(input.Run.ConnectionId), storage, input, dataset, since, sent);
    }

    /// <summary>Counts a row read and stages it unless the last run loaded it unchanged; true when staged.</summary>
    public async Task<bool> StageIfChangedAsync(string key, string[] fields)
    {
        this.read++;
        if (!this.sent.ShouldSend(key, fields))
        {
            return false;
        }

        await this.writer.WriteRowAsync(fields);
        return true;
    }

    /// <summary>Closes the staging and returns the manifest; the next watermark is the pull's, or the current one when the pull had none.</summary>
    public async Task<DatasetManifest> CompleteAsync(SageWatermark? pulled, List<PeriodTotals> totals)
    {
        StagedCsv staged = await this.writer.CompleteAsync();
        string? sentBlob = await this.sent.SaveAsync(this.storage.StagingContainer, Datasets.RunBlob(this.input.Run, $"{this.dataset}-sent.json"));
        return new DatasetManifest(
            this.dataset, staged, this.read, 0, totals, totals, pulled?.ToString() ?? this.since?.Value, null, sentBlob, this.sent.Unchanged);
    }

    public ValueTask DisposeAsync() => this.writer.DisposeAsync();
}

/// <summary>Control totals per period, accumulated while rows stream.</summary>
internal sealed class Totals
{
    private readonly SortedDictionary<string, PeriodTotals> byPeriod = new(StringComparer.Ordinal);

    public void Add(string period, decimal debit, decimal credit, decimal amount, decimal count)
        => this.byPeriod[period] = (this.byPeriod.GetValueOrDefault(period) ?? PeriodTotals.Empty(period)).Add(debit, credit, amount, count);

    public List<PeriodTotals> ToList() => [.. this.byPeriod.Values];
}
