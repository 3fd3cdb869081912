using System.Globalization;
using Connector.Agent.Sage;
using Microsoft.Data.Sqlite;
using W = Connector.Agent.Backends.Simulated.SimulatedSchema.Width;

namespace Connector.Agent.Backends.Simulated;

/// <summary>
/// One simulated Sage 100 company over its SQLite file: the reads the agent serves, Sage's journal-entry rules,
/// General Journal Update (posting), and the test-control mutations that stamp DateUpdated/TimeUpdated as Sage does.
/// </summary>
public sealed class SimulatedCompany
{
    private const string AgentBatchComment = "ml-connector agent";
    private readonly string connectionString;
    private readonly TimeProvider clock;
    private readonly IReadOnlyList<FiscalYearInfo> years;

    internal SimulatedCompany(string path, TimeProvider clock)
    {
        this.Path = path;
        this.connectionString = ConnectionString(path);
        this.clock = clock;
        using SqliteConnection c = this.Open();
        this.Code = Scalar(c, "SELECT CompanyCode FROM SY_Company").Trim();
        this.years = ReadYears(c);
        this.Info = ReadInfo(c, this.Code);
    }

    /// <summary>Gets the company code.</summary>
    public string Code { get; }

    /// <summary>Gets the SQLite file.</summary>
    public string Path { get; }

    /// <summary>Gets what the company offers (structure, batch mode, journals, divisions).</summary>
    public CompanyInfo Info { get; }

    /// <summary>Gets or sets a fixed current period; null derives it from the clock.</summary>
    public (string FiscalYear, int Period)? CurrentPeriodOverride { get; set; }

    internal static string ConnectionString(string path)
        => new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();

    /// <summary>Sage's local "now".</summary>
    public DateTime Now => this.clock.GetLocalNow().DateTime;

    /// <summary>The fiscal calendar with the current period for the clock's today.</summary>
    public FiscalCalendarInfo Calendar()
    {
        FiscalCalendarInfo calendar = SimulatedCalendar.WithCurrent(this.years, DateOnly.FromDateTime(this.Now));
        return this.CurrentPeriodOverride is { } o ? calendar with { CurrentFiscalYear = o.FiscalYear, CurrentPeriod = o.Period } : calendar;
    }

    public IReadOnlyList<GlAccountRow> GetAccounts(string? afterKey, int limit)
    {
        using SqliteConnection c = this.Open();
        using SqliteCommand cmd = Command(c, PagedQueries.Accounts, ("$after", afterKey ?? string.Empty), ("$limit", limit));
        return Read(cmd, r => new GlAccountRow(S(r, 0), S(r, 1), S(r, 2), S(r, 3), S(r, 4), S(r, 5), S(r, 6), S(r, 7), S(r, 8), S(r, 9) == "Y", N(r, 10), N(r, 11)));
    }

    public IReadOnlyList<SubAccountRow> GetSubAccounts(int? segment, (int Segment, string Code)? after, int limit)
    {
        using SqliteConnection c = this.Open();
        using SqliteCommand cmd = Command(c, PagedQueries.SubAccounts,
            ("$segment", segment is { } s ? SageFormats.Period(s) : string.Empty),
            ("$afterSeg", after is { } a ? SageFormats.Period(a.Segment) : string.Empty),
            ("$afterCode", after?.Code ?? string.Empty),
            ("$limit", limit));
        return Read(cmd, r => new SubAccountRow(int.Parse(S(r, 0), CultureInfo.InvariantCulture), S(r, 1), S(r, 2)));
    }

    public IReadOnlyList<PeriodBalanceRow> GetPeriodBalances(string fiscalYear, int fromPeriod, int toPeriod, (string AccountKey, int Period)? after, int limit)
    {
        using SqliteConnection c = this.Open();
        using SqliteCommand cmd = Command(c, PagedQueries.PeriodBalances,
            ("$year", fiscalYear), ("$from", SageFormats.Period(fromPeriod)), ("$to", SageFormats.Period(toPeriod)),
            ("$afterKey", after?.AccountKey ?? string.Empty), ("$afterPeriod", after is { } a ? SageFormats.Period(a.Period) : string.Empty),
            ("$limit", limit));
        return Read(cmd, ReadBalance);
    }

    private static PeriodBalanceRow ReadBalance(SqliteDataReader r)
    {
        int period = int.Parse(S(r, 3), CultureInfo.InvariantCulture);
        return new PeriodBalanceRow(S(r, 0), S(r, 1), S(r, 2), period, period == 1 ? SageFormats.ParseMoney(S(r, 4)) : null, SageFormats.ParseMoney(S(r, 5)), SageFormats.ParseMoney(S(r, 6)));
    }

    public SageTimestamp? GetLatestUpdate(SageDataSet dataSet)
    {
        using SqliteConnection c = this.Open();
        string[] tables = dataSet == SageDataSet.Vendors ? ["AP_Vendor"] : ["AP_InvoiceHistoryHeader", "AP_OpenInvoice"];
        SageTimestamp? latest = null;
        foreach (string table in tables)
        {
#pragma warning disable CA2100 // table names are constants above
            string date = Scalar(c, $"SELECT IFNULL(MAX(DateUpdated), '') FROM {table}");
            string time = Scalar(c, $"SELECT IFNULL(MAX(CAST(TimeUpdated AS REAL)), '') FROM {table} WHERE DateUpdated = '{date.Replace("'", string.Empty, StringComparison.Ordinal)}' AND TRIM(TimeUpdated) <> ''");
#pragma warning restore CA2100
            SageTimestamp? t = SageTimestamp.FromSage(date, time);
            if (t is { } value && (latest is null || value > latest.Value))
            {
                latest = value;
            }
        }

        return latest;
    }

    public IReadOnlyList<VendorRow> GetVendors(SageTimestamp? since, (string Division, string Vendor)? after, int limit)
    {
        using SqliteConnection c = this.Open();
        using SqliteCommand cmd = Command(c, PagedQueries.Vendors,
            [("$afterDiv", after?.Division ?? string.Empty), ("$afterVendor", after?.Vendor ?? string.Empty), ("$limit", limit), .. SinceParameters(since)]);
        return Read(cmd, ReadVendor);
    }

    public InvoiceTotalsResult GetInvoiceTotals(SageTimestamp? since, (string Division, string Vendor)? after, int limit)
    {
        FiscalCalendarInfo calendar = this.Calendar();
        using SqliteConnection c = this.Open();
        (string Division, string Vendor) start = after ?? (string.Empty, string.Empty);

        // The page's vendors: those after the cursor holding an invoice (changed since, when given), in key order. One more
        // than the limit tells whether another page follows.
        using SqliteCommand list = Command(c, PagedQueries.InvoiceVendors,
            [("$afterDiv", start.Division), ("$afterVendor", start.Vendor), ("$limit", (long)limit + 1), .. SinceParameters(since)]);
        List<(string Division, string Vendor)> vendors = Read(list, r => (S(r, 0), S(r, 1)));

        using SqliteCommand invoices = Command(c, PagedQueries.VendorInvoices, [("$d", string.Empty), ("$v", string.Empty), .. SinceParameters(since)]);
        var rows = new List<InvoiceTotalRow>();
        int unmapped = 0;
        (string, string)? last = null;
        int i = 0;
        for (; i < vendors.Count && rows.Count < limit; i++)
        {
            (string d, string v) = vendors[i];
            invoices.Parameters["$d"].Value = d;
            invoices.Parameters["$v"].Value = v;
            var invoiceRows = Read(invoices, r => (Date: SageFormats.ParseSageDate(S(r, 0))!.Value, Amount: SageFormats.ParseMoney(S(r, 1)), Balance: SageFormats.ParseMoney(S(r, 2)), Changed: S(r, 3) == "1"));
            HashSet<(string, string, string, int)>? changedGroups = null;
            if (since is not null)
            {
                // Every group of this vendor holding a changed invoice is sent whole (its totals recomputed).
                changedGroups = [];
                foreach (var invoice in invoiceRows.Where(x => x.Changed))
                {
                    if (calendar.Locate(invoice.Date) is { } at)
                    {
                        changedGroups.Add((d, v, at.FiscalYear, at.Period));
                    }
                }
            }

            rows.AddRange(InvoiceAggregation.Rows(d, v, InvoiceAggregation.Group(invoiceRows.Select(x => (x.Date, x.Amount, x.Balance)), calendar, ref unmapped), changedGroups));
            last = (d, v);
        }

        return new InvoiceTotalsResult(rows, i < vendors.Count, last, unmapped);
    }

    /// <summary>
    /// Posted invoices' GL distribution (AP_InvoiceHistoryDetail) totalled per vendor, fiscal period of the invoice date
    /// and the code of account segment <paramref name="segment"/> (GL_AccountSegment); with <paramref name="since"/>, the
    /// groups of every (vendor, period) holding an invoice changed since then.
    /// </summary>
    public InvoiceDistributionResult GetInvoiceDistribution(int segment, SageTimestamp? since, (string Division, string Vendor)? after, int limit)
    {
        FiscalCalendarInfo calendar = this.Calendar();
        using SqliteConnection c = this.Open();
        (string Division, string Vendor) start = after ?? (string.Empty, string.Empty);
        HashSet<(string, string, string, int)>? changedGroups = null;
        List<(string Division, string Vendor)> vendors;
        if (since is not null)
        {
            changedGroups = [];
            using SqliteCommand changed = Command(c, $"""
                SELECT APDivisionNo, VendorNo, InvoiceDate FROM AP_InvoiceHistoryHeader h WHERE (APDivisionNo, VendorNo) > ($afterDiv, $afterVendor) AND {PagedQueries.Changed.H}
                UNION
                SELECT APDivisionNo, VendorNo, InvoiceDate FROM AP_OpenInvoice o WHERE (APDivisionNo, VendorNo) > ($afterDiv, $afterVendor) AND {PagedQueries.Changed.O}
                """, [("$afterDiv", start.Division), ("$afterVendor", start.Vendor), .. SinceParameters(since)]);
            foreach ((string d, string v, string date) in Read(changed, r => (S(r, 0), S(r, 1), S(r, 2))))
            {
                if (calendar.Locate(SageFormats.ParseSageDate(date)!.Value) is { } at)
                {
                    changedGroups.Add((d, v, at.FiscalYear, at.Period));
                }
            }

            vendors = changedGroups.Select(g => (g.Item1, g.Item2)).Distinct().Order().ToList();
        }
        else
        {
            using SqliteCommand list = Command(c, """
                SELECT APDivisionNo, VendorNo FROM AP_InvoiceHistoryHeader WHERE (APDivisionNo, VendorNo) > ($afterDiv, $afterVendor) GROUP BY APDivisionNo, VendorNo
                ORDER BY 1, 2 LIMIT $limit
                """, ("$afterDiv", start.Division), ("$afterVendor", start.Vendor), ("$limit", limit + 1));
            vendors = Read(list, r => (S(r, 0), S(r, 1))).ToList();
        }

        using SqliteCommand lines = Command(c, """
            SELECT h.InvoiceNo, h.InvoiceDate, IFNULL(s.SubAccountCode, ''), d.DistributionAmt FROM AP_InvoiceHistoryHeader h
              JOIN AP_InvoiceHistoryDetail d ON d.APDivisionNo = h.APDivisionNo AND d.VendorNo = h.VendorNo AND d.InvoiceNo = h.InvoiceNo AND d.HeaderSeqNo = h.HeaderSeqNo
              LEFT JOIN GL_AccountSegment s ON s.AccountKey = d.AccountKey AND s.SegmentNo = $segment
              WHERE h.APDivisionNo = $d AND h.VendorNo = $v
            """, ("$d", string.Empty), ("$v", string.Empty), ("$segment", SageFormats.Period(segment)));
        var rows = new List<InvoiceDistributionRow>();
        int unmapped = 0;
        (string, string)? last = null;
        int i = 0;
        for (; i < vendors.Count && rows.Count < limit; i++)
        {
            (string d, string v) = vendors[i];
            lines.Parameters["$d"].Value = d;
            lines.Parameters["$v"].Value = v;
            var vendorLines = Read(lines, r => (S(r, 0), SageFormats.ParseSageDate(S(r, 1))!.Value, S(r, 2).Trim(), SageFormats.ParseMoney(S(r, 3))));
            rows.AddRange(InvoiceAggregation.Distribution(d, v, vendorLines, calendar, changedGroups, ref unmapped));
            last = (d, v);
        }

        return new InvoiceDistributionResult(rows, i < vendors.Count, last, unmapped);
    }

    /// <summary>Finds the entry carrying <paramref name="externalId"/>: unposted entries first, then posted history.</summary>
    public JournalEntryInfo? FindJournalEntry(string externalId)
    {
        using SqliteConnection c = this.Open();
        return FindUnposted(c, null, externalId) ?? FindPosted(c, externalId);
    }

    /// <summary>Every entry, unposted and posted (test control).</summary>
    public IReadOnlyList<JournalEntryInfo> ListJournalEntries()
    {
        using SqliteConnection c = this.Open();
        var result = new List<JournalEntryInfo>();
        using (SqliteCommand cmd = Command(c, "SELECT BatchNo, SourceJournal, EntryNo FROM GL_GeneralJournalHeader ORDER BY BatchNo, SourceJournal, EntryNo"))
        {
            foreach ((string b, string sj, string e) in Read(cmd, r => (S(r, 0), S(r, 1), S(r, 2))).ToList())
            {
                result.Add(LoadUnposted(c, null, b, sj, e));
            }
        }

        using (SqliteCommand cmd = Command(c, "SELECT DISTINCT SourceJournal, JournalRegisterNo, DocumentNo FROM GL_DetailPosting ORDER BY 1, 2, 3"))
        {
            foreach ((string sj, string reg, string doc) in Read(cmd, r => (S(r, 0), S(r, 1), S(r, 2))).ToList())
            {
                result.Add(LoadPosted(c, sj, reg, doc));
            }
        }

        return result;
    }

    /// <summary>Writes an unposted general journal entry after checking Sage's rules. Atomic: all or nothing.</summary>
    public JournalEntryInfo CreateJournalEntry(JournalEntryDraft draft, string user)
    {
        FiscalCalendarInfo calendar = this.Calendar();
        string record = $"journal entry {draft.ExternalId}";
        using SqliteConnection c = this.Open();
        using SqliteTransaction tx = c.BeginTransaction();
        string nextEntry = Scalar(c, "SELECT IFNULL(MAX(NextEntryNo), '') FROM GL_SourceJournal WHERE SourceJournal = $sj", tx, ("$sj", draft.SourceJournal));
        if (nextEntry.Length == 0)
        {
            throw Invalid($"Source journal {draft.SourceJournal} is not on file.", record, "sourceJournal");
        }

        if (calendar.Locate(draft.PostingDate) is not { } at)
        {
            throw Invalid($"Posting date {SageFormats.ToSageDate(draft.PostingDate)} is not within a fiscal year on file.", record, "postingDate");
        }

        if (!calendar.IsOpen(at.FiscalYear, at.Period))
        {
            throw Invalid(
                $"Posting date {SageFormats.ToSageDate(draft.PostingDate)} is in fiscal period {at.FiscalYear}-{SageFormats.Period(at.Period)}, which is closed. The current period is {calendar.CurrentFiscalYear}-{SageFormats.Period(calendar.CurrentPeriod)}.",
                record, "postingDate");
        }

        if (draft.Lines.Count < 2)
        {
            throw Invalid("A journal entry must have at least two lines.", record, "lines");
        }

        var keys = new string[draft.Lines.Count];
        decimal debits = 0m, credits = 0m;
        for (int i = 0; i < draft.Lines.Count; i++)
        {
            JournalLineDraft line = draft.Lines[i];
            string field = $"lines[{i}]";
            using SqliteCommand find = Command(c, "SELECT AccountKey, Status FROM GL_Account WHERE Account = $a", ("$a", line.Account));
            find.Transaction = tx;
            var found = Read(find, r => (Key: S(r, 0), Status: S(r, 1))).FirstOrDefault();
            if (found.Key is null)
            {
                throw Invalid($"Account {line.Account} is not on file.", record, field + ".account", i + 1);
            }

            if (found.Status != "A")
            {
                throw Invalid($"Account {line.Account} is inactive.", record, field + ".account", i + 1);
            }

            if (line.Debit < 0 || line.Credit < 0)
            {
                throw Invalid($"Invalid amount on line {i + 1}: amounts cannot be negative.", record, line.Debit < 0 ? field + ".debit" : field + ".credit", i + 1);
            }

            if (decimal.Round(line.Debit, 2) != line.Debit || decimal.Round(line.Credit, 2) != line.Credit)
            {
                throw Invalid($"Invalid amount on line {i + 1}: at most two decimal places.", record, decimal.Round(line.Debit, 2) != line.Debit ? field + ".debit" : field + ".credit", i + 1);
            }

            if ((line.Debit == 0) == (line.Credit == 0))
            {
                throw Invalid($"Invalid amount on line {i + 1}: enter either a debit or a credit amount.", record, field + ".debit", i + 1);
            }

            keys[i] = found.Key;
            debits += line.Debit;
            credits += line.Credit;
        }

        if (debits != credits)
        {
            throw Invalid($"Journal entry is out of balance by {SageFormats.FormatMoney(Math.Abs(debits - credits))}. Debits {SageFormats.FormatMoney(debits)}, credits {SageFormats.FormatMoney(credits)}.", record, "lines");
        }

        string batch = this.Info.BatchEntryEnabled ? AgentBatch(c, tx, user) : "00000";
        DateTime now = this.Now;
        string entryNo = nextEntry;
        Exec(c, tx, "UPDATE GL_SourceJournal SET NextEntryNo = $n WHERE SourceJournal = $sj",
            ("$n", SageFormats.ZeroFill(long.Parse(entryNo, CultureInfo.InvariantCulture) + 1, W.EntryNo)), ("$sj", draft.SourceJournal));
        string header = draft.HeaderComment;
        Exec(c, tx, """
            INSERT INTO GL_GeneralJournalHeader (BatchNo, SourceJournal, EntryNo, PostingDate, FiscalYear, FiscalPeriod, JournalComment,
              DateCreated, TimeCreated, UserCreatedKey, DateUpdated, TimeUpdated, UserUpdatedKey)
            VALUES ($b, $sj, $e, $pd, $fy, $fp, $cm, $d, $t, $u, $d, $t, $u)
            """,
            ("$b", batch), ("$sj", draft.SourceJournal), ("$e", entryNo), ("$pd", SageFormats.ToSageDate(draft.PostingDate)),
            ("$fy", at.FiscalYear), ("$fp", SageFormats.Period(at.Period)),
            ("$cm", SageFormats.Pad(header.Length > W.JournalComment ? header[..W.JournalComment] : header, W.JournalComment)),
            ("$d", SageFormats.ToSageDate(DateOnly.FromDateTime(now))), ("$t", SageFormats.ToDecimalHours(now.TimeOfDay)), ("$u", SageFormats.Pad(user, W.UserKey)));
        for (int i = 0; i < draft.Lines.Count; i++)
        {
            Exec(c, tx, """
                INSERT INTO GL_GeneralJournalDetail (BatchNo, SourceJournal, EntryNo, LineKey, AccountKey, DebitAmount, CreditAmount, PostingComment)
                VALUES ($b, $sj, $e, $k, $a, $dr, $cr, $cm)
                """,
                ("$b", batch), ("$sj", draft.SourceJournal), ("$e", entryNo), ("$k", SageFormats.ZeroFill(i + 1, W.LineKey)), ("$a", keys[i]),
                ("$dr", SageFormats.FormatMoney(draft.Lines[i].Debit)), ("$cr", SageFormats.FormatMoney(draft.Lines[i].Credit)), ("$cm", draft.LineComment(i)));
        }

        JournalEntryInfo created = LoadUnposted(c, tx, batch, draft.SourceJournal, entryNo) with { ExternalId = draft.ExternalId };
        tx.Commit();
        return created;
    }

    /// <summary>
    /// General Journal Update: posts every unposted entry into GL_DetailPosting and GL_PeriodPostingHistory and
    /// empties the batches. Returns the number of entries posted.
    /// </summary>
    public int JournalUpdate(string user)
    {
        DateTime now = this.Now;
        string d = SageFormats.ToSageDate(DateOnly.FromDateTime(now));
        string t = SageFormats.ToDecimalHours(now.TimeOfDay);
        using SqliteConnection c = this.Open();
        using SqliteTransaction tx = c.BeginTransaction();
        using SqliteCommand headers = Command(c, "SELECT BatchNo, SourceJournal, EntryNo, PostingDate, FiscalYear, FiscalPeriod FROM GL_GeneralJournalHeader ORDER BY SourceJournal, BatchNo, EntryNo");
        headers.Transaction = tx;
        var entries = Read(headers, r => (Batch: S(r, 0), Journal: S(r, 1), Entry: S(r, 2), Date: S(r, 3), Year: S(r, 4), Period: S(r, 5))).ToList();
        var registers = new Dictionary<string, string>(StringComparer.Ordinal);
        int sequence = 0;
        foreach (var e in entries)
        {
            if (!registers.TryGetValue(e.Journal, out string? register))
            {
                register = Scalar(c, "SELECT NextJournalRegisterNo FROM GL_SourceJournal WHERE SourceJournal = $sj", tx, ("$sj", e.Journal));
                registers[e.Journal] = register;
                Exec(c, tx, "UPDATE GL_SourceJournal SET NextJournalRegisterNo = $n WHERE SourceJournal = $sj",
                    ("$n", SageFormats.ZeroFill(long.Parse(register, CultureInfo.InvariantCulture) + 1, W.JournalRegisterNo)), ("$sj", e.Journal));
            }

            using SqliteCommand lines = Command(c, "SELECT AccountKey, DebitAmount, CreditAmount, PostingComment FROM GL_GeneralJournalDetail WHERE BatchNo = $b AND SourceJournal = $sj AND EntryNo = $e ORDER BY LineKey",
                ("$b", e.Batch), ("$sj", e.Journal), ("$e", e.Entry));
            lines.Transaction = tx;
            foreach ((string key, string dr, string cr, string comment) in Read(lines, r => (S(r, 0), S(r, 1), S(r, 2), S(r, 3))).ToList())
            {
                Exec(c, tx, """
                    INSERT INTO GL_DetailPosting (AccountKey, PostingDate, SourceJournal, JournalRegisterNo, SequenceNo, FiscalYear, FiscalPeriod, DebitAmount, CreditAmount,
                      PostingComment, SourceModule, DocumentNo, DateCreated, TimeCreated, UserCreatedKey)
                    VALUES ($a, $pd, $sj, $r, $s, $fy, $fp, $dr, $cr, $cm, 'G/L', $doc, $d, $t, $u)
                    """,
                    ("$a", key), ("$pd", e.Date), ("$sj", e.Journal), ("$r", register), ("$s", SageFormats.ZeroFill(++sequence, W.SequenceNo)),
                    ("$fy", e.Year), ("$fp", e.Period), ("$dr", dr), ("$cr", cr), ("$cm", comment), ("$doc", e.Entry), ("$d", d), ("$t", t), ("$u", SageFormats.Pad(user, W.UserKey)));
                this.AddToPeriod(c, tx, key, e.Year, int.Parse(e.Period, CultureInfo.InvariantCulture), SageFormats.ParseMoney(dr), SageFormats.ParseMoney(cr), user);
            }
        }

        Exec(c, tx, "DELETE FROM GL_GeneralJournalDetail");
        Exec(c, tx, "DELETE FROM GL_GeneralJournalHeader");
        Exec(c, tx, "UPDATE GL_JournalBatch SET BatchStatus = 'P' WHERE BatchStatus = 'O'");
        tx.Commit();
        return entries.Count;
    }

    /// <summary>Adds or changes a vendor, stamping DateUpdated/TimeUpdated.</summary>
    public VendorRow UpsertVendor(string division, string vendorNo, string? name, string? city, string? status, SageTimestamp? updatedAt, bool blankTime, bool create)
    {
        (string date, string time) = this.StampOf(updatedAt, blankTime);
        string temp = status == "temporary" ? "Y" : "N";
        string hold = status == "on_hold" ? "Y" : "N";
        using SqliteConnection c = this.Open();
        using SqliteTransaction tx = c.BeginTransaction();
        bool exists = Scalar(c, "SELECT COUNT(*) FROM AP_Vendor WHERE APDivisionNo = $d AND VendorNo = $v", tx, ("$d", division), ("$v", vendorNo)) != "0";
        if (create && exists)
        {
            throw new SageOperationException(SageErrorKind.Conflict, $"Vendor {division}-{vendorNo} already exists.", record: $"vendor {division}-{vendorNo}");
        }

        if (!create && !exists)
        {
            throw new SageOperationException(SageErrorKind.NotFound, $"Vendor {division}-{vendorNo} is not on file.", record: $"vendor {division}-{vendorNo}");
        }

        if (create)
        {
            if (Scalar(c, "SELECT COUNT(*) FROM AP_Division WHERE APDivisionNo = $d", tx, ("$d", division)) == "0")
            {
                throw Invalid($"Division {division} is not on file.", $"vendor {division}-{vendorNo}", "divisionNo");
            }

            Exec(c, tx, """
                INSERT INTO AP_Vendor (APDivisionNo, VendorNo, VendorName, AddressLine1, City, State, ZipCode, TermsCode, TemporaryVendor, HoldPayment,
                  DateCreated, TimeCreated, UserCreatedKey, DateUpdated, TimeUpdated, UserUpdatedKey)
                VALUES ($d, $v, $n, $addr, $city, '', '', '01', $temp, $hold, $date, $time, $u, $date, $time, $u)
                """,
                ("$d", division), ("$v", vendorNo), ("$n", SageFormats.Pad(name ?? "New Vendor", W.VendorName)), ("$addr", SageFormats.Pad(string.Empty, W.AddressLine)),
                ("$city", SageFormats.Pad(city ?? string.Empty, W.City)), ("$temp", temp), ("$hold", hold), ("$date", date), ("$time", time), ("$u", SageFormats.Pad("SIM", W.UserKey)));
        }
        else
        {
            Exec(c, tx, """
                UPDATE AP_Vendor SET VendorName = IFNULL($n, VendorName), City = IFNULL($city, City),
                  TemporaryVendor = IFNULL($temp, TemporaryVendor), HoldPayment = IFNULL($hold, HoldPayment),
                  DateUpdated = $date, TimeUpdated = $time, UserUpdatedKey = $u
                WHERE APDivisionNo = $d AND VendorNo = $v
                """,
                ("$d", division), ("$v", vendorNo), ("$n", name is null ? null : SageFormats.Pad(name, W.VendorName)), ("$city", city is null ? null : SageFormats.Pad(city, W.City)),
                ("$temp", status is null ? null : temp), ("$hold", status is null ? null : hold), ("$date", date), ("$time", time), ("$u", SageFormats.Pad("SIM", W.UserKey)));
        }

        using SqliteCommand read = Command(c, "SELECT APDivisionNo, VendorNo, VendorName, AddressLine1, City, State, ZipCode, TermsCode, TemporaryVendor, HoldPayment, DateCreated, DateUpdated, TimeUpdated FROM AP_Vendor WHERE APDivisionNo = $d AND VendorNo = $v", ("$d", division), ("$v", vendorNo));
        read.Transaction = tx;
        VendorRow row = Read(read, ReadVendor).Single();
        tx.Commit();
        return row;
    }

    /// <summary>
    /// Adds or changes an invoice (history always; open while it has a balance), stamping both rows. Its GL distribution
    /// is <paramref name="distribution"/> (formatted account → amount, summing to the invoice amount) when given; else a
    /// new invoice goes wholly to the company's first active expense account, and a changed amount rescales the lines.
    /// </summary>
    public SimInvoiceRow UpsertInvoice(
        string division, string vendorNo, string invoiceNo, DateOnly? invoiceDate, decimal? amount, decimal? balance, SageTimestamp? updatedAt, bool blankTime, bool create,
        IReadOnlyList<(string Account, decimal Amount)>? distribution = null)
    {
        (string date, string time) = this.StampOf(updatedAt, blankTime);
        string paddedInvoice = SageFormats.Pad(invoiceNo, W.InvoiceNo);
        string record = $"invoice {division}-{vendorNo} {invoiceNo}";
        using SqliteConnection c = this.Open();
        using SqliteTransaction tx = c.BeginTransaction();
        (string, object?)[] key = [("$d", division), ("$v", vendorNo), ("$i", paddedInvoice)];
        bool inHistory = Scalar(c, "SELECT COUNT(*) FROM AP_InvoiceHistoryHeader WHERE APDivisionNo = $d AND VendorNo = $v AND InvoiceNo = $i", tx, key) != "0";
        bool inOpen = Scalar(c, "SELECT COUNT(*) FROM AP_OpenInvoice WHERE APDivisionNo = $d AND VendorNo = $v AND InvoiceNo = $i", tx, key) != "0";
        string u = SageFormats.Pad("SIM", W.UserKey);
        if (create)
        {
            if (inHistory || inOpen)
            {
                throw new SageOperationException(SageErrorKind.Conflict, $"Invoice {invoiceNo} already exists for vendor {division}-{vendorNo}.", record: record);
            }

            if (invoiceDate is null || amount is null)
            {
                throw Invalid("A new invoice needs invoiceDate and invoiceAmount.", record, invoiceDate is null ? "invoiceDate" : "invoiceAmount");
            }

            if (Scalar(c, "SELECT COUNT(*) FROM AP_Vendor WHERE APDivisionNo = $d AND VendorNo = $v", tx, ("$d", division), ("$v", vendorNo)) == "0")
            {
                throw Invalid($"Vendor {division}-{vendorNo} is not on file.", record, "vendorNo");
            }

            Exec(c, tx, """
                INSERT INTO AP_InvoiceHistoryHeader (APDivisionNo, VendorNo, InvoiceNo, HeaderSeqNo, SourceJournal, InvoiceDate, TransactionDate, InvoiceAmt, FreightAmt, Comment,
                  DateCreated, TimeCreated, UserCreatedKey, DateUpdated, TimeUpdated, UserUpdatedKey)
                VALUES ($d, $v, $i, '000000', 'PJ', $id, $id, $amt, '0.00', $cm, $date, $time, $u, $date, $time, $u)
                """,
                [.. key, ("$id", SageFormats.ToSageDate(invoiceDate.Value)), ("$amt", SageFormats.FormatMoney(amount.Value)), ("$cm", SageFormats.Pad("Purchase invoice", W.Comment)),
                 ("$date", date), ("$time", time), ("$u", u)]);
            inHistory = true;
        }
        else
        {
            if (!inHistory && !inOpen)
            {
                throw new SageOperationException(SageErrorKind.NotFound, $"Invoice {invoiceNo} is not on file for vendor {division}-{vendorNo}.", record: record);
            }

            Exec(c, tx, """
                UPDATE AP_InvoiceHistoryHeader SET InvoiceAmt = IFNULL($amt, InvoiceAmt), InvoiceDate = IFNULL($id, InvoiceDate), DateUpdated = $date, TimeUpdated = $time, UserUpdatedKey = $u
                WHERE APDivisionNo = $d AND VendorNo = $v AND InvoiceNo = $i
                """,
                [.. key, ("$amt", amount is null ? null : SageFormats.FormatMoney(amount.Value)), ("$id", invoiceDate is null ? null : SageFormats.ToSageDate(invoiceDate.Value)),
                 ("$date", date), ("$time", time), ("$u", u)]);
            Exec(c, tx, """
                UPDATE AP_OpenInvoice SET InvoiceAmt = IFNULL($amt, InvoiceAmt), InvoiceDate = IFNULL($id, InvoiceDate), DateUpdated = $date, TimeUpdated = $time, UserUpdatedKey = $u
                WHERE APDivisionNo = $d AND VendorNo = $v AND InvoiceNo = $i
                """,
                [.. key, ("$amt", amount is null ? null : SageFormats.FormatMoney(amount.Value)), ("$id", invoiceDate is null ? null : SageFormats.ToSageDate(invoiceDate.Value)),
                 ("$date", date), ("$time", time), ("$u", u)]);
        }

        if (balance is { } b)
        {
            if (b == 0m)
            {
                Exec(c, tx, "DELETE FROM AP_OpenInvoice WHERE APDivisionNo = $d AND VendorNo = $v AND InvoiceNo = $i", key);
            }
            else if (Scalar(c, "SELECT COUNT(*) FROM AP_OpenInvoice WHERE APDivisionNo = $d AND VendorNo = $v AND InvoiceNo = $i", tx, key) != "0")
            {
                Exec(c, tx, "UPDATE AP_OpenInvoice SET Balance = $bal, DateUpdated = $date, TimeUpdated = $time WHERE APDivisionNo = $d AND VendorNo = $v AND InvoiceNo = $i",
                    [.. key, ("$bal", SageFormats.FormatMoney(b)), ("$date", date), ("$time", time)]);
            }
            else
            {
                Exec(c, tx, """
                    INSERT INTO AP_OpenInvoice (APDivisionNo, VendorNo, InvoiceNo, HeaderSeqNo, InvoiceDate, InvoiceDueDate, InvoiceAmt, DiscountAmt, Balance,
                      DateCreated, TimeCreated, UserCreatedKey, DateUpdated, TimeUpdated, UserUpdatedKey)
                    SELECT APDivisionNo, VendorNo, InvoiceNo, HeaderSeqNo, InvoiceDate, InvoiceDate, InvoiceAmt, '0.00', $bal, $date, $time, $u, $date, $time, $u
                    FROM AP_InvoiceHistoryHeader WHERE APDivisionNo = $d AND VendorNo = $v AND InvoiceNo = $i
                    """, [.. key, ("$bal", SageFormats.FormatMoney(b)), ("$date", date), ("$time", time), ("$u", u)]);
            }
        }

        this.Distribute(c, tx, key, record, create, amount, distribution);
        using SqliteCommand read = Command(c, """
            SELECT h.InvoiceDate, h.InvoiceAmt, o.Balance, h.InvoiceNo IS NOT NULL, o.InvoiceNo IS NOT NULL
            FROM (SELECT $d AS D, $v AS V, $i AS I) k
            LEFT JOIN AP_InvoiceHistoryHeader h ON h.APDivisionNo = k.D AND h.VendorNo = k.V AND h.InvoiceNo = k.I
            LEFT JOIN AP_OpenInvoice o ON o.APDivisionNo = k.D AND o.VendorNo = k.V AND o.InvoiceNo = k.I
            """, key);
        read.Transaction = tx;
        SimInvoiceRow row = Read(read, r => new SimInvoiceRow(division, vendorNo, invoiceNo, SageFormats.ParseSageDate(S(r, 0)) ?? DateOnly.MinValue,
            SageFormats.ParseMoney(S(r, 1)), SageFormats.ParseMoney(S(r, 2)), r.GetInt64(3) == 1, r.GetInt64(4) == 1)).Single();
        tx.Commit();
        return row;
    }

    /// <summary>Every posted invoice's GL distribution line, read straight from the tables (for tests' expected values).</summary>
    public IReadOnlyList<SimDistributionLine> GetDistributionLines()
    {
        using SqliteConnection c = this.Open();
        using SqliteCommand cmd = Command(c, """
            SELECT h.APDivisionNo, h.VendorNo, h.InvoiceNo, h.InvoiceDate, a.Account, d.DistributionAmt FROM AP_InvoiceHistoryDetail d
              JOIN AP_InvoiceHistoryHeader h ON h.APDivisionNo = d.APDivisionNo AND h.VendorNo = d.VendorNo AND h.InvoiceNo = d.InvoiceNo AND h.HeaderSeqNo = d.HeaderSeqNo
              JOIN GL_Account a ON a.AccountKey = d.AccountKey
            """);
        return Read(cmd, r => new SimDistributionLine(S(r, 0), S(r, 1), S(r, 2).Trim(), SageFormats.ParseSageDate(S(r, 3))!.Value, S(r, 4).Trim(), SageFormats.ParseMoney(S(r, 5))));
    }

    /// <summary>The GL distribution of an invoice's lines: formatted account and amount.</summary>
    public IReadOnlyList<(string Account, decimal Amount)> GetInvoiceDistribution(string division, string vendorNo, string invoiceNo)
    {
        using SqliteConnection c = this.Open();
        using SqliteCommand cmd = Command(c, """
            SELECT a.Account, d.DistributionAmt FROM AP_InvoiceHistoryDetail d JOIN GL_Account a ON a.AccountKey = d.AccountKey
            WHERE d.APDivisionNo = $d AND d.VendorNo = $v AND d.InvoiceNo = $i ORDER BY d.DetailSeqNo
            """, ("$d", division), ("$v", vendorNo), ("$i", SageFormats.Pad(invoiceNo, W.InvoiceNo)));
        return Read(cmd, r => (S(r, 0).Trim(), SageFormats.ParseMoney(S(r, 1))));
    }

    private void Distribute(SqliteConnection c, SqliteTransaction tx, (string, object?)[] key, string record, bool create, decimal? amount, IReadOnlyList<(string Account, decimal Amount)>? distribution)
    {
        List<(string AccountKey, decimal Amount)> lines;
        if (distribution is not null)
        {
            decimal total = amount ?? SageFormats.ParseMoney(Scalar(c, "SELECT InvoiceAmt FROM AP_InvoiceHistoryHeader WHERE APDivisionNo = $d AND VendorNo = $v AND InvoiceNo = $i", tx, key));
            if (distribution.Sum(l => l.Amount) != total)
            {
                throw Invalid($"The distribution sums to {distribution.Sum(l => l.Amount)}, not the invoice amount {total}.", record, "distribution");
            }

            lines = [.. distribution.Select(l => (Scalar(c, "SELECT IFNULL(MAX(AccountKey), '') FROM GL_Account WHERE TRIM(Account) = $a", tx, ("$a", l.Account)) is { Length: > 0 } k
                ? k : throw Invalid($"Account {l.Account} is not on file.", record, "distribution"), l.Amount))];
        }
        else if (create)
        {
            string first = Scalar(c, "SELECT IFNULL(MIN(AccountKey), '') FROM GL_Account WHERE AccountType LIKE 'E%' AND Status = 'A'", tx);
            lines = first.Length == 0 ? [] : [(first, amount!.Value)];
        }
        else if (amount is { } changed)
        {
            using SqliteCommand current = Command(c, "SELECT AccountKey, DistributionAmt FROM AP_InvoiceHistoryDetail WHERE APDivisionNo = $d AND VendorNo = $v AND InvoiceNo = $i ORDER BY DetailSeqNo", key);
            current.Transaction = tx;
            var before = Read(current, r => (S(r, 0), SageFormats.ParseMoney(S(r, 1))));
            decimal old = before.Sum(l => l.Item2);
            lines = [];
            decimal left = changed;
            for (int i = 0; i < before.Count; i++)
            {
                decimal part = i == before.Count - 1 || old == 0m ? left : Math.Round(changed * before[i].Item2 / old, 2);
                lines.Add((before[i].Item1, part));
                left -= part;
            }
        }
        else
        {
            return;
        }

        Exec(c, tx, "DELETE FROM AP_InvoiceHistoryDetail WHERE APDivisionNo = $d AND VendorNo = $v AND InvoiceNo = $i", key);
        for (int i = 0; i < lines.Count; i++)
        {
            Exec(c, tx, """
                INSERT INTO AP_InvoiceHistoryDetail (APDivisionNo, VendorNo, InvoiceNo, HeaderSeqNo, DetailSeqNo, AccountKey, DistributionAmt)
                SELECT APDivisionNo, VendorNo, InvoiceNo, HeaderSeqNo, $seq, $k, $amt FROM AP_InvoiceHistoryHeader WHERE APDivisionNo = $d AND VendorNo = $v AND InvoiceNo = $i
                """, [.. key, ("$seq", SageFormats.ZeroFill(i + 1, 6)), ("$k", lines[i].AccountKey), ("$amt", SageFormats.FormatMoney(lines[i].Amount))]);
        }
    }

    /// <summary>Sets a period-balance row's amounts (creating the row when missing), stamping DateUpdated/TimeUpdated.</summary>
    public PeriodBalanceRow SetPeriodBalance(string account, string fiscalYear, int period, decimal? beginningBalance, decimal? debit, decimal? credit)
    {
        (string date, string time) = this.StampOf(null, false);
        using SqliteConnection c = this.Open();
        using SqliteTransaction tx = c.BeginTransaction();
        string key = Scalar(c, "SELECT IFNULL(MAX(AccountKey), '') FROM GL_Account WHERE Account = $a", tx, ("$a", account));
        if (key.Length == 0)
        {
            throw new SageOperationException(SageErrorKind.NotFound, $"Account {account} is not on file.", record: $"account {account}", field: "account");
        }

        if (beginningBalance is not null && period != 1)
        {
            throw Invalid("BeginningBalance is kept on period 01 only.", $"account {account} {fiscalYear}-{SageFormats.Period(period)}", "beginningBalance");
        }

        Exec(c, tx, """
            INSERT INTO GL_PeriodPostingHistory (AccountKey, FiscalYear, FiscalPeriod, BeginningBalance, DebitAmount, CreditAmount, DateCreated, TimeCreated, UserCreatedKey, DateUpdated, TimeUpdated, UserUpdatedKey)
            VALUES ($k, $y, $p, '0.00', '0.00', '0.00', $date, $time, $u, $date, $time, $u)
            ON CONFLICT (AccountKey, FiscalYear, FiscalPeriod) DO NOTHING
            """, ("$k", key), ("$y", fiscalYear), ("$p", SageFormats.Period(period)), ("$date", date), ("$time", time), ("$u", SageFormats.Pad("SIM", W.UserKey)));
        Exec(c, tx, """
            UPDATE GL_PeriodPostingHistory SET BeginningBalance = IFNULL($bb, BeginningBalance), DebitAmount = IFNULL($dr, DebitAmount), CreditAmount = IFNULL($cr, CreditAmount),
              DateUpdated = $date, TimeUpdated = $time
            WHERE AccountKey = $k AND FiscalYear = $y AND FiscalPeriod = $p
            """,
            ("$k", key), ("$y", fiscalYear), ("$p", SageFormats.Period(period)),
            ("$bb", beginningBalance is null ? null : SageFormats.FormatMoney(beginningBalance.Value)),
            ("$dr", debit is null ? null : SageFormats.FormatMoney(debit.Value)),
            ("$cr", credit is null ? null : SageFormats.FormatMoney(credit.Value)), ("$date", date), ("$time", time));
        using SqliteCommand read = Command(c, """
            SELECT p.AccountKey, a.Account, p.FiscalYear, p.FiscalPeriod, p.BeginningBalance, p.DebitAmount, p.CreditAmount
            FROM GL_PeriodPostingHistory p JOIN GL_Account a ON a.AccountKey = p.AccountKey
            WHERE p.AccountKey = $k AND p.FiscalYear = $y AND p.FiscalPeriod = $p
            """, ("$k", key), ("$y", fiscalYear), ("$p", SageFormats.Period(period)));
        read.Transaction = tx;
        PeriodBalanceRow row = Read(read, ReadBalance).Single();
        tx.Commit();
        return row;
    }

    /// <summary>SQLite's plan for a query of this company (<c>EXPLAIN QUERY PLAN</c>), one step a line in plan order.</summary>
    internal IReadOnlyList<string> ExplainQueryPlan(string sql, params (string Name, object? Value)[] parameters)
    {
        using SqliteConnection c = this.Open();
        using SqliteCommand cmd = Command(c, "EXPLAIN QUERY PLAN " + sql, parameters);
        return Read(cmd, r => S(r, 3));
    }

    /// <summary>Counts the rows of a table (test control, benchmarks).</summary>
    public long Count(string table)
    {
        if (!table.All(ch => char.IsLetterOrDigit(ch) || ch == '_'))
        {
            throw new ArgumentException("Not a table name.", nameof(table));
        }

        using SqliteConnection c = this.Open();
#pragma warning disable CA2100 // checked above
        return long.Parse(Scalar(c, $"SELECT COUNT(*) FROM {table}"), CultureInfo.InvariantCulture);
#pragma warning restore CA2100
    }

    private (string Date, string Time) StampOf(SageTimestamp? at, bool blankTime)
    {
        DateTime when = at?.Value ?? this.Now;
        return (SageFormats.ToSageDate(DateOnly.FromDateTime(when)), blankTime ? string.Empty : SageFormats.ToDecimalHours(when.TimeOfDay));
    }

    private void AddToPeriod(SqliteConnection c, SqliteTransaction tx, string accountKey, string year, int period, decimal debit, decimal credit, string user)
    {
        (string date, string time) = this.StampOf(null, false);
        using SqliteCommand read = Command(c, "SELECT DebitAmount, CreditAmount FROM GL_PeriodPostingHistory WHERE AccountKey = $k AND FiscalYear = $y AND FiscalPeriod = $p",
            ("$k", accountKey), ("$y", year), ("$p", SageFormats.Period(period)));
        read.Transaction = tx;
        var existing = Read(read, r => (Dr: SageFormats.ParseMoney(S(r, 0)), Cr: SageFormats.ParseMoney(S(r, 1)))).ToList();
        string u = SageFormats.Pad(user, W.UserKey);
        if (existing.Count == 0)
        {
            Exec(c, tx, """
                INSERT INTO GL_PeriodPostingHistory (AccountKey, FiscalYear, FiscalPeriod, BeginningBalance, DebitAmount, CreditAmount, DateCreated, TimeCreated, UserCreatedKey, DateUpdated, TimeUpdated, UserUpdatedKey)
                VALUES ($k, $y, $p, '0.00', $dr, $cr, $date, $time, $u, $date, $time, $u)
                """, ("$k", accountKey), ("$y", year), ("$p", SageFormats.Period(period)), ("$dr", SageFormats.FormatMoney(debit)), ("$cr", SageFormats.FormatMoney(credit)),
                ("$date", date), ("$time", time), ("$u", u));
        }
        else
        {
            Exec(c, tx, "UPDATE GL_PeriodPostingHistory SET DebitAmount = $dr, CreditAmount = $cr, DateUpdated = $date, TimeUpdated = $time, UserUpdatedKey = $u WHERE AccountKey = $k AND FiscalYear = $y AND FiscalPeriod = $p",
                ("$k", accountKey), ("$y", year), ("$p", SageFormats.Period(period)), ("$dr", SageFormats.FormatMoney(existing[0].Dr + debit)), ("$cr", SageFormats.FormatMoney(existing[0].Cr + credit)),
                ("$date", date), ("$time", time), ("$u", u));
        }
    }

    private static string AgentBatch(SqliteConnection c, SqliteTransaction tx, string user)
    {
        string open = Scalar(c, "SELECT IFNULL(MIN(BatchNo), '') FROM GL_JournalBatch WHERE BatchStatus = 'O' AND PrivateBatch = 'Y' AND RTRIM(BatchComment) = $cm", tx, ("$cm", AgentBatchComment));
        if (open.Length > 0)
        {
            return open;
        }

        string next = Scalar(c, "SELECT NextBatchNo FROM GL_Options", tx);
        Exec(c, tx, "UPDATE GL_Options SET NextBatchNo = $n", ("$n", SageFormats.ZeroFill(long.Parse(next, CultureInfo.InvariantCulture) + 1, W.BatchNo)));
        Exec(c, tx, "INSERT INTO GL_JournalBatch (BatchNo, PrivateBatch, BatchComment, BatchStatus, UserCreatedKey) VALUES ($b, 'Y', $cm, 'O', $u)",
            ("$b", next), ("$cm", SageFormats.Pad(AgentBatchComment, W.Comment)), ("$u", SageFormats.Pad(user, W.UserKey)));
        return next;
    }

    private static JournalEntryInfo? FindUnposted(SqliteConnection c, SqliteTransaction? tx, string externalId)
    {
        using SqliteCommand cmd = Command(c, """
            SELECT BatchNo, SourceJournal, EntryNo, JournalComment FROM GL_GeneralJournalHeader WHERE JournalComment >= $lo AND JournalComment < $hi
            UNION
            SELECT h.BatchNo, h.SourceJournal, h.EntryNo, d.PostingComment FROM GL_GeneralJournalDetail d
              JOIN GL_GeneralJournalHeader h ON h.BatchNo = d.BatchNo AND h.SourceJournal = d.SourceJournal AND h.EntryNo = d.EntryNo
              WHERE d.PostingComment >= $lo AND d.PostingComment < $hi
            """, ("$lo", externalId), ("$hi", externalId + "\uffff"));
        cmd.Transaction = tx;
        var hit = Read(cmd, r => (B: S(r, 0), J: S(r, 1), E: S(r, 2), C: S(r, 3))).FirstOrDefault(x => JournalEntryDraft.CarriesExternalId(x.C, externalId));
        return hit.B is null ? null : LoadUnposted(c, tx, hit.B, hit.J, hit.E) with { ExternalId = externalId };
    }

    private static JournalEntryInfo? FindPosted(SqliteConnection c, string externalId)
    {
        using SqliteCommand cmd = Command(c, "SELECT SourceJournal, JournalRegisterNo, DocumentNo, PostingComment FROM GL_DetailPosting WHERE PostingComment >= $lo AND PostingComment < $hi",
            ("$lo", externalId), ("$hi", externalId + "\uffff"));
        var hit = Read(cmd, r => (J: S(r, 0), R: S(r, 1), D: S(r, 2), C: S(r, 3))).FirstOrDefault(x => JournalEntryDraft.CarriesExternalId(x.C, externalId));
        return hit.J is null ? null : LoadPosted(c, hit.J, hit.R, hit.D) with { ExternalId = externalId };
    }

    private static JournalEntryInfo LoadUnposted(SqliteConnection c, SqliteTransaction? tx, string batch, string journal, string entry)
    {
        using SqliteCommand h = Command(c, "SELECT PostingDate, FiscalYear, FiscalPeriod, JournalComment FROM GL_GeneralJournalHeader WHERE BatchNo = $b AND SourceJournal = $sj AND EntryNo = $e",
            ("$b", batch), ("$sj", journal), ("$e", entry));
        h.Transaction = tx;
        var head = Read(h, r => (Date: S(r, 0), Year: S(r, 1), Period: S(r, 2), Comment: S(r, 3))).Single();
        using SqliteCommand l = Command(c, """
            SELECT d.LineKey, a.Account, d.DebitAmount, d.CreditAmount, d.PostingComment FROM GL_GeneralJournalDetail d JOIN GL_Account a ON a.AccountKey = d.AccountKey
            WHERE d.BatchNo = $b AND d.SourceJournal = $sj AND d.EntryNo = $e ORDER BY d.LineKey
            """, ("$b", batch), ("$sj", journal), ("$e", entry));
        l.Transaction = tx;
        var lines = Read(l, r => new JournalLineInfo(int.Parse(S(r, 0), CultureInfo.InvariantCulture), S(r, 1), SageFormats.ParseMoney(S(r, 2)), SageFormats.ParseMoney(S(r, 3)), S(r, 4)));
        return new JournalEntryInfo(FirstWord(head.Comment), journal, entry, batch, SageFormats.ParseSageDate(head.Date)!.Value, head.Year,
            int.Parse(head.Period, CultureInfo.InvariantCulture), Posted: false, head.Comment, lines);
    }

    private static JournalEntryInfo LoadPosted(SqliteConnection c, string journal, string register, string document)
    {
        using SqliteCommand l = Command(c, """
            SELECT a.Account, d.DebitAmount, d.CreditAmount, d.PostingComment, d.PostingDate, d.FiscalYear, d.FiscalPeriod FROM GL_DetailPosting d JOIN GL_Account a ON a.AccountKey = d.AccountKey
            WHERE d.SourceJournal = $sj AND d.JournalRegisterNo = $r AND d.DocumentNo = $doc ORDER BY d.SequenceNo
            """, ("$sj", journal), ("$r", register), ("$doc", document));
        var rows = Read(l, r => (Account: S(r, 0), Dr: S(r, 1), Cr: S(r, 2), Comment: S(r, 3), Date: S(r, 4), Year: S(r, 5), Period: S(r, 6)));
        var lines = rows.Select((x, i) => new JournalLineInfo(i + 1, x.Account, SageFormats.ParseMoney(x.Dr), SageFormats.ParseMoney(x.Cr), x.Comment)).ToList();
        return new JournalEntryInfo(FirstWord(rows[0].Comment), journal, document, BatchNo: null, SageFormats.ParseSageDate(rows[0].Date)!.Value, rows[0].Year,
            int.Parse(rows[0].Period, CultureInfo.InvariantCulture), Posted: true, rows[0].Comment, lines, JournalRegisterNo: register);
    }

    private static string FirstWord(string comment)
    {
        int space = comment.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? comment : comment[..space];
    }

    private static VendorRow ReadVendor(SqliteDataReader r)
        => new(S(r, 0), S(r, 1), S(r, 2), N(r, 3), N(r, 4), N(r, 5), N(r, 6), N(r, 7),
            S(r, 8) == "Y" ? "temporary" : S(r, 9) == "Y" ? "on_hold" : "active", N(r, 10), N(r, 11), N(r, 12));

    private static (string, object?)[] SinceParameters(SageTimestamp? since)
        => [("$all", since is null ? 1 : 0), ("$sinceDate", since?.SageDate ?? string.Empty), ("$sinceHours", since?.HoursThreshold ?? 0d)];

    private static SageOperationException Invalid(string sageMessage, string record, string field, int? line = null)
        => new(SageErrorKind.Validation, $"Sage rejected {record}: {sageMessage}", sageMessage, record, field, line);

    private SqliteConnection Open()
    {
        var c = new SqliteConnection(this.connectionString);
        c.Open();
        return c;
    }

    private static IReadOnlyList<FiscalYearInfo> ReadYears(SqliteConnection c)
    {
        using SqliteCommand cmd = Command(c, """
            SELECT y.FiscalYear, y.BeginningDate, y.EndingDate, d.FiscalPeriod, d.PeriodBeginningDate, d.PeriodEndingDate
            FROM GL_FiscalYear y JOIN GL_FiscalYearDetail d ON d.FiscalYear = y.FiscalYear ORDER BY y.FiscalYear, d.FiscalPeriod
            """);
        return Read(cmd, r => (Year: S(r, 0), Begin: S(r, 1), End: S(r, 2), Period: new FiscalPeriodInfo(int.Parse(S(r, 3), CultureInfo.InvariantCulture), SageFormats.ParseSageDate(S(r, 4))!.Value, SageFormats.ParseSageDate(S(r, 5))!.Value)))
            .GroupBy(x => (x.Year, x.Begin, x.End))
            .Select(g => new FiscalYearInfo(g.Key.Year, SageFormats.ParseSageDate(g.Key.Begin)!.Value, SageFormats.ParseSageDate(g.Key.End)!.Value, g.Select(x => x.Period).ToList()))
            .ToList();
    }

    private static CompanyInfo ReadInfo(SqliteConnection c, string code)
    {
        using SqliteCommand seg = Command(c, "SELECT SegmentNo, SegmentDesc, SegmentLength, Separator FROM GL_AccountStructure ORDER BY SegmentNo");
        var segments = Read(seg, r => (No: int.Parse(S(r, 0), CultureInfo.InvariantCulture), Desc: S(r, 1), Len: int.Parse(S(r, 2), CultureInfo.InvariantCulture), Sep: S(r, 3)));
        var structure = new AccountStructureInfo(segments.Count > 1 ? segments[0].Sep : string.Empty, segments.Select(s => new AccountSegmentInfo(s.No, s.Len, s.Desc)).ToList(), "GL_AccountStructure");
        using SqliteCommand sj = Command(c, "SELECT SourceJournal, SourceJournalDesc FROM GL_SourceJournal ORDER BY SourceJournal");
        var journals = Read(sj, r => new SourceJournalInfo(S(r, 0), S(r, 1)));
        using SqliteCommand div = Command(c, "SELECT APDivisionNo FROM AP_Division");
        var divisions = Read(div, r => S(r, 0));
        return new CompanyInfo(code, Scalar(c, "SELECT CompanyName FROM SY_Company").Trim(), structure, Scalar(c, "SELECT EnableBatchEntry FROM GL_Options") == "Y",
            PostOnCreate: false, journals, divisions.Any(d => d != "00"));
    }

    private static SqliteCommand Command(SqliteConnection c, string sql, params (string Name, object? Value)[] parameters)
    {
        SqliteCommand cmd = c.CreateCommand();
#pragma warning disable CA2100 // SQL text is built from constants of this class only; values are parameters.
        cmd.CommandText = sql;
#pragma warning restore CA2100
        foreach ((string name, object? value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return cmd;
    }

    private static string Scalar(SqliteConnection c, string sql, SqliteTransaction? tx = null, params (string Name, object? Value)[] parameters)
    {
        using SqliteCommand cmd = Command(c, sql, parameters);
        cmd.Transaction = tx;
        return Convert.ToString(cmd.ExecuteScalar(), CultureInfo.InvariantCulture) ?? string.Empty;
    }

    private static string Scalar(SqliteConnection c, string sql) => Scalar(c, sql, null);

    private static void Exec(SqliteConnection c, SqliteTransaction tx, string sql, params (string Name, object? Value)[] parameters)
    {
        using SqliteCommand cmd = Command(c, sql, parameters);
        cmd.Transaction = tx;
        cmd.ExecuteNonQuery();
    }

    private static List<T> Read<T>(SqliteCommand cmd, Func<SqliteDataReader, T> map)
    {
        var list = new List<T>();
        using SqliteDataReader r = cmd.ExecuteReader();
        while (r.Read())
        {
            list.Add(map(r));
        }

        return list;
    }

    private static string S(SqliteDataReader r, int i) => r.IsDBNull(i) ? string.Empty : Convert.ToString(r.GetValue(i), CultureInfo.InvariantCulture)!.TrimEnd();

    private static string? N(SqliteDataReader r, int i)
    {
        string s = S(r, i);
        return s.Length == 0 ? null : s;
    }
}

/// <summary>
/// The SQL of every paged read. Each is keyset pagination driven from an index whose order is the page order, so a
/// page reads only its own rows (plus rows the filter skips) wherever the cursor is: no sort of everything after the
/// cursor, no join driven from the wrong table. Their plans are checked by the agent's tests (EXPLAIN QUERY PLAN).
/// </summary>
internal static class PagedQueries
{
    public const string Accounts = """
        SELECT AccountKey, Account, RawAccount, MainAccountCode, AccountDesc, AccountType, AccountGroup, AccountCategory, Status, ClearBalance, DateUpdated, TimeUpdated
        FROM GL_Account WHERE AccountKey > $after ORDER BY AccountKey LIMIT $limit
        """;

    public const string SubAccounts = """
        SELECT SegmentNo, SubAccountCode, SubAccountDesc FROM GL_SubAccount
        WHERE ($segment = '' OR SegmentNo = $segment) AND (SegmentNo, SubAccountCode) > ($afterSeg, $afterCode)
        ORDER BY SegmentNo, SubAccountCode LIMIT $limit
        """;

    /// <summary>
    /// Driven from the chart in key order (GL_Account's primary key), each account's periods of the range sought in the
    /// period history's primary key (AccountKey, FiscalYear, FiscalPeriod), which yields them in period order: the page
    /// order without a sort, and a page reads its own rows only, whatever part of the year is asked. <c>CROSS JOIN</c>
    /// fixes that join order: joined the other way round without the year index, SQLite sorts every row after the cursor
    /// in a temporary B-tree for each page (quadratic over a pull); driven from the year index
    /// (FiscalYear, AccountKey, FiscalPeriod), a page of one period walked every period of the year's accounts to find
    /// its rows (12 index entries per row sent for a monthly year) and looked each account up again per row.
    /// </summary>
    public const string PeriodBalances = """
        SELECT a.AccountKey, a.Account, p.FiscalYear, p.FiscalPeriod, p.BeginningBalance, p.DebitAmount, p.CreditAmount
        FROM GL_Account AS a CROSS JOIN GL_PeriodPostingHistory AS p
        WHERE a.AccountKey >= $afterKey AND p.AccountKey = a.AccountKey AND p.FiscalYear = $year AND p.FiscalPeriod BETWEEN $from AND $to
          AND (p.AccountKey, p.FiscalPeriod) > ($afterKey, $afterPeriod)
        ORDER BY a.AccountKey, p.FiscalPeriod LIMIT $limit
        """;

    public const string Vendors = $"""
        SELECT APDivisionNo, VendorNo, VendorName, AddressLine1, City, State, ZipCode, TermsCode, TemporaryVendor, HoldPayment, DateCreated, DateUpdated, TimeUpdated
        FROM AP_Vendor v
        WHERE (APDivisionNo, VendorNo) > ($afterDiv, $afterVendor) AND ($all = 1 OR {Changed.V})
        ORDER BY APDivisionNo, VendorNo LIMIT $limit
        """;

    /// <summary>
    /// The vendors of one invoice-totals page: a merge of both invoice tables in key order (no grouping, which would
    /// sort), stopping at the limit. With a since, only vendors holding an invoice changed since then.
    /// </summary>
    public const string InvoiceVendors = $"""
        SELECT APDivisionNo, VendorNo FROM AP_InvoiceHistoryHeader h WHERE (APDivisionNo, VendorNo) > ($afterDiv, $afterVendor) AND ($all = 1 OR {Changed.H})
        UNION
        SELECT APDivisionNo, VendorNo FROM AP_OpenInvoice o WHERE (APDivisionNo, VendorNo) > ($afterDiv, $afterVendor) AND ($all = 1 OR {Changed.O})
        ORDER BY 1, 2 LIMIT $limit
        """;

    /// <summary>One vendor's invoices (history, with the open balance if still open, then open-only ones), each flagged when changed since.</summary>
    public const string VendorInvoices = $"""
        SELECT h.InvoiceDate, h.InvoiceAmt, o.Balance, ($all = 1 OR {Changed.H} OR (o.VendorNo IS NOT NULL AND {Changed.O})) FROM AP_InvoiceHistoryHeader h
          LEFT JOIN AP_OpenInvoice o ON o.APDivisionNo = h.APDivisionNo AND o.VendorNo = h.VendorNo AND o.InvoiceNo = h.InvoiceNo AND o.HeaderSeqNo = h.HeaderSeqNo
          WHERE h.APDivisionNo = $d AND h.VendorNo = $v
        UNION ALL
        SELECT o.InvoiceDate, o.InvoiceAmt, o.Balance, ($all = 1 OR {Changed.O}) FROM AP_OpenInvoice o
          WHERE o.APDivisionNo = $d AND o.VendorNo = $v AND NOT EXISTS (SELECT 1 FROM AP_InvoiceHistoryHeader h
            WHERE h.APDivisionNo = o.APDivisionNo AND h.VendorNo = o.VendorNo AND h.InvoiceNo = o.InvoiceNo AND h.HeaderSeqNo = o.HeaderSeqNo)
        """;

    /// <summary>Changed since (<c>$sinceDate</c>, <c>$sinceHours</c>): a later date, or the same date at or after the time, or a blank time on that date.</summary>
    internal static class Changed
    {
        public const string V = "(v.DateUpdated > $sinceDate OR (v.DateUpdated = $sinceDate AND (TRIM(v.TimeUpdated) = '' OR CAST(v.TimeUpdated AS REAL) >= $sinceHours)))";
        public const string H = "(h.DateUpdated > $sinceDate OR (h.DateUpdated = $sinceDate AND (TRIM(h.TimeUpdated) = '' OR CAST(h.TimeUpdated AS REAL) >= $sinceHours)))";
        public const string O = "(o.DateUpdated > $sinceDate OR (o.DateUpdated = $sinceDate AND (TRIM(o.TimeUpdated) = '' OR CAST(o.TimeUpdated AS REAL) >= $sinceHours)))";
    }
}

/// <summary>An invoice as the test-control surface reports it.</summary>
/// <summary>One GL distribution line of a posted invoice.</summary>
public sealed record SimDistributionLine(string DivisionNo, string VendorNo, string InvoiceNo, DateOnly InvoiceDate, string Account, decimal Amount);

public sealed record SimInvoiceRow(string DivisionNo, string VendorNo, string InvoiceNo, DateOnly InvoiceDate, decimal InvoiceAmount, decimal Balance, bool InHistory, bool Open);
