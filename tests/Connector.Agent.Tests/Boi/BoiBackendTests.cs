using Connector.Agent.Backends;
using Connector.Agent.Backends.Boi;
using Connector.Agent.Sage;
using Connector.Tests.Shared;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Connector.Agent.Tests.Boi;

/// <summary>The BOI backend driven against a fake COM surface with Sage's return conventions.</summary>
public sealed class BoiBackendTests : IAsyncLifetime
{
    private readonly FakeProvideX sage = new();
    private readonly CapturingLoggerProvider logs = new();
    private readonly ILoggerFactory loggerFactory;
    private BoiBackend backend = null!;

    public BoiBackendTests()
    {
        this.loggerFactory = LoggerFactory.Create(b => b.AddProvider(this.logs));
        this.sage.AddAccount("000000001", "100-00-00");
        this.sage.AddAccount("000000002", "600-01-02");
        this.sage.AddAccount("000000003", "630-02-03", status: "I");
        for (int p = 1; p <= 12; p++)
        {
            this.sage.Table("GL_FiscalYearDetail").Add(new() { ["FiscalYear"] = "2026", ["FiscalPeriod"] = p.ToString("00", System.Globalization.CultureInfo.InvariantCulture), ["PeriodEndingDate"] = SageFormats.ToSageDate(new DateOnly(2026, p, 1).AddMonths(1).AddDays(-1)) });
            this.sage.Table("GL_FiscalYearDetail").Add(new() { ["FiscalYear"] = "2027", ["FiscalPeriod"] = p.ToString("00", System.Globalization.CultureInfo.InvariantCulture), ["PeriodEndingDate"] = SageFormats.ToSageDate(new DateOnly(2027, p, 1).AddMonths(1).AddDays(-1)) });
        }

        this.sage.Table("AP_Division").Add(new() { ["APDivisionNo"] = "01" });
        this.sage.Table("AP_Vendor").AddRange(
        [
            new() { ["APDivisionNo"] = "01", ["VendorNo"] = "0000001", ["VendorName"] = "Old Vendor", ["TemporaryVendor"] = "N", ["HoldPayment"] = "N", ["DateUpdated"] = "20260101", ["TimeUpdated"] = "8" },
            new() { ["APDivisionNo"] = "01", ["VendorNo"] = "0000002", ["VendorName"] = "Blank Time", ["TemporaryVendor"] = "N", ["HoldPayment"] = "Y", ["DateUpdated"] = "20261126", ["TimeUpdated"] = "" },
            new() { ["APDivisionNo"] = "01", ["VendorNo"] = "0000003", ["VendorName"] = "Fresh", ["TemporaryVendor"] = "Y", ["HoldPayment"] = "N", ["DateUpdated"] = "20261126", ["TimeUpdated"] = "11.25" },
        ]);
    }

    public Task InitializeAsync() => this.Start();

    private async Task Start()
    {
        var options = new BoiBackendOptions { Companies = ["ABC"], UserName = "agent", Password = "pw", MasHome = @"C:\Sage\MAS90\Home", SegmentDescriptions = { ["ABC"] = ["Main", "Division", "Department"] } };
        this.backend = new BoiBackend(options, this.sage, new FakeTimeProvider(TestAgent.Today), this.loggerFactory.CreateLogger<BoiBackend>());
        await this.backend.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await this.backend.DisposeAsync();
        this.loggerFactory.Dispose();
    }

    private static JournalEntryDraft Draft(string id, decimal debit = 150.25m, decimal credit = 150.25m, string account = "600-01-02")
        => new(id, "GJ", new DateOnly(2026, 11, 30), "budget", [new(account, debit, 0m, "d"), new("100-00-00", 0m, credit, "c")]);

    [Fact]
    public void Start_OpensSessionInSageOrderAndDiscoversJournalColumns()
    {
        string[] expected = ["Script.Init(C:\\Sage\\MAS90\\Home)", "Script.NewObject(SY_Session)", "Session.nSetUser(agent,pw)", "Session.nSetCompany(ABC)", "Session.nSetDate(G/L,20261126)", "Session.nSetModule(G/L)", "Session.nLookupTask(GL_GeneralJournal_ui)", "Session.nSetProgram(42)"];
        Assert.Equal(expected, this.sage.Calls.Take(expected.Length));
        Assert.Equal(this.sage.LineColumns, this.backend.DiscoveredLineColumns("ABC"));
        Assert.Equal("6.20.1.0", this.backend.SageVersion);
    }

    [Fact]
    public async Task Create_UsesDiscoveredColumnsAndCommentsCarryExternalId_ThenFindFindsIt()
    {
        JournalEntryInfo created = await this.backend.CreateJournalEntryAsync("ABC", Draft("BOI-1"), CancellationToken.None);
        JournalEntryInfo? found = await this.backend.FindJournalEntryAsync("ABC", "BOI-1", CancellationToken.None);

        Assert.Equal(("000041", "00007"), (created.EntryNo, created.BatchNo));
        Assert.Contains("Lines.nSetValue(DebitAmt,150.25)", this.sage.Calls);
        Assert.Contains("JournalBus.nSetValue(JournalComment$,BOI-1 budget)", this.sage.Calls);
        Assert.NotNull(found);
        Assert.Equal("000041", found.EntryNo);
        Assert.Equal(150.25m, found.Lines[0].Debit);
        Assert.StartsWith("BOI-1 ", found.Lines[1].Comment, StringComparison.Ordinal);
        Assert.Null(await this.backend.FindJournalEntryAsync("ABC", "BOI-10", CancellationToken.None));
    }

    [Fact]
    public async Task Create_WarningReturnCode_LoggedAndEntryWritten()
    {
        var draft = Draft("WARN-1") with { PostingDate = new DateOnly(2027, 2, 1) };
        await this.backend.CreateJournalEntryAsync("ABC", draft, CancellationToken.None);
        Assert.Contains(this.logs.Lines, l => l.Contains("[401]", StringComparison.Ordinal) && l.Contains("future period", StringComparison.Ordinal));
        Assert.Single(this.sage.Table("GL_GeneralJournalHeader"));
    }

    [Fact]
    public async Task Create_LockMessage_LockedWithRawTextAndCleared()
    {
        this.sage.LockNextWrites = 1;
        var error = await Assert.ThrowsAsync<SageOperationException>(() => this.backend.CreateJournalEntryAsync("ABC", Draft("LOCK-1"), CancellationToken.None));
        Assert.Equal(SageErrorKind.Locked, error.Kind);
        Assert.Equal(this.sage.LockMessage, error.SageMessage);
        Assert.Contains("JournalBus.nClear()", this.sage.Calls);
        Assert.Empty(this.sage.Table("GL_GeneralJournalHeader"));
    }

    [Fact]
    public async Task Create_OutOfBalance_ValidationWithSageText()
    {
        var error = await Assert.ThrowsAsync<SageOperationException>(() => this.backend.CreateJournalEntryAsync("ABC", Draft("OOB-1", credit: 150m), CancellationToken.None));
        Assert.Equal(SageErrorKind.Validation, error.Kind);
        Assert.Equal("Journal entry is out of balance.", error.SageMessage);
        Assert.Empty(this.sage.Table("GL_GeneralJournalHeader"));
    }

    [Theory]
    [InlineData("999-99-99", "not on file")]
    [InlineData("630-02-03", "inactive")]
    public async Task Create_BadAccountOnLine_ValidationNamesLineAndField(string account, string words)
    {
        var error = await Assert.ThrowsAsync<SageOperationException>(() => this.backend.CreateJournalEntryAsync("ABC", Draft("ACC-1", account: account), CancellationToken.None));
        Assert.Equal((SageErrorKind.Validation, "lines[0].account", 1), (error.Kind, error.Field, error.Line));
        Assert.Contains(words, error.SageMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Session_ExternalAccessOff_UnavailableWithSageMessage()
    {
        await this.backend.DisposeAsync();
        this.sage.ExternalAccessOffFor = "ABC";
        await this.Start();
        var error = await Assert.ThrowsAsync<SageOperationException>(() => this.backend.CheckHealthAsync(CancellationToken.None));
        Assert.Equal(SageErrorKind.Unavailable, error.Kind);
        Assert.Equal("External access is not allowed for company ABC.", error.SageMessage);
    }

    [Fact]
    public async Task Company_StructureInferredFromAccountVersusRaw()
    {
        CompanyInfo info = await this.backend.GetCompanyAsync("ABC", CancellationToken.None);
        Assert.Equal("-", info.AccountStructure.Separator);
        Assert.Equal([3, 2, 2], info.AccountStructure.Segments.Select(s => s.Length));
        Assert.Equal("Department", info.AccountStructure.Segments[2].Description);
        Assert.Equal("inferred", info.AccountStructure.Source);
        Assert.True(info.ApDivisionsEnabled);
    }

    [Fact]
    public async Task Vendors_ChangedSince_IncludesBlankTimeOnThatDay()
    {
        var since = new SageTimestamp(new DateTime(2026, 11, 26, 11, 0, 0));
        var vendors = await this.backend.GetVendorsAsync("ABC", since, null, 10, CancellationToken.None);
        Assert.Equal(["0000002", "0000003"], vendors.Select(v => v.VendorNo));
        Assert.Equal(["on_hold", "temporary"], vendors.Select(v => v.Status));
        Assert.Equal(new SageTimestamp(new DateTime(2026, 11, 26, 11, 15, 0)), await this.backend.GetLatestUpdateAsync("ABC", SageDataSet.Vendors, CancellationToken.None));
    }

    [Fact]
    public async Task Calendar_FromPeriodEndingDates_CurrentFromClock()
    {
        FiscalCalendarInfo calendar = await this.backend.GetFiscalCalendarAsync("ABC", CancellationToken.None);
        Assert.Equal(("2026", 11), (calendar.CurrentFiscalYear, calendar.CurrentPeriod));
        Assert.Equal(new DateOnly(2027, 1, 1), calendar.Years[1].BeginDate);
    }

    [Fact]
    public async Task RealComFactory_OffWindows_UnavailableWithClearReason()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Only meaningful where COM is absent; CI runs on Linux.
        }

        await using var real = new BoiBackend(new BoiBackendOptions { Companies = ["ABC"] }, new ComBoiScriptFactory(), TimeProvider.System, this.loggerFactory.CreateLogger<BoiBackend>());
        var error = await Assert.ThrowsAsync<SageOperationException>(() => real.CheckHealthAsync(CancellationToken.None));
        Assert.Equal(SageErrorKind.Unavailable, error.Kind);
        Assert.Contains("Windows", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Record is locked by user MARY", SageErrorKind.Locked)]
    [InlineData("The batch is in use", SageErrorKind.Locked)]
    [InlineData("Requires exclusive access", SageErrorKind.Locked)]
    [InlineData("Journal entry is out of balance.", SageErrorKind.Validation)]
    [InlineData("Account 999 is not on file.", SageErrorKind.Validation)]
    [InlineData("External access is not allowed", SageErrorKind.Unavailable)]
    public void Classifier_ByWords(string message, SageErrorKind kind) => Assert.Equal(kind, SageMessageClassifier.Classify(message));
}
