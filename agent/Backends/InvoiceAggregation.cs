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
}
