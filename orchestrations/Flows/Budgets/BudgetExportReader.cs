using System.Globalization;
using System.Runtime.CompilerServices;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.ModelFit;
using CsvHelper;

namespace Connector.Orchestrations.Flows.Budgets;

/// <summary>What a line of a budget export holds, as far as the amount goes.</summary>
public enum BudgetAmountKind
{
    /// <summary>A finite, non-zero amount: a candidate for a journal line.</summary>
    Value,

    /// <summary>An empty amount cell (nothing planned): skipped.</summary>
    Blank,

    /// <summary>An amount of zero: skipped, a journal line of zero posts nothing.</summary>
    Zero,

    /// <summary>A field that is missing, or an amount that is not a finite number: rejected with <see cref="BudgetExportLine.Problem"/>.</summary>
    Invalid,
}

/// <summary>One value of a budget export, trimmed, with its amount parsed in invariant culture.</summary>
/// <param name="Line">The 1-based line of the file where the record starts (the header is line 1).</param>
/// <param name="CostCenter">The cost-centre item, empty when the account column holds a combined code.</param>
/// <param name="Column">With periods across columns: the header of the amount's column; null otherwise.</param>
public sealed record BudgetExportLine(
    long Line,
    string Account,
    string CostCenter,
    string Period,
    string Version,
    decimal Amount,
    BudgetAmountKind Kind,
    string? ProblemField = null,
    string? Problem = null,
    string? Column = null)
{
    /// <summary>Gets how the line is named in rejections and the audit.</summary>
    public string Record
        => $"line {this.Line}{(this.Column is null ? string.Empty : $", column '{this.Column}'")}: {this.Account}{(this.CostCenter.Length == 0 ? string.Empty : " / " + this.CostCenter)} / {this.Period} / {this.Version}";
}

/// <summary>
/// Where a budget export holds what the flow reads, found by name in its header (any order, any case): the account,
/// the cost centre (unless the account column holds a combined code), the version (unless the view fixes it), and either
/// the period and the amount (<c>Rows</c>) or one amount column per period whose header is the period's code
/// (<c>PeriodColumns</c>). Every other column is ignored, and listed.
/// </summary>
public sealed record BudgetExportColumns(
    int Account, int CostCenter, int Period, int Version, int Amount, IReadOnlyList<(int Index, string Code)> PeriodColumns, IReadOnlyList<string> Ignored)
{
    public const string Rows = "Rows";
    public const string PeriodColumnsLayout = "PeriodColumns";

    /// <summary>Finds the columns the settings name in <paramref name="headers"/>.</summary>
    /// <param name="codec">The connection's period codes; needed only for the <c>PeriodColumns</c> layout.</param>
    /// <exception cref="ConnectorConfigurationException">A named column is missing, or no header is a period code; the message names the setting.</exception>
    public static BudgetExportColumns Resolve(IReadOnlyList<string> headers, BudgetsFlowOptions budgets, PeriodCodec? codec)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(budgets);
        BudgetColumns names = budgets.Columns;
        var problems = new List<string>();
        var used = new HashSet<int>();
        int Find(string setting, string? name, bool required)
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                return -1;
            }

            int at = headers.ToList().FindIndex(h => string.Equals(h.Trim(), name.Trim(), StringComparison.OrdinalIgnoreCase));
            if (at < 0 && required)
            {
                problems.Add($"Budgets:Columns:{setting} is '{name}', which is not a column of the export '{budgets.Export}'");
            }

            used.Add(at);
            return at;
        }

        bool byRows = budgets.Layout != PeriodColumnsLayout;
        int account = Find(nameof(BudgetColumns.Account), names.Account, true);
        int costCenter = Find(nameof(BudgetColumns.CostCenter), names.CostCenter, true);
        int version = Find(nameof(BudgetColumns.Version), names.Version, true);
        int period = byRows ? Find(nameof(BudgetColumns.Period), names.Period, true) : -1;
        int amount = byRows ? Find(nameof(BudgetColumns.Amount), names.Amount, true) : -1;
        var periods = new List<(int, string)>();
        if (!byRows)
        {
            if (codec is null)
            {
                throw new ArgumentNullException(nameof(codec), "The PeriodColumns layout needs the period codes.");
            }

            for (int i = 0; i < headers.Count; i++)
            {
                if (!used.Contains(i) && codec.TryParse(headers[i], out _, out _))
                {
                    periods.Add((i, headers[i].Trim()));
                    used.Add(i);
                }
            }

            if (periods.Count == 0)
            {
                problems.Add($"with Budgets:Layout PeriodColumns the export '{budgets.Export}' needs one column per period, headed by its code (codes look like {codec.Examples}), and it has none");
            }
        }

        if (problems.Count > 0)
        {
            throw new ConnectorConfigurationException(
                $"The budget export does not fit the settings: {string.Join("; ", problems)}. Its columns are {string.Join(", ", headers.Select(h => $"'{h}'"))}.");
        }

        return new BudgetExportColumns(account, costCenter, period, version, amount, periods, [.. headers.Where((_, i) => !used.Contains(i)).Select(h => h.Trim())]);
    }

    /// <summary>How the columns read in a check: <c>Account ← 'Account', periods ← 12 columns (FY26 P01 … FY26 P12), version fixed</c>.</summary>
    public string Describe(IReadOnlyList<string> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        string Name(int at) => at < 0 ? string.Empty : $"'{headers[at].Trim()}'";
        var parts = new List<string> { $"account {Name(this.Account)}" };
        parts.Add(this.CostCenter < 0 ? "cost centre in the account code" : $"cost centre {Name(this.CostCenter)}");
        parts.Add(this.Version < 0 ? "version fixed by the view" : $"version {Name(this.Version)}");
        parts.Add(this.PeriodColumns.Count > 0
            ? $"periods across {this.PeriodColumns.Count} column(s) ({this.PeriodColumns[0].Code} … {this.PeriodColumns[^1].Code})"
            : $"period {Name(this.Period)}, amount {Name(this.Amount)}");
        if (this.Ignored.Count > 0)
        {
            parts.Add($"ignored: {string.Join(", ", this.Ignored.Select(i => $"'{i}'"))}");
        }

        return string.Join("; ", parts);
    }
}

/// <summary>
/// Reads the file an Anaplan export action wrote for the saved view of approved values, in the shape the settings
/// describe (<see cref="BudgetExportColumns"/>). Amounts are parsed as <see cref="decimal"/> in invariant culture, never
/// as double. A line that cannot be used comes back as <see cref="BudgetAmountKind.Invalid"/> naming the field, never as
/// an exception.
/// </summary>
public static class BudgetExportReader
{
    /// <summary>Reads every value of the export; with periods across columns, one line per period column of each row.</summary>
    /// <param name="fixedVersion">The version of every line when the view fixes it (no version column).</param>
    /// <exception cref="ConnectorConfigurationException">The export lacks a column the settings name.</exception>
    public static async IAsyncEnumerable<BudgetExportLine> ReadAsync(
        Stream stream, BudgetsFlowOptions budgets, PeriodCodec? codec, string fixedVersion, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using CsvReader csv = CsvReader.Create(
            stream, new CsvReaderOptions { HasHeader = true, FormatProvider = CultureInfo.InvariantCulture, TrackLineNumbers = true }, leaveOpen: true);
        await csv.ReadHeaderAsync(cancellationToken);
        BudgetExportColumns columns = BudgetExportColumns.Resolve(csv.Headers, budgets, codec);
        while (await csv.ReadAsync(cancellationToken))
        {
            if (columns.PeriodColumns.Count == 0)
            {
                yield return Parse(csv, columns, columns.Period, columns.Amount, null, fixedVersion, budgets.Columns);
                continue;
            }

            foreach ((int index, string code) in columns.PeriodColumns)
            {
                yield return Parse(csv, columns, -1, index, code, fixedVersion, budgets.Columns);
            }
        }
    }

    private static BudgetExportLine Parse(CsvReader csv, BudgetExportColumns columns, int periodAt, int amountAt, string? periodCode, string fixedVersion, BudgetColumns names)
    {
        string Field(int i) => i >= 0 && i < csv.FieldCount ? csv.GetString(i).Trim() : string.Empty;
        string account = Field(columns.Account), costCenter = Field(columns.CostCenter);
        string period = periodCode ?? Field(periodAt);
        string version = columns.Version < 0 ? fixedVersion : Field(columns.Version);
        string amountText = Field(amountAt);
        long line = csv.LineNumber;
        string? column = periodCode is null ? null : csv.Headers[amountAt].Trim();

        (int At, string Name)[] needed = [(columns.Account, names.Account), (columns.CostCenter, names.CostCenter ?? string.Empty), (periodAt, names.Period ?? string.Empty), (columns.Version, names.Version ?? string.Empty), (amountAt, column ?? names.Amount ?? string.Empty)];
        foreach ((int at, string name) in needed)
        {
            if (at >= csv.FieldCount)
            {
                return new BudgetExportLine(
                    line, account, costCenter, period, version, 0m, BudgetAmountKind.Invalid, name, $"the line has {csv.FieldCount} field(s), so it has no '{name}' value", column);
            }
        }

        if (amountText.Length == 0)
        {
            return new BudgetExportLine(line, account, costCenter, period, version, 0m, BudgetAmountKind.Blank, Column: column);
        }

        // Float allows a sign, a decimal point and an exponent, but no thousands separator and no currency symbol:
        // "1,234.56" is ambiguous across cultures and is refused rather than guessed. NaN, infinities and values beyond
        // decimal's range fail to parse as decimal, which is the point.
        if (!decimal.TryParse(amountText, NumberStyles.Float, CultureInfo.InvariantCulture, out decimal amount))
        {
            return new BudgetExportLine(
                line, account, costCenter, period, version, 0m, BudgetAmountKind.Invalid, column ?? "Amount", $"amount '{amountText}' is not a finite number", column);
        }

        return new BudgetExportLine(line, account, costCenter, period, version, amount, amount == 0m ? BudgetAmountKind.Zero : BudgetAmountKind.Value, Column: column);
    }
}
