using System.Globalization;
using Connector.Agent.Backends.Boi;

namespace Connector.Agent.Tests.Boi;

/// <summary>
/// A fake of Sage's BOI COM surface with its conventions: n-methods return 1 / 0 / -1, failures leave text in
/// sLastErrorMsg, nSetKey returns 2 for a new record, nGetValue fills a by-ref argument, sGetColumns lists columns
/// separated by ProvideX's SEP ($8A$). Tables are in memory; a journal write lands in the unposted tables.
/// </summary>
internal sealed class FakeProvideX : IBoiScriptFactory
{
    public const char Sep = (char)0x8A;

    public List<string> Calls { get; } = [];

    public HashSet<string> Companies { get; } = ["ABC"];

    public string? ExternalAccessOffFor { get; set; }

    public string? LogonError { get; set; }

    public int LockNextWrites { get; set; }

    public string LockMessage { get; set; } = "The journal batch 00007 is in use by another user.";

    public string[] LineColumns { get; set; } = ["Account$", "DebitAmt", "CreditAmt", "CommentText$"];

    public string[] HeaderColumns { get; set; } = ["BatchNo$", "SourceJournal$", "EntryNo$", "PostingDate$", "JournalComment$"];

    public int NextEntry { get; set; } = 41;

    public Dictionary<string, List<Dictionary<string, string>>> Tables { get; } = new(StringComparer.Ordinal);

    /// <summary>Gets or sets whether service objects refuse nSetKeyValue/nFind (as a version without them would).</summary>
    public bool SvcFindUnsupported { get; set; }

    /// <summary>Gets the tables whose service objects browse in insertion order instead of key order.</summary>
    public HashSet<string> UnorderedBrowse { get; } = [];

    /// <summary>Primary keys of the tables the agent browses (Sage's published key layouts).</summary>
    private static Dictionary<string, string[]> PrimaryKeys { get; } = new(StringComparer.Ordinal)
    {
        ["GL_Account"] = ["AccountKey"],
        ["GL_SubAccount"] = ["SegmentNo", "SubAccountCode"],
        ["GL_PeriodPostingHistory"] = ["AccountKey", "FiscalYear", "FiscalPeriod"],
        ["GL_FiscalYearDetail"] = ["FiscalYear", "FiscalPeriod"],
        ["AP_Division"] = ["APDivisionNo"],
        ["AP_Vendor"] = ["APDivisionNo", "VendorNo"],
        ["AP_OpenInvoice"] = ["APDivisionNo", "VendorNo", "InvoiceNo", "HeaderSeqNo"],
        ["AP_InvoiceHistoryHeader"] = ["APDivisionNo", "VendorNo", "InvoiceNo", "HeaderSeqNo"],
    };

    /// <summary>Counts the logged calls whose text starts with <paramref name="prefix"/>, e.g. <c>AP_Vendor_svc.nMoveNext</c>.</summary>
    public int Count(string prefix) => this.Calls.Count(c => c.StartsWith(prefix, StringComparison.Ordinal));

    public IBoiObject CreateScript() => new Script(this);

    public List<Dictionary<string, string>> Table(string name)
    {
        if (!this.Tables.TryGetValue(name, out var rows))
        {
            this.Tables[name] = rows = [];
        }

        return rows;
    }

    public void AddAccount(string key, string account, string status = "A")
        => this.Table("GL_Account").Add(new()
        {
            ["AccountKey"] = key, ["Account"] = account, ["RawAccount"] = account.Replace("-", string.Empty, StringComparison.Ordinal), ["MainAccountCode"] = account[..3],
            ["AccountDesc"] = "Account " + account + "   ", ["AccountType"] = "E ", ["AccountGroup"] = "EX", ["AccountCategory"] = "I", ["Status"] = status, ["ClearBalance"] = "Y",
            ["DateUpdated"] = "20260101", ["TimeUpdated"] = "9.5",
        });

    private abstract class FakeObject(FakeProvideX sage) : IBoiObject
    {
        protected FakeProvideX Sage { get; } = sage;

        protected string LastError { get; set; } = string.Empty;

        /// <summary>Gets the name calls are logged under.</summary>
        public virtual string Name => this.GetType().Name;

        public object? Invoke(string method, object?[] args, bool[]? byRef = null)
        {
            this.Sage.Calls.Add($"{this.Name}.{method}({string.Join(",", args.Select(a => a is IBoiObject ? "<obj>" : Convert.ToString(a, CultureInfo.InvariantCulture)))})");
            return this.Call(method, args);
        }

        public virtual object? Property(string name) => name switch
        {
            "sLastErrorMsg" => this.LastError,
            _ => throw new MissingMemberException(this.GetType().Name, name),
        };

        public void Dispose()
        {
        }

        protected abstract object? Call(string method, object?[] args);

        protected int Fail(string message)
        {
            this.LastError = message;
            return 0;
        }
    }

    private sealed class Script(FakeProvideX sage) : FakeObject(sage)
    {
        protected override object? Call(string method, object?[] args) => method switch
        {
            "Init" => 1,
            "NewObject" when (string)args[0]! == "SY_Session" => new Session(this.Sage),
            "NewObject" when ((string)args[0]!).EndsWith("_svc", StringComparison.Ordinal) => new Service(this.Sage, ((string)args[0]!)[..^4]),
            "NewObject" when (string)args[0]! == "GL_GeneralJournal_bus" => new JournalBus(this.Sage),
            _ => throw new MissingMethodException("ProvideX.Script", method),
        };
    }

    private sealed class Session(FakeProvideX sage) : FakeObject(sage)
    {
        public override object? Property(string name) => name == "sVersion" ? "6.20.1.0" : base.Property(name);

        protected override object? Call(string method, object?[] args) => method switch
        {
            "nSetUser" => this.Sage.LogonError is { } e ? this.Fail(e) : 1,
            "nSetCompany" when !this.Sage.Companies.Contains((string)args[0]!) => this.Fail($"Company {args[0]} is not on file."),
            "nSetCompany" when this.Sage.ExternalAccessOffFor == (string)args[0]! => this.Fail($"External access is not allowed for company {args[0]}."),
            "nSetCompany" or "nSetDate" or "nSetModule" or "nSetProgram" or "nCleanup" => 1,
            "nLookupTask" => 42,
            _ => throw new MissingMethodException("SY_Session", method),
        };
    }

    /// <summary>
    /// A service object browses its table as ProvideX reads a keyed file: in primary-key order, the position held as a
    /// key (a row inserted ahead of it is met, one behind it is not), <c>nSetKeyValue</c> + <c>nFind</c> to stand on a key.
    /// </summary>
    private sealed class Service(FakeProvideX sage, string table) : FakeObject(sage)
    {
        private readonly Dictionary<string, string> keyValues = new(StringComparer.OrdinalIgnoreCase);
        private List<(string Key, Dictionary<string, string> Row)> sorted = [];
        private int sortedFrom = -1;
        private string? position;

        public override string Name => table + "_svc";

        private List<Dictionary<string, string>> Rows => this.Sage.Table(table);

        private string[]? KeyColumns => this.Sage.UnorderedBrowse.Contains(table) ? null : PrimaryKeys.GetValueOrDefault(table);

        protected override object? Call(string method, object?[] args)
        {
            switch (method)
            {
                case "nMoveFirst":
                    this.position = this.Sorted().FirstOrDefault().Key;
                    return this.position is null ? 0 : 1;
                case "nMoveNext":
                    this.position = this.position is null ? null : this.Next(this.position);
                    return this.position is null ? 0 : 1;
                case "nEOF":
                    return this.position is null ? 1 : 0;
                case "nGetValue":
                    string column = ((string)args[0]!).TrimEnd('$');
                    args[1] = this.Current()?.GetValueOrDefault(column, string.Empty) ?? string.Empty;
                    return 1;
                case "nSetKeyValue" when this.Sage.SvcFindUnsupported:
                case "nFind" when this.Sage.SvcFindUnsupported:
                    throw new MissingMethodException(table + "_svc", method);
                case "nSetKeyValue":
                    this.keyValues[((string)args[0]!).TrimEnd('$')] = Convert.ToString(args[1], CultureInfo.InvariantCulture) ?? string.Empty;
                    return 1;
                case "nFind":
                    if (this.KeyColumns is not { } keys || keys.Any(k => !this.keyValues.ContainsKey(k)))
                    {
                        return this.Fail("The key is incomplete.");
                    }

                    string wanted = string.Join('\u0001', keys.Select(k => this.keyValues[k]));
                    bool found = this.Find(wanted) is not null;
                    this.position = found ? wanted : null;
                    return found ? 1 : this.Fail("Record not found.");
                case "sGetColumns":
                    return table == "GL_FiscalYearDetail" ? $"FiscalYear${Sep}FiscalPeriod${Sep}PeriodEndingDate$" : string.Join(Sep, (IEnumerable<string>?)this.Rows.FirstOrDefault()?.Keys ?? []);
                default:
                    throw new MissingMethodException(table + "_svc", method);
            }
        }

        /// <summary>The rows in browse order with their keys (insertion order, numbered, for a table without a known key).</summary>
        private List<(string Key, Dictionary<string, string> Row)> Sorted()
        {
            if (this.sortedFrom != this.Rows.Count)
            {
                string[]? keys = this.KeyColumns;
                this.sorted = keys is null
                    ? [.. this.Rows.Select((r, i) => (i.ToString("D9", CultureInfo.InvariantCulture), r))]
                    : [.. this.Rows.Select(r => (string.Join('\u0001', keys.Select(k => r.GetValueOrDefault(k, string.Empty).TrimEnd())), r)).OrderBy(x => x.Item1, StringComparer.Ordinal)];
                this.sortedFrom = this.Rows.Count;
            }

            return this.sorted;
        }

        private string? Next(string key)
        {
            var rows = this.Sorted();
            int at = UpperBound(rows, key);
            return at < rows.Count ? rows[at].Key : null;
        }

        private Dictionary<string, string>? Find(string key)
        {
            var rows = this.Sorted();
            int at = UpperBound(rows, key) - 1;
            return at >= 0 && rows[at].Key == key ? rows[at].Row : null;
        }

        private Dictionary<string, string>? Current() => this.position is null ? null : this.Find(this.position);

        /// <summary>The index of the first row whose key is greater than <paramref name="key"/>.</summary>
        private static int UpperBound(List<(string Key, Dictionary<string, string> Row)> rows, string key)
        {
            int lo = 0, hi = rows.Count;
            while (lo < hi)
            {
                int mid = (lo + hi) / 2;
                if (string.CompareOrdinal(rows[mid].Key, key) <= 0)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            return lo;
        }
    }

    private sealed class JournalBus(FakeProvideX sage) : FakeObject(sage)
    {
        private readonly Dictionary<string, object?> header = [];
        private readonly Lines lines = new(sage);

        public override object? Property(string name) => name == "oLines" ? this.lines : base.Property(name);

        protected override object? Call(string method, object?[] args)
        {
            switch (method)
            {
                case "sGetColumns":
                    return string.Join(Sep, this.Sage.HeaderColumns);
                case "nSelectNewBatch":
                    args[0] = "00007";
                    this.header["BatchNo"] = "00007";
                    return 1;
                case "nSetKeyValue":
                case "nSetValue":
                    this.header[((string)args[0]!).TrimEnd('$')] = args[1];
                    return (string)args[0]! == "PostingDate$" && string.CompareOrdinal((string)args[1]!, "20261231") > 0
                        ? this.Warn("Posting date is in a future period.")
                        : 1;
                case "nGetNextEntryNo":
                    args[0] = (this.Sage.NextEntry++).ToString("000000", CultureInfo.InvariantCulture);
                    return 1;
                case "nSetKey":
                    return 2;
                case "nClear":
                    this.header.Clear();
                    this.lines.Items.Clear();
                    return 1;
                case "nWrite":
                    if (this.Sage.LockNextWrites > 0)
                    {
                        this.Sage.LockNextWrites--;
                        return this.Fail(this.Sage.LockMessage);
                    }

                    decimal dr = this.lines.Items.Sum(l => Convert.ToDecimal(l.GetValueOrDefault(this.Sage.LineColumns[1]) ?? 0m, CultureInfo.InvariantCulture));
                    decimal cr = this.lines.Items.Sum(l => Convert.ToDecimal(l.GetValueOrDefault(this.Sage.LineColumns[2]) ?? 0m, CultureInfo.InvariantCulture));
                    if (dr != cr)
                    {
                        return this.Fail("Journal entry is out of balance.");
                    }

                    string S(string key) => Convert.ToString(this.header.GetValueOrDefault(key), CultureInfo.InvariantCulture) ?? string.Empty;
                    this.Sage.Table("GL_GeneralJournalHeader").Add(new()
                    {
                        ["BatchNo"] = S("BatchNo").Length == 0 ? "00000" : S("BatchNo"), ["SourceJournal"] = S("SourceJournal"), ["EntryNo"] = S("EntryNo"), ["PostingDate"] = S("PostingDate"), ["JournalComment"] = S("JournalComment"),
                    });
                    foreach (var l in this.lines.Items)
                    {
                        this.Sage.Table("GL_GeneralJournalDetail").Add(new()
                        {
                            ["BatchNo"] = S("BatchNo").Length == 0 ? "00000" : S("BatchNo"), ["SourceJournal"] = S("SourceJournal"), ["EntryNo"] = S("EntryNo"),
                            ["Account"] = Convert.ToString(l["Account$"], CultureInfo.InvariantCulture)!,
                            [this.Sage.LineColumns[1]] = Convert.ToString(l.GetValueOrDefault(this.Sage.LineColumns[1]) ?? 0m, CultureInfo.InvariantCulture)!,
                            [this.Sage.LineColumns[2]] = Convert.ToString(l.GetValueOrDefault(this.Sage.LineColumns[2]) ?? 0m, CultureInfo.InvariantCulture)!,
                            [this.Sage.LineColumns[3].TrimEnd('$')] = Convert.ToString(l.GetValueOrDefault(this.Sage.LineColumns[3]), CultureInfo.InvariantCulture)!,
                        });
                    }

                    return 1;
                default:
                    throw new MissingMethodException("GL_GeneralJournal_bus", method);
            }
        }

        private int Warn(string message)
        {
            this.LastError = message;
            return -1;
        }
    }

    private sealed class Lines(FakeProvideX sage) : FakeObject(sage)
    {
        public List<Dictionary<string, object?>> Items { get; } = [];

        protected override object? Call(string method, object?[] args)
        {
            switch (method)
            {
                case "sGetColumns":
                    return string.Join(Sep, this.Sage.LineColumns);
                case "nAddLine":
                    this.Items.Add([]);
                    return 1;
                case "nSetValue" when (string)args[0]! == "Account$":
                    var account = this.Sage.Table("GL_Account").FirstOrDefault(a => a["Account"] == (string)args[1]!);
                    if (account is null)
                    {
                        return this.Fail($"Account {args[1]} is not on file.");
                    }

                    if (account["Status"] != "A")
                    {
                        return this.Fail($"Account {args[1]} is inactive.");
                    }

                    this.Items[^1]["Account$"] = args[1];
                    return 1;
                case "nSetValue":
                    if (!this.Sage.LineColumns.Contains((string)args[0]!))
                    {
                        return this.Fail($"Column {args[0]} is invalid.");
                    }

                    this.Items[^1][(string)args[0]!] = args[1];
                    return 1;
                case "nWrite":
                    return 1;
                default:
                    throw new MissingMethodException("GL_GeneralJournalDetail_bus", method);
            }
        }
    }
}
