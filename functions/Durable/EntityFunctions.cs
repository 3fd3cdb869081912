using Connector.Orchestrations.Durable;
using Microsoft.Azure.Functions.Worker;

namespace Connector.Functions.Durable;

/// <summary>Entity triggers: one per entity in <see cref="ConnectorTasks.Entities"/>, dispatching to the entity class.</summary>
public static class EntityFunctions
{
    [Function(nameof(ModelLock))]
    public static Task ModelLockEntity([EntityTrigger] TaskEntityDispatcher dispatcher)
    {
        ArgumentNullException.ThrowIfNull(dispatcher);
        return dispatcher.DispatchAsync<ModelLock>();
    }
}
