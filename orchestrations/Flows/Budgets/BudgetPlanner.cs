using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Connector.Orchestrations.Flows.Dimensions;
using Connector.Orchestrations.ModelFit;
using Connector.Orchestrations.Sage100;

namespace Connector.Orchestrations.Flows.Budgets;

/// <summary>
/// Turns approved budget lines (Anaplan account, cost centre, period, version, amount) into balanced Sage journal
/// entries: maps each line to a Sage formatted account through the alignment (main account + cost-centre segment,
/// composed from the company's own structure), checks the period against the company's calendar, groups lines into
/// entries, balances each against the offset account and gives each a deterministic external id. A line without a cost
/// centre names a combined account item (account and cost centre in one code): the alignment says which Sage account it
/// is. Periods are read back with the connection's own period codes. Pure: no I/O.
/// </summary>
public sealed class BudgetPlanner
{
    /// <summary>Groupings of lines into entries.</summary>
    public static class Groupings
    {
        public const string VersionPeriodCostCenter = "VersionPeriodCostCenter";
        public const string VersionPeriod = "VersionPeriod";
        public const string VersionPeriodAccount = "VersionPeriodAccount";
    }

    private readonly string connectionId;
    private readonly PeriodCodec periods;
    private readonly string grouping;
    private readonly string sourceJournal;
    private readonly string offsetAccount;
    private readonly AlignmentSnapshot snapshot;
    private readonly SageFiscalCalendar calendar;
    private readonly Dictionary<(string Account, string CostCenter), List<AccountAlignment>> byAnaplan;
    private readonly Dictionary<string, List<AccountAlignment>> byAccountItem;
    private readonly Dictionary<string, AccountAlignment> bySage;
    private readonly SortedDictionary<string, Group> groups = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> cells = new(StringComparer.Ordinal);
    private readonly List<(string Record, string Field, string Reason)> retracted = [];

    public BudgetPlanner(
        string connectionId, PeriodCodec periods, string grouping, string sourceJournal, string offsetAccount, AlignmentSnapshot snapshot, SageFiscalCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(periods);
        this.connectionId = connectionId;
        this.periods = periods;
        this.grouping = grouping;
        this.sourceJournal = sourceJournal;
        this.offsetAccount = offsetAccount.Trim();
        this.snapshot = snapshot;
        this.calendar = calendar;
        this.byAnaplan = snapshot.Accounts.Where(a => a.Valid)
            .GroupBy(a => (a.Account, a.CostCenter))
            .ToDictionary(g => g.Key, g => g.ToList());
        this.byAccountItem = snapshot.Accounts.Where(a => a.Valid).GroupBy(a => a.Account).ToDictionary(g => g.Key, g => g.ToList());
        this.bySage = snapshot.BySageAccount();
    }

    /// <summary>
    /// Adds one export line; returns null when it is taken, or why it is rejected (field, reason). An empty
    /// <paramref name="costCenter"/> means <paramref name="account"/> is a combined item that carries the cost centre.
    /// </summary>
    public (string Field, string Reason)? Add(string account, string costCenter, string period, string version, decimal amount, long line)
    {
        // The same cell twice (an item code that differs only by spaces, a view listing a row twice): posting both would
        // double the budget and posting either is a guess, so neither is posted and both lines are named.
        string cell = $"{account}|{costCenter}|{period}|{version}";
        if (this.cells.TryGetValue(cell, out long first))
        {
            this.Retract(first, $"line {first}: {account}{(costCenter.Length == 0 ? string.Empty : " / " + costCenter)} / {period} / {version}", line);
            return ("Account", $"the export lists the cell account '{account}'{(costCenter.Length == 0 ? string.Empty : $", cost centre '{costCenter}'")}, period '{period}', version '{version}' twice (lines {first} and {line}); neither is posted");
        }

        this.cells[cell] = line;
        if (!this.periods.TryParse(period, out string year, out int number))
        {
            return ("Period", this.periods.WhyUnknown(period));
        }

        SageFiscalPeriod fiscalPeriod = this.calendar.Years.First(y => y.FiscalYear == year).Periods.First(p => p.Period == number);
        bool combined = costCenter.Length == 0;
        List<AccountAlignment>? sage = combined ? this.byAccountItem.GetValueOrDefault(account) : this.byAnaplan.GetValueOrDefault((account, costCenter));
        if (sage is null)
        {
            bool accountKnown = this.snapshot.Accounts.Any(a => a.Valid && a.Account == account);
            return accountKnown && !combined
                ? ("Cost Center", $"no Sage account combines account '{account}' with cost centre '{costCenter}'")
                : ("Account", $"account '{account}' has no Sage account (it exists only in Anaplan)");
        }

        if (sage.Count > 1)
        {
            return ("Account", $"account '{account}'{(combined ? string.Empty : $" with cost centre '{costCenter}'")} maps to several Sage accounts ({string.Join(", ", sage.Select(s => s.SageAccount))}); a mapping override makes it ambiguous");
        }

        AccountAlignment target = sage[0];
        costCenter = combined ? target.CostCenter : costCenter;
        if (!target.Active)
        {
            return ("Account", $"Sage account {target.SageAccount} is inactive");
        }

        // Sage stores cents: an amount with more decimals is refused, never rounded; and it must fit Sage's amount field.
        if (decimal.Round(amount, 2) != amount)
        {
            return ("Amount", $"amount {amount.ToString(CultureInfo.InvariantCulture)} has more than two decimal places; Sage 100 stores cents, so it is not posted rather than rounded");
        }

        if (Math.Abs(amount) > SageLimits.MaxAmount)
        {
            return ("Amount", $"amount {amount.ToString(CultureInfo.InvariantCulture)} is more than Sage 100 stores in an amount ({SageLimits.MaxAmountText})");
        }

        decimal cents = amount;

        string periodCode = this.periods.Code(year, number)!;
        string key = this.grouping switch
        {
            Groupings.VersionPeriod => $"{version}|{periodCode}",
            Groupings.VersionPeriodAccount => $"{version}|{periodCode}|account={account}",
            _ => $"{version}|{periodCode}|costcenter={costCenter}",
        };
        if (!this.groups.TryGetValue(key, out Group? group))
        {
            group = new Group(key, version, year, number, periodCode, fiscalPeriod.EndDate, this.grouping == Groupings.VersionPeriodCostCenter ? costCenter : null);
            this.groups[key] = group;
        }

        group.Lines.Add(new PlannedLine(
            target.SageAccount,
            cents > 0 ? cents : 0m,
            cents < 0 ? -cents : 0m,
            combined ? $"Budget {version} {periodCode} {account}" : $"Budget {version} {periodCode} {account}/{costCenter}",
            $"{account}|{costCenter}|{period}|{version}",
            line));
        return null;
    }

    /// <summary>
    /// Gets the lines taken earlier and withdrawn since (the first of a cell the export lists twice): record, field and
    /// reason, for the audit.
    /// </summary>
    public IReadOnlyList<(string Record, string Field, string Reason)> Retracted => this.retracted;

    /// <summary>Builds the balanced entries, in a stable order (by group key).</summary>
    /// <exception cref="ConnectorConfigurationException">The offset account cannot be composed or is not an active Sage account.</exception>
    public IReadOnlyList<PlannedEntry> Build()
    {
        var entries = new List<PlannedEntry>();
        foreach (Group group in this.groups.Values)
        {
            var lines = group.Lines.OrderBy(l => l.Account, StringComparer.Ordinal).ThenBy(l => l.SourceCell, StringComparer.Ordinal).ToList();
            decimal net = lines.Sum(l => l.Debit) - lines.Sum(l => l.Credit);
            if (net != 0m)
            {
                string offset = this.OffsetFor(group);
                lines.Add(new PlannedLine(offset, net < 0 ? -net : 0m, net > 0 ? net : 0m, $"Budget {group.Version} {group.PeriodCode} offset", string.Empty, null));
            }

            string externalId = ExternalId(this.connectionId, group.Version, group.PeriodCode, group.Key, lines);
            entries.Add(new PlannedEntry(
                entries.Count,
                externalId,
                group.Key,
                group.Version,
                group.FiscalYear,
                group.Period,
                group.PeriodCode,
                group.PostingDate,
                this.sourceJournal,
                $"Anaplan budget {group.Version} {group.PeriodCode} ({group.Key})",
                lines));
        }

        return entries;
    }

    /// <summary>
    /// The deterministic external id: a hash of the connection, version, period, grouping key and every line (account,
    /// debit, credit), so the same approved values always name the same entry and a changed one a new entry.
    /// </summary>
    public static string ExternalId(string connectionId, string version, string periodCode, string groupKey, IEnumerable<PlannedLine> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var text = new StringBuilder();
        text.Append(connectionId).Append('\n').Append(version).Append('\n').Append(periodCode).Append('\n').Append(groupKey).Append('\n');
        foreach (PlannedLine line in lines)
        {
            text.Append(line.Account).Append('|')
                .Append(line.Debit.ToString("0.00", CultureInfo.InvariantCulture)).Append('|')
                .Append(line.Credit.ToString("0.00", CultureInfo.InvariantCulture)).Append('\n');
        }

        return "ANP-" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())), 0, 16);
    }

    private void Retract(long first, string record, long again)
    {
        foreach ((string key, Group group) in this.groups.ToList())
        {
            if (group.Lines.RemoveAll(l => l.SourceLine == first) > 0)
            {
                this.retracted.Add((record, "Account", $"the export lists this cell again at line {again}; neither line is posted"));
                if (group.Lines.Count == 0)
                {
                    this.groups.Remove(key);
                }
            }
        }
    }

    private string OffsetFor(Group group)
    {
        string[] parts = this.snapshot.SegmentLengths.Count > 1 ? this.offsetAccount.Split(this.snapshot.Separator) : [this.offsetAccount];
        string account;
        if (parts.Length == this.snapshot.SegmentLengths.Count)
        {
            account = this.offsetAccount;
        }
        else if (parts.Length == this.snapshot.SegmentLengths.Count - 1 && group.CostCenter is not null)
        {
            // The offset is given like an Anaplan account (without the cost centre): it takes the entry's cost centre,
            // as the Sage code behind the Anaplan cost-centre item.
            string sageCostCenter = this.snapshot.Accounts.First(a => a.Valid && a.CostCenter == group.CostCenter).SageAccount
                .Split(this.snapshot.Separator)[this.snapshot.CostCenterSegment - 1];
            var segments = parts.ToList();
            segments.Insert(this.snapshot.CostCenterSegment - 1, sageCostCenter);
            account = string.Join(this.snapshot.Separator, segments);
        }
        else
        {
            throw new ConnectorConfigurationException(
                $"Budgets:OffsetAccount '{this.offsetAccount}' is neither a full account of the structure {string.Join(this.snapshot.Separator, this.snapshot.SegmentNames)} nor one without the cost-centre segment"
                + (group.CostCenter is null ? $" usable with grouping {this.grouping} (it mixes cost centres: give a full account)." : "."));
        }

        if (!this.bySage.TryGetValue(account, out AccountAlignment? sage) || !sage.Valid)
        {
            throw new ConnectorConfigurationException($"Budgets:OffsetAccount resolves to {account}, which is not an account in Sage, so entry '{group.Key}' cannot be balanced; no entry of the run is posted.");
        }

        if (!sage.Active)
        {
            throw new ConnectorConfigurationException($"Budgets:OffsetAccount resolves to {account}, which is inactive in Sage, so entry '{group.Key}' cannot be balanced; no entry of the run is posted.");
        }

        return sage.SageAccount;
    }

    private sealed record Group(string Key, string Version, string FiscalYear, int Period, string PeriodCode, DateOnly PostingDate, string? CostCenter)
    {
        public List<PlannedLine> Lines { get; } = [];
    }
}
