namespace Connector.Agent.Backends;

/// <summary>Totals one vendor's invoices per fiscal year and period of the invoice date (shared by every backend).</summary>
internal static class InvoiceAggregation
{
    /// <summary>Groups invoices (date, amount, open balance); invoices outside every fiscal year are counted in <paramref name="unmapped"/>.</summary>
    public static SortedDictionary<(string Year, int Period), (int Count, decimal Amount, decimal Open)> Group(
        IEnumerable<(DateOnly Date, decimal Amount, decimal Balance)> invoices, FiscalCalendarInfo calendar, ref int unmapped)
    {
        var groups = new SortedDictionary<(string Year, int Period), (int Count, decimal Amount, decimal Open)>();
        foreach ((DateOnly date, decimal amount, decimal balance) in invoices)
        {
            if (calendar.Locate(date) is not { } at)
            {
                unmapped++;
                continue;
            }

            groups.TryGetValue(at, out var acc);
            groups[at] = (acc.Count + 1, acc.Amount + amount, acc.Open + balance);
        }

        return groups;
    }

    /// <summary>Emits a vendor's groups, keeping only changed ones when <paramref name="changed"/> is given.</summary>
    public static IEnumerable<InvoiceTotalRow> Rows(string division, string vendor, SortedDictionary<(string Year, int Period), (int Count, decimal Amount, decimal Open)> groups, ISet<(string, string, string, int)>? changed)
        => groups.Where(g => changed is null || changed.Contains((division, vendor, g.Key.Year, g.Key.Period)))
            .Select(g => new InvoiceTotalRow(division, vendor, g.Key.Year, g.Key.Period, g.Value.Count, g.Value.Amount, g.Value.Open));

    /// <summary>
    /// Totals one vendor's distribution lines (invoice, invoice date, segment code, amount) per fiscal year, period and
    /// segment code; keeps only the groups of changed (division, vendor, year, period) when <paramref name="changed"/> is
    /// given. Lines of invoices outside every fiscal year are counted (once per invoice) in <paramref name="unmapped"/>.
    /// </summary>
    public static IEnumerable<InvoiceDistributionRow> Distribution(
        string division, string vendor, IEnumerable<(string Invoice, DateOnly Date, string Code, decimal Amount)> lines, FiscalCalendarInfo calendar, ISet<(string, string, string, int)>? changed, ref int unmapped)
    {
        var groups = new SortedDictionary<(string Year, int Period, string Code), (HashSet<string> Invoices, decimal Amount)>();
        var outside = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string invoice, DateOnly date, string code, decimal amount) in lines)
        {
            if (calendar.Locate(date) is not { } at)
            {
                outside.Add(invoice);
                continue;
            }

            if (!groups.TryGetValue((at.FiscalYear, at.Period, code), out var group))
            {
                group = (new HashSet<string>(StringComparer.Ordinal), 0m);
            }

            group.Invoices.Add(invoice);
            groups[(at.FiscalYear, at.Period, code)] = (group.Invoices, group.Amount + amount);
        }

        unmapped += outside.Count;
        return [.. groups.Where(g => changed is null || changed.Contains((division, vendor, g.Key.Year, g.Key.Period)))
            .Select(g => new InvoiceDistributionRow(division, vendor, g.Key.Year, g.Key.Period, g.Key.Code, g.Value.Invoices.Count, g.Value.Amount))];
    }
}
