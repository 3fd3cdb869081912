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
    private readonly Dictionary<string, YearSlots> years = new(StringComparer.Ordinal);

    private string? year;
    private YearSlots? yearSlots;
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

    /// <summary>
    /// The row's period as the run sends it (its code in the model, and its control totals), or null when the run does not
    /// send that period. The agent sends an account's periods one after another, so the period changes with nearly every
    /// row: each fiscal year's periods are kept in an array by period number, worked out the first time each is met.
    /// </summary>
    public PeriodSlot? PeriodOf(SagePeriodBalance row)
    {
        // The page reader gives one string for a fiscal year repeated from row to row: most rows compare by reference.
        if (row.FiscalYear is null)
        {
            return null;
        }

        if (!ReferenceEquals(row.FiscalYear, this.year) && !string.Equals(row.FiscalYear, this.year, StringComparison.Ordinal))
        {
            if (!this.years.TryGetValue(row.FiscalYear, out YearSlots? slots))
            {
                this.years.Add(row.FiscalYear, slots = new YearSlots());
            }

            this.year = row.FiscalYear;
            this.yearSlots = slots;
        }

        if (this.yearSlots!.TryGet(row.FiscalPeriod, out PeriodSlot? known))
        {
            return known;
        }

        PeriodSlot? slot = this.wanted.Contains(new FiscalPeriodRef(row.FiscalYear, row.FiscalPeriod)) && this.codec.Code(row.FiscalYear, row.FiscalPeriod) is { } code
            ? new PeriodSlot(code)
            : null;
        this.yearSlots.Set(row.FiscalPeriod, slot);
        return slot;
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

    /// <summary>One fiscal year's periods, by period number: each worked out once (null: not sent).</summary>
    private sealed class YearSlots
    {
        private PeriodSlot?[] slots = new PeriodSlot?[14];
        private bool[] known = new bool[14];

        public bool TryGet(int period, out PeriodSlot? slot)
        {
            bool known = (uint)period < (uint)this.known.Length && this.known[period];
            slot = known ? this.slots[period] : null;
            return known;
        }

        public void Set(int period, PeriodSlot? slot)
        {
            if (period is < 0 or > 1024)
            {
                // Not a period number (not kept: worked out again if it comes again).
                return;
            }

            if (period >= this.known.Length)
            {
                Array.Resize(ref this.slots, period + 1);
                Array.Resize(ref this.known, period + 1);
            }

            this.slots[period] = slot;
            this.known[period] = true;
        }
    }
}

/// <summary>A period the run sends: its code in the model, and its accumulators in the Sage and the staged control totals (taken when its first row adds to them).</summary>
internal sealed class PeriodSlot(string code)
{
    /// <summary>Gets the period's code in the model.</summary>
    public string Code { get; } = code;

    /// <summary>Gets or sets the period's accumulator in the Sage totals (null until a row adds to it).</summary>
    public Totals.Sum? Sage { get; set; }

    /// <summary>Gets or sets the period's accumulator in the staged totals (null until a row adds to it).</summary>
    public Totals.Sum? Staged { get; set; }
}
