using Azure.Core;
using Azure.Identity;
using DurableTask.AzureStorage;
using Microsoft.Extensions.Logging;

namespace Connector.Local.Hosting;

/// <summary>Builds the Durable Task Framework's Azure Storage orchestration service from <see cref="LocalDurableOptions"/>.</summary>
public static class AzureStorageBackend
{
    /// <summary>Creates the service (not yet started; the worker creates the task hub on start).</summary>
    public static AzureStorageOrchestrationService Create(LocalDurableOptions options, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        var settings = new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = options.TaskHubName,
            StorageAccountClientProvider = CreateClientProvider(options),
            PartitionCount = options.PartitionCount,
            MaxQueuePollingInterval = options.MaxQueuePollingInterval,
            LeaseInterval = options.LeaseInterval,
            LeaseRenewInterval = options.LeaseRenewInterval,
            LeaseAcquireInterval = options.LeaseAcquireInterval,
            WorkItemQueueVisibilityTimeout = options.WorkItemQueueVisibilityTimeout,
            ControlQueueVisibilityTimeout = options.ControlQueueVisibilityTimeout,
            MaxConcurrentTaskActivityWorkItems = options.MaxConcurrentActivities,
            MaxConcurrentTaskOrchestrationWorkItems = options.MaxConcurrentOrchestrations,
            WorkerId = options.WorkerId ?? $"{Environment.MachineName}-{Environment.ProcessId}",

            // Entity work items need their own queue; without it they reach the orchestration dispatcher and fail
            // with "Orchestration not found: (@modellock@...)", leaving the caller waiting forever.
            UseSeparateQueueForEntityWorkItems = true,

            // The app lease lets only one app at a time own a task hub; here every process of the same hub is one app,
            // and with it a replacement worker would wait a further minute after a crash.
            UseAppLease = false,

            // A start under an id that is already running must fail loudly, not be dropped silently.
            ThrowExceptionOnInvalidDedupeStatus = true,
            ExtendedSessionsEnabled = options.ExtendedSessions,
            ExtendedSessionIdleTimeout = options.ExtendedSessionIdleTimeout,
            LoggerFactory = loggerFactory,
        };

        return new AzureStorageOrchestrationService(settings);
    }

    private static StorageAccountClientProvider CreateClientProvider(LocalDurableOptions options)
    {
        if (options.BlobServiceUri is not null || options.AccountName is not null)
        {
            TokenCredential credential = options.ManagedIdentityClientId is { Length: > 0 } clientId
                ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
                : new DefaultAzureCredential();

            if (options.BlobServiceUri is not null)
            {
                return new StorageAccountClientProvider(
                    options.BlobServiceUri,
                    options.QueueServiceUri ?? throw new InvalidOperationException($"{LocalDurableOptions.SectionName}:QueueServiceUri must be set with BlobServiceUri."),
                    options.TableServiceUri ?? throw new InvalidOperationException($"{LocalDurableOptions.SectionName}:TableServiceUri must be set with BlobServiceUri."),
                    credential);
            }

            return new StorageAccountClientProvider(options.AccountName!, credential);
        }

        return new StorageAccountClientProvider(options.ConnectionString);
    }
}
