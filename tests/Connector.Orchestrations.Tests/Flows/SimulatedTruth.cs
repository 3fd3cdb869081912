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
    /// <summary>GL cells expected for the given periods: (account without the cost-centre segment, cost centre, period) → debit, credit, net.</summary>
    public static Dictionary<(string Account, string CostCenter, string Period), (decimal Debit, decimal Credit, decimal Net)> GlCells(
        SimulatedCompany company, char separator, int costCenterSegment, IEnumerable<(string Year, int Period)> periods)
    {
        var cells = new Dictionary<(string, string, string), (decimal, decimal, decimal)>();
        foreach ((string year, int period) in periods)
        {
            foreach (PeriodBalanceRow row in company.GetPeriodBalances(year, period, period, null, int.MaxValue))
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
