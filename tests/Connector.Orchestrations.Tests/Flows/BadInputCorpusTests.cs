using System.Globalization;
using Connector.Agent.Backends;
using Connector.Agent.Backends.Simulated;
using Connector.Emulators.Anaplan.Model;
using Connector.Local.Demo;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Flows.Budgets;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Storage;
using Connector.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;

namespace Connector.Orchestrations.Tests.Flows;

/// <summary>
/// The bad-input corpus (issue 15): every kind of bad or odd input a customer's Sage company, Anaplan model or settings
/// file can hold, each run through the real path (the flow on the local durable host with the agent and the Anaplan
/// emulator; the settings file through the settings check and validator). Bad input ends with an error naming the record
/// and the field and nothing half-done (valid rows arrive, rejected ones are in the audit, no entry posted in part);
/// valid-but-odd input round-trips. The cases are the <see cref="Corpus"/> table; the README's engineering notes list them.
/// </summary>
public sealed class BadInputCorpusTests(BadInputCorpusTests.Fixture fixture) : IClassFixture<BadInputCorpusTests.Fixture>
{
    /// <summary>The corpus: case name → the input, as the customer's system holds it.</summary>
    public static readonly IReadOnlyDictionary<string, string> Corpus = new Dictionary<string, string>
    {
        // Sage → Anaplan (actuals): the company's records.
        ["account-key-too-few-segments"] = "GL account '600-77' (ABC's structure is Main-Division-Department: 3 segments) with balances",
        ["account-key-odd-separator"] = "GL account '600.01.77' (ABC separates segments with '-') with balances",
        ["blank-time-updated"] = "vendor 01-0000871 'Blank Time Supply' whose TimeUpdated is blank",
        ["padded-and-zero-filled-codes"] = "vendor 01-0000872 (zero-filled number) named '   Padded Supply   '",
        ["commas-quotes-newlines-non-latin-names"] = "vendors named 'Smith, Jones & Co', 'The \"Best\" Parts', 'Line one\\nLine two', 'Müller Größe Ωmega 株式会社'",
        ["formula-leading-text"] = "vendors named '=1+2', '@SUM(A1:A9)', '+cmd|calc', '-2+3'",

        // Anaplan → Sage (budgets): the approved values of the model.
        ["amount-three-decimals"] = "budget cell 600-01 / 01 = 12.345 (Sage stores cents) next to a valid cell of another cost centre",
        ["amount-huge"] = "budget cell 600-01 / 01 = 1e15 (beyond Sage's 16.2 amount fields) next to a valid cell",
        ["amount-nan"] = "budget cell 600-01 / 01 = NaN next to a valid cell",
        ["duplicate-rows"] = "the same cell twice: account items '600-01' and '600-01 ' (a trailing space) on cost centre 01, next to a valid cell",
        ["period-outside-calendar"] = "budget cell on period FY2035-P05, which Sage's fiscal calendar does not have, next to a valid cell",
        ["unbalanced-group"] = "budget entries balanced per cost centre against 300-00-{cost centre}: Sage has 300-00-00 but no 300-00-01",
        ["export-header-changed"] = "the budget view's cost-centre column is headed 'Cost Center' while the settings (as first fitted) say 'Cost Centre'",

        // Settings.
        ["settings-wrong-types"] = """{"Connector":{"Connections":[{"Id":"abc","Actuals":{"Enabled":"maybe","PriorPeriods":"1.5"},"Anaplan":{"ChunkSizeMb":"ten"},"Sage":{"Timeout":true}}],"Retention":{"Days":"ninety"}}}""",
    };

    public static TheoryData<string> Cases => [.. Corpus.Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BadInput_ClearErrorNamingRecordAndField_NothingHalfDone_OddButValidRoundTrips(string name)
    {
        Task check = name switch
        {
            "account-key-too-few-segments" => this.BadAccountKeyAsync("600-77", "it has 2 segment(s) but the structure"),
            "account-key-odd-separator" => this.BadAccountKeyAsync("600.01.77", "it has 1 segment(s) but the structure"),
            "blank-time-updated" => this.VendorsRoundTripAsync([("0000871", "Blank Time Supply", true)]),
            "padded-and-zero-filled-codes" => this.VendorsRoundTripAsync([("0000872", "   Padded Supply   ", false)]),
            "commas-quotes-newlines-non-latin-names" => this.VendorsRoundTripAsync(
                [("0000873", "Smith, Jones & Co", false), ("0000874", "The \"Best\" Parts", false), ("0000875", "Line one\nLine two", false), ("0000876", "Müller Größe Ωmega 株式会社", false)]),
            "formula-leading-text" => this.VendorsRoundTripAsync(
                [("0000877", "=1+2", false), ("0000878", "@SUM(A1:A9)", false), ("0000879", "+cmd|calc", false), ("0000880", "-2+3", false)]),
            "amount-three-decimals" => this.BudgetLineRejectedAsync("BI-3DP", "FY2027-P08", 12.345, "Amount", "has more than two decimal places"),
            "amount-huge" => this.BudgetLineRejectedAsync("BI-HUGE", "FY2027-P08", 1e15, "Amount", "more than Sage 100 stores in an amount"),
            "amount-nan" => this.BudgetLineRejectedAsync("BI-NAN", "FY2027-P08", double.NaN, "Amount", "NaN"),
            "duplicate-rows" => this.DuplicateCellAsync(),
            "period-outside-calendar" => this.BudgetLineRejectedAsync("BI-PERIOD", "FY2035-P05", 42.00, "Period", "FY2035-P05"),
            "unbalanced-group" => this.UnbalancedGroupAsync(),
            "export-header-changed" => this.ExportHeaderChangedAsync(),
            "settings-wrong-types" => SettingsWrongTypesAsync(Corpus[name]),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "not a corpus case"),
        };
        await check;
    }

    /// <summary>
    /// An account key that does not fit the company's structure: rejected with the key and the field (the account in the
    /// dimensions, each of its balance rows in the GL), every other cell in Anaplan equal to Sage.
    /// </summary>
    private async Task BadAccountKeyAsync(string key, string? reasonPart)
    {
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        AddAccountLike(abc, "600-01-01", key);

        ActualsRunSummary run = await fixture.RunActualsAsync(Fixture.Abc);

        Assert.Equal(RunStatuses.CompletedWithRejections, run.Status);
        List<RecordAudit> records = await fixture.Audit.GetRecordsAsync(run.RunId).ToListAsync();
        RecordAudit account = Assert.Single(records, r => r.Dataset == Datasets.Dimensions && r.Record == key);
        Assert.Equal("Account", account.Field);
        Assert.Contains($"Account '{key}' is not valid", account.Reason, StringComparison.Ordinal);
        if (reasonPart is not null)
        {
            Assert.Contains(reasonPart, account.Reason, StringComparison.Ordinal);
        }

        List<RecordAudit> rows = [.. records.Where(r => r.Dataset == Datasets.GlActuals)];
        Assert.NotEmpty(rows);
        Assert.All(rows, r =>
        {
            Assert.StartsWith($"{key} / ", r.Record, StringComparison.Ordinal);
            Assert.Equal("Account", r.Field);
        });

        // Nothing half-done: Anaplan holds every valid cell of the run's periods, to the cent, and nothing of the bad key.
        var periods = run.Periods.Select(p => (p[2..6], int.Parse(p[^2..], CultureInfo.InvariantCulture))).ToList();
        SimulatedTruth.AssertSameCells(
            SimulatedTruth.GlCells(abc, '-', 3, periods, account => account != key),
            SimulatedTruth.ModelGl(fixture.Environment.Anaplan.DefaultModel, run.Periods));
        RemoveAccount(abc, key);
    }

    /// <summary>Vendors with odd but valid data reach Anaplan as Sage has them (names trimmed; formulas neutralised).</summary>
    private async Task VendorsRoundTripAsync(IReadOnlyList<(string Number, string Name, bool BlankTime)> vendors)
    {
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        foreach ((string number, string name, bool blankTime) in vendors)
        {
            abc.UpsertVendor("01", number, name, null, null, null, blankTime, create: true);
        }

        ActualsRunSummary run = await fixture.RunActualsAsync(Fixture.Abc);

        Assert.Equal(RunStatuses.Completed, run.Status);
        Dictionary<string, string> inAnaplan = fixture.Environment.Anaplan.DefaultModel.GetListItems("Vendors").ToDictionary(v => v.Code, v => v.Name);
        foreach ((string number, string name, bool _) in vendors)
        {
            // The code exactly as Sage keys it (zero-filled, never re-padded or trimmed to a number).
            string text = SimulatedTruth.Vendors(abc)[$"01-{number}"];
            Assert.Equal(SpreadsheetSafe.Text(text), inAnaplan[$"01-{number}"]);
            Assert.Equal(SpreadsheetSafe.IsFormula(name.Trim()) ? "'" + name.Trim() : name.Trim(), inAnaplan[$"01-{number}"]);
        }

        // And every vendor, not only these, equals Sage.
        Assert.Equal(
            SimulatedTruth.Vendors(abc).Select(v => KeyValuePair.Create(v.Key, SpreadsheetSafe.Text(v.Value))).OrderBy(v => v.Key, StringComparer.Ordinal),
            inAnaplan.Where(v => SimulatedTruth.Vendors(abc).ContainsKey(v.Key)).OrderBy(v => v.Key, StringComparer.Ordinal));
        Assert.Empty(await fixture.Audit.GetRecordsAsync(run.RunId, Datasets.Vendors).ToListAsync());
    }

    /// <summary>
    /// One bad budget line next to a valid one of another entry: the bad line is refused naming its line, cells and field,
    /// the valid entry posts once, and nothing of the bad line reaches Sage.
    /// </summary>
    private async Task BudgetLineRejectedAsync(string version, string period, double amount, string field, string reasonPart)
    {
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        EmulatedModel model = fixture.Environment.Anaplan.DefaultModel;
        if (model.GetListItems("Periods").All(p => p.Code != period))
        {
            model.AddListItem("Periods", period, period);
        }

        NewVersion(model, version);
        BudgetSeed.Seed(model, [new("610-02", "02", "FY2027-P08", version, 250.00m)], version);
        model.SetCell("Budget", ["600-01", "01", period, version], "Amount", amount);
        int before = BudgetSeed.Posted(abc).Count;

        BudgetRunSummary run = await this.RunBudgetsOnceAsync(Fixture.Abc, version);

        Assert.Equal(RunStatuses.CompletedWithRejections, run.Status);
        Assert.Equal(1, run.Plan.LinesRejected);
        RecordAudit refused = Assert.Single(await fixture.Audit.GetRecordsAsync(run.RunId, Datasets.Budget).ToListAsync());
        Assert.Equal(RecordKinds.Rejected, refused.Kind);
        Assert.Matches($@"^line \d+: 600-01 / 01 / {period} / {version}$", refused.Record);
        Assert.Equal(field, refused.Field);
        Assert.Contains(reasonPart, refused.Reason, StringComparison.OrdinalIgnoreCase);

        JournalEntryInfo posted = Assert.Single(BudgetSeed.Posted(abc).Skip(before));
        AssertBalancedWithOnly(posted, "610-02-02", 250.00m);
    }

    /// <summary>The same cell twice in the export: neither line is posted, both are named; the valid entry posts.</summary>
    private async Task DuplicateCellAsync()
    {
        const string version = "BI-DUP";
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        EmulatedModel model = fixture.Environment.Anaplan.DefaultModel;
        model.AddListItem("Accounts", "600-01 ", "600-01 (a copy with a trailing space)");
        NewVersion(model, version);
        BudgetSeed.Seed(model, [new("610-02", "02", "FY2027-P09", version, 250.00m), new("600-01", "01", "FY2027-P09", version, 100.00m)], version);
        model.SetCell("Budget", ["600-01 ", "01", "FY2027-P09", version], "Amount", 100.00);
        int before = BudgetSeed.Posted(abc).Count;

        BudgetRunSummary run = await this.RunBudgetsOnceAsync(Fixture.Abc, version);

        Assert.Equal(RunStatuses.CompletedWithRejections, run.Status);
        Assert.Equal(2, run.Plan.LinesRejected);
        List<RecordAudit> refused = await fixture.Audit.GetRecordsAsync(run.RunId, Datasets.Budget).ToListAsync();
        Assert.Equal(2, refused.Count);
        Assert.All(refused, r =>
        {
            Assert.Matches($@"^line \d+: 600-01 / 01 / FY2027-P09 / {version}$", r.Record);
            Assert.Equal("Account", r.Field);
            Assert.Contains("neither", r.Reason, StringComparison.Ordinal);
        });
        Assert.NotEqual(refused[0].Record, refused[1].Record);

        // Not doubled, not guessed: only the valid entry reached Sage.
        JournalEntryInfo posted = Assert.Single(BudgetSeed.Posted(abc).Skip(before));
        AssertBalancedWithOnly(posted, "610-02-02", 250.00m);
    }

    /// <summary>
    /// An entry that cannot be balanced (its cost centre's offset account is not in Sage): the run fails before posting
    /// anything, naming the setting, the account and the entry; the valid entries wait with it (all or nothing).
    /// </summary>
    private async Task UnbalancedGroupAsync()
    {
        const string version = "BI-UNBAL";
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        EmulatedModel model = fixture.Environment.Anaplan.DefaultModel;
        Assert.Contains(abc.GetAccounts(null, int.MaxValue), a => a.Account.Trim() == "300-00-00");
        Assert.DoesNotContain(abc.GetAccounts(null, int.MaxValue), a => a.Account.Trim() == "300-00-01");
        NewVersion(model, version);
        BudgetSeed.Seed(model, [new("600-01", "00", "FY2027-P10", version, 80.00m), new("620-02", "01", "FY2027-P10", version, 410.33m)], version);
        int before = BudgetSeed.Posted(abc).Count;

        OrchestrationMetadata done = await this.RunBudgetsToEndOnceAsync(Fixture.PerCostCentreOffset, version);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        string error = done.FailureDetails?.ErrorMessage ?? string.Empty;
        Assert.Contains("Budgets:OffsetAccount resolves to 300-00-01, which is not an account in Sage", error, StringComparison.Ordinal);
        Assert.Contains($"entry '{version}|FY2027-P10|costcenter=01' cannot be balanced", error, StringComparison.Ordinal);
        Assert.Equal(before, BudgetSeed.Posted(abc).Count);
        Assert.Equal(RunStatuses.Failed, (await fixture.Audit.GetRunAsync(Fixture.PerCostCentreOffset, done.InstanceId))?.Status);
    }

    /// <summary>The view's header differs from the settings: the run refuses before reading a line, naming setting and column.</summary>
    private async Task ExportHeaderChangedAsync()
    {
        const string version = "BI-HEADER";
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        EmulatedModel model = fixture.Environment.Anaplan.DefaultModel;
        NewVersion(model, version);
        BudgetSeed.Seed(model, [new("600-01", "01", "FY2027-P11", version, 15.00m)], version);
        int before = BudgetSeed.Posted(abc).Count;

        OrchestrationMetadata done = await this.RunBudgetsToEndOnceAsync(Fixture.RenamedColumn, version);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        string error = done.FailureDetails?.ErrorMessage ?? string.Empty;
        Assert.Contains("Budgets:Columns:CostCenter", error, StringComparison.Ordinal);
        Assert.Contains("'Cost Centre'", error, StringComparison.Ordinal);
        Assert.Contains("'Cost Center'", error, StringComparison.Ordinal); // the header the view has now
        Assert.Equal(before, BudgetSeed.Posted(abc).Count);
    }

    /// <summary>A settings file with wrong types, read by the configuration loader: each error names the setting's path, nothing else is flagged.</summary>
    private static Task SettingsWrongTypesAsync(string json)
    {
        string file = Path.Combine(Path.GetTempPath(), $"corpus-settings-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, json);
        try
        {
            IConfiguration configuration = new ConfigurationBuilder().AddJsonFile(file).Build();
            IReadOnlyList<string> errors = SettingsCheck.Check(configuration.GetSection(ConnectorOptions.SectionName), typeof(ConnectorOptions));
            foreach (string path in new[]
            {
                "Connector:Connections:0:Actuals:Enabled (connection 'abc'): 'maybe' is not true or false",
                "Connector:Connections:0:Actuals:PriorPeriods (connection 'abc'): '1.5' is not a whole number",
                "Connector:Connections:0:Anaplan:ChunkSizeMb (connection 'abc'): 'ten' is not a whole number",
                "Connector:Connections:0:Sage:Timeout (connection 'abc'): 'True' is not a time span",
                "Connector:Retention:Days: 'ninety' is not a whole number",
            })
            {
                Assert.Contains(errors, e => e.StartsWith(path, StringComparison.Ordinal));
            }

            Assert.Equal(5, errors.Count);
        }
        finally
        {
            File.Delete(file);
        }

        return Task.CompletedTask;
    }

    /// <summary>Each budget case has a version of its own (approved while the case runs), so cases never read each other's lines.</summary>
    private static void NewVersion(EmulatedModel model, string version)
    {
        if (model.GetListItems("Versions").All(v => v.Code != version))
        {
            model.AddListItem("Versions", version, version);
        }
    }

    private static void AssertBalancedWithOnly(JournalEntryInfo posted, string account, decimal debit)
    {
        Assert.Equal(posted.Lines.Sum(l => l.Debit), posted.Lines.Sum(l => l.Credit));
        JournalLineInfo line = Assert.Single(posted.Lines, l => l.Debit > 0);
        Assert.Equal((account, debit), (line.Account.Trim(), line.Debit));
    }

    private async Task<BudgetRunSummary> RunBudgetsOnceAsync(string connection, string version)
    {
        OrchestrationMetadata done = await this.RunBudgetsToEndOnceAsync(connection, version);
        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"the run ended {done.RuntimeStatus}: {done.FailureDetails?.ErrorMessage}");
        return done.ReadOutputAs<BudgetRunSummary>()!;
    }

    /// <summary>Runs the case's version once, then takes its approval back: its lines leave the export, so the next case's run does not read them.</summary>
    private async Task<OrchestrationMetadata> RunBudgetsToEndOnceAsync(string connection, string version)
    {
        try
        {
            return await fixture.RunBudgetsToEndAsync(connection, new BudgetRunRequest(Version: version));
        }
        finally
        {
            fixture.Environment.Anaplan.DefaultModel.SetVersionApproved(version, approved: false);
        }
    }

    /// <summary>Adds a GL account under a key of the test's choosing, with the balances of an existing account.</summary>
    private static void AddAccountLike(SimulatedCompany company, string existing, string key)
    {
        using var connection = new SqliteConnection($"Data Source={company.Path}");
        connection.Open();
        using SqliteCommand insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT INTO GL_Account (AccountKey, Account, RawAccount, AccountDesc, MainAccountCode, AccountType, AccountGroup, AccountCategory, Status, ClearBalance,
              DateCreated, TimeCreated, UserCreatedKey, DateUpdated, TimeUpdated, UserUpdatedKey)
            SELECT $key, $account, $raw, AccountDesc, MainAccountCode, AccountType, AccountGroup, AccountCategory, Status, ClearBalance,
              DateCreated, TimeCreated, UserCreatedKey, DateUpdated, TimeUpdated, UserUpdatedKey
            FROM GL_Account WHERE Account = $existing;
            INSERT INTO GL_PeriodPostingHistory (AccountKey, FiscalYear, FiscalPeriod, BeginningBalance, DebitAmount, CreditAmount,
              DateCreated, TimeCreated, UserCreatedKey, DateUpdated, TimeUpdated, UserUpdatedKey)
            SELECT $key, FiscalYear, FiscalPeriod, BeginningBalance, DebitAmount, CreditAmount, DateCreated, TimeCreated, UserCreatedKey, DateUpdated, TimeUpdated, UserUpdatedKey
            FROM GL_PeriodPostingHistory WHERE AccountKey = (SELECT AccountKey FROM GL_Account WHERE Account = $existing);
            """;
        insert.Parameters.AddWithValue("$key", "ZZ" + key);
        insert.Parameters.AddWithValue("$account", key);
        insert.Parameters.AddWithValue("$raw", key.Replace("-", string.Empty, StringComparison.Ordinal).Replace(".", string.Empty, StringComparison.Ordinal));
        insert.Parameters.AddWithValue("$existing", existing);
        Assert.True(insert.ExecuteNonQuery() > 1, $"account {existing} and its balances were not copied");
    }

    private static void RemoveAccount(SimulatedCompany company, string key)
    {
        using var connection = new SqliteConnection($"Data Source={company.Path}");
        connection.Open();
        using SqliteCommand delete = connection.CreateCommand();
        delete.CommandText = "DELETE FROM GL_PeriodPostingHistory WHERE AccountKey = $key; DELETE FROM GL_Account WHERE AccountKey = $key;";
        delete.Parameters.AddWithValue("$key", "ZZ" + key);
        delete.ExecuteNonQuery();
    }

    /// <summary>Three connections to ABC: budgets with a fixed offset, with an offset per cost centre, and with settings naming a column the view no longer has.</summary>
    public sealed class Fixture : ConnectorFlowFixture
    {
        public const string Abc = "abc";
        public const string PerCostCentreOffset = "abc-cc-offset";
        public const string RenamedColumn = "abc-renamed";

        protected override IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment)
        {
            ArgumentNullException.ThrowIfNull(environment);
            ConnectionOptions abc = environment.Connection(Abc, "ABC", "Department");
            abc.Budgets = new BudgetsFlowOptions { Enabled = true, OffsetAccount = "300-00-00" };
            ConnectionOptions perCostCentre = environment.Connection(PerCostCentreOffset, "ABC", "Department");
            perCostCentre.Budgets = new BudgetsFlowOptions { Enabled = true, OffsetAccount = "300-00" };
            ConnectionOptions renamed = environment.Connection(RenamedColumn, "ABC", "Department");
            renamed.Budgets = new BudgetsFlowOptions { Enabled = true, OffsetAccount = "300-00-00" };
            renamed.Budgets.Columns.CostCenter = "Cost Centre";
            return [abc, perCostCentre, renamed];
        }
    }
}
