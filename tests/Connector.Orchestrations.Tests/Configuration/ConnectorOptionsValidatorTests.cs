using Connector.Orchestrations.Configuration;
using Microsoft.Extensions.Options;

namespace Connector.Orchestrations.Tests.Configuration;

public sealed class ConnectorOptionsValidatorTests
{
    public static ConnectorOptions Valid() => new()
    {
        Connections =
        [
            new ConnectionOptions
            {
                Id = "abc-fpa",
                CostCenterSegment = "Department",
                Sage = new SageSideOptions
                {
                    BaseUrl = new Uri("https://sage-agent.example.com:5443"),
                    Company = "ABC",
                    ApiKeyReference = "sage-abc-apikey",
                    TlsMode = "Pinned",
                    PinnedFingerprints = [new string('A', 64)],
                },
                Anaplan = new AnaplanSideOptions
                {
                    WorkspaceId = "8a81b09d5e8c6f27015ece3402487d33",
                    ModelId = "F1D5C6C1E2C64E5AA2D4A5E8D8E5B9A1",
                    UserName = "integration@example.com",
                    PasswordReference = "anaplan-password",
                },
                Budgets = new BudgetsFlowOptions { Enabled = true, OffsetAccount = "9999" },
            },
        ],
    };

    [Fact]
    public void Validate_ValidConfiguration_Passes()
        => Assert.True(new ConnectorOptionsValidator().Validate(null, Valid()).Succeeded);

    [Fact]
    public void Validate_NoConnections_Passes()
        => Assert.True(new ConnectorOptionsValidator().Validate(null, new ConnectorOptions()).Succeeded);

    public static TheoryData<string, Action<ConnectionOptions>> Breakages() => new()
    {
        { "Connector:Connections:0:Id", c => c.Id = "ABC FPA" },
        { "Connector:Connections:0:Sage:BaseUrl (connection 'abc-fpa')", c => c.Sage.BaseUrl = new Uri("http://sage-agent.example.com") },
        { "Connector:Connections:0:Sage:Company (connection 'abc-fpa')", c => c.Sage.Company = "ABCD" },
        { "Connector:Connections:0:Sage:ApiKeyReference (connection 'abc-fpa')", c => c.Sage.ApiKeyReference = " " },
        { "Connector:Connections:0:Sage:TlsMode (connection 'abc-fpa')", c => c.Sage.TlsMode = "Off" },
        { "Connector:Connections:0:Sage:PinnedFingerprints (connection 'abc-fpa')", c => c.Sage.PinnedFingerprints.Clear() },
        { "Connector:Connections:0:Sage:PinnedFingerprints:0 (connection 'abc-fpa')", c => c.Sage.PinnedFingerprints[0] = "XYZ" },
        { "Connector:Connections:0:Anaplan:WorkspaceId (connection 'abc-fpa')", c => c.Anaplan.WorkspaceId = "ws1" },
        { "Connector:Connections:0:Anaplan:ModelId (connection 'abc-fpa')", c => c.Anaplan.ModelId = string.Empty },
        { "Connector:Connections:0:Anaplan:ApiUrl (connection 'abc-fpa')", c => c.Anaplan.ApiUrl = new Uri("http://api.anaplan.com/2/0") },
        { "Connector:Connections:0:Anaplan:PasswordReference (connection 'abc-fpa')", c => c.Anaplan.PasswordReference = null },
        { "Connector:Connections:0:Anaplan:PrivateKeyReference (connection 'abc-fpa')", c => { c.Anaplan.AuthMode = "Certificate"; c.Anaplan.CertificateReference = "cert"; } },
        { "Connector:Connections:0:Anaplan:ChunkSizeMb (connection 'abc-fpa')", c => c.Anaplan.ChunkSizeMb = 51 },
        { "Connector:Connections:0:CostCenterSegment (connection 'abc-fpa')", c => c.CostCenterSegment = "1" },
        { "Connector:Connections:0:PeriodFormat (connection 'abc-fpa')", c => c.PeriodFormat = "P{period}" },
        { "Connector:Connections:0:Actuals:Schedule (connection 'abc-fpa')", c => c.Actuals.Schedule = "0 2 * * *" },
        { "Connector:Connections:0:Actuals:TimeZone (connection 'abc-fpa')", c => c.Actuals.TimeZone = "Mars/Olympus" },
        { "Connector:Connections:0:Actuals:Imports:GlActuals (connection 'abc-fpa')", c => c.Actuals.Imports.GlActuals = string.Empty },
        { "Connector:Connections:0:Budgets:OffsetAccount (connection 'abc-fpa')", c => c.Budgets.OffsetAccount = string.Empty },
        { "Connector:Connections:0:Budgets:SourceJournal (connection 'abc-fpa')", c => c.Budgets.SourceJournal = "GJX" },
        { "Connector:Connections:0:Budgets:Grouping (connection 'abc-fpa')", c => c.Budgets.Grouping = "ByMood" },
        { "Connector:Connections:0:Budgets:PostBatchSize (connection 'abc-fpa')", c => c.Budgets.PostBatchSize = 0 },
        { "Connector:Connections:0:Budgets:PostBatchSize (connection 'abc-fpa')", c => c.Budgets.PostBatchSize = 1001 },
        { "Connector:Connections:0:Budgets:MaxParallelPosts (connection 'abc-fpa')", c => c.Budgets.MaxParallelPosts = 0 },
    };

    [Theory]
    [MemberData(nameof(Breakages))]
    public void Validate_BrokenSetting_ErrorNamesTheSetting(string setting, Action<ConnectionOptions> breakIt)
    {
        ConnectorOptions options = Valid();
        breakIt(options.Connections[0]);

        var ex = Assert.Throws<OptionsValidationException>(() => ConnectorOptionsValidator.ThrowIfInvalid(options));
        Assert.Single(ex.Failures);
        Assert.StartsWith(setting, ex.Failures.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_DuplicateIds_AreRefused()
    {
        ConnectorOptions options = Valid();
        ConnectorOptions other = Valid();
        options.Connections.Add(other.Connections[0]);
        var ex = Assert.Throws<OptionsValidationException>(() => ConnectorOptionsValidator.ThrowIfInvalid(options));
        Assert.Contains(ex.Failures, f => f.StartsWith("Connector:Connections:1:Id", StringComparison.Ordinal) && f.Contains("used by another connection", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_EmulatorOnLoopbackOverHttp_IsAllowed()
    {
        ConnectorOptions options = Valid();
        options.Connections[0].Anaplan.ApiUrl = new Uri("http://127.0.0.1:5081/2/0");
        options.Connections[0].Anaplan.AuthUrl = new Uri("http://127.0.0.1:5081");
        Assert.True(new ConnectorOptionsValidator().Validate(null, options).Succeeded);
    }
}
