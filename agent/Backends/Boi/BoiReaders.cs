using System.Globalization;
using Connector.Agent.Sage;

namespace Connector.Agent.Backends.Boi;

/// <summary>The rows of one <c>_svc</c> object that pass a filter, in key order.</summary>
internal sealed class KeyedReader<T>(BoiBrowse browse, Func<Dictionary<string, string>, bool> filter, Func<Dictionary<string, string>, T> map, Func<T, string> key)
    : BoiReader<T>
    where T : class
{
    public override string KeyOf(T item) => key(item);

    public override void Dispose() => browse.Dispose();

    protected override T? ReadNext()
    {
        while (browse.Current is { } row)
        {
            browse.Advance();
            if (filter(row))
            {
                return map(row);
            }
        }

        return null;
    }
}

/// <summary>
/// Period balances of one fiscal year and period range in (AccountKey, period) order: a walk of
/// <c>GL_PeriodPostingHistory_svc</c> (key AccountKey + FiscalYear + FiscalPeriod) merged with a walk of
/// <c>GL_Account_svc</c> (key AccountKey) for each row's formatted account, both moving forward only.
/// </summary>
internal sealed class BalanceReader : BoiReader<PeriodBalanceRow>
{
    private static readonly string[] Columns = ["AccountKey$", "FiscalYear$", "FiscalPeriod$", "BeginningBalance", "DebitAmount", "CreditAmount"];
    private readonly BoiBrowse balances;
    private readonly BoiBrowse accounts;
    private readonly string fiscalYear;
    private readonly int fromPeriod;
    private readonly int toPeriod;

    public BalanceReader(BoiSession session, string fiscalYear, int fromPeriod, int toPeriod, (string AccountKey, int Period)? after)
    {
        this.fiscalYear = fiscalYear;
        this.fromPeriod = fromPeriod;
        this.toPeriod = toPeriod;
        string? from = after is { } a ? string.Join(BoiBrowse.KeySeparator, a.AccountKey, fiscalYear, SageFormats.Period(a.Period)) : null;
        this.balances = BoiBrowse.Open(session, "GL_PeriodPostingHistory_svc", Columns, ["AccountKey$", "FiscalYear$", "FiscalPeriod$"], from, seek: true);
        try
        {
            // The account walk stands on the cursor's account, not after it: that account may have rows still to come.
            this.accounts = BoiBrowse.Open(session, "GL_Account_svc", ["AccountKey$", "Account$"], ["AccountKey$"], after?.AccountKey, seek: true, including: true);
        }
        catch
        {
            this.balances.Dispose();
            throw;
        }
    }

    public override string KeyOf(PeriodBalanceRow item) => string.Join(BoiBrowse.KeySeparator, item.AccountKey, SageFormats.Period(item.FiscalPeriod));

    public override void Dispose()
    {
        this.balances.Dispose();
        this.accounts.Dispose();
    }

    protected override PeriodBalanceRow? ReadNext()
    {
        while (this.balances.Current is { } row)
        {
            this.balances.Advance();
            int period = int.Parse(row["FiscalPeriod"], CultureInfo.InvariantCulture);
            if (row["FiscalYear"] != this.fiscalYear || period < this.fromPeriod || period > this.toPeriod)
            {
                continue;
            }

            string key = row["AccountKey"];
            while (this.accounts.CurrentKey is { } accountKey && string.CompareOrdinal(accountKey, key) < 0)
            {
                this.accounts.Advance();
            }

            string account = this.accounts.CurrentKey == key ? this.accounts.Current!["Account"] : key;
            return new PeriodBalanceRow(key, account, this.fiscalYear, period,
                period == 1 ? SageFormats.ParseMoney(row["BeginningBalance"]) : null, SageFormats.ParseMoney(row["DebitAmount"]), SageFormats.ParseMoney(row["CreditAmount"]));
        }

        return null;
    }
}

/// <summary>One vendor's invoice totals per fiscal period, as one unit of an invoice-totals page.</summary>
internal sealed record InvoiceGroup(string Division, string Vendor, List<InvoiceTotalRow> Rows, int Unmapped);

/// <summary>
/// Invoice totals vendor by vendor: walks of <c>AP_InvoiceHistoryHeader_svc</c> and <c>AP_OpenInvoice_svc</c>, both in
/// key order (APDivisionNo + VendorNo + InvoiceNo + HeaderSeqNo), merged a vendor at a time. A history invoice takes
/// its open balance from the open table; an open invoice not yet in history counts on its own. With a since, only
/// vendors holding a changed invoice are returned, each with the groups (periods) holding one.
/// </summary>
internal sealed class InvoiceGroupReader : BoiReader<InvoiceGroup>
{
    private static readonly string[] Columns = ["APDivisionNo$", "VendorNo$", "InvoiceNo$", "HeaderSeqNo$", "InvoiceDate$", "InvoiceAmt", "DateUpdated$", "TimeUpdated$"];
    private static readonly string[] Key = ["APDivisionNo$", "VendorNo$", "InvoiceNo$", "HeaderSeqNo$"];
    private readonly BoiBrowse history;
    private readonly BoiBrowse open;
    private readonly FiscalCalendarInfo calendar;
    private readonly SageTimestamp? since;

    public InvoiceGroupReader(BoiSession session, FiscalCalendarInfo calendar, SageTimestamp? since, string? afterVendor)
    {
        this.calendar = calendar;
        this.since = since;

        // The cursor names a vendor, a prefix of the invoice key: nFind cannot jump there, so a lost walk re-reads up to it.
        this.history = BoiBrowse.Open(session, "AP_InvoiceHistoryHeader_svc", Columns, Key, afterVendor, seek: false);
        try
        {
            this.open = BoiBrowse.Open(session, "AP_OpenInvoice_svc", [.. Columns, "Balance"], Key, afterVendor, seek: false);
        }
        catch
        {
            this.history.Dispose();
            throw;
        }
    }

    public override string KeyOf(InvoiceGroup item) => string.Join(BoiBrowse.KeySeparator, item.Division, item.Vendor);

    public override void Dispose()
    {
        this.history.Dispose();
        this.open.Dispose();
    }

    protected override InvoiceGroup? ReadNext()
    {
        while (true)
        {
            string? vendor = Min(VendorOf(this.history), VendorOf(this.open));
            if (vendor is null)
            {
                return null;
            }

            List<Dictionary<string, string>> histories = Take(this.history, vendor);
            Dictionary<string, Dictionary<string, string>> opens = Take(this.open, vendor).ToDictionary(InvoiceKey, StringComparer.Ordinal);
            var invoices = new List<(DateOnly Date, decimal Amount, decimal Balance, bool Changed)>();
            foreach (Dictionary<string, string> h in histories)
            {
                bool stillOpen = opens.Remove(InvoiceKey(h), out Dictionary<string, string>? o);
                invoices.Add((Date(h), SageFormats.ParseMoney(h["InvoiceAmt"]), stillOpen ? SageFormats.ParseMoney(o!["Balance"]) : 0m, this.Changed(h) || (stillOpen && this.Changed(o!))));
            }

            invoices.AddRange(opens.Values.Select(o => (Date(o), SageFormats.ParseMoney(o["InvoiceAmt"]), SageFormats.ParseMoney(o["Balance"]), this.Changed(o))));
            if (this.since is not null && !invoices.Any(i => i.Changed))
            {
                continue;
            }

            string[] parts = vendor.Split(BoiBrowse.KeySeparator);
            HashSet<(string, string, string, int)>? changed = null;
            if (this.since is not null)
            {
                changed = [];
                foreach (var invoice in invoices.Where(i => i.Changed))
                {
                    if (this.calendar.Locate(invoice.Date) is { } at)
                    {
                        changed.Add((parts[0], parts[1], at.FiscalYear, at.Period));
                    }
                }
            }

            int unmapped = 0;
            var groups = InvoiceAggregation.Group(invoices.Select(i => (i.Date, i.Amount, i.Balance)), this.calendar, ref unmapped);
            return new InvoiceGroup(parts[0], parts[1], [.. InvoiceAggregation.Rows(parts[0], parts[1], groups, changed)], unmapped);
        }
    }

    private static string? VendorOf(BoiBrowse browse)
        => browse.Current is { } r ? string.Join(BoiBrowse.KeySeparator, r["APDivisionNo"], r["VendorNo"]) : null;

    private static string? Min(string? a, string? b) => a is null ? b : b is null ? a : string.CompareOrdinal(a, b) <= 0 ? a : b;

    private static List<Dictionary<string, string>> Take(BoiBrowse browse, string vendor)
    {
        var rows = new List<Dictionary<string, string>>();
        while (VendorOf(browse) == vendor)
        {
            rows.Add(browse.Current!);
            browse.Advance();
        }

        return rows;
    }

    private static string InvoiceKey(Dictionary<string, string> r) => $"{r["InvoiceNo"]}|{r["HeaderSeqNo"]}";

    private static DateOnly Date(Dictionary<string, string> r) => SageFormats.ParseSageDate(r["InvoiceDate"])!.Value;

    private bool Changed(Dictionary<string, string> r) => this.since is not { } t || t.Includes(r["DateUpdated"], r["TimeUpdated"]);
}
