using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.ApplicationInsights;
using Microsoft.Extensions.Options;

namespace Connector.Functions;

/// <summary>Dependency-injection composition of the Functions app: everything it runs comes from orchestrations/.</summary>
public static class Composition
{
    /// <summary>The setting that turns worker telemetry on.</summary>
    public const string ApplicationInsightsConnectionSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary>Registers the services the triggers and the connector's activities need.</summary>
    public static IServiceCollection AddConnectorFunctions(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<OpsOptions>().Bind(configuration.GetSection(OpsOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<OpsOptions>>(new SettingsCheckValidator<OpsOptions>((configuration.GetSection(OpsOptions.SectionName), typeof(OpsOptions))));

        // Connector storage defaults to the host's storage when it is a connection string; identity-based hosts set
        // Connector:Storage:BlobServiceUri and TableServiceUri.
        string? hostStorage = configuration["AzureWebJobsStorage"];
        services.AddConnectorRuntime(configuration, string.IsNullOrWhiteSpace(hostStorage) ? null : hostStorage);
        return services.AddConnectorTelemetry(configuration);
    }

    /// <summary>
    /// Sends the worker's own telemetry (logs, the HTTP calls to the agent and Anaplan as dependencies) to Application
    /// Insights when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set; without it, the Functions host forwards the
    /// worker's logs as usual. <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c> (Entra ID through the managed identity,
    /// as the infrastructure sets it) is honoured by the worker package.
    /// </summary>
    public static IServiceCollection AddConnectorTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        string? connectionString = configuration[ApplicationInsightsConnectionSetting];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return services;
        }

        services.AddApplicationInsightsTelemetryWorkerService(o => o.ConnectionString = connectionString);
        services.ConfigureFunctionsApplicationInsights();

        // The Application Insights logger provider adds a rule that keeps only warnings and errors. Once the worker
        // sends its own logs the host no longer forwards them, so that rule would silently drop every run's progress;
        // the worker's own levels (Information by default, `Logging:LogLevel` to change) apply instead.
        services.Configure<LoggerFilterOptions>(options =>
        {
            LoggerFilterRule? rule = options.Rules.FirstOrDefault(r => r.ProviderName == typeof(ApplicationInsightsLoggerProvider).FullName);
            if (rule is not null)
            {
                options.Rules.Remove(rule);
            }
        });
        return services;
    }
}

/// <summary>Settings of the operator endpoints.</summary>
public sealed class OpsOptions
{
    public const string SectionName = "Ops";

    /// <summary>Gets or sets a value indicating whether write actions (rewind, replay, terminate, purge...) are refused.</summary>
    public bool ReadOnly { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether App Service authentication (Easy Auth) is on for this app: only then is the
    /// platform's principal (X-MS-CLIENT-PRINCIPAL-NAME) recorded as who changed a mapping; otherwise "function key".
    /// The infrastructure sets it together with authentication.
    /// </summary>
    public bool AppServiceAuthentication { get; set; }
}
