using Connector.Orchestrations.Durable;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Flows.Budgets;

namespace Connector.Orchestrations.Operations;

/// <summary>
/// What a run id says about a run. Top-level runs are named <c>{connection}:{flow}:{slot or request}</c>; a sub-run's
/// id is its parent's id, <c>|</c> and the step (<c>abc-fpa:actuals:20261126T020000Z|dimensions|accounts</c>), so a
/// replayed parent finds its children and an operator can tell a sub-run from a run by its id alone.
/// </summary>
public static class RunIds
{
    /// <summary>The separator between a parent run's id and its sub-run's step.</summary>
    public const char SubRunSeparator = '|';

    /// <summary>Builds the id of the sub-run of <paramref name="parentId"/> for <paramref name="step"/>.</summary>
    public static string SubRun(string parentId, string step) => $"{parentId}{SubRunSeparator}{step}";

    /// <summary>Gets a value indicating whether <paramref name="instanceId"/> names a sub-run.</summary>
    public static bool IsSubRun(string instanceId)
    {
        ArgumentNullException.ThrowIfNull(instanceId);
        return instanceId.Contains(SubRunSeparator, StringComparison.Ordinal);
    }

    /// <summary>Gets the parent of a sub-run (null for a top-level run).</summary>
    public static string? Parent(string instanceId)
    {
        ArgumentNullException.ThrowIfNull(instanceId);
        int at = instanceId.LastIndexOf(SubRunSeparator);
        return at < 0 ? null : instanceId[..at];
    }

    /// <summary>Gets the top-level run a run belongs to (itself for a top-level run).</summary>
    public static string Root(string instanceId)
    {
        ArgumentNullException.ThrowIfNull(instanceId);
        int at = instanceId.IndexOf(SubRunSeparator, StringComparison.Ordinal);
        return at < 0 ? instanceId : instanceId[..at];
    }

    /// <summary>Gets the connection a connector run id names (the part before the first <c>:</c>), or null.</summary>
    public static string? Connection(string instanceId)
    {
        ArgumentNullException.ThrowIfNull(instanceId);
        int at = instanceId.IndexOf(':', StringComparison.Ordinal);
        return at <= 0 ? null : instanceId[..at];
    }

    /// <summary>
    /// The flow of a run, from its orchestrator: <c>actuals</c>, <c>budgets</c>, <c>selftest</c>; other orchestrators
    /// (the sub-runs) by their name without the <c>Orchestrator</c> suffix, lower case (<c>loaddataset</c>...).
    /// </summary>
    public static string Flow(string orchestratorName)
    {
        ArgumentNullException.ThrowIfNull(orchestratorName);
        return orchestratorName switch
        {
            nameof(ActualsSyncOrchestrator) => Flows.Actuals,
            nameof(BudgetSyncOrchestrator) => Flows.Budgets,
            nameof(SelfTestOrchestrator) => Flows.SelfTest,
            nameof(Orchestrations.Flows.Recovery.DatasetRecoveryOrchestrator) => Flows.Recovery,
            _ => (orchestratorName.EndsWith("Orchestrator", StringComparison.Ordinal) ? orchestratorName[..^"Orchestrator".Length] : orchestratorName)
                .ToLowerInvariant(),
        };
    }

    /// <summary>The flows an operator filters runs by.</summary>
    public static class Flows
    {
        public const string Actuals = "actuals";
        public const string Budgets = "budgets";
        public const string SelfTest = "selftest";

        /// <summary>Runs that replay a dataset of a finished run or retry its rejected rows.</summary>
        public const string Recovery = Orchestrations.Flows.Recovery.DatasetRecoveryOrchestrator.Flow;

        /// <summary>Gets every top-level flow.</summary>
        public static IReadOnlyList<string> All { get; } = [Actuals, Budgets, Recovery, SelfTest];
    }
}
