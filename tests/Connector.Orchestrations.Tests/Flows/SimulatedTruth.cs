using System.Globalization;
using Connector.Agent.Backends;
using Connector.Agent.Backends.Simulated;
using Connector.Emulators.Anaplan.Model;

namespace Connector.Orchestrations.Tests.Flows;

/// <summary>
/// What should be in Anaplan, computed straight from the simulated company's tables (not through the connector's
/// code), and what is in the emulator's model, for cell-by-cell comparison.
/// </summary>
internal static class SimulatedTruth
{
    /// <summary>
    /// GL cells expected for the given periods: (account without the cost-centre segment, cost centre, period) → debit,
    /// credit, net; only the accounts <paramref name="includeAccount"/> keeps, when given.
    /// </summary>
    public static Dictionary<(string Account, string CostCenter, string Period), (decimal Debit, decimal Credit, decimal Net)> GlCells(
        SimulatedCompany company, char separator, int costCenterSegment, IEnumerable<(string Year, int Period)> periods, Func<string, bool>? includeAccount = null)
    {
        var cells = new Dictionary<(string, string, string), (decimal, decimal, decimal)>();
        foreach ((string year, int period) in periods)
        {
            foreach (PeriodBalanceRow row in company.GetPeriodBalances(year, period, period, null, int.MaxValue).Where(r => includeAccount?.Invoke(r.Account.Trim()) ?? true))
            {
                string[] segments = row.Account.Trim().Split(separator);
                string costCenter = segments[costCenterSegment - 1];
                string account = string.Join(separator, segments.Where((_, i) => i != costCenterSegment - 1));
                string code = $"FY{year}-P{period:D2}";
                (decimal d, decimal c, decimal n) = cells.GetValueOrDefault((account, costCenter, code));
                cells[(account, costCenter, code)] = (d + row.Debit, c + row.Credit, n + row.Debit - row.Credit);
            }
        }

        return cells;
    }

    /// <summary>
    /// GL net per cell for the given periods, with the model's own codes: (account item, cost centre, period code) → net.
    /// <paramref name="accountItem"/> makes the account item from (account without the cost centre, cost centre, Sage account).
    /// </summary>
    public static Dictionary<(string Account, string CostCenter, string Period), decimal> GlNet(
        SimulatedCompany company, char separator, int costCenterSegment, IEnumerable<(string Year, int Period)> periods,
        Func<string, int, string> periodCode, Func<string, string, string, string> accountItem, bool keepCostCenter = true)
    {
        var cells = new Dictionary<(string, string, string), decimal>();
        foreach ((string year, int period) in periods)
        {
            foreach (PeriodBalanceRow row in company.GetPeriodBalances(year, period, period, null, int.MaxValue))
            {
                string[] segments = row.Account.Trim().Split(separator);
                string costCenter = segments[costCenterSegment - 1];
                string account = accountItem(string.Join(separator, segments.Where((_, i) => i != costCenterSegment - 1)), costCenter, row.Account.Trim());
                (string, string, string) key = (account, keepCostCenter ? costCenter : string.Empty, periodCode(year, period));
                cells[key] = cells.GetValueOrDefault(key) + row.Debit - row.Credit;
            }
        }

        return cells;
    }

    /// <summary>
    /// AP from the invoices' GL distribution, read straight from the company's tables: (vendor key, cost-centre code,
    /// period code) → amount, invoices; the period is the fiscal period of the invoice date.
    /// </summary>
    public static Dictionary<(string Vendor, string CostCenter, string Period), (decimal Amount, int Count)> ApByCostCenter(
        SimulatedCompany company, char separator, int costCenterSegment, Func<string, int, string> periodCode)
    {
        FiscalCalendarInfo calendar = company.Calendar();
        return company.GetDistributionLines()
            .Select(l => (Line: l, At: calendar.Locate(l.InvoiceDate)!.Value))
            .GroupBy(x => ($"{x.Line.DivisionNo}-{x.Line.VendorNo}", x.Line.Account.Split(separator)[costCenterSegment - 1], periodCode(x.At.FiscalYear, x.At.Period)))
            .ToDictionary(g => g.Key, g => (g.Sum(x => x.Line.Amount), g.Select(x => x.Line.InvoiceNo).Distinct().Count()));
    }

    /// <summary>The calendar month of a fiscal period as Anaplan's native time names it ("Nov 26").</summary>
    public static Func<string, int, string> NativeMonth(SimulatedCompany company)
    {
        FiscalCalendarInfo calendar = company.Calendar();
        return (year, period) =>
        {
            FiscalPeriodInfo p = calendar.Years.Single(y => y.FiscalYear == year).Periods.Single(x => x.Period == period);
            return p.BeginDate.AddDays((p.EndDate.DayNumber - p.BeginDate.DayNumber) / 2).ToString("MMM yy", CultureInfo.InvariantCulture);
        };
    }

    /// <summary>AP cells expected from every invoice, with the model's period codes: (vendor key, period) → amount, count.</summary>
    public static Dictionary<(string Vendor, string Period), (decimal Amount, int Count)> ApCells(SimulatedCompany company, Func<string, int, string> periodCode)
        => company.GetInvoiceTotals(null, null, int.MaxValue).Rows
            .ToDictionary(r => ($"{r.DivisionNo}-{r.VendorNo}", periodCode(r.FiscalYear, r.FiscalPeriod)), r => (r.InvoiceAmount, r.InvoiceCount));

    /// <summary>A module's cells of one line item, by members (dimension order), as decimals.</summary>
    public static Dictionary<string, decimal> ModelCells(EmulatedModel model, string module, string lineItem, Func<IReadOnlyList<string>, bool>? where = null)
        => model.GetCells(module).Where(c => c.LineItem == lineItem && (where?.Invoke(c.Members) ?? true))
            .ToDictionary(c => string.Join("|", c.Members), c => Convert.ToDecimal(c.Value, CultureInfo.InvariantCulture));

    /// <summary>AP cells expected from every invoice: (vendor key, period) → amount, count.</summary>
    public static Dictionary<(string Vendor, string Period), (decimal Amount, int Count)> ApCells(SimulatedCompany company)
        => company.GetInvoiceTotals(null, null, int.MaxValue).Rows
            .ToDictionary(r => ($"{r.DivisionNo}-{r.VendorNo}", $"FY{r.FiscalYear}-P{r.FiscalPeriod:D2}"), r => (r.InvoiceAmount, r.InvoiceCount));

    /// <summary>Vendors expected in the Vendors list: key → name.</summary>
    public static Dictionary<string, string> Vendors(SimulatedCompany company)
        => company.GetVendors(null, null, int.MaxValue).ToDictionary(v => $"{v.DivisionNo}-{v.VendorNo}", v => v.Name.Trim());

    /// <summary>The emulator's GL Actuals cells for some periods, as (account, cost centre, period) → debit, credit, net.</summary>
    public static Dictionary<(string Account, string CostCenter, string Period), (decimal Debit, decimal Credit, decimal Net)> ModelGl(
        EmulatedModel model, IReadOnlyCollection<string> periods)
    {
        var cells = new Dictionary<(string, string, string), (decimal Debit, decimal Credit, decimal Net)>();
        foreach (CellSnapshot cell in model.GetCells("GL Actuals").Where(c => periods.Contains(c.Members[2])))
        {
            (string, string, string) key = (cell.Members[0], cell.Members[1], cell.Members[2]);
            (decimal d, decimal c, decimal n) = cells.GetValueOrDefault(key);
            decimal value = Convert.ToDecimal(cell.Value, CultureInfo.InvariantCulture);
            cells[key] = cell.LineItem switch
            {
                "Debit" => (value, c, n),
                "Credit" => (d, value, n),
                "Net" => (d, c, value),
                _ => (d, c, n),
            };
        }

        return cells;
    }

    /// <summary>The emulator's AP Actuals cells: (vendor, period) → amount, count.</summary>
    public static Dictionary<(string Vendor, string Period), (decimal Amount, int Count)> ModelAp(EmulatedModel model)
    {
        var cells = new Dictionary<(string, string), (decimal Amount, int Count)>();
        foreach (CellSnapshot cell in model.GetCells("AP Actuals"))
        {
            (string, string) key = (cell.Members[0], cell.Members[1]);
            (decimal amount, int count) = cells.GetValueOrDefault(key);
            decimal value = Convert.ToDecimal(cell.Value, CultureInfo.InvariantCulture);
            cells[key] = cell.LineItem == "Invoice Amount" ? (value, count) : (amount, (int)value);
        }

        return cells;
    }

    /// <summary>Asserts two cell maps are equal, naming the first few differences.</summary>
    public static void AssertSameCells<TKey, TValue>(IReadOnlyDictionary<TKey, TValue> expected, IReadOnlyDictionary<TKey, TValue> actual)
        where TKey : notnull
    {
        var missing = expected.Keys.Where(k => !actual.ContainsKey(k)).Take(5).ToList();
        var extra = actual.Keys.Where(k => !expected.ContainsKey(k)).Take(5).ToList();
        var wrong = expected.Where(kv => actual.TryGetValue(kv.Key, out TValue? v) && !Equals(v, kv.Value))
            .Take(5).Select(kv => $"{kv.Key}: expected {kv.Value}, found {actual[kv.Key]}").ToList();
        Assert.True(
            missing.Count == 0 && extra.Count == 0 && wrong.Count == 0,
            $"{expected.Count} expected cells vs {actual.Count} in the model. Missing: {string.Join("; ", missing)}. Extra: {string.Join("; ", extra)}. Wrong: {string.Join("; ", wrong)}.");
    }
}
