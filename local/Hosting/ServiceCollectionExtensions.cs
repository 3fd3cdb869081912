using DurableTask.AzureStorage;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Connector.Local.Hosting;

/// <summary>Registration of the local Durable Task host.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Adds a Durable Task worker (Durable Task Framework + Azure Storage, entities enabled) running the tasks that
    /// <paramref name="registerTasks"/> registers, and a <see cref="DurableTaskClient"/> over the same task hub.
    /// </summary>
    public static IServiceCollection AddLocalDurableTask(
        this IServiceCollection services,
        Action<LocalDurableOptions> configure,
        Action<DurableTaskRegistry> registerTasks,
        bool runWorker = true)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<LocalDurableOptions>().Configure(configure).Validate(
            o =>
            {
                o.Validate();
                return true;
            });
        services.TryAddSingleton(sp => AzureStorageBackend.Create(
            sp.GetRequiredService<IOptions<LocalDurableOptions>>().Value,
            sp.GetRequiredService<ILoggerFactory>()));

        if (runWorker)
        {
            services.AddDurableTaskWorker(builder =>
            {
                builder.AddTasks(registerTasks);
                builder.UseBuildTarget<LocalDurableTaskWorker>();
            });
        }

        services.AddDurableTaskClient(builder =>
        {
            builder.Configure(o => o.EnableEntitySupport = true);
            builder.UseBuildTarget<LocalDurableTaskClient>();
        });
        return services;
    }
}
