using Connector.Functions.Http;
using Connector.Testing;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Connector.Functions.Tests.Http;

/// <summary>
/// The Functions app's HTTP side over a real local durable host: the host (Azurite, a unique task hub, the connector's
/// tasks plus <see cref="AwaitSignalOrchestrator"/>) is what the <c>[DurableClient]</c> binding would reach; the app's
/// services are composed as <c>functions/Program.cs</c> composes them (the worker's defaults, then
/// <see cref="Composition.AddConnectorFunctions"/>) from settings shaped like <c>local.settings.sample.json</c>.
/// </summary>
public sealed class HttpFunctionsFixture : DurableHostFixture
{
    /// <summary>A connection with both flows enabled.</summary>
    public const string Connection = "abc-fpa";

    /// <summary>A connection with both flows disabled.</summary>
    public const string DisabledConnection = "xyz-off";

    private ServiceProvider? app;
    private ServiceProvider? readOnlyApp;
    private ServiceProvider? authenticatedApp;

    /// <summary>Gets the app with its settings (Ops:ReadOnly false).</summary>
    public IServiceProvider App => this.app ?? throw new InvalidOperationException("The fixture has not started.");

    /// <summary>Gets the app with Ops:ReadOnly true.</summary>
    public IServiceProvider ReadOnlyApp => this.readOnlyApp ?? throw new InvalidOperationException("The fixture has not started.");

    /// <summary>Gets the app as deployed with App Service authentication on (Ops:AppServiceAuthentication true).</summary>
    public IServiceProvider AuthenticatedApp => this.authenticatedApp ?? throw new InvalidOperationException("The fixture has not started.");

    /// <summary>Gets the table prefix of this fixture's connector storage.</summary>
    public string TablePrefix { get; } = UniqueNames.Table("Http");

    /// <summary>Gets the staging container of this fixture's connector storage.</summary>
    public string StagingContainer { get; } = UniqueNames.Container("http");

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        this.app = this.BuildApp(readOnly: false);
        this.readOnlyApp = this.BuildApp(readOnly: true);
        this.authenticatedApp = this.BuildApp(readOnly: false, appServiceAuthentication: true);
    }

    public override async Task DisposeAsync()
    {
        // Stop whatever the tests left running (a connector run without a Sage agent retries for a minute).
        try
        {
            if (this.app is null)
            {
                return; // the host never started
            }

            await foreach (OrchestrationMetadata run in this.Client.GetAllInstancesAsync(new OrchestrationQuery
            {
                Statuses = [OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended],
            }))
            {
                if (!run.InstanceId.StartsWith('@'))
                {
                    await this.Client.TerminateInstanceAsync(run.InstanceId, "test class finished");
                }
            }
        }
        finally
        {
            if (this.app is not null)
            {
                await this.app.DisposeAsync();
            }

            if (this.readOnlyApp is not null)
            {
                await this.readOnlyApp.DisposeAsync();
            }

            if (this.authenticatedApp is not null)
            {
                await this.authenticatedApp.DisposeAsync();
            }

            await base.DisposeAsync();
        }
    }

    /// <summary>The flow functions as the worker activates them (constructor injection from the app's services).</summary>
    public static FlowFunctions Flows(IServiceProvider app) => ActivatorUtilities.CreateInstance<FlowFunctions>(app);

    /// <summary>The operator functions as the worker activates them.</summary>
    public static OpsFunctions Ops(IServiceProvider app) => ActivatorUtilities.CreateInstance<OpsFunctions>(app);

    protected override void RegisterTasks(DurableTaskRegistry registry) => registry.AddOrchestrator<AwaitSignalOrchestrator>();

    private ServiceProvider BuildApp(bool readOnly, bool appServiceAuthentication = false)
    {
        Dictionary<string, string?> settings = this.Settings(readOnly);
        settings["Ops:AppServiceAuthentication"] = appServiceAuthentication ? "true" : "false";
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton(configuration);

        // FunctionsApplication.CreateBuilder registers the worker's defaults, among them the serializer
        // (WorkerOptions.Serializer) the HTTP extensions and CreateCheckStatusResponseAsync write bodies with.
        services.AddFunctionsWorkerDefaults();
        services.AddConnectorFunctions(configuration);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = false, ValidateScopes = true });
    }

    private Dictionary<string, string?> Settings(bool readOnly)
    {
        var settings = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = this.ConnectionString,
            ["Ops:ReadOnly"] = readOnly ? "true" : "false",
            ["Credentials:Store"] = "Configuration",
            ["Connector:Storage:StagingContainer"] = this.StagingContainer,
            ["Connector:Storage:TablePrefix"] = this.TablePrefix,
        };
        AddConnection(settings, 0, Connection, enabled: true);
        AddConnection(settings, 1, DisabledConnection, enabled: false);
        return settings;
    }

    /// <summary>Adds a connection's settings as an app setting file would hold them.</summary>
    internal static void AddConnection(Dictionary<string, string?> settings, int index, string id, bool enabled)
    {
        string at = $"Connector:Connections:{index}:";
        settings[at + "Id"] = id;
        settings[at + "CostCenterSegment"] = "Department";
        settings[at + "Sage:BaseUrl"] = "https://sage-agent.example.local:5443";
        settings[at + "Sage:Company"] = "ABC";
        settings[at + "Sage:ApiKeyReference"] = "sage-abc-apikey";
        settings[at + "Anaplan:WorkspaceId"] = "8a81b09d5e8c6f27015ece3402487d33";
        settings[at + "Anaplan:ModelId"] = "F1D5C6C1E2C64E5AA2D4A5E8D8E5B9A1";
        settings[at + "Anaplan:AuthMode"] = "Basic";
        settings[at + "Anaplan:UserName"] = "integration@example.com";
        settings[at + "Anaplan:PasswordReference"] = "anaplan-password";
        settings[at + "Actuals:Enabled"] = enabled ? "true" : "false";
        settings[at + "Budgets:Enabled"] = enabled ? "true" : "false";
        settings[at + "Budgets:OffsetAccount"] = "999-00";
    }
}

/// <summary>A run that stays Running until it receives the <c>go</c> event: a run in a known state for the operator API.</summary>
public sealed class AwaitSignalOrchestrator : TaskOrchestrator<string, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, string input)
    {
        ArgumentNullException.ThrowIfNull(context);
        string signal = await context.WaitForExternalEvent<string>("go");
        return $"{input}:{signal}";
    }
}
