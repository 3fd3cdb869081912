using Connector.Orchestrations.Flows.Dimensions;
using Connector.Orchestrations.ModelFit;
using Connector.Orchestrations.Sage100;
using Connector.Orchestrations.Storage;

namespace Connector.Orchestrations.Flows.Actuals;

/// <summary>
/// The per-row work of the GL extraction that repeats from one row to the next: whether the run sends a row's period and
/// its code, the alignment of its account, and the staged row in the GL import's layout. The agent sends balances in
/// account key order, an account's periods together, and a run has a few periods: the last period and the last account
/// are remembered, so most rows need no lookup at all; amounts are formatted straight into the writer's row.
/// </summary>
internal sealed class GlRowStager
{
    private readonly PeriodCodec codec;
    private readonly HashSet<FiscalPeriodRef> wanted;
    private readonly IReadOnlyDictionary<string, AccountAlignment> accounts;
    private readonly CsvPartWriter writer;
    private readonly CsvCell[] cells;
    private readonly int[] fieldAt;

    private string? year;
    private int period;
    private string? code;
    private string? rawAccount;
    private AccountAlignment? alignment;

    public GlRowStager(PeriodCodec codec, IEnumerable<FiscalPeriodRef> periods, IReadOnlyDictionary<string, AccountAlignment> accounts, DatasetLayout layout, CsvPartWriter writer)
    {
        this.codec = codec;
        this.wanted = [.. periods];
        this.accounts = accounts;
        this.writer = writer;
        this.fieldAt = layout.FieldIndexes();
        this.cells = [.. layout.Columns.Select((c, i) => CsvCell.Of(this.fieldAt[i] < 0 ? c.FixedValue : string.Empty))];
    }

    /// <summary>The code of the row's period in the model, or null when the run does not send that period.</summary>
    public string? PeriodOf(SagePeriodBalance row)
    {
        if (row.FiscalPeriod != this.period || !string.Equals(row.FiscalYear, this.year, StringComparison.Ordinal))
        {
            this.year = row.FiscalYear;
            this.period = row.FiscalPeriod;
            this.code = this.wanted.Contains(new FiscalPeriodRef(row.FiscalYear, row.FiscalPeriod)) ? this.codec.Code(row.FiscalYear, row.FiscalPeriod)! : null;
        }

        return this.code;
    }

    /// <summary>The alignment of the row's account (its trimmed key in the chart read at the start), or null when the chart had none.</summary>
    public AccountAlignment? AccountOf(SagePeriodBalance row)
    {
        if (!string.Equals(row.Account, this.rawAccount, StringComparison.Ordinal))
        {
            this.rawAccount = row.Account;
            this.alignment = this.accounts.GetValueOrDefault(row.Account.Trim());
        }

        return this.alignment;
    }

    /// <summary>
    /// Stages the row: the account's Anaplan item and cost centre, the period's code and the amounts, in the import's layout
    /// (the row <see cref="DatasetLayout.Row"/> builds, the amounts as <see cref="ExtractGlActualsActivity.Money"/> writes them).
    /// </summary>
    public ValueTask WriteAsync(AccountAlignment account, string periodCode, SagePeriodBalance row)
    {
        // The fields in the order of ImportFields.Of(GL actuals): account, cost centre, period, debit, credit, net.
        for (int i = 0; i < this.cells.Length; i++)
        {
            switch (this.fieldAt[i])
            {
                case 0: this.cells[i] = CsvCell.Of(account.Account); break;
                case 1: this.cells[i] = CsvCell.Of(account.CostCenter); break;
                case 2: this.cells[i] = CsvCell.Of(periodCode); break;
                case 3: this.cells[i] = CsvCell.Of(row.Debit); break;
                case 4: this.cells[i] = CsvCell.Of(row.Credit); break;
                case 5: this.cells[i] = CsvCell.Of(row.Net); break;
                default: break;
            }
        }

        return this.writer.WriteCellsAsync(this.cells);
    }
}
