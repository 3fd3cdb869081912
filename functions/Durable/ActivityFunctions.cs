using Connector.Orchestrations.Durable;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;

namespace Connector.Functions.Durable;

/// <summary>
/// Activity triggers: one thin adapter per activity in <see cref="ConnectorTasks.Activities"/>; the activity class is
/// created from the invocation's services and run with the input the orchestration passed.
/// </summary>
public static class ActivityFunctions
{
    [Function(nameof(SelfTestActivity))]
    public static Task<string> SelfTest([ActivityTrigger] string input, FunctionContext context)
        => Run<SelfTestActivity, string, string>(context, input);

    internal static Task<TOutput> Run<TActivity, TInput, TOutput>(FunctionContext context, TInput input)
        where TActivity : TaskActivity<TInput, TOutput>
    {
        ArgumentNullException.ThrowIfNull(context);
        TActivity activity = ActivatorUtilities.GetServiceOrCreateInstance<TActivity>(context.InstanceServices);
        return activity.RunAsync(new FunctionActivityContext(context), input);
    }

    /// <summary>The activity context the orchestrations' activities see when Azure Functions runs them.</summary>
    private sealed class FunctionActivityContext(FunctionContext context) : TaskActivityContext
    {
        public override TaskName Name { get; } = new(context.FunctionDefinition.Name);

        public override string InstanceId { get; } =
            context.BindingContext.BindingData.TryGetValue("instanceId", out object? id) ? id?.ToString() ?? string.Empty : string.Empty;
    }
}
