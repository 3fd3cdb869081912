using System.Globalization;
using Azure.Core;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Durable;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Operations.Api;
using Connector.Orchestrations.Telemetry;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Microsoft.Extensions.Options;

namespace Connector.Functions;

/// <summary>Dependency-injection composition of the Functions app: everything it runs comes from orchestrations/.</summary>
public static class Composition
{
    /// <summary>The setting that turns worker telemetry on.</summary>
    public const string ApplicationInsightsConnectionSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary>The setting that makes the worker authenticate to Application Insights with Entra ID.</summary>
    public const string ApplicationInsightsAuthenticationSetting = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

    /// <summary>Activity sources the worker exports: the connector's spans, its HTTP calls, the Durable Task SDK's.</summary>
    public static readonly string[] TraceSources = [ConnectorTelemetry.Name, "System.Net.Http", "Microsoft.DurableTask"];

    /// <summary>Registers the services the triggers and the connector's activities need.</summary>
    public static IServiceCollection AddConnectorFunctions(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<OpsOptions>().Bind(configuration.GetSection(OpsOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<OpsOptions>>(new SettingsCheckValidator<OpsOptions>((configuration.GetSection(OpsOptions.SectionName), typeof(OpsOptions))));
        services.AddSingleton<OperatorEdge>();
        services.AddSingleton<OperatorApiServices>();
        services.AddSingleton<Http.ApiEdge>();

        // Connector storage defaults to the host's storage when it is a connection string; identity-based hosts set
        // Connector:Storage:BlobServiceUri and TableServiceUri.
        string? hostStorage = configuration["AzureWebJobsStorage"];
        services.AddConnectorRuntime(configuration, string.IsNullOrWhiteSpace(hostStorage) ? null : hostStorage);
        return services.AddConnectorTelemetry(configuration);
    }

    /// <summary>
    /// The first interval of the connector's durable retries in this app: <c>Durable:RetryFirstInterval</c> (app setting
    /// <c>Durable__RetryFirstInterval</c>, e.g. <c>00:00:05</c>), <see cref="DurableRetry.DefaultFirstInterval"/> when unset.
    /// Program.cs fixes it for the worker's life before the app runs (see <see cref="DurableRetry"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">The value is no time span or out of range; the message names the setting.</exception>
    public static TimeSpan DurableRetryFirstInterval(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        string? value = configuration[DurableRetry.Setting];
        if (string.IsNullOrWhiteSpace(value))
        {
            return DurableRetry.DefaultFirstInterval;
        }

        if (!TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out TimeSpan interval))
        {
            throw new InvalidOperationException($"{DurableRetry.Setting} '{value}' is not a time span: use hh:mm:ss, e.g. 00:00:05 (the default) or 00:00:00.5.");
        }

        DurableRetry.Validate(interval);
        return interval;
    }

    /// <summary>
    /// Sends the worker's own telemetry with OpenTelemetry to Application Insights (Azure Monitor exporter) when
    /// <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set: its logs (the runs' progress and the <c>RunEnded</c> line the
    /// alerts read), the connector's metrics and spans, and the HTTP calls to the agent and to Anaplan as dependencies.
    /// With <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c> = <c>ClientId=...;Authorization=AAD</c> (as the infrastructure
    /// sets it), the exporter authenticates with that managed identity. Without a connection string, the Functions host
    /// forwards the worker's logs as usual and nothing else is exported.
    /// </summary>
    public static IServiceCollection AddConnectorTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        string? connectionString = configuration[ApplicationInsightsConnectionSetting];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return services;
        }

        TokenCredential? credential = EntraCredential(configuration[ApplicationInsightsAuthenticationSetting]);
        services.AddOpenTelemetry()
            .UseFunctionsWorkerDefaults()
            .WithTracing(tracing => tracing.AddSource(TraceSources))
            .WithMetrics(metrics => metrics.AddMeter(ConnectorTelemetry.Name))
            .UseAzureMonitorExporter(options =>
            {
                options.ConnectionString = connectionString;
                options.Credential = credential;
            });
        return services;
    }

    /// <summary>The credential an Application Insights authentication string names, or null for none.</summary>
    /// <exception cref="InvalidOperationException">The string asks for something other than Entra ID.</exception>
    public static TokenCredential? EntraCredential(string? authenticationString)
    {
        if (string.IsNullOrWhiteSpace(authenticationString))
        {
            return null;
        }

        var parts = authenticationString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(part => part.Split('=', 2))
            .Where(pair => pair.Length == 2)
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.OrdinalIgnoreCase);
        if (!parts.TryGetValue("Authorization", out string? authorization) || !string.Equals(authorization, "AAD", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{ApplicationInsightsAuthenticationSetting} must be 'Authorization=AAD', with 'ClientId=<id>' for a user-assigned identity.");
        }

        return parts.TryGetValue("ClientId", out string? clientId) && clientId.Length > 0
            ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned);
    }
}
