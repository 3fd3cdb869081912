using DurableTask.Core;
using DurableTask.Core.Entities;
using DurableTask.Core.Entities.OperationFormat;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.DependencyInjection;

namespace Connector.Local.Hosting;

/// <summary>
/// Object managers that hand the Durable Task Framework's dispatchers a fresh SDK shim for every work item, so the
/// SDK's orchestrators, activities and entities (the classes in <c>orchestrations/</c>) run on the framework engine
/// unchanged. Registration happens in the SDK's <see cref="DurableTaskRegistry"/>; adding creators here is refused.
/// </summary>
internal abstract class ShimObjectManager<T> : INameVersionObjectManager<T>
    where T : class
{
    public void Add(ObjectCreator<T> creator)
        => throw new NotSupportedException("Register tasks through the DurableTaskRegistry (AddTasks), not the object manager.");

    public abstract T? GetObject(string name, string? version);
}

/// <summary>Creates orchestrations.</summary>
internal sealed class ShimOrchestrationManager(
    IDurableTaskFactory factory, DurableTaskShimFactory shims, IServiceProvider services)
    : ShimObjectManager<TaskOrchestration>
{
    public override TaskOrchestration? GetObject(string name, string? version)
    {
        var taskName = new TaskName(name);
        return factory.TryCreateOrchestrator(taskName, services, out ITaskOrchestrator? orchestrator)
            ? shims.CreateOrchestration(taskName, orchestrator)
            : null;
    }
}

/// <summary>Creates activities; each invocation gets its own dependency-injection scope.</summary>
internal sealed class ShimActivityManager(
    IDurableTaskFactory factory, DurableTaskShimFactory shims, IServiceScopeFactory scopes)
    : ShimObjectManager<TaskActivity>
{
    public override TaskActivity? GetObject(string name, string? version)
    {
        var taskName = new TaskName(name);

        // Probe once so an unknown name is reported by the dispatcher as "not found" instead of failing at run time.
        using (IServiceScope probe = scopes.CreateScope())
        {
            if (!factory.TryCreateActivity(taskName, probe.ServiceProvider, out _))
            {
                return null;
            }
        }

        return new ScopedActivity(taskName, factory, shims, scopes);
    }

    private sealed class ScopedActivity(
        TaskName name, IDurableTaskFactory factory, DurableTaskShimFactory shims, IServiceScopeFactory scopes)
        : TaskActivity
    {
        public override string Run(TaskContext context, string input)
            => throw new NotSupportedException("Activities run asynchronously.");

        public override async Task<string> RunAsync(TaskContext context, string input)
        {
            AsyncServiceScope scope = scopes.CreateAsyncScope();
            await using (scope.ConfigureAwait(false))
            {
                if (!factory.TryCreateActivity(name, scope.ServiceProvider, out ITaskActivity? activity))
                {
                    throw new InvalidOperationException($"Activity '{name.Name}' is no longer registered.");
                }

                return await shims.CreateActivity(name, activity).RunAsync(context, input).ConfigureAwait(false);
            }
        }
    }
}

/// <summary>
/// Creates entities. The framework asks for the entity name only (lower-cased, no key), while the SDK shim needs the
/// full entity id, so the shim is built per batch from the batch's instance id.
/// </summary>
internal sealed class ShimEntityManager(
    IDurableTaskFactory factory, DurableTaskShimFactory shims, IServiceProvider services)
    : ShimObjectManager<TaskEntity>
{
    public override TaskEntity? GetObject(string name, string? version)
    {
        if (factory is not IDurableTaskFactory2 entities)
        {
            return null;
        }

        var taskName = new TaskName(name);
        return entities.TryCreateEntity(taskName, services, out _)
            ? new PerBatchEntity(taskName, entities, shims, services)
            : null;
    }

    private sealed class PerBatchEntity(
        TaskName name, IDurableTaskFactory2 factory, DurableTaskShimFactory shims, IServiceProvider services)
        : TaskEntity
    {
        public override Task<EntityBatchResult> ExecuteOperationBatchAsync(EntityBatchRequest operations)
        {
            ArgumentNullException.ThrowIfNull(operations);
            if (!factory.TryCreateEntity(name, services, out ITaskEntity? entity))
            {
                throw new InvalidOperationException($"Entity '{name.Name}' is no longer registered.");
            }

            EntityId id = EntityId.FromString(operations.InstanceId!);
            return shims.CreateEntity(name, entity, id).ExecuteOperationBatchAsync(operations);
        }
    }
}
