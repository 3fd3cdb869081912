using Connector.Orchestrations.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Connector.Local.Hosting;

/// <summary>Where the local host sends its telemetry (section <c>Telemetry</c>).</summary>
public sealed class LocalTelemetryOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Telemetry";

    /// <summary>Gets or sets the exporter: None (default), Console, or Otlp (an OpenTelemetry collector, Jaeger, Aspire...).</summary>
    public string Exporter { get; set; } = "None";

    /// <summary>Gets or sets the OTLP endpoint; empty: <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, else http://localhost:4317.</summary>
    public Uri? OtlpEndpoint { get; set; }

    /// <summary>Gets or sets the OTLP protocol: Grpc (default) or HttpProtobuf.</summary>
    public string OtlpProtocol { get; set; } = "Grpc";
}

/// <summary>
/// OpenTelemetry of the local host: the connector's metrics and spans (<see cref="ConnectorTelemetry"/>), the Durable
/// Task Framework's orchestration and activity spans, and the HTTP calls to the agent and Anaplan beneath them; the logs
/// too when exporting over OTLP.
/// </summary>
public static class LocalTelemetry
{
    /// <summary>Activity sources the host exports: run → activity → HTTP call.</summary>
    public static readonly string[] TraceSources = [ConnectorTelemetry.Name, "DurableTask.Core", "System.Net.Http"];

    /// <summary>
    /// Registers OpenTelemetry with the exporter <paramref name="options"/> names; <paramref name="tracing"/> and
    /// <paramref name="metrics"/> add more (tests add an in-memory exporter).
    /// </summary>
    /// <exception cref="InvalidOperationException">The exporter is not one of None, Console, Otlp.</exception>
    public static IServiceCollection AddConnectorOpenTelemetry(
        this IServiceCollection services,
        LocalTelemetryOptions options,
        Action<TracerProviderBuilder>? tracing = null,
        Action<MeterProviderBuilder>? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        string exporter = options.Exporter.ToUpperInvariant();
        if (exporter is not ("NONE" or "CONSOLE" or "OTLP"))
        {
            throw new InvalidOperationException($"Telemetry:Exporter '{options.Exporter}' is not known: use None, Console or Otlp.");
        }

        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("connector-local"))
            .WithTracing(builder =>
            {
                builder.AddSource(TraceSources);
                if (exporter == "CONSOLE")
                {
                    builder.AddConsoleExporter();
                }
                else if (exporter == "OTLP")
                {
                    builder.AddOtlpExporter(o => Otlp(o, options));
                }

                tracing?.Invoke(builder);
            })
            .WithMetrics(builder =>
            {
                builder.AddMeter(ConnectorTelemetry.Name);
                if (exporter == "CONSOLE")
                {
                    builder.AddConsoleExporter();
                }
                else if (exporter == "OTLP")
                {
                    builder.AddOtlpExporter(o => Otlp(o, options));
                }

                metrics?.Invoke(builder);
            });
        if (exporter == "OTLP")
        {
            // The console shows warnings only; the collector gets the connector's Information lines too (progress, RunEnded).
            services.AddLogging(logging => logging
                .AddOpenTelemetry(o =>
                {
                    o.IncludeFormattedMessage = true;
                    o.AddOtlpExporter(e => Otlp(e, options));
                })
                .AddFilter<OpenTelemetryLoggerProvider>("Connector", LogLevel.Information));
        }

        return services;
    }

    private static void Otlp(OtlpExporterOptions exporter, LocalTelemetryOptions options)
    {
        if (options.OtlpEndpoint is { } endpoint)
        {
            exporter.Endpoint = endpoint;
        }

        exporter.Protocol = string.Equals(options.OtlpProtocol, "HttpProtobuf", StringComparison.OrdinalIgnoreCase)
            ? OtlpExportProtocol.HttpProtobuf
            : OtlpExportProtocol.Grpc;
    }
}
