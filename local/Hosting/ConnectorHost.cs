using Connector.Orchestrations.Durable;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Operations.Api;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Connector.Local.Hosting;

/// <summary>
/// Composition of the local host: the Durable Task worker and client on Azure Storage, the connector's runtime
/// (settings, credentials, storage, API clients), the run starters and the operator API (the handlers the dashboard
/// server maps), and optionally the schedule tick.
/// </summary>
public static class ConnectorHost
{
    /// <summary>Creates a host builder over <paramref name="configuration"/>; <paramref name="configure"/> adds or overrides services.</summary>
    public static HostApplicationBuilder CreateBuilder(
        IConfiguration configuration,
        bool runWorker,
        bool runScheduler = false,
        Action<LocalDurableOptions>? durable = null,
        Action<IServiceCollection>? configure = null,
        Action<DurableTaskRegistry>? extraTasks = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            Configuration = new ConfigurationManager(),
        });
        builder.Configuration.AddConfiguration(configuration);
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });

        // Logs go to standard error: standard output carries what a command prints (tables, JSON, CSV).
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Connector.Local", LogLevel.Information);

        // The host logs a failed start ("Hosting failed to start", an error) with the exception's stack trace, and then
        // throws it to the command, which reports it as its message and exit code (invalid settings 6, an unusable
        // credential store 1). The log would only add a stack trace to bad input; a critical host log still shows.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);

        var durableOptions = new LocalDurableOptions();
        configuration.GetSection(LocalDurableOptions.SectionName).Bind(durableOptions);
        durable?.Invoke(durableOptions);

        // Telemetry: nothing unless Telemetry:Exporter is Console or Otlp.
        var telemetry = new LocalTelemetryOptions();
        configuration.GetSection(LocalTelemetryOptions.SectionName).Bind(telemetry);
        if (!string.Equals(telemetry.Exporter, "None", StringComparison.OrdinalIgnoreCase))
        {
            builder.Services.AddConnectorOpenTelemetry(telemetry);
        }

        configure?.Invoke(builder.Services);
        builder.Services.AddLocalDurableTask(
            o =>
            {
                configuration.GetSection(LocalDurableOptions.SectionName).Bind(o);
                durable?.Invoke(o);
            },
            registry =>
            {
                registry.AddConnectorTasks();
                extraTasks?.Invoke(registry);
            },
            runWorker);
        builder.Services.AddConnectorRuntime(configuration, durableOptions.ConnectionString, checkCredentials: runWorker);
        builder.Services.AddSingleton(sp => new RunOperations(sp.GetRequiredService<DurableTaskClient>(), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddOptions<OpsOptions>().Bind(configuration.GetSection(OpsOptions.SectionName));
        builder.Services.AddSingleton<OperatorEdge>();
        builder.Services.AddSingleton<OperatorApiServices>();
        builder.Services.AddSingleton(sp => new OperatorApi(sp.GetRequiredService<DurableTaskClient>(), sp.GetRequiredService<OperatorApiServices>()));
        builder.Services.AddSingleton(sp => sp.GetRequiredService<RunRecoveryFactory>().Create(sp.GetRequiredService<DurableTaskClient>()));
        builder.Services.AddSingleton(sp => new FlowStarter(
            sp.GetRequiredService<DurableTaskClient>(),
            sp.GetRequiredService<IOptionsMonitor<Orchestrations.Configuration.ConnectorOptions>>(),
            sp.GetRequiredService<TimeProvider>()));
        if (runScheduler)
        {
            builder.Services.AddHostedService<LocalScheduler>();
            builder.Services.AddHostedService<LocalRetention>();
        }

        return builder;
    }
}

/// <summary>
/// The local worker's retention: once at start and then daily, purges the finished runs older than
/// <c>Connector:Retention:Days</c> (with their sub-runs, audit, step results and staging), like the Functions app's
/// <c>RetentionPurge</c> timer. Nothing when the setting is 0.
/// </summary>
public sealed partial class LocalRetention(RunRecovery recovery, IOptionsMonitor<Orchestrations.Configuration.ConnectorOptions> options, TimeProvider time, ILogger<LocalRetention> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromDays(1), time);
        do
        {
            int days = options.CurrentValue.Retention.Days;
            if (days <= 0)
            {
                continue;
            }

            try
            {
                RetentionResult purged = await recovery.PurgeFinishedBeforeAsync(time.GetUtcNow().AddDays(-days), cancellationToken: stoppingToken);
                RetentionPurged(logger, purged.Runs, purged.Instances, purged.AuditRows, purged.StagingBlobs, days);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                RetentionFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(EventId = 122, Level = LogLevel.Information, Message = "Retention purged {Runs} run(s), {Instances} instance(s), {AuditRows} audit row(s) and {Blobs} staging blob(s) older than {Days} day(s)")]
    private static partial void RetentionPurged(ILogger logger, int runs, int instances, int auditRows, int blobs, int days);

    [LoggerMessage(EventId = 123, Level = LogLevel.Error, Message = "The retention purge failed")]
    private static partial void RetentionFailed(ILogger logger, Exception exception);
}

/// <summary>
/// The local host's schedule: a tick every minute starts the due runs of every connection, like the Functions app's
/// timer trigger (the same evaluator, the same deterministic run ids).
/// </summary>
public sealed partial class LocalScheduler(FlowStarter starter, TimeProvider time, ILogger<LocalScheduler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1), time);
        do
        {
            try
            {
                foreach (StartRunResult started in (await starter.StartDueAsync(stoppingToken)).Where(s => s.Started))
                {
                    ScheduledRunStarted(logger, started.InstanceId);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                ScheduleTickFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(EventId = 120, Level = LogLevel.Information, Message = "Scheduled run {InstanceId} started")]
    private static partial void ScheduledRunStarted(ILogger logger, string instanceId);

    [LoggerMessage(EventId = 121, Level = LogLevel.Error, Message = "The schedule tick failed")]
    private static partial void ScheduleTickFailed(ILogger logger, Exception exception);
}
