using System.Globalization;
using System.Runtime.InteropServices;
using Connector.Agent.Sage;
using Microsoft.Extensions.Logging;

namespace Connector.Agent.Backends.Boi;

/// <summary>Settings of the BOI backend (section <c>Agent:Boi</c>).</summary>
public sealed class BoiBackendOptions
{
    /// <summary>Gets or sets the MAS90 home folder passed to <c>ProvideX.Script.Init</c>.</summary>
    public string MasHome { get; set; } = @"C:\Sage\Sage 100\MAS90\Home";

    /// <summary>Gets or sets the Sage user the agent logs on as (a dedicated user; each session takes a licence).</summary>
    public string UserName { get; set; } = string.Empty;

    /// <summary>Gets or sets that user's password (from a protected configuration source or environment variable).</summary>
    public string Password { get; set; } = string.Empty;

    /// <summary>Gets or sets the company codes to serve.</summary>
    public IList<string> Companies { get; set; } = [];

    /// <summary>Gets or sets the COM ProgID.</summary>
    public string ProgId { get; set; } = "ProvideX.Script";

    /// <summary>Gets or sets segment descriptions per company (the structure itself is inferred from Account vs RawAccount).</summary>
    public IDictionary<string, string[]> SegmentDescriptions { get; set; } = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets or sets whether GL batches are enabled (when GL_Options cannot tell).</summary>
    public bool BatchEntryEnabled { get; set; } = true;

    /// <summary>Gets or sets the source journals offered (Sage has no reliable listing object in every version).</summary>
    public IList<string> SourceJournals { get; set; } = ["GJ"];

    /// <summary>Gets or sets the BOI method that yields the next entry number (name unconfirmed across versions).</summary>
    public string NextEntryNoMethod { get; set; } = "nGetNextEntryNo";

    /// <summary>Gets or sets the batch-selection method used when batches are on.</summary>
    public string SelectNewBatchMethod { get; set; } = "nSelectNewBatch";
}

/// <summary>
/// The real Sage 100 backend: BOI over COM late binding, one session per company on its own thread, columns
/// discovered at start-up. Reads go through <c>_svc</c> objects; the journal write through <c>GL_GeneralJournal_bus</c>.
/// </summary>
public sealed class BoiBackend : ISageBackend
{
    private static readonly string[] DebitCandidates = ["DebitAmount", "DebitAmt", "PostingDebitAmt"];
    private static readonly string[] CreditCandidates = ["CreditAmount", "CreditAmt", "PostingCreditAmt"];
    private static readonly string[] LineCommentCandidates = ["CommentText$", "PostingComment$", "LineComment$", "Comment$"];
    private static readonly string[] HeaderCommentCandidates = ["JournalComment$", "Comment$", "EntryComment$"];
    private static readonly string[] AccountColumns = ["AccountKey$", "Account$", "RawAccount$", "MainAccountCode$", "AccountDesc$", "AccountType$", "AccountGroup$", "AccountCategory$", "Status$", "ClearBalance$", "DateUpdated$", "TimeUpdated$"];
    private static readonly string[] VendorColumns = ["APDivisionNo$", "VendorNo$", "VendorName$", "AddressLine1$", "City$", "State$", "ZipCode$", "TermsCode$", "TemporaryVendor$", "HoldPayment$", "DateCreated$", "DateUpdated$", "TimeUpdated$"];

    private readonly BoiBackendOptions options;
    private readonly IBoiScriptFactory factory;
    private readonly TimeProvider clock;
    private readonly ILogger logger;
    private readonly Dictionary<string, CompanyState> companies = new(StringComparer.OrdinalIgnoreCase);

    public BoiBackend(BoiBackendOptions options, IBoiScriptFactory factory, TimeProvider clock, ILogger<BoiBackend> logger)
    {
        this.options = options;
        this.factory = factory;
        this.clock = clock;
        this.logger = logger;
        this.Companies = options.Companies.Select(c => c.ToUpperInvariant()).ToList();
        foreach (string code in this.Companies)
        {
            this.companies[code] = new CompanyState(new BoiWorker("BOI " + code), clock);
        }
    }

    /// <inheritdoc/>
    public string Name => "boi";

    /// <inheritdoc/>
    public string SageVersion { get; private set; } = "unknown";

    /// <inheritdoc/>
    public IReadOnlyList<string> Companies { get; }

    /// <summary>Gets the journal-line columns discovered for a company (empty until a session opened).</summary>
    public IReadOnlyList<string> DiscoveredLineColumns(string company) => this.companies[company].LineColumns;

    /// <inheritdoc/>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (string code in this.Companies)
        {
            try
            {
                await this.UseAsync(code, _ => 0);
            }
            catch (SageOperationException ex)
            {
                // The agent still starts; every call for this company answers unavailable until Sage is reachable.
                Logs.SageFailure(this.logger, code, "unavailable", ex.Message, ex.SageMessage);
            }
        }
    }

    /// <inheritdoc/>
    public async Task CheckHealthAsync(CancellationToken cancellationToken)
    {
        foreach (string code in this.Companies)
        {
            await this.UseAsync(code, _ => 0);
        }
    }

    /// <inheritdoc/>
    public Task<CompanyInfo> GetCompanyAsync(string company, CancellationToken cancellationToken)
        => this.UseAsync(company, s => this.companies[company].Info ??= this.ReadInfo(s));

    /// <inheritdoc/>
    public Task<FiscalCalendarInfo> GetFiscalCalendarAsync(string company, CancellationToken cancellationToken)
        => this.UseAsync(company, this.ReadCalendar);

    /// <inheritdoc/>
    public Task<IReadOnlyList<GlAccountRow>> GetAccountsAsync(string company, string? afterKey, int limit, CancellationToken cancellationToken)
        => this.UseAsync(company, s => (IReadOnlyList<GlAccountRow>)this.companies[company].Reads.Page(
            "accounts",
            afterKey,
            after => new KeyedReader<GlAccountRow>(BoiBrowse.Open(s, "GL_Account_svc", AccountColumns, ["AccountKey$"], after, seek: true), _ => true, ToAccount, a => a.AccountKey),
            page => page.Count >= limit).Items);

    /// <inheritdoc/>
    public Task<IReadOnlyList<SubAccountRow>> GetSubAccountsAsync(string company, int? segment, (int Segment, string Code)? after, int limit, CancellationToken cancellationToken)
        => this.UseAsync(company, s => (IReadOnlyList<SubAccountRow>)this.companies[company].Reads.Page(
            $"sub-accounts|{segment}",
            after is { } a ? Key(SageFormats.Period(a.Segment), a.Code) : null,
            from =>
            {
                using IBoiObject probe = s.NewObject("GL_SubAccount_svc");
                string desc = BoiSession.Pick(BoiSession.Columns(probe), "SubAccountDesc$", "SubAccountDescription$", "Description$") ?? "SubAccountDesc$";
                return new KeyedReader<SubAccountRow>(
                    BoiBrowse.Open(s, "GL_SubAccount_svc", ["SegmentNo$", "SubAccountCode$", desc], ["SegmentNo$", "SubAccountCode$"], from, seek: false),
                    r => segment is null || int.Parse(r["SegmentNo"], CultureInfo.InvariantCulture) == segment,
                    r => new SubAccountRow(int.Parse(r["SegmentNo"], CultureInfo.InvariantCulture), r["SubAccountCode"], r[desc.TrimEnd('$')]),
                    r => Key(SageFormats.Period(r.SegmentNumber), r.Code));
            },
            page => page.Count >= limit).Items);

    /// <inheritdoc/>
    public Task<IReadOnlyList<PeriodBalanceRow>> GetPeriodBalancesAsync(string company, string fiscalYear, int fromPeriod, int toPeriod, (string AccountKey, int Period)? after, int limit, CancellationToken cancellationToken)
        => this.UseAsync(company, s => (IReadOnlyList<PeriodBalanceRow>)this.companies[company].Reads.Page(
            $"balances|{fiscalYear}|{fromPeriod}|{toPeriod}",
            after is { } a ? Key(a.AccountKey, SageFormats.Period(a.Period)) : null,
            _ => new BalanceReader(s, fiscalYear, fromPeriod, toPeriod, after),
            page => page.Count >= limit).Items);

    /// <inheritdoc/>
    public Task<SageTimestamp?> GetLatestUpdateAsync(string company, SageDataSet dataSet, CancellationToken cancellationToken)
        => this.UseAsync(company, s =>
        {
            string[] objects = dataSet == SageDataSet.Vendors ? ["AP_Vendor_svc"] : ["AP_InvoiceHistoryHeader_svc", "AP_OpenInvoice_svc"];
            return objects.SelectMany(o => s.Scan(o, ["DateUpdated$", "TimeUpdated$"]))
                .Select(r => SageTimestamp.FromSage(r["DateUpdated"], r["TimeUpdated"]))
                .Max();
        });

    /// <inheritdoc/>
    public Task<IReadOnlyList<VendorRow>> GetVendorsAsync(string company, SageTimestamp? since, (string Division, string Vendor)? after, int limit, CancellationToken cancellationToken)
        => this.UseAsync(company, s => (IReadOnlyList<VendorRow>)this.companies[company].Reads.Page(
            $"vendors|{since}",
            after is { } a ? Key(a.Division, a.Vendor) : null,
            from => new KeyedReader<VendorRow>(
                BoiBrowse.Open(s, "AP_Vendor_svc", VendorColumns, ["APDivisionNo$", "VendorNo$"], from, seek: true),
                r => since is not { } t || t.Includes(r["DateUpdated"], r["TimeUpdated"]),
                r => new VendorRow(r["APDivisionNo"], r["VendorNo"], r["VendorName"], Blank(r["AddressLine1"]), Blank(r["City"]), Blank(r["State"]), Blank(r["ZipCode"]), Blank(r["TermsCode"]),
                    r["TemporaryVendor"] == "Y" ? "temporary" : r["HoldPayment"] == "Y" ? "on_hold" : "active", Blank(r["DateCreated"]), Blank(r["DateUpdated"]), Blank(r["TimeUpdated"])),
                v => Key(v.DivisionNo, v.VendorNo)),
            page => page.Count >= limit).Items);

    /// <inheritdoc/>
    public Task<InvoiceTotalsResult> GetInvoiceTotalsAsync(string company, SageTimestamp? since, (string Division, string Vendor)? after, int limit, CancellationToken cancellationToken)
        => this.UseAsync(company, s =>
        {
            BoiPage<InvoiceGroup> page = this.companies[company].Reads.Page(
                $"invoice-totals|{since}",
                after is { } a ? Key(a.Division, a.Vendor) : null,
                from => new InvoiceGroupReader(s, this.ReadCalendar(s), since, from),
                groups => groups.Sum(g => g.Rows.Count) >= limit);
            List<InvoiceGroup> groups = page.Items;
            return new InvoiceTotalsResult(
                [.. groups.SelectMany(g => g.Rows)], page.HasMore, groups.Count > 0 ? (groups[^1].Division, groups[^1].Vendor) : null, groups.Sum(g => g.Unmapped));
        });

    /// <inheritdoc/>
    /// <remarks>
    /// Reads AP_InvoiceHistoryDetail through its service object; the distribution columns (<c>AccountKey$</c>,
    /// <c>DistributionAmt</c>) are Sage's documented names as far as known, and the segment code comes from the account's
    /// formatted number cut by the company's account structure.
    /// </remarks>
    public Task<InvoiceDistributionResult> GetInvoiceDistributionAsync(string company, int segment, SageTimestamp? since, (string Division, string Vendor)? after, int limit, CancellationToken cancellationToken)
        => this.UseAsync(company, s =>
        {
            FiscalCalendarInfo calendar = this.ReadCalendar(s);
            AccountStructureInfo structure = (this.companies[company].Info ??= this.ReadInfo(s)).AccountStructure;
            var codes = s.Scan("GL_Account_svc", ["AccountKey$", "Account$"])
                .ToDictionary(a => a["AccountKey"], a => SegmentOf(structure, a["Account"], segment), StringComparer.Ordinal);
            string[] columns = ["APDivisionNo$", "VendorNo$", "InvoiceNo$", "HeaderSeqNo$", "InvoiceDate$", "DateUpdated$", "TimeUpdated$"];
            static string Key(Dictionary<string, string> r) => $"{r["APDivisionNo"]}|{r["VendorNo"]}|{r["InvoiceNo"]}|{r["HeaderSeqNo"]}";
            var headers = s.Scan("AP_InvoiceHistoryHeader_svc", columns).ToDictionary(Key, StringComparer.Ordinal);
            var openChanged = s.Scan("AP_OpenInvoice_svc", columns).Where(Changed).Select(Key).ToHashSet(StringComparer.Ordinal);
            var lines = s.Scan("AP_InvoiceHistoryDetail_svc", ["APDivisionNo$", "VendorNo$", "InvoiceNo$", "HeaderSeqNo$", "AccountKey$", "DistributionAmt"])
                .Where(l => headers.ContainsKey(Key(l)))
                .Where(l => after is not { } a || (l["APDivisionNo"], l["VendorNo"]).CompareTo(a) > 0)
                .ToList();
            HashSet<(string, string, string, int)>? changed = since is null ? null
                : headers.Values.Where(h => Changed(h) || openChanged.Contains(Key(h)))
                    .Select(h => (h, At: calendar.Locate(SageFormats.ParseSageDate(h["InvoiceDate"])!.Value))).Where(x => x.At is not null)
                    .Select(x => (x.h["APDivisionNo"], x.h["VendorNo"], x.At!.Value.FiscalYear, x.At.Value.Period)).ToHashSet();
            var vendors = lines.GroupBy(l => (l["APDivisionNo"], l["VendorNo"]))
                .Where(g => changed is null || changed.Any(c => c.Item1 == g.Key.Item1 && c.Item2 == g.Key.Item2))
                .OrderBy(g => g.Key).ToList();
            var rows = new List<InvoiceDistributionRow>();
            int unmapped = 0, i = 0;
            (string, string)? last = null;
            for (; i < vendors.Count && rows.Count < limit; i++)
            {
                var g = vendors[i];
                var vendorLines = g.Select(l => (l["InvoiceNo"], SageFormats.ParseSageDate(headers[Key(l)]["InvoiceDate"])!.Value, codes.GetValueOrDefault(l["AccountKey"], string.Empty), SageFormats.ParseMoney(l["DistributionAmt"])));
                rows.AddRange(InvoiceAggregation.Distribution(g.Key.Item1, g.Key.Item2, vendorLines, calendar, changed, ref unmapped));
                last = g.Key;
            }

            return new InvoiceDistributionResult(rows, i < vendors.Count, last, unmapped);

            bool Changed(Dictionary<string, string> r) => since is not { } t || t.Includes(r["DateUpdated"], r["TimeUpdated"]);
        });

    /// <inheritdoc/>
    public Task<JournalEntryInfo?> FindJournalEntryAsync(string company, string externalId, CancellationToken cancellationToken)
        => this.UseAsync(company, s => this.FindUnposted(s, externalId) ?? FindPosted(s, externalId));

    /// <inheritdoc/>
    public Task<JournalEntryInfo> CreateJournalEntryAsync(string company, JournalEntryDraft draft, CancellationToken cancellationToken)
        => this.UseAsync(company, s => this.Write(s, draft));

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        foreach (CompanyState state in this.companies.Values)
        {
            await state.Worker.RunAsync(() =>
            {
                state.CloseSession();
                return 0;
            });
            state.Worker.Dispose();
        }
    }

    private JournalEntryInfo Write(BoiSession s, JournalEntryDraft draft)
    {
        string record = $"journal entry {draft.ExternalId}";
        CompanyState state = this.companies[s.Company];
        using IBoiObject bus = s.NewObject("GL_GeneralJournal_bus");
        try
        {
            string batch = "00000";
            CompanyInfo info = state.Info ??= this.ReadInfo(s);
            if (info.BatchEntryEnabled)
            {
                object?[] args = [string.Empty, "Y", "ml-connector agent"];
                int rc = Convert.ToInt32(bus.Invoke(this.options.SelectNewBatchMethod, args, [true, false, false]), CultureInfo.InvariantCulture);
                this.Check(s.Company, bus, rc, this.options.SelectNewBatchMethod, record, "batch", null);
                batch = Convert.ToString(args[0], CultureInfo.InvariantCulture) ?? batch;
            }

            this.Check(s.Company, bus, bus.N("nSetKeyValue", "SourceJournal$", draft.SourceJournal), "nSetKeyValue(SourceJournal$)", record, "sourceJournal", null);
            object?[] next = [string.Empty];
            this.Check(s.Company, bus, Convert.ToInt32(bus.Invoke(this.options.NextEntryNoMethod, next, [true]), CultureInfo.InvariantCulture), this.options.NextEntryNoMethod, record, "entryNo", null);
            string entryNo = Convert.ToString(next[0], CultureInfo.InvariantCulture) ?? string.Empty;
            this.Check(s.Company, bus, bus.N("nSetKeyValue", "EntryNo$", entryNo), "nSetKeyValue(EntryNo$)", record, "entryNo", null);
            int key = bus.N("nSetKey");
            if (key == 1)
            {
                throw new SageOperationException(SageErrorKind.Conflict, $"Sage already has entry {entryNo} in journal {draft.SourceJournal}; entry numbers are Sage's to assign.", record: record, field: "entryNo");
            }

            this.Check(s.Company, bus, key, "nSetKey", record, "entryNo", null);
            this.Check(s.Company, bus, bus.N("nSetValue", "PostingDate$", SageFormats.ToSageDate(draft.PostingDate)), "nSetValue(PostingDate$)", record, "postingDate", null);
            this.Check(s.Company, bus, bus.N("nSetValue", state.HeaderComment, draft.HeaderComment), $"nSetValue({state.HeaderComment})", record, "comment", null);
            IBoiObject lines = bus.Child("oLines");
            for (int i = 0; i < draft.Lines.Count; i++)
            {
                JournalLineDraft line = draft.Lines[i];
                string f = $"lines[{i}]";
                this.Check(s.Company, lines, lines.N("nAddLine"), "nAddLine", record, f, i + 1);
                this.Check(s.Company, lines, lines.N("nSetValue", "Account$", line.Account), "nSetValue(Account$)", record, f + ".account", i + 1);
                if (line.Debit != 0)
                {
                    this.Check(s.Company, lines, lines.N("nSetValue", state.DebitColumn, line.Debit), $"nSetValue({state.DebitColumn})", record, f + ".debit", i + 1);
                }

                if (line.Credit != 0)
                {
                    this.Check(s.Company, lines, lines.N("nSetValue", state.CreditColumn, line.Credit), $"nSetValue({state.CreditColumn})", record, f + ".credit", i + 1);
                }

                this.Check(s.Company, lines, lines.N("nSetValue", state.LineComment, draft.LineComment(i)), $"nSetValue({state.LineComment})", record, f + ".comment", i + 1);
                this.Check(s.Company, lines, lines.N("nWrite"), "lines.nWrite", record, f, i + 1);
            }

            this.Check(s.Company, bus, bus.N("nWrite"), "nWrite", record, "lines", null);
            FiscalCalendarInfo calendar = this.ReadCalendar(s);
            (string fy, int fp) = calendar.Locate(draft.PostingDate) ?? (calendar.CurrentFiscalYear, calendar.CurrentPeriod);
            return new JournalEntryInfo(draft.ExternalId, draft.SourceJournal, entryNo, batch, draft.PostingDate, fy, fp, Posted: false, draft.HeaderComment,
                draft.Lines.Select((l, i) => new JournalLineInfo(i + 1, l.Account, l.Debit, l.Credit, draft.LineComment(i))).ToList());
        }
        catch (SageOperationException)
        {
            bus.N("nClear");
            throw;
        }
    }

    /// <summary>Turns a BOI return code into success, a logged warning (-1), or a classified failure with Sage's text.</summary>
    private void Check(string company, IBoiObject target, int rc, string method, string record, string field, int? line)
    {
        if (rc == -1)
        {
            Logs.BoiWarning(this.logger, company, method, target.LastError());
            return;
        }

        if (rc != 0)
        {
            return;
        }

        string message = target.LastError();
        SageErrorKind kind = SageMessageClassifier.Classify(message);
        throw new SageOperationException(kind, $"Sage rejected {record} at {method}: {message}", message, record, field, line);
    }

    private JournalEntryInfo? FindUnposted(BoiSession s, string externalId)
    {
        CompanyState state = this.companies[s.Company];
        var headers = s.Scan("GL_GeneralJournalHeader_svc", ["BatchNo$", "SourceJournal$", "EntryNo$", "PostingDate$", state.HeaderComment]);
        var details = s.Scan("GL_GeneralJournalDetail_svc", ["BatchNo$", "SourceJournal$", "EntryNo$", "Account$", state.DebitColumn, state.CreditColumn, state.LineComment]);
        string hc = state.HeaderComment.TrimEnd('$'), lc = state.LineComment.TrimEnd('$');
        static string Key(Dictionary<string, string> r) => $"{r["BatchNo"]}|{r["SourceJournal"]}|{r["EntryNo"]}";
        string? hit = headers.Where(h => JournalEntryDraft.CarriesExternalId(h[hc], externalId)).Select(Key).FirstOrDefault()
                      ?? details.Where(d => JournalEntryDraft.CarriesExternalId(d[lc], externalId)).Select(Key).FirstOrDefault();
        if (hit is null)
        {
            return null;
        }

        var head = headers.First(h => Key(h) == hit);
        DateOnly date = SageFormats.ParseSageDate(head["PostingDate"])!.Value;
        (string fy, int fp) = this.ReadCalendar(s).Locate(date) ?? ("0000", 0);
        var lines = details.Where(d => Key(d) == hit)
            .Select((d, i) => new JournalLineInfo(i + 1, d["Account"], SageFormats.ParseMoney(d[state.DebitColumn]), SageFormats.ParseMoney(d[state.CreditColumn]), d[lc])).ToList();
        return new JournalEntryInfo(externalId, head["SourceJournal"], head["EntryNo"], head["BatchNo"], date, fy, fp, Posted: false, head[hc], lines);
    }

    private static JournalEntryInfo? FindPosted(BoiSession s, string externalId)
    {
        var rows = s.Scan("GL_DetailPosting_svc", ["AccountKey$", "PostingDate$", "SourceJournal$", "JournalRegisterNo$", "SequenceNo$", "FiscalYear$", "FiscalPeriod$", "DebitAmount", "CreditAmount", "PostingComment$", "DocumentNo$"]);
        var first = rows.FirstOrDefault(r => JournalEntryDraft.CarriesExternalId(r["PostingComment"], externalId));
        if (first is null)
        {
            return null;
        }

        var accounts = ReadAccounts(s).ToDictionary(a => a.AccountKey, a => a.Account, StringComparer.Ordinal);
        var lines = rows.Where(r => r["SourceJournal"] == first["SourceJournal"] && r["JournalRegisterNo"] == first["JournalRegisterNo"] && r["DocumentNo"] == first["DocumentNo"])
            .OrderBy(r => r["SequenceNo"], StringComparer.Ordinal)
            .Select((r, i) => new JournalLineInfo(i + 1, accounts.GetValueOrDefault(r["AccountKey"], r["AccountKey"]), SageFormats.ParseMoney(r["DebitAmount"]), SageFormats.ParseMoney(r["CreditAmount"]), r["PostingComment"]))
            .ToList();
        return new JournalEntryInfo(externalId, first["SourceJournal"], first["DocumentNo"], BatchNo: null, SageFormats.ParseSageDate(first["PostingDate"])!.Value,
            first["FiscalYear"], int.Parse(first["FiscalPeriod"], CultureInfo.InvariantCulture), Posted: true, first["PostingComment"], lines, first["JournalRegisterNo"]);
    }

    private static List<GlAccountRow> ReadAccounts(BoiSession s) => s.Scan("GL_Account_svc", AccountColumns).Select(ToAccount).ToList();

    private static GlAccountRow ToAccount(Dictionary<string, string> r)
        => new(r["AccountKey"], r["Account"], r["RawAccount"], r["MainAccountCode"], r["AccountDesc"], r["AccountType"], r["AccountGroup"], r["AccountCategory"],
            r["Status"], r["ClearBalance"] == "Y", Blank(r["DateUpdated"]), Blank(r["TimeUpdated"]));

    private static string Key(params string[] parts) => string.Join(BoiBrowse.KeySeparator, parts);

    private CompanyInfo ReadInfo(BoiSession s)
    {
        var accounts = ReadAccounts(s);
        this.options.SegmentDescriptions.TryGetValue(s.Company, out string[]? descriptions);
        AccountStructureInfo structure = AccountStructureInference.Infer(accounts.Select(a => (a.Account, a.RawAccount)), descriptions);
        bool divisions = s.Scan("AP_Division_svc", ["APDivisionNo$"]).Any(r => r["APDivisionNo"] != "00");
        return new CompanyInfo(s.Company, s.Company, structure, this.options.BatchEntryEnabled, PostOnCreate: false,
            this.options.SourceJournals.Select(j => new SourceJournalInfo(j, j)).ToList(), divisions);
    }

    private FiscalCalendarInfo ReadCalendar(BoiSession s)
    {
        using IBoiObject probe = s.NewObject("GL_FiscalYearDetail_svc");
        string end = BoiSession.Pick(BoiSession.Columns(probe), "PeriodEndingDate$", "PeriodEndDate$", "EndingDate$") ?? "PeriodEndingDate$";
        var years = s.Scan("GL_FiscalYearDetail_svc", ["FiscalYear$", "FiscalPeriod$", end])
            .Select(r => (Year: r["FiscalYear"], Period: int.Parse(r["FiscalPeriod"], CultureInfo.InvariantCulture), End: SageFormats.ParseSageDate(r[end.TrimEnd('$')])!.Value))
            .OrderBy(x => x.Year, StringComparer.Ordinal).ThenBy(x => x.Period)
            .GroupBy(x => x.Year)
            .ToList();
        var result = new List<FiscalYearInfo>();
        DateOnly? previousEnd = null;
        foreach (var year in years)
        {
            var periods = new List<FiscalPeriodInfo>();
            foreach (var p in year)
            {
                // Sage keeps period ending dates; a period begins the day after the previous one ends.
                DateOnly begin = previousEnd?.AddDays(1) ?? p.End.AddMonths(-1).AddDays(1);
                periods.Add(new FiscalPeriodInfo(p.Period, begin, p.End));
                previousEnd = p.End;
            }

            result.Add(new FiscalYearInfo(year.Key, periods[0].BeginDate, periods[^1].EndDate, periods));
        }

        if (result.Count == 0)
        {
            throw new SageOperationException(SageErrorKind.Unavailable, $"Company {s.Company} has no fiscal years on file.", record: $"company {s.Company}");
        }

        var today = DateOnly.FromDateTime(this.clock.GetLocalNow().DateTime);
        var probeCalendar = new FiscalCalendarInfo(result, result[0].FiscalYear, 1);
        return probeCalendar.Locate(today) is { } at ? probeCalendar with { CurrentFiscalYear = at.FiscalYear, CurrentPeriod = at.Period } : probeCalendar;
    }

    private async Task<T> UseAsync<T>(string company, Func<BoiSession, T> work)
    {
        CompanyState state = this.companies[company];
        return await state.Worker.RunAsync(() =>
        {
            try
            {
                if (state.Session is null)
                {
                    state.Session = BoiSession.Open(this.factory, this.options, company, DateOnly.FromDateTime(this.clock.GetLocalNow().DateTime));
                    this.SageVersion = state.Session.Version();
                    this.Discover(state, state.Session);
                }

                return work(state.Session);
            }
            catch (Exception ex) when (ex is COMException or InvalidComObjectException or PlatformNotSupportedException or System.Reflection.TargetInvocationException)
            {
                state.CloseSession();
                throw new SageOperationException(SageErrorKind.Unavailable, $"The BOI call for company {company} failed: {ex.Message}", ex.InnerException?.Message, $"company {company}");
            }
        });
    }

    private void Discover(CompanyState state, BoiSession s)
    {
        using IBoiObject bus = s.NewObject("GL_GeneralJournal_bus");
        IReadOnlyList<string> header = BoiSession.Columns(bus);
        IReadOnlyList<string> lines = BoiSession.Columns(bus.Child("oLines"));
        state.LineColumns = lines;
        state.HeaderComment = BoiSession.Pick(header, HeaderCommentCandidates) ?? HeaderCommentCandidates[0];
        state.DebitColumn = BoiSession.Pick(lines, DebitCandidates) ?? DebitCandidates[0];
        state.CreditColumn = BoiSession.Pick(lines, CreditCandidates) ?? CreditCandidates[0];
        state.LineComment = BoiSession.Pick(lines, LineCommentCandidates) ?? LineCommentCandidates[0];
        Logs.BoiSessionOpened(this.logger, s.Company, lines.Count);
    }

    private static string? Blank(string value) => value.Length == 0 ? null : value;

    /// <summary>The code of segment <paramref name="segment"/> in a formatted account, by the company's structure (empty when it has fewer).</summary>
    private static string SegmentOf(AccountStructureInfo structure, string account, int segment)
    {
        IReadOnlyList<string> parts = structure.Split(account.Trim());
        return segment >= 1 && segment <= parts.Count ? parts[segment - 1] : string.Empty;
    }

    private sealed class CompanyState(BoiWorker worker, TimeProvider clock)
    {
        public BoiWorker Worker { get; } = worker;

        public BoiSession? Session { get; set; }

        /// <summary>Gets the paged reads left open between pages (their objects belong to <see cref="Session"/>).</summary>
        public BoiOpenReads Reads { get; private set; } = new(clock);

        public CompanyInfo? Info { get; set; }

        public IReadOnlyList<string> LineColumns { get; set; } = [];

        public string HeaderComment { get; set; } = HeaderCommentCandidates[0];

        public string DebitColumn { get; set; } = DebitCandidates[0];

        public string CreditColumn { get; set; } = CreditCandidates[0];

        public string LineComment { get; set; } = LineCommentCandidates[0];

        /// <summary>Drops the session and every read open on it.</summary>
        public void CloseSession()
        {
            this.Reads.Dispose();
            this.Reads = new BoiOpenReads(clock);
            this.Session?.Dispose();
            this.Session = null;
        }
    }
}
