using System.Net;
using System.Net.Sockets;
using Connector.Emulators.Anaplan.Model;
using Connector.Local.Demo;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.ModelFit;
using Connector.Orchestrations.Tests.Flows;
using Connector.Testing;

namespace Connector.Orchestrations.Tests.ModelFit;

/// <summary>
/// <c>connector check</c> against the real agent (HTTPS, pinned certificate) and the Anaplan emulator: the three model
/// shapes pass as configured and nothing is written to either system; each way a setting can be wrong fails exactly
/// its own line, with the fix to make.
/// </summary>
public sealed class ConnectionCheckTests(ConnectionCheckTests.Fixture fixture) : IClassFixture<ConnectionCheckTests.Fixture>
{
    private const string WrongSageKey = "wrong-sage-key";
    private const string WrongAnaplanPassword = "wrong-anaplan-password";

    /// <summary>Each case: the connection it starts from, what is wrong with it, the line that must fail (its name up to the setting it names), and words its fix must have.</summary>
    private static readonly Dictionary<string, (string Shape, Action<ConnectionOptions, LocalEnvironment> Break, string Line, string Fix)> Cases = new()
    {
        ["agent not listening"] = ("shipped", (c, _) => c.Sage.BaseUrl = new Uri($"https://127.0.0.1:{ClosedPort()}/"), "Sage agent reachable", "Start the Sage agent"),
        ["another certificate pinned"] = ("shipped", (c, _) => c.Sage.PinnedFingerprints = [new string('A', 64)], "Sage agent TLS certificate", "Sage:PinnedFingerprints"),
        ["self-signed certificate, system trust"] = ("shipped", (c, _) => c.Sage.TlsMode = "System", "Sage agent TLS certificate", "set Sage:TlsMode to Pinned"),
        ["API key the agent does not know"] = ("shipped", (c, _) => c.Sage.ApiKeyReference = WrongSageKey, "Sage agent API key accepted", $"'{WrongSageKey}'"),
        ["API key not stored"] = ("shipped", (c, _) => c.Sage.ApiKeyReference = "never-stored", "Sage agent API key accepted", "connector secrets set never-stored"),
        ["company not on the agent"] = ("shipped", (c, _) => c.Sage.Company = "XYZ", "Sage company exists", "Set Sage:Company to one of"),
        ["cost-centre segment not in the structure"] = ("shipped", (c, _) => c.CostCenterSegment = "Region", "Sage account structure read", "Set CostCenterSegment"),
        ["period format without the period"] = ("shipped", (c, _) => c.PeriodFormat = "FY{year}", "Sage fiscal calendar and period codes", "Change PeriodFormat"),
        ["wrong Anaplan password"] = ("shipped", (c, _) => c.Anaplan.PasswordReference = WrongAnaplanPassword, "Anaplan authenticates", $"'{WrongAnaplanPassword}'"),
        ["model not in the workspace"] = ("shipped", (c, _) => c.Anaplan.ModelId = new string('0', 32), "Anaplan workspace and model exist and are online", "Anaplan:ModelId"),
        ["workspace not visible"] = ("shipped", (c, _) => c.Anaplan.WorkspaceId = new string('F', 32), "Anaplan workspace and model exist and are online", "Anaplan:WorkspaceId"),
        ["import renamed"] = ("simple", (c, _) => c.Actuals.Imports.GlActuals = "Load GL (old)", "Import 'Load GL (old)' exists", "Actuals:Imports:GlActuals"),
        ["import header nothing fills"] = ("native", (c, _) => c.Actuals.Columns.GlActuals.Clear(), "Import 'Actuals from Sage' columns mapped", "Actuals:Columns:GlActuals"),
        ["list not in the model"] = ("simple", (c, _) => c.Actuals.Lists.Accounts = "Chart of Accounts", "List 'Chart of Accounts' readable", "Set Actuals:Lists:Accounts"),
        ["read-back export not in the model"] = ("shipped", (c, _) => c.Actuals.ReadBack.GlExport = "GL Check", "Read-back export 'GL Check' columns understood", "Actuals:ReadBack:GlExport"),
        ["read-back column not in the export"] = ("shipped", (c, _) => c.Actuals.ReadBack.GlColumns.Net = "Net Amount", $"Read-back export '{LocalEnvironment.GlReadBackExport}' columns understood", "Actuals:ReadBack:GlColumns"),
        ["budget export not in the model"] = ("simple", (c, _) => c.Budgets.Export = "Budget v2", "Export 'Budget v2' exists (Budgets:Export)", "Set Budgets:Export"),
        ["budget view read as rows"] = ("simple", (c, _) => (c.Budgets.Layout, c.Budgets.Columns.Period, c.Budgets.Columns.Amount) = ("Rows", "Period", "Amount"), "Export 'Budget by Period' columns understood", "Budgets:Layout"),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    public static TheoryData<string> Shapes => ["shipped", "simple", "native"];

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task ConfiguredModelShape_EveryLinePasses_AndNothingIsWrittenToAnaplan(string shape)
    {
        ConnectionOptions connection = fixture.Connection(shape);
        fixture.Environment.Anaplan.State.Requests.Clear();

        ConnectionCheckReport report = await fixture.CheckAsync(connection);

        Assert.True(report.Passed, Describe(report));
        Assert.DoesNotContain(report.Lines, l => l.Status != CheckStatuses.Pass);
        Assert.Contains(report.Lines, l => l.Name.StartsWith("Import '", StringComparison.Ordinal) && l.Name.EndsWith("columns mapped", StringComparison.Ordinal));
        CheckLine tls = Assert.Single(report.Lines, l => l.Name == "Sage agent TLS certificate");
        Assert.Contains(Normalized(fixture.Environment.Agent.CertificateSha256), tls.Detail, StringComparison.Ordinal);

        // Only reads (and the sign-in): no upload, no action run, no task.
        IReadOnlyList<EmulatorRequest> requests = fixture.Environment.Anaplan.State.Requests.Snapshot();
        Assert.NotEmpty(requests);
        Assert.All(requests.Where(r => r.Method != "GET"), r => Assert.Contains("token", r.Path, StringComparison.OrdinalIgnoreCase));
        Assert.Empty(fixture.Environment.Anaplan.State.Model(connection.Anaplan.ModelId).GetTasks());
    }

    [Fact]
    public async Task ImportsLine_ShowsTheMappingUsed()
    {
        ConnectionCheckReport report = await fixture.CheckAsync(fixture.Connection("native"));

        CheckLine gl = Assert.Single(report.Lines, l => l.Name == "Import 'Actuals from Sage' columns mapped");
        Assert.Contains("Version", gl.Detail, StringComparison.Ordinal);
        Assert.Contains("Actual", gl.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task WrongSetting_FailsExactlyItsLine_WithTheFix(string name)
    {
        (string shape, Action<ConnectionOptions, LocalEnvironment> breakIt, string line, string fix) = Cases[name];
        ConnectionOptions connection = fixture.Connection(shape);
        breakIt(connection, fixture.Environment);

        ConnectionCheckReport report = await fixture.CheckAsync(connection);

        Assert.False(report.Passed);
        CheckLine failed = Assert.Single(report.Lines, l => l.Status == CheckStatuses.Fail);
        Assert.True(failed.Name.StartsWith(line, StringComparison.Ordinal), $"expected '{line}' to fail:\n{Describe(report)}");
        Assert.Contains(fix, failed.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CertificateNotPinned_ShowsThePresentedFingerprintToPin()
    {
        ConnectionOptions connection = fixture.Connection("shipped");
        connection.Sage.TlsMode = "System";

        ConnectionCheckReport report = await fixture.CheckAsync(connection);

        CheckLine tls = Assert.Single(report.Lines, l => l.Name == "Sage agent TLS certificate");
        Assert.Equal(CheckStatuses.Fail, tls.Status);
        Assert.Contains(Normalized(fixture.Environment.Agent.CertificateSha256), tls.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AgentNotReachable_LaterSageLinesAreSkipped_AnaplanIsStillChecked()
    {
        ConnectionOptions connection = fixture.Connection("shipped");
        connection.Sage.BaseUrl = new Uri($"https://127.0.0.1:{ClosedPort()}/");

        ConnectionCheckReport report = await fixture.CheckAsync(connection);

        Assert.All(report.Lines.Where(l => l.Name.StartsWith("Sage", StringComparison.Ordinal)).Skip(1), l => Assert.Equal(CheckStatuses.Skip, l.Status));
        Assert.Equal(CheckStatuses.Pass, Assert.Single(report.Lines, l => l.Name == "Anaplan authenticates").Status);
    }

    [Fact]
    public async Task ModelArchived_FailsTheModelLine_SayingToBringItOnline()
    {
        EmulatedModel model = fixture.Environment.Anaplan.State.Model(ModelFitTests.SimpleModel);
        model.SetActiveState("ARCHIVED");
        try
        {
            ConnectionCheckReport report = await fixture.CheckAsync(fixture.Connection("simple"));

            CheckLine failed = Assert.Single(report.Lines, l => l.Status == CheckStatuses.Fail);
            Assert.Equal("Anaplan workspace and model exist and are online", failed.Name);
            Assert.Contains("ARCHIVED", failed.Detail, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            model.SetActiveState("UNLOCKED");
        }
    }

    private static string Normalized(string fingerprint) => fingerprint.Replace(":", string.Empty, StringComparison.Ordinal).ToUpperInvariant();

    private static string Describe(ConnectionCheckReport report)
        => string.Join("\n", report.Lines.Select(l => $"{l.Status} {l.Name}: {l.Detail}{(l.Fix is null ? string.Empty : " | fix: " + l.Fix)}"));

    /// <summary>A loopback port nothing listens on (taken from the system, then let go).</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public sealed class Fixture : IAsyncLifetime
    {
        public LocalEnvironment Environment { get; private set; } = null!;

        public ConnectionOptions Connection(string shape) => shape switch
        {
            "shipped" => this.Environment.Connection("abc-fpa", "ABC", "Department"),
            "simple" => ModelFitTests.Simple(this.Environment),
            _ => ModelFitTests.Native(this.Environment),
        };

        /// <summary>Checks a connection with its own clients, as <c>connector check</c> does in its own process.</summary>
        public async Task<ConnectionCheckReport> CheckAsync(ConnectionOptions connection)
        {
            using ConnectionClients clients = StandaloneClients.For(this.Environment, connection);
            return await new ConnectionChecker(clients, TimeProvider.System).CheckAsync(connection.Id);
        }

        public async Task InitializeAsync()
        {
            this.Environment = await LocalEnvironment.StartAsync(new LocalEnvironmentOptions
            {
                StorageConnectionString = await TestStorage.GetConnectionStringAsync(),
                ConfigureAnaplan = ModelFitTests.AddModels,
            });
            await ((Connector.Orchestrations.Credentials.EncryptedFileCredentialStore)this.Environment.Credentials).SetAsync(WrongSageKey, new string('0', 48));
            await ((Connector.Orchestrations.Credentials.EncryptedFileCredentialStore)this.Environment.Credentials).SetAsync(WrongAnaplanPassword, "not-the-password");
        }

        public async Task DisposeAsync() => await this.Environment.DisposeAsync();
    }
}
