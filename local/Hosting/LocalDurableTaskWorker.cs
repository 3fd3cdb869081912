using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Hosting;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Connector.Local.Hosting;

/// <summary>
/// A Durable Task worker (an <see cref="Microsoft.Extensions.Hosting.IHostedService"/>) that runs the SDK's registered
/// tasks on the Durable Task Framework's <see cref="TaskHubWorker"/> over Azure Storage, entities included.
/// Its start completes once the task hub exists and the dispatchers run.
/// </summary>
public sealed class LocalDurableTaskWorker : DurableTaskWorker
{
    private readonly AzureStorageOrchestrationService service;
    private readonly TaskHubWorker worker;
    private readonly ILogger logger;
    private readonly string taskHub;
    private readonly TimeSpan retryFirstInterval;

    public LocalDurableTaskWorker(
        string name,
        IDurableTaskFactory factory,
        AzureStorageOrchestrationService service,
        IOptionsMonitor<DurableTaskWorkerOptions> workerOptions,
        IOptions<LocalDurableOptions> localOptions,
        IServiceProvider services,
        ILoggerFactory loggerFactory)
        : base(name, factory)
    {
        ArgumentNullException.ThrowIfNull(workerOptions);
        ArgumentNullException.ThrowIfNull(localOptions);
        this.service = service;
        this.logger = loggerFactory.CreateLogger<LocalDurableTaskWorker>();
        this.taskHub = localOptions.Value.TaskHubName;
        this.retryFirstInterval = localOptions.Value.RetryFirstInterval;

        DurableTaskWorkerOptions options = workerOptions.Get(name);
        options.EnableEntitySupport = true;
        var shims = new DurableTaskShimFactory(options, loggerFactory);

        this.worker = new TaskHubWorker(
            service,
            new ShimOrchestrationManager(factory, shims, services),
            new ShimActivityManager(factory, shims, services.GetRequiredService<IServiceScopeFactory>()),
            new ShimEntityManager(factory, shims, services),
            loggerFactory)
        {
            // Without it, the failure reason of an orchestration can come back empty from this backend.
            ErrorPropagationMode = ErrorPropagationMode.UseFailureDetails,
        };
    }

    /// <inheritdoc/>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // The durable retry policies are fixed before the first orchestration episode runs (see DurableRetry).
        Orchestrations.Durable.DurableRetry.Use(this.retryFirstInterval);
        await this.service.CreateIfNotExistsAsync().WaitAsync(cancellationToken);
        await this.worker.StartAsync().WaitAsync(cancellationToken);
        Logs.WorkerStarted(this.logger, this.taskHub);
    }

    /// <inheritdoc/>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Graceful: in-flight work items finish or are abandoned back to their queues.
        await this.worker.StopAsync(isForced: false).WaitAsync(cancellationToken);
        Logs.WorkerStopped(this.logger, this.taskHub);
    }

    /// <inheritdoc/>
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public override void Dispose()
    {
        this.worker.Dispose();
        base.Dispose();
    }
}
