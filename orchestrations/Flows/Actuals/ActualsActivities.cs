using System.Globalization;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows.Dimensions;
using Connector.Orchestrations.ModelFit;
using Connector.Orchestrations.Sage100;
using Connector.Orchestrations.Storage;
using Microsoft.DurableTask;

namespace Connector.Orchestrations.Flows.Actuals;

/// <summary>
/// Decides which fiscal periods a run sends, from the company's own calendar: a requested range (checked against the
/// calendar), or the current period and the configured number of prior periods, across a year end if need be; and gives
/// each its code in the model (<see cref="PeriodCodec"/>). A 13th period the settings skip is left out; one folded into
/// period 12 is always sent together with it, so the shared cells get their whole sum.
/// </summary>
public sealed class ResolvePeriodsActivity(ConnectionClients clients, WatermarkStore watermarks, StepResultStore steps) : TaskActivity<ResolvePeriodsInput, ResolvedPeriods>
{
    public override async Task<ResolvedPeriods> RunAsync(TaskActivityContext context, ResolvePeriodsInput input)
        => await steps.RecordAsync(input.Run, StepKeys.Periods, await this.ResolveAsync(input));

    private async Task<ResolvedPeriods> ResolveAsync(ResolvePeriodsInput input)
    {
        SageFiscalCalendar calendar = await clients.Sage(input.Run.ConnectionId).GetFiscalCalendarAsync();
        var codec = new PeriodCodec(PeriodSettings.Of(clients.Connection(input.Run.ConnectionId)), calendar);
        ResolvedPeriods periods = Resolve(input, calendar);

        // Periods an earlier run's GL load did not get into Anaplan are sent again, whatever this run was asked for.
        IReadOnlyList<PendingPeriod> pending = (await watermarks.GetAsync(input.Run.ConnectionId, Datasets.GlActuals))?.PendingPeriods ?? [];
        var known = calendar.Years.SelectMany(y => y.Periods.Select(p => new FiscalPeriodRef(y.FiscalYear, p.Period))).ToHashSet();
        List<PendingPeriod> resend = [.. pending.Where(p => known.Contains(new FiscalPeriodRef(p.FiscalYear, p.Period)))];
        if (resend.Count > 0)
        {
            List<ResentRows> resent = [.. resend.GroupBy(p => (p.RunId, p.Reason))
                .Select(g => new ResentRows(g.Key.RunId, g.Key.Reason, 0, [.. g.Select(p => p.PeriodCode).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)]))];
            periods = periods with { Periods = [.. periods.Periods.Union(resend.Select(p => new FiscalPeriodRef(p.FiscalYear, p.Period)))], Resent = resent };
        }

        List<FiscalPeriodRef> sent = [.. periods.Periods.SelectMany(codec.SharingCells).Distinct()
            .Where(p => codec.Code(p.FiscalYear, p.Period) is not null)
            .OrderBy(p => p.FiscalYear, StringComparer.Ordinal).ThenBy(p => p.Period)];
        return periods with { Periods = sent, Codes = [.. sent.Select(p => codec.Code(p.FiscalYear, p.Period)!)] };
    }

    private static ResolvedPeriods Resolve(ResolvePeriodsInput input, SageFiscalCalendar calendar)
    {
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
/// part per Anaplan chunk, in the GL import's layout. Rows whose account or cost centre is not valid on both sides are not
/// staged: they go to the rejections with the record and the reason. Sage rows that land in one Anaplan cell (a mapping
/// override, a 13th period folded into the 12th, a model without a cost-centre column) are summed first. Returns a small
/// manifest with the Sage and staged control totals. When GL goes in several files (<see cref="GlFiles"/>), it stages one
/// file: it stops at the first page boundary after <c>Actuals:GlRowsPerFile</c> rows and says where it stopped
/// (<see cref="DatasetManifest.Resume"/>); the next file's extraction goes on from there.
/// </summary>
public sealed class ExtractGlActualsActivity(ConnectionClients clients, ConnectorStorage storage, AuditStore audit, StepResultStore steps, ExtractionCache cache)
    : TaskActivity<ExtractInput, DatasetManifest>
{
    public override async Task<DatasetManifest> RunAsync(TaskActivityContext context, ExtractInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        DatasetManifest manifest = await this.ExtractAsync(input);
        if (manifest.Resume is null)
        {
            // The run's last (or only) GL file: nothing after it reads what the files shared.
            cache.Release(input.Run, input.AlignmentBlob);
        }

        string step = GlFiles.ExtractStep(input.File, manifest);
        return await steps.RecordAsync(input.Run, input.Provisional ? StepKeys.Provisional(step) : step, manifest);
    }

    private async Task<DatasetManifest> ExtractAsync(ExtractInput input)
    {
        ConnectionOptions connection = clients.Connection(input.Run.ConnectionId);
        SageAgentClient sage = clients.Sage(input.Run.ConnectionId);

        // Every file of the run reads the same snapshot and calendar: kept in the worker from one file to the next.
        AlignedChart chart = await cache.AlignmentAsync(storage.StagingContainer, input.AlignmentBlob);
        AlignmentSnapshot snapshot = chart.Snapshot;
        var codec = new PeriodCodec(PeriodSettings.Of(connection), await cache.CalendarAsync(input.Run, () => sage.GetFiscalCalendarAsync()));
        DatasetLayout layout = (input.Layouts ?? new ImportLayouts([])).For(Datasets.GlActuals);
        bool byCostCenter = layout.Has(ImportFields.CostCenter);
        IReadOnlyDictionary<string, AccountAlignment> accounts = chart.BySageAccount;
        var sageTotals = new Totals();
        var stagedTotals = new Totals();
        bool aggregate = snapshot.RequiresAggregation || !byCostCenter || input.Periods.Any(p => codec.SharingCells(p).Count > 1);
        var cells = aggregate ? new Dictionary<(string, string, string), (decimal Debit, decimal Credit, decimal Net)>() : null;
        long read = 0;

        // Rows summed into cells stay in one file: a split could put two rows of one cell in two files, the second
        // overwriting the first.
        int file = input.File?.Number ?? 1;
        if (aggregate && input.File is not null)
        {
            throw new InvalidOperationException(
                $"Run {input.Run.RunId} staged GL in several files, but its rows must now be summed into cells (the mappings, the import's columns or the period settings changed since); "
                + "such a run stages GL in one file: start a new run.");
        }

        var source = new GlFiles.Reader(sage, input.Periods, input.File?.From, aggregate ? 0 : connection.Actuals.GlRowsPerFile);
        await using var rejections = new RejectionSink(storage, audit, input.Run, Datasets.GlActuals, file, input.File?.RejectedBefore ?? 0);
        var rejectedRows = new List<RejectedGlRow>();
        await using var writer = new CsvPartWriter(
            storage.StagingContainer, Datasets.StagingPrefix(input.Run, Datasets.FileName(Datasets.GlActuals, file)), Datasets.GlActuals,
            layout.Header, connection.Anaplan.ChunkSizeMb * 1024L * 1024L, headerAlone: input.File is not null);
        var stager = new GlRowStager(codec, input.Periods, accounts, layout, writer);

        foreach (SagePageFeed<SagePeriodBalance> year in source.Years())
        {
            await foreach (SagePeriodBalance row in year)
            {
                if (stager.PeriodOf(row) is not { } slot)
                {
                    continue;
                }

                string period = slot.Code;
                read++;
                (slot.Sage ??= sageTotals.For(period)).Add(row.Debit, row.Credit, row.Net);
                if (stager.AccountOf(row) is not { } a)
                {
                    await rejections.RejectAsync($"{row.Account} / {period}", "Account", $"account '{row.Account}' was not in the chart of accounts read at the start of the run");
                    rejectedRows.Add(new RejectedGlRow(row.Account.Trim(), row.FiscalYear, row.FiscalPeriod, row.Debit, row.Credit, row.Net));
                    continue;
                }

                if (!a.Valid)
                {
                    await rejections.RejectAsync($"{row.Account} / {period}", a.Field, a.Reason ?? "not valid on both sides");
                    rejectedRows.Add(new RejectedGlRow(row.Account.Trim(), row.FiscalYear, row.FiscalPeriod, row.Debit, row.Credit, row.Net));
                    continue;
                }

                (slot.Staged ??= stagedTotals.For(period)).Add(row.Debit, row.Credit, row.Net);
                if (cells is not null)
                {
                    (string, string, string) key = (a.Account, byCostCenter ? a.CostCenter : string.Empty, period);
                    (decimal d, decimal c, decimal n) = cells.GetValueOrDefault(key);
                    cells[key] = (d + row.Debit, c + row.Credit, n + row.Net);
                }
                else
                {
                    await stager.WriteAsync(a, period, row);
                }
            }
        }

        if (cells is not null)
        {
            // Several Sage rows land in one Anaplan cell: the cell gets their sum, not the last one.
            foreach (((string account, string costCenter, string period), (decimal debit, decimal credit, decimal net)) in cells.OrderBy(c => c.Key))
            {
                await writer.WriteRowAsync(layout.Row([account, costCenter, period, Money(debit), Money(credit), Money(net)]));
            }
        }

        StagedCsv staged = await writer.CompleteAsync();
        await rejections.CompleteAsync();
        string? rejectedBlob = null;
        if (rejectedRows.Count > 0)
        {
            rejectedBlob = Datasets.RunBlob(input.Run, $"{Datasets.FileName(Datasets.GlActuals, file)}-rejected-rows.json");
            await storage.StagingContainer.GetBlobClient(rejectedBlob).UploadAsync(BinaryData.FromObjectAsJson(rejectedRows, RejectedGlRow.Json), overwrite: true);
        }

        return new DatasetManifest(Datasets.GlActuals, staged, read, rejections.Count, sageTotals.ToList(), stagedTotals.ToList(), null, rejections.BlobName)
        {
            RejectedRowsBlob = rejectedBlob,
            Resume = source.Resume,
        };
    }

    internal static string Money(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    internal static decimal ParseMoney(string text) => decimal.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
}

/// <summary>
/// Pulls AP invoice totals changed since the committed watermark (minus the overlap) and stages them in the AP import's
/// layout: full recomputed totals per vendor and invoice period, so the import replaces the cells. When the model holds
/// AP by cost centre (the import has a cost-centre column), the totals come from the invoices' GL distribution, per
/// cost-centre segment code. The next watermark is returned, not committed: the orchestration commits it once the import
/// has completed.
/// </summary>
public sealed class ExtractApActualsActivity(ConnectionClients clients, ConnectorStorage storage, WatermarkStore watermarks, StepResultStore steps)
    : TaskActivity<ExtractInput, DatasetManifest>
{
    public override async Task<DatasetManifest> RunAsync(TaskActivityContext context, ExtractInput input)
        => await steps.RecordAsync(input.Run, StepKeys.Extract(Datasets.ApActuals), await this.ExtractAsync(input));

    private async Task<DatasetManifest> ExtractAsync(ExtractInput input)
    {
        SageAgentClient sage = clients.Sage(input.Run.ConnectionId);
        ConnectionOptions connection = clients.Connection(input.Run.ConnectionId);
        SageFiscalCalendar calendar = await sage.GetFiscalCalendarAsync();
        var codec = new PeriodCodec(PeriodSettings.Of(connection), calendar);
        DatasetLayout layout = (input.Layouts ?? new ImportLayouts([])).For(Datasets.ApActuals);
        bool byCostCenter = layout.Has(ImportFields.CostCenter);

        // A folded 13th period shares its cells with period 12: an incremental pull could bring one of the two alone and
        // overwrite their sum, so it pulls every group (unchanged rows are still not uploaded).
        bool folded = connection.Period13 == PeriodSettings.Fold && calendar.Years.Any(y => y.Periods.Any(p => p.Period == 13));
        var totals = new Totals();
        await using IncrementalStaging staging = await IncrementalStaging.OpenAsync(
            clients, storage, watermarks, input, Datasets.ApActuals, layout, folded,
            fields => totals.Add(layout.Value(fields, ImportFields.Period) ?? string.Empty, 0m, 0m, Number(layout.Value(fields, ImportFields.InvoiceAmount)), Number(layout.Value(fields, ImportFields.InvoiceCount))));
        var vendor = new VendorCells(staging, layout);
        if (byCostCenter)
        {
            AlignmentSnapshot snapshot = await AlignmentSnapshot.LoadAsync(storage.StagingContainer, input.AlignmentBlob);
            SageChangeFeed<SageInvoiceDistributionTotal> feed = sage.GetInvoiceDistributionTotalsAsync(snapshot.CostCenterSegment, staging.ChangedSince, staging.Overlap);
            await foreach (SageInvoiceDistributionTotal row in feed)
            {
                string code = row.SegmentCode.Trim();
                await vendor.AddAsync(row.VendorKey, snapshot.CostCenterItems.GetValueOrDefault(code, code), codec.CodeOrNull(row.FiscalYear, row.FiscalPeriod), row.Amount, row.InvoiceCount);
            }

            await vendor.FlushAsync();
            return await staging.CompleteAsync(feed.Watermark, totals);
        }

        SageChangeFeed<SageInvoiceTotal> totalsFeed = sage.GetInvoiceTotalsAsync(staging.ChangedSince, staging.Overlap);
        await foreach (SageInvoiceTotal row in totalsFeed)
        {
            await vendor.AddAsync(row.VendorKey, string.Empty, codec.CodeOrNull(row.FiscalYear, row.FiscalPeriod), row.InvoiceAmount, row.InvoiceCount);
        }

        await vendor.FlushAsync();
        return await staging.CompleteAsync(totalsFeed.Watermark, totals);
    }

    private static decimal Number(string? text) => string.IsNullOrEmpty(text) ? 0m : ExtractGlActualsActivity.ParseMoney(text);

    /// <summary>
    /// One vendor's cells, summed before they are staged: the agent sends a vendor's groups together, and groups that land
    /// in one cell (a folded 13th period) must go as one row. A skipped period (null code) is read but not staged.
    /// </summary>
    private sealed class VendorCells(IncrementalStaging staging, DatasetLayout layout)
    {
        private readonly SortedDictionary<(string CostCenter, string Period), (decimal Amount, int Count)> cells = [];
        private string? vendor;

        public async Task AddAsync(string vendorKey, string costCenter, string? period, decimal amount, int count)
        {
            if (vendorKey != this.vendor)
            {
                await this.FlushAsync();
                this.vendor = vendorKey;
            }

            if (period is null)
            {
                staging.Skip();
                return;
            }

            (decimal a, int c) = this.cells.GetValueOrDefault((costCenter, period));
            this.cells[(costCenter, period)] = (a + amount, c + count);
        }

        public async Task FlushAsync()
        {
            foreach (((string costCenter, string period), (decimal amount, int count)) in this.cells)
            {
                string[] row = layout.Row([this.vendor, costCenter, period, ExtractGlActualsActivity.Money(amount), count.ToString(CultureInfo.InvariantCulture)]);
                await staging.StageIfChangedAsync(layout.Key(row), row);
            }

            this.cells.Clear();
        }
    }
}

/// <summary>Pulls vendors changed since the committed watermark (minus the overlap) and stages them for the Vendors list, in its import's layout.</summary>
public sealed class ExtractVendorsActivity(ConnectionClients clients, ConnectorStorage storage, WatermarkStore watermarks, StepResultStore steps)
    : TaskActivity<ExtractInput, DatasetManifest>
{
    public override async Task<DatasetManifest> RunAsync(TaskActivityContext context, ExtractInput input)
        => await steps.RecordAsync(input.Run, StepKeys.Extract(Datasets.Vendors), await this.ExtractAsync(input));

    private async Task<DatasetManifest> ExtractAsync(ExtractInput input)
    {
        DatasetLayout layout = (input.Layouts ?? new ImportLayouts([])).For(Datasets.Vendors);
        await using IncrementalStaging staging = await IncrementalStaging.OpenAsync(clients, storage, watermarks, input, Datasets.Vendors, layout, false, null);
        SageChangeFeed<SageVendor> feed = clients.Sage(input.Run.ConnectionId).GetVendorsAsync(staging.ChangedSince, staging.Overlap);
        await foreach (SageVendor vendor in feed)
        {
            string[] row = layout.Row([vendor.VendorKey, SpreadsheetSafe.Text(vendor.Name.Trim()), vendor.DivisionNo, vendor.Status]);
            await staging.StageIfChangedAsync(layout.Key(row), row);
        }

        return await staging.CompleteAsync(feed.Watermark, null);
    }
}

/// <summary>
/// What the incremental extractions share: the committed watermark (none on a full resync), the rows Anaplan accepted
/// near it (so the overlap re-reads nothing twice), the rows earlier loads did not get into Anaplan (staged again, unless
/// the pull brings a newer version of the same key), the staging writer, and the manifest with the next watermark. When
/// the import's layout changed since the last commit (another import, another mapping), nothing remembered fits the new
/// file: the pull is a full one and every row goes again.
/// </summary>
internal sealed class IncrementalStaging : IAsyncDisposable
{
    private readonly ConnectorStorage storage;
    private readonly ExtractInput input;
    private readonly string dataset;
    private readonly Watermark? since;
    private readonly SentRows sent;
    private readonly Dictionary<string, PendingRow> pending;
    private readonly List<PendingRow> resent = [];
    private readonly Action<string[]>? count;
    private readonly CsvPartWriter writer;
    private readonly bool full;
    private long read;

    private IncrementalStaging(
        ConnectionOptions connection, ConnectorStorage storage, ExtractInput input, string dataset, DatasetLayout layout, Watermark? since, bool full, SentRows sent, IReadOnlyList<PendingRow> pending, Action<string[]>? count)
    {
        this.Connection = connection;
        this.storage = storage;
        this.input = input;
        this.dataset = dataset;
        this.since = since;
        this.full = full;
        this.sent = sent;
        this.pending = pending.ToDictionary(p => p.Key, StringComparer.Ordinal);
        this.count = count;
        this.writer = new CsvPartWriter(
            storage.StagingContainer, Datasets.StagingPrefix(input.Run, dataset), dataset, layout.Header, connection.Anaplan.ChunkSizeMb * 1024L * 1024L);
    }

    public ConnectionOptions Connection { get; }

    public SageWatermark? ChangedSince => this.since is null || this.full ? null : SageWatermark.Parse(this.since.Value);

    public TimeSpan Overlap => this.Connection.Actuals.IncrementalOverlap;

    /// <summary>
    /// Opens the staging in <paramref name="layout"/>; <paramref name="pullAll"/> asks for every row (the watermark is still
    /// moved, and unchanged rows are still skipped); <paramref name="count"/> adds a staged row to the control totals (null
    /// when the dataset has none).
    /// </summary>
    public static async Task<IncrementalStaging> OpenAsync(
        ConnectionClients clients, ConnectorStorage storage, WatermarkStore watermarks, ExtractInput input, string dataset, DatasetLayout layout, bool pullAll, Action<string[]>? count)
    {
        // A full resync reads everything again, but still owes Anaplan the rows earlier loads did not get in (in the
        // layout they were staged in: when the layout changed, the full pull brings every row again instead).
        Watermark? since = await watermarks.GetAsync(input.Run.ConnectionId, dataset);
        bool sameLayout = since is null || (since.Layout ?? DatasetLayout.Default(dataset).Signature) == layout.Signature;
        bool full = input.FullResync || !sameLayout;
        SentRows sent = await SentRows.LoadAsync(storage.StagingContainer, full ? null : since?.SentRowsBlob);
        IReadOnlyList<PendingRow> pending = sameLayout ? await PendingRows.ReadAsync(storage.StagingContainer, since?.PendingBlob) : [];
        return new IncrementalStaging(clients.Connection(input.Run.ConnectionId), storage, input, dataset, layout, since, full || pullAll, sent, pending, count);
    }

    /// <summary>Counts a row read that the settings leave out (a skipped 13th period).</summary>
    public void Skip() => this.read++;

    /// <summary>Counts a row read and stages it unless Anaplan already has it unchanged; true when staged.</summary>
    public async Task<bool> StageIfChangedAsync(string key, string[] fields)
    {
        this.read++;
        bool changed = this.sent.ShouldSend(key, fields);
        if (this.pending.Remove(key, out PendingRow? owed))
        {
            // Owed from an earlier load: sent again, in the version Sage has now.
            this.resent.Add(owed);
        }
        else if (!changed)
        {
            return false;
        }

        await this.StageAsync(fields);
        return true;
    }

    /// <summary>
    /// Stages the rows still owed that the pull did not bring (unchanged in Sage since), closes the staging and returns the
    /// manifest; the next watermark is the pull's, or the current one when the pull had none.
    /// </summary>
    public async Task<DatasetManifest> CompleteAsync(SageWatermark? pulled, Totals? totals)
    {
        foreach (PendingRow owed in this.pending.Values)
        {
            this.resent.Add(owed);
            await this.StageAsync([.. owed.Fields]);
        }

        StagedCsv staged = await this.writer.CompleteAsync();
        string? sentBlob = await this.sent.SaveAsync(this.storage.StagingContainer, Datasets.RunBlob(this.input.Run, $"{this.dataset}-sent.json"));
        List<PeriodTotals> list = totals?.ToList() ?? [];
        return new DatasetManifest(
            this.dataset, staged, this.read, 0, list, list, pulled?.ToString() ?? this.since?.Value ?? string.Empty, null, sentBlob, this.sent.Unchanged,
            PendingRows.Summarize(this.resent));
    }

    public ValueTask DisposeAsync() => this.writer.DisposeAsync();

    private async Task StageAsync(string[] fields)
    {
        await this.writer.WriteRowAsync(fields);
        this.count?.Invoke(fields);
    }
}

/// <summary>A GL balance the extraction refused, as Sage gave it (formatted account, fiscal year and period, amounts).</summary>
public sealed record RejectedGlRow(string Account, string FiscalYear, int Period, decimal Debit, decimal Credit, decimal Net)
{
    internal static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);
}

/// <summary>Control totals per period, accumulated while rows stream.</summary>
/// <remarks>Adds in place, one accumulator per period (a row adds to it, nothing is allocated); listed in ordinal period order.</remarks>
public sealed class Totals
{
    private readonly Dictionary<string, Sum> byPeriod = new(StringComparer.Ordinal);

    public void Add(string period, decimal debit, decimal credit, decimal amount, decimal count)
    {
        Sum sum = this.For(period);
        sum.Add(debit, credit, amount);
        sum.Count += count;
    }

    /// <summary>The accumulator of <paramref name="period"/> (listed from now on): a caller that adds to one period many times keeps it rather than look it up per row.</summary>
    internal Sum For(string period)
    {
        if (!this.byPeriod.TryGetValue(period, out Sum? sum))
        {
            this.byPeriod.Add(period, sum = new Sum());
        }

        return sum;
    }

    public List<PeriodTotals> ToList()
        => [.. this.byPeriod.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new PeriodTotals(p.Key, p.Value.Rows, p.Value.Debit, p.Value.Credit, p.Value.Amount, p.Value.Count))];

    /// <summary>One period's totals.</summary>
    internal sealed class Sum
    {
        public long Rows;
        public decimal Debit;
        public decimal Credit;
        public decimal Amount;
        public decimal Count;

        /// <summary>Adds a row without a count (GL balances: the count stays 0).</summary>
        public void Add(decimal debit, decimal credit, decimal amount)
        {
            this.Rows++;
            this.Debit += debit;
            this.Credit += credit;
            this.Amount += amount;
        }
    }
}
