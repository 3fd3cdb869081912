using System.Text.Json;
using System.Text.Json.Nodes;
using Connector.Emulators.Anaplan.Model;
using Connector.Local.Demo;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Operations;
using Connector.Testing;
using Connector.Tests.Shared;
using Microsoft.DurableTask.Client;

namespace Connector.Local.Tests.Dashboard;

/// <summary>
/// The whole product with real runs for the dashboard's browser tests: the shared Azurite, the Sage agent, the Anaplan
/// emulator and a worker in this process (<see cref="ConnectorFlowFixture"/>), and two <c>connector dashboard</c>
/// programs on the same task hub and tables, one writable and one <c>--read-only</c>, each a process of its own on a free
/// loopback port; and one headless chromium.
/// </summary>
/// <remarks>
/// The runs: an actuals run of <c>abc</c> that completes with rejected rows (the model lacks the last department) and
/// failed rows (the model has no vendors), and two budgets runs of <c>abc-budget</c> that fail at once on a setting
/// (<c>Budgets:OffsetAccount</c> is not a Sage account) after refusing a line whose account only Anaplan has. The
/// connector's rewind starts such a run again as its next attempt, whose activities read the connection's settings
/// again, so after the setting is fixed the rewound run completes.
/// </remarks>
public sealed class DashboardFixture : ConnectorFlowFixture
{
    /// <summary>The connection whose actuals run completes with rejections and failures.</summary>
    public const string Actuals = "abc";

    /// <summary>The connection whose budgets runs fail on the offset account.</summary>
    public const string Budgets = "abc-budget";

    /// <summary>A second connection on the same model (for a run that waits for the model lock).</summary>
    public const string Second = "abc-second";

    /// <summary>The offset account the budgets connection starts with: not an account in Sage.</summary>
    public const string BadOffset = "999-00";

    /// <summary>An offset account Sage has.</summary>
    public const string GoodOffset = "300-00-00";

    private readonly string directory = Directory.CreateTempSubdirectory("dashboard-").FullName;
    private Task<Scenario>? scenario;
    private CommandProcess? writable;
    private CommandProcess? readOnly;
    private ConnectionOptions? budgets;

    /// <summary>Gets the browser (null when the browser tests are skipped here).</summary>
    public HeadlessChromium? Browser { get; private set; }

    /// <summary>Gets the writable dashboard's address (<c>http://127.0.0.1:{port}/</c>).</summary>
    public Uri WritableBase { get; private set; } = null!;

    /// <summary>Gets the read-only dashboard's address.</summary>
    public Uri ReadOnlyBase { get; private set; } = null!;

    /// <summary>Gets the budgets connection's settings as the worker of this process uses them (the tests fix its offset account).</summary>
    public ConnectionOptions BudgetsConnection => this.budgets ?? throw new InvalidOperationException("The fixture has not started.");

    /// <summary>Runs the scenario once for the class.</summary>
    public Task<Scenario> ScenarioAsync() => this.scenario ??= this.RunScenarioAsync();

    public override async Task InitializeAsync()
    {
        if (HeadlessChromium.SkipReason is not null)
        {
            return; // every test of the class is skipped: start nothing
        }

        await base.InitializeAsync();
        string settings = this.WriteDashboardSettings();
        (this.writable, this.WritableBase) = await StartDashboardAsync(settings, readOnly: false);
        (this.readOnly, this.ReadOnlyBase) = await StartDashboardAsync(settings, readOnly: true);
        this.Browser = await HeadlessChromium.LaunchAsync();
    }

    public override async Task DisposeAsync()
    {
        if (this.Browser is not null)
        {
            await this.Browser.DisposeAsync();
        }

        foreach (CommandProcess? dashboard in new[] { this.writable, this.readOnly })
        {
            if (dashboard is not null)
            {
                dashboard.Terminate();
                await dashboard.WaitForExitAsync(TimeSpan.FromSeconds(30));
                await dashboard.DisposeAsync();
            }
        }

        await base.DisposeAsync();
        Directory.Delete(this.directory, recursive: true);
    }

    protected override LocalEnvironmentOptions EnvironmentOptions(string storage)
        => WithoutNewCostCentersOrVendors(storage);

    protected override IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment)
    {
        ConnectionOptions budgetsOnly = environment.Connection(Budgets, "ABC", "Department");
        budgetsOnly.Actuals.Enabled = false;
        budgetsOnly.Budgets = new BudgetsFlowOptions { Enabled = true, OffsetAccount = BadOffset };
        this.budgets = budgetsOnly;
        return [environment.Connection(Actuals, "ABC", "Department"), budgetsOnly, environment.Connection(Second, "ABC", "Department")];
    }

    private async Task<Scenario> RunScenarioAsync()
    {
        // The model knows every department but the last, so actuals rows on it are rejected before upload.
        var abc = this.Environment.Sage.Company("ABC");
        string[] departments = [.. abc.GetSubAccounts(3, null, int.MaxValue).Select(d => d.Code.Trim()).Distinct()];
        foreach (string department in departments[..^1])
        {
            this.Environment.Anaplan.DefaultModel.AddListItem("Cost Centers", department, $"Department {department}");
        }

        // An approved budget on cost centre 01 (600-01-01 in Sage): a line that plans into an entry, and one on an
        // account only Anaplan has (refused).
        EmulatedModel model = this.Environment.Anaplan.DefaultModel;
        Assert.Contains("01", departments[..^1]);
        foreach ((string account, decimal amount) in new[] { ("600-01", 55.00m), ("999-97", 7.00m) })
        {
            if (model.GetListItems("Accounts").All(i => i.Code != account))
            {
                model.AddListItem("Accounts", account, account);
            }

            model.SetCell("Budget", [account, "01", "FY2027-P03", "Budget"], "Amount", (double)amount);
        }

        model.SetVersionApproved("Budget");

        ActualsRunSummary good = await this.RunActualsAsync(Actuals);
        var request = new BudgetRunRequest(FiscalYear: "2027", FromPeriod: 3, ToPeriod: 3, RequestKey: "kept-failed");
        OrchestrationMetadata kept = await this.RunBudgetsToEndAsync(Budgets, request);
        OrchestrationMetadata toRewind = await this.RunBudgetsToEndAsync(Budgets, request with { RequestKey = "to-rewind" });
        Assert.True(kept.RuntimeStatus == OrchestrationRuntimeStatus.Failed, $"{kept.InstanceId} {kept.RuntimeStatus}: {kept.SerializedOutput}");
        Assert.True(toRewind.RuntimeStatus == OrchestrationRuntimeStatus.Failed, $"{toRewind.InstanceId} {toRewind.RuntimeStatus}: {toRewind.SerializedOutput}");
        return new Scenario(good.RunId, kept.InstanceId, toRewind.InstanceId);
    }

    /// <summary>The settings of the dashboard programs: this fixture's task hub and connector storage, and its connections.</summary>
    private string WriteDashboardSettings()
    {
        var connections = new JsonArray([.. this.ConnectionList.Select(c => JsonSerializer.SerializeToNode(c))]);
        var settings = new JsonObject
        {
            ["Durable"] = new JsonObject { ["ConnectionString"] = this.Environment.StorageConnectionString, ["TaskHubName"] = this.TaskHub, ["PartitionCount"] = 1 },
            ["Connector"] = new JsonObject
            {
                ["Storage"] = new JsonObject
                {
                    ["ConnectionString"] = this.Environment.StorageConnectionString,
                    ["StagingContainer"] = this.StagingContainer,
                    ["TablePrefix"] = this.TablePrefix,
                },
                ["Connections"] = connections,
            },
        };
        string file = Path.Combine(this.directory, "dashboard.settings.json");
        File.WriteAllText(file, settings.ToJsonString());
        return file;
    }

    private static async Task<(CommandProcess Process, Uri Base)> StartDashboardAsync(string settings, bool readOnly)
    {
        List<string> args = ["dashboard", "--port", "0", "--settings", settings];
        if (readOnly)
        {
            args.Add("--read-only");
        }

        CommandProcess process = CommandProcess.Start("connector.dll", args);
        string line = await process.WaitForLineAsync(l => l.StartsWith("Dashboard at http://127.0.0.1:", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        var address = new Uri(line.Split(' ')[2]);
        return (process, new Uri(address.GetLeftPart(UriPartial.Authority) + "/"));
    }

    /// <summary>The runs every test reads: the completed actuals run, the failed budgets run left as it is, and the one the rewind test brings back.</summary>
    public sealed record Scenario(string Completed, string Failed, string FailedToRewind);
}
