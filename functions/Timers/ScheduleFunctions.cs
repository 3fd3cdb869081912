using Connector.Orchestrations.Durable;
using Connector.Orchestrations.Operations;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Connector.Functions.Timers;

/// <summary>Timer triggers. Each starts runs with deterministic instance ids, so a repeated fire starts nothing new.</summary>
public sealed class ScheduleFunctions(IConfiguration configuration, ILogger<ScheduleFunctions> logger)
{
    /// <summary>
    /// A daily self-test of the durable plumbing (model lock, entity, activity) on the configured model; the instance id
    /// is the schedule slot, so a duplicated fire finds the run of that slot instead of starting another.
    /// </summary>
    [Function("SelfTestSchedule")]
    public async Task SelfTestScheduleAsync(
        [TimerTrigger("%SELFTEST_SCHEDULE%")] TimerInfo timer,
        [DurableClient] DurableTaskClient client,
        FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(timer);
        DateTimeOffset slot = timer.ScheduleStatus?.Next is { } next && timer.ScheduleStatus.Last is { } last && last < next
            ? new DateTimeOffset(last, TimeSpan.Zero)
            : DateTimeOffset.UtcNow;
        var input = new SelfTestInput(
            configuration["SelfTest:WorkspaceId"] ?? "selftest",
            configuration["SelfTest:ModelId"] ?? "selftest");
        StartRunResult result = await new RunOperations(client).StartAsync(
            nameof(SelfTestOrchestrator), $"selftest:{slot:yyyyMMddTHHmm}", input, context.CancellationToken);
        Logs.ScheduledRun(logger, result.InstanceId, result.Started);
    }
}
