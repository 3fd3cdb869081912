using Connector.Orchestrations.Flows;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Connector.Functions;

/// <summary>Dependency-injection composition of the Functions app: everything it runs comes from orchestrations/.</summary>
public static class Composition
{
    /// <summary>Registers the services the triggers and the connector's activities need.</summary>
    public static IServiceCollection AddConnectorFunctions(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<OpsOptions>().Bind(configuration.GetSection(OpsOptions.SectionName));

        // Connector storage defaults to the host's storage when it is a connection string; identity-based hosts set
        // Connector:Storage:BlobServiceUri and TableServiceUri.
        string? hostStorage = configuration["AzureWebJobsStorage"];
        services.AddConnectorRuntime(configuration, string.IsNullOrWhiteSpace(hostStorage) ? null : hostStorage);
        return services;
    }
}

/// <summary>Settings of the operator endpoints.</summary>
public sealed class OpsOptions
{
    public const string SectionName = "Ops";

    /// <summary>Gets or sets a value indicating whether write actions (rewind, replay, terminate, purge...) are refused.</summary>
    public bool ReadOnly { get; set; }
}
