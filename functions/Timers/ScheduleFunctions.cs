using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Durable;
using Connector.Orchestrations.Operations;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Connector.Functions.Timers;

/// <summary>Timer triggers. Each starts runs with deterministic instance ids, so a repeated fire starts nothing new.</summary>
public sealed class ScheduleFunctions(
    IConfiguration configuration,
    Microsoft.Extensions.Options.IOptionsMonitor<ConnectorOptions> options,
    TimeProvider time,
    RunRecoveryFactory recovery,
    ILogger<ScheduleFunctions> logger)
{
    /// <summary>
    /// The schedule tick: every connection's flows run on their own cron schedules (settings), so one frequent timer
    /// asks which slots are due and starts them; the run id is the slot, so a repeated or duplicated tick starts nothing new.
    /// </summary>
    [Function("ScheduleTick")]
    public async Task ScheduleTickAsync(
        [TimerTrigger("%SCHEDULE_TICK%")] TimerInfo timer,
        [DurableClient] DurableTaskClient client,
        FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        foreach (StartRunResult result in await new FlowStarter(client, options, time).StartDueAsync(context.CancellationToken))
        {
            Logs.ScheduledRun(logger, result.InstanceId, result.Started);
        }
    }

    /// <summary>
    /// Retention (<c>RETENTION_SCHEDULE</c>, daily): purges the finished runs older than <c>Connector:Retention:Days</c>
    /// (90 by default; 0 keeps them) with their sub-runs, audit, recorded step results and staging.
    /// </summary>
    [Function("RetentionPurge")]
    public async Task RetentionPurgeAsync(
        [TimerTrigger("%RETENTION_SCHEDULE%")] TimerInfo timer,
        [DurableClient] DurableTaskClient client,
        FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        int days = options.CurrentValue.Retention.Days;
        if (days <= 0)
        {
            return;
        }

        RetentionResult purged = await recovery.Create(client).PurgeFinishedBeforeAsync(time.GetUtcNow().AddDays(-days), cancellationToken: context.CancellationToken);
        Logs.RetentionPurged(logger, purged.Runs, purged.Instances, purged.AuditRows, purged.StagingBlobs, days);
    }

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
