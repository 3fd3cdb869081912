using System.Globalization;
using Connector.Agent.Sage;
using Microsoft.Data.Sqlite;
using W = Connector.Agent.Backends.Simulated.SimulatedSchema.Width;

namespace Connector.Agent.Backends.Simulated;

/// <summary>
/// Builds a simulated company's SQLite file: chart, sub-accounts, calendar, period balances for every year up to
/// the current period, vendors, open and history invoices. Deterministic for a given profile seed, scale and
/// reference time; bulk inserts run in one transaction with prepared commands and indexes are built afterwards,
/// so a million rows take seconds.
/// </summary>
public static class SimulatedCompanyGenerator
{
    private static readonly string[] VendorWords =
    [
        "Acme", "Blue Ridge", "Cascade", "Delta", "Evergreen", "Frontier", "Granite", "Harbor", "Ironwood", "Juniper",
        "Keystone", "Lakeside", "Meridian", "Northwind", "Oakmont", "Pinnacle", "Quarry", "Redwood", "Summit", "Tristar",
    ];

    private static readonly string[] VendorKinds = ["Supply", "Logistics", "Office Products", "Industrial", "Services", "Electric", "Packaging"];

    /// <summary>Creates (or replaces) the company database at <paramref name="path"/>.</summary>
    /// <param name="path">The SQLite file.</param>
    /// <param name="profile">The company.</param>
    /// <param name="scale">How much data.</param>
    /// <param name="now">Sage's local "now": nothing is stamped later than this, and the current period contains it.</param>
    /// <returns>The number of period-balance rows and invoices written.</returns>
    public static (long PeriodBalances, long Invoices) Generate(string path, CompanyProfile profile, SimulatedScale scale, DateTime now)
    {
        if (File.Exists(path))
        {
            SqliteConnection.ClearAllPools();
            File.Delete(path);
        }

        var rng = new Random(profile.Seed + (scale.ExtraMainAccounts * 7919) + (scale.VendorsPerDivision * 104729) + scale.InvoicesPerVendor);
        using var connection = new SqliteConnection(SimulatedCompany.ConnectionString(path));
        connection.Open();
        Exec(connection, SimulatedSchema.Create);
        // Bulk load: no rollback journal on disk, big page cache; the file is rebuilt from scratch if this fails.
        Exec(connection, "PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; PRAGMA cache_size = -200000;");

        var years = SimulatedCalendar.Build(profile);
        var calendar = SimulatedCalendar.WithCurrent(years, DateOnly.FromDateTime(now));
        long balances;
        long invoices;
        using (SqliteTransaction tx = connection.BeginTransaction())
        {
            WriteCompany(connection, tx, profile, years);
            var accounts = WriteChart(connection, tx, profile, scale, rng, now);
            balances = WriteBalances(connection, tx, accounts, calendar, rng, now);
            invoices = WriteAp(connection, tx, profile, scale, years, accounts, rng, now);
            tx.Commit();
        }

        Exec(connection, SimulatedSchema.Indexes);
        Exec(connection, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
        return (balances, invoices);
    }

    private static void WriteCompany(SqliteConnection c, SqliteTransaction tx, CompanyProfile profile, IReadOnlyList<FiscalYearInfo> years)
    {
        Insert(c, tx, "SY_Company", ["CompanyCode", "CompanyName", "AllowExternalAccess"], [profile.Code, SageFormats.Pad(profile.Name, 40), "Y"]);
        Insert(c, tx, "GL_Options", ["OptionKey", "EnableBatchEntry", "NextBatchNo", "SchemaVersion"], ["GL", profile.BatchEntryEnabled ? "Y" : "N", "00001", SimulatedSchema.Version.ToString(CultureInfo.InvariantCulture)]);
        for (int i = 0; i < profile.Segments.Count; i++)
        {
            Insert(c, tx, "GL_AccountStructure", ["SegmentNo", "SegmentDesc", "SegmentLength", "Separator"],
                [SageFormats.Period(i + 1), SageFormats.Pad(profile.Segments[i].Description, 15), profile.Segments[i].Length.ToString(CultureInfo.InvariantCulture), profile.Separator]);
        }

        foreach (FiscalYearInfo y in years)
        {
            Insert(c, tx, "GL_FiscalYear", ["FiscalYear", "BeginningDate", "EndingDate", "NumberOfPeriods"],
                [y.FiscalYear, SageFormats.ToSageDate(y.BeginDate), SageFormats.ToSageDate(y.EndDate), SageFormats.Period(y.Periods.Count)]);
            foreach (FiscalPeriodInfo p in y.Periods)
            {
                Insert(c, tx, "GL_FiscalYearDetail", ["FiscalYear", "FiscalPeriod", "PeriodBeginningDate", "PeriodEndingDate"],
                    [y.FiscalYear, SageFormats.Period(p.Period), SageFormats.ToSageDate(p.BeginDate), SageFormats.ToSageDate(p.EndDate)]);
            }
        }

        Insert(c, tx, "GL_SourceJournal", ["SourceJournal", "SourceJournalDesc", "NextEntryNo", "NextJournalRegisterNo"], ["GJ", SageFormats.Pad("General Journal", 30), "000001", "000001"]);
        Insert(c, tx, "GL_SourceJournal", ["SourceJournal", "SourceJournalDesc", "NextEntryNo", "NextJournalRegisterNo"], ["BU", SageFormats.Pad("Budget Journal", 30), "000001", "000001"]);
        Insert(c, tx, "GL_SourceJournal", ["SourceJournal", "SourceJournalDesc", "NextEntryNo", "NextJournalRegisterNo"], ["PJ", SageFormats.Pad("Purchases Journal", 30), "000001", "000001"]);
        foreach ((string code, string desc) in profile.ApDivisions)
        {
            Insert(c, tx, "AP_Division", ["APDivisionNo", "DivisionDesc"], [code, SageFormats.Pad(desc, 30)]);
        }
    }

    private sealed record GeneratedAccount(string Key, bool BalanceSheet, DateTime Created, bool Expense = false);

    private static List<GeneratedAccount> WriteChart(SqliteConnection c, SqliteTransaction tx, CompanyProfile profile, SimulatedScale scale, Random rng, DateTime now)
    {
        var mains = profile.MainAccounts.ToList();
        int mainWidth = profile.Segments[0].Length;
        long nextExtra = long.Parse(mains[^1].Code, CultureInfo.InvariantCulture) + 1;
        long maxMain = (long)Math.Pow(10, mainWidth) - 1;
        for (int i = 0; i < scale.ExtraMainAccounts && nextExtra <= maxMain; i++, nextExtra++)
        {
            mains.Add(new MainAccountSpec(SageFormats.ZeroFill(nextExtra, mainWidth), $"Expense Pool {nextExtra}", "E", "EX", false));
        }

        DateTime created = new(2023, 6, 1, 9, 0, 0, DateTimeKind.Unspecified);
        for (int s = 0; s < profile.SubAccounts.Count; s++)
        {
            foreach ((string code, string desc) in profile.SubAccounts[s])
            {
                Insert(c, tx, "GL_SubAccount", ["SegmentNo", "SubAccountCode", "SubAccountDesc", "DateCreated", "TimeCreated", "UserCreatedKey", "DateUpdated", "TimeUpdated", "UserUpdatedKey"],
                    [SageFormats.Period(s + 2), code, SageFormats.Pad(desc, W.SubAccountDesc), SageFormats.ToSageDate(DateOnly.FromDateTime(created)), "9", User("ADMIN"),
                     SageFormats.ToSageDate(DateOnly.FromDateTime(created)), "9", User("ADMIN")]);
            }
        }

        // Income and expense accounts take every combination of non-"zero" sub-account codes; balance-sheet ones the profile's fixed codes.
        var combos = new List<string[]> { Array.Empty<string>() };
        foreach (var segment in profile.SubAccounts)
        {
            var codes = segment.Skip(1).Select(x => x.Code).ToList();
            combos = combos.SelectMany(prefix => codes.Select(code => prefix.Append(code).ToArray())).ToList();
        }

        var accounts = new List<(string Account, string Raw, MainAccountSpec Main, string[] Subs)>();
        foreach (MainAccountSpec main in mains)
        {
            Insert(c, tx, "GL_MainAccount", ["MainAccountCode", "AccountDesc", "AccountType", "DateCreated", "TimeCreated", "UserCreatedKey", "DateUpdated", "TimeUpdated", "UserUpdatedKey"],
                [main.Code, SageFormats.Pad(main.Description, W.AccountDesc), SageFormats.Pad(main.AccountType, 2), "20230601", "9", User("ADMIN"), "20230601", "9", User("ADMIN")]);
            IEnumerable<string[]> subsets = main.BalanceSheet ? [profile.BalanceSheetSubCodes.ToArray()] : combos;
            foreach (string[] subs in subsets)
            {
                string account = string.Join(profile.Separator, subs.Prepend(main.Code));
                accounts.Add((account, string.Concat(subs.Prepend(main.Code)), main, subs));
            }
        }

        accounts.Sort((a, b) => string.CompareOrdinal(a.Account, b.Account));
        using var cmd = Prepare(c, tx, "GL_Account", ["AccountKey", "Account", "RawAccount", "AccountDesc", "MainAccountCode", "AccountType", "AccountGroup", "AccountCategory", "Status", "ClearBalance", "DateCreated", "TimeCreated", "UserCreatedKey", "DateUpdated", "TimeUpdated", "UserUpdatedKey"]);
        using var seg = Prepare(c, tx, "GL_AccountSegment", ["AccountKey", "SegmentNo", "SubAccountCode"]);
        var result = new List<GeneratedAccount>(accounts.Count);
        long key = 1;
        var inactive = new HashSet<string>(profile.InactiveAccounts, StringComparer.Ordinal);
        foreach (var a in accounts)
        {
            string accountKey = SageFormats.ZeroFill(key++, W.AccountKey);
            string desc = a.Main.Description;
            for (int s = 0; s < a.Subs.Length; s++)
            {
                desc += " - " + profile.SubAccounts[s].First(x => x.Code == a.Subs[s]).Description;
            }

            (string updDate, string updTime) = Stamp(rng, new DateOnly(2024, 1, 2), now, blankChance: 0.05);
            Run(cmd, accountKey, a.Account, a.Raw, SageFormats.Pad(desc.Length > W.AccountDesc ? desc[..W.AccountDesc] : desc, W.AccountDesc), a.Main.Code,
                SageFormats.Pad(a.Main.AccountType, 2), SageFormats.Pad(a.Main.AccountGroup, 4), a.Main.BalanceSheet ? "B" : "I",
                inactive.Contains(a.Account) ? "I" : "A", a.Main.BalanceSheet ? "N" : "Y",
                "20230601", "9", User("ADMIN"), updDate, updTime, User("ADMIN"));
            for (int s = 0; s < a.Subs.Length; s++)
            {
                Run(seg, accountKey, SageFormats.Period(s + 2), a.Subs[s]);
            }

            result.Add(new GeneratedAccount(accountKey, a.Main.BalanceSheet, created, a.Main.AccountType == "E"));
        }

        return result;
    }

    private static long WriteBalances(SqliteConnection c, SqliteTransaction tx, List<GeneratedAccount> accounts, FiscalCalendarInfo calendar, Random rng, DateTime now)
    {
        using var cmd = Prepare(c, tx, "GL_PeriodPostingHistory", ["AccountKey", "FiscalYear", "FiscalPeriod", "BeginningBalance", "DebitAmount", "CreditAmount", "DateCreated", "TimeCreated", "UserCreatedKey", "DateUpdated", "TimeUpdated", "UserUpdatedKey"]);
        long rows = 0;
        foreach (GeneratedAccount account in accounts)
        {
            decimal carried = Money(rng, 1_000, 500_000);
            foreach (FiscalYearInfo year in calendar.Years)
            {
                if (string.CompareOrdinal(year.FiscalYear, calendar.CurrentFiscalYear) > 0)
                {
                    break;
                }

                int lastPeriod = year.FiscalYear == calendar.CurrentFiscalYear ? calendar.CurrentPeriod : year.Periods.Count;
                decimal beginning = account.BalanceSheet ? carried : 0m;
                decimal net = 0m;
                for (int p = 1; p <= lastPeriod; p++)
                {
                    FiscalPeriodInfo period = year.Periods[p - 1];
                    bool quiet = rng.NextDouble() < 0.1;
                    decimal debit = quiet ? 0m : Money(rng, 0, 60_000);
                    decimal credit = quiet ? 0m : Money(rng, 0, 60_000);
                    net += debit - credit;
                    DateOnly stampFrom = period.EndDate.AddDays(1) > DateOnly.FromDateTime(now) ? period.BeginDate : period.EndDate.AddDays(1);
                    (string d, string t) = Stamp(rng, stampFrom, Min(now, period.EndDate.AddDays(10)), blankChance: 0.03);
                    Run(cmd, account.Key, year.FiscalYear, SageFormats.Period(p), SageFormats.FormatMoney(p == 1 ? beginning : 0m),
                        SageFormats.FormatMoney(debit), SageFormats.FormatMoney(credit),
                        SageFormats.ToSageDate(period.BeginDate), "8.5", User("GLPOST"), d, t, User("GLPOST"));
                    rows++;
                }

                carried = beginning + net;
            }
        }

        return rows;
    }

    private static long WriteAp(
        SqliteConnection c, SqliteTransaction tx, CompanyProfile profile, SimulatedScale scale, IReadOnlyList<FiscalYearInfo> years, List<GeneratedAccount> accounts, Random rng, DateTime now)
    {
        // The GL distribution of each invoice (one to three expense accounts) draws from its own stream, so the vendors,
        // invoices and amounts stay what they were before distributions existed.
        var distributionRng = new Random((profile.Seed * 7) + 13);
        string[] expense = [.. accounts.Where(a => a.Expense).Select(a => a.Key)];
        using var detailCmd = Prepare(c, tx, "AP_InvoiceHistoryDetail", ["APDivisionNo", "VendorNo", "InvoiceNo", "HeaderSeqNo", "DetailSeqNo", "AccountKey", "DistributionAmt"]);
        using var vendorCmd = Prepare(c, tx, "AP_Vendor", ["APDivisionNo", "VendorNo", "VendorName", "AddressLine1", "City", "State", "ZipCode", "TermsCode", "TemporaryVendor", "HoldPayment", "DateCreated", "TimeCreated", "UserCreatedKey", "DateUpdated", "TimeUpdated", "UserUpdatedKey"]);
        using var historyCmd = Prepare(c, tx, "AP_InvoiceHistoryHeader", ["APDivisionNo", "VendorNo", "InvoiceNo", "HeaderSeqNo", "SourceJournal", "InvoiceDate", "TransactionDate", "InvoiceAmt", "FreightAmt", "Comment", "DateCreated", "TimeCreated", "UserCreatedKey", "DateUpdated", "TimeUpdated", "UserUpdatedKey"]);
        using var openCmd = Prepare(c, tx, "AP_OpenInvoice", ["APDivisionNo", "VendorNo", "InvoiceNo", "HeaderSeqNo", "InvoiceDate", "InvoiceDueDate", "InvoiceAmt", "DiscountAmt", "Balance", "DateCreated", "TimeCreated", "UserCreatedKey", "DateUpdated", "TimeUpdated", "UserUpdatedKey"]);
        DateOnly today = DateOnly.FromDateTime(now);
        DateOnly first = years[0].BeginDate;
        int span = Math.Max(1, today.DayNumber - first.DayNumber);
        long invoiceSeq = 1;
        long invoices = 0;
        string[] cities = ["Irvine", "Chicago", "Dallas", "Toronto", "Denver", "Atlanta"];
        string[] states = ["CA", "IL", "TX", "ON", "CO", "GA"];
        foreach ((string division, _) in profile.ApDivisions)
        {
            for (int v = 1; v <= scale.VendorsPerDivision; v++)
            {
                string vendorNo = SageFormats.ZeroFill(v, W.VendorNo);
                string name = $"{VendorWords[rng.Next(VendorWords.Length)]} {VendorKinds[rng.Next(VendorKinds.Length)]}";
                int city = rng.Next(cities.Length);
                (string ud, string ut) = Stamp(rng, new DateOnly(2025, 1, 1), now, blankChance: 0.08);
                Run(vendorCmd, division, vendorNo, SageFormats.Pad(name, W.VendorName), SageFormats.Pad($"{100 + rng.Next(9000)} Commerce Way", W.AddressLine),
                    SageFormats.Pad(cities[city], W.City), states[city], SageFormats.Pad(SageFormats.ZeroFill(rng.Next(10000, 99999), 5), 10), SageFormats.ZeroFill(rng.Next(1, 4), 2),
                    v % 10 == 0 ? "Y" : "N", v % 15 == 0 ? "Y" : "N", "20230315", "10.25", User("APCLERK"), ud, ut, User("APCLERK"));

                for (int k = 0; k < scale.InvoicesPerVendor; k++)
                {
                    DateOnly invoiceDate = first.AddDays(rng.Next(span + 1));
                    string invoiceNo = SageFormats.Pad("IN" + SageFormats.ZeroFill(invoiceSeq++, 8), W.InvoiceNo);
                    decimal amount = Money(rng, 50, 25_000);
                    DateOnly createdDate = Min(today, invoiceDate.AddDays(rng.Next(0, 5)));
                    (string cd, string ct) = Stamp(rng, createdDate, Min(now, createdDate), blankChance: 0);
                    bool recent = today.DayNumber - invoiceDate.DayNumber < 120;
                    bool open = rng.NextDouble() < (recent ? 0.7 : 0.04);
                    (string hd, string ht) = Stamp(rng, createdDate, Min(now, createdDate.AddDays(30)), blankChance: 0.05);
                    Run(historyCmd, division, vendorNo, invoiceNo, "000000", "PJ", SageFormats.ToSageDate(invoiceDate), SageFormats.ToSageDate(createdDate),
                        SageFormats.FormatMoney(amount), SageFormats.FormatMoney(rng.NextDouble() < 0.2 ? Money(rng, 5, 250) : 0m),
                        SageFormats.Pad("Purchase invoice", W.Comment), cd, ct, User("APCLERK"), hd, ht, User("APCLERK"));
                    int line = 0;
                    foreach ((string accountKey, decimal share) in Distribution(distributionRng, expense, amount))
                    {
                        Run(detailCmd, division, vendorNo, invoiceNo, "000000", SageFormats.ZeroFill(++line, 6), accountKey, SageFormats.FormatMoney(share));
                    }

                    if (open)
                    {
                        decimal balance = rng.NextDouble() < 0.3 ? Math.Round(amount * 0.5m, 2) : amount;
                        (string od, string ot) = Stamp(rng, createdDate, now, blankChance: 0.05);
                        Run(openCmd, division, vendorNo, invoiceNo, "000000", SageFormats.ToSageDate(invoiceDate), SageFormats.ToSageDate(invoiceDate.AddDays(30)),
                            SageFormats.FormatMoney(amount), "0.00", SageFormats.FormatMoney(balance), cd, ct, User("APCLERK"), od, ot, User("APCLERK"));
                    }

                    invoices++;
                }
            }
        }

        return invoices;
    }

    /// <summary>Splits an invoice amount over one to three distinct expense accounts; the lines sum to the amount exactly.</summary>
    internal static IReadOnlyList<(string AccountKey, decimal Amount)> Distribution(Random rng, IReadOnlyList<string> expenseAccounts, decimal amount)
    {
        if (expenseAccounts.Count == 0)
        {
            return [];
        }

        int lines = Math.Min(expenseAccounts.Count, 1 + rng.Next(3));
        var chosen = new List<string>(lines);
        while (chosen.Count < lines)
        {
            string account = expenseAccounts[rng.Next(expenseAccounts.Count)];
            if (!chosen.Contains(account))
            {
                chosen.Add(account);
            }
        }

        var result = new List<(string, decimal)>(lines);
        decimal left = amount;
        for (int i = 0; i < lines - 1; i++)
        {
            decimal part = Math.Round(left * (decimal)(0.2 + (rng.NextDouble() * 0.5)), 2);
            result.Add((chosen[i], part));
            left -= part;
        }

        result.Add((chosen[^1], left));
        return result;
    }

    /// <summary>A (DateUpdated, TimeUpdated) pair between <paramref name="from"/> and <paramref name="latest"/>, never after it.</summary>
    private static (string Date, string Time) Stamp(Random rng, DateOnly from, DateTime latest, double blankChance)
    {
        DateOnly last = DateOnly.FromDateTime(latest);
        if (from > last)
        {
            from = last;
        }

        DateOnly date = from.AddDays(rng.Next(last.DayNumber - from.DayNumber + 1));
        double maxHours = date == last ? Math.Max(0, latest.TimeOfDay.TotalHours) : 23.99;
        TimeSpan time = TimeSpan.FromSeconds(Math.Floor(rng.NextDouble() * maxHours * 3600));
        bool blank = rng.NextDouble() < blankChance;
        return (SageFormats.ToSageDate(date), blank ? string.Empty : SageFormats.ToDecimalHours(time));
    }

    private static (string Date, string Time) Stamp(Random rng, DateOnly from, DateOnly latest, double blankChance)
        => Stamp(rng, from, latest.ToDateTime(new TimeOnly(18, 0)), blankChance);

    private static DateTime Min(DateTime now, DateOnly date) => date.ToDateTime(new TimeOnly(18, 0)) < now ? date.ToDateTime(new TimeOnly(18, 0)) : now;

    private static DateOnly Min(DateOnly a, DateOnly b) => a < b ? a : b;

    private static decimal Money(Random rng, int min, int max) => Math.Round(min + (decimal)rng.Next(0, (max - min) * 100) / 100m, 2);

    private static string User(string user) => SageFormats.Pad(user, W.UserKey);

    private static void Exec(SqliteConnection c, string sql)
    {
        using SqliteCommand cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static void Insert(SqliteConnection c, SqliteTransaction tx, string table, string[] columns, string[] values)
    {
        using SqliteCommand cmd = Prepare(c, tx, table, columns);
        Run(cmd, values);
    }

    internal static SqliteCommand Prepare(SqliteConnection c, SqliteTransaction tx, string table, string[] columns)
    {
        SqliteCommand cmd = c.CreateCommand();
        cmd.Transaction = tx;
#pragma warning disable CA2100 // Table and column names are compile-time constants of this class; values are parameters.
        cmd.CommandText = $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select((_, i) => "$p" + i.ToString(CultureInfo.InvariantCulture)))})";
#pragma warning restore CA2100
        for (int i = 0; i < columns.Length; i++)
        {
            cmd.Parameters.Add(new SqliteParameter("$p" + i.ToString(CultureInfo.InvariantCulture), SqliteType.Text));
        }

        cmd.Prepare();
        return cmd;
    }

    internal static void Run(SqliteCommand cmd, params string[] values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            cmd.Parameters[i].Value = values[i];
        }

        cmd.ExecuteNonQuery();
    }
}
