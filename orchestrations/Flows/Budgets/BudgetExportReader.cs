using System.Globalization;
using System.Runtime.CompilerServices;
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

/// <summary>One data line of a budget export, trimmed, with its amount parsed in invariant culture.</summary>
/// <param name="Line">The 1-based line of the file where the record starts (the header is line 1).</param>
public sealed record BudgetExportLine(
    long Line, string Account, string CostCenter, string Period, string Version, decimal Amount, BudgetAmountKind Kind, string? ProblemField = null, string? Problem = null)
{
    /// <summary>Gets how the line is named in rejections and the audit.</summary>
    public string Record => $"line {this.Line}: {this.Account} / {this.CostCenter} / {this.Period} / {this.Version}";
}

/// <summary>
/// Reads the file an Anaplan export action wrote for the saved view of approved values. Columns are found by name in the
/// export's header (any order, any case), so a view whose columns are rearranged still reads; a view lacking one is a
/// configuration error naming it. Amounts are parsed as <see cref="decimal"/> in invariant culture, never as double.
/// </summary>
public static class BudgetExportReader
{
    /// <summary>The columns the saved view must show.</summary>
    public static readonly IReadOnlyList<string> RequiredColumns = ["Account", "Cost Center", "Period", "Version", "Amount"];

    /// <summary>Reads every data line; a line that cannot be used comes back as <see cref="BudgetAmountKind.Invalid"/>, not as an exception.</summary>
    /// <exception cref="ConnectorConfigurationException">The export lacks one of <see cref="RequiredColumns"/>.</exception>
    public static async IAsyncEnumerable<BudgetExportLine> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using CsvReader csv = CsvReader.Create(
            stream, new CsvReaderOptions { HasHeader = true, FormatProvider = CultureInfo.InvariantCulture, TrackLineNumbers = true }, leaveOpen: true);
        await csv.ReadHeaderAsync(cancellationToken);
        int[] columns = Columns(csv.Headers);
        while (await csv.ReadAsync(cancellationToken))
        {
            yield return Parse(csv, columns);
        }
    }

    private static BudgetExportLine Parse(CsvReader csv, int[] columns)
    {
        string Field(int i) => columns[i] < csv.FieldCount ? csv.GetString(columns[i]).Trim() : string.Empty;
        string account = Field(0), costCenter = Field(1), period = Field(2), version = Field(3), amountText = Field(4);
        long line = csv.LineNumber;

        int missing = Array.FindIndex(columns, c => c >= csv.FieldCount);
        if (missing >= 0)
        {
            return new BudgetExportLine(
                line, account, costCenter, period, version, 0m, BudgetAmountKind.Invalid, RequiredColumns[missing],
                $"the line has {csv.FieldCount} field(s), so it has no '{RequiredColumns[missing]}' value");
        }

        if (amountText.Length == 0)
        {
            return new BudgetExportLine(line, account, costCenter, period, version, 0m, BudgetAmountKind.Blank);
        }

        // Float allows a sign, a decimal point and an exponent, but no thousands separator and no currency symbol:
        // "1,234.56" is ambiguous across cultures and is refused rather than guessed. NaN, infinities and values beyond
        // decimal's range fail to parse as decimal, which is the point.
        if (!decimal.TryParse(amountText, NumberStyles.Float, CultureInfo.InvariantCulture, out decimal amount))
        {
            return new BudgetExportLine(
                line, account, costCenter, period, version, 0m, BudgetAmountKind.Invalid, "Amount", $"amount '{amountText}' is not a finite number");
        }

        return new BudgetExportLine(line, account, costCenter, period, version, amount, amount == 0m ? BudgetAmountKind.Zero : BudgetAmountKind.Value);
    }

    private static int[] Columns(IReadOnlyList<string> headers)
    {
        int[] index = [.. RequiredColumns.Select(name => headers.ToList().FindIndex(h => string.Equals(h.Trim(), name, StringComparison.OrdinalIgnoreCase)))];
        int missing = Array.IndexOf(index, -1);
        return missing < 0
            ? index
            : throw new ConnectorConfigurationException(
                $"The budget export has no '{RequiredColumns[missing]}' column (its columns are {string.Join(", ", headers.Select(h => $"'{h}'"))}); the saved view must show {string.Join(", ", RequiredColumns)}.");
    }
}
