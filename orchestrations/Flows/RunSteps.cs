using Connector.Orchestrations.Storage;
using Microsoft.DurableTask;

namespace Connector.Orchestrations.Flows;

/// <summary>
/// The keys under which a run's steps record their results (<see cref="StepResultStore"/>). A step key names what was
/// done, not when: an attempt that does a step again records under the same key.
/// </summary>
public static class StepKeys
{
    /// <summary>The Sage dimensions read at the start (structure, accounts, cost centres; the staged lists).</summary>
    public const string SageDimensions = "sage-dimensions";

    /// <summary>The alignment of accounts and cost centres built from both sides.</summary>
    public const string Alignment = "alignment";

    /// <summary>The layouts of the run's imports (the files it stages are written in them).</summary>
    public const string Layouts = "layouts";

    /// <summary>The fiscal periods the run sends.</summary>
    public const string Periods = "periods";

    /// <summary>The proposed journal entries of a budgets run.</summary>
    public const string Plan = "plan";

    /// <summary>What a batch of a budgets run's journal entries did (<see cref="Budgets.PostBatchResult"/>).</summary>
    public static string PostBatch(int batch) => $"post:{batch.ToString("D5", System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>What a recovery run loads (<see cref="Recovery.RecoveryPlan"/>).</summary>
    public const string Recovery = "recovery";

    /// <summary>What an extraction staged (its manifest).</summary>
    public static string Extract(string dataset) => $"extract:{dataset}";

    /// <summary>
    /// Whether the GL files staged speculatively, against the Sage side of alignment while the lists were being loaded,
    /// were confirmed by the alignment (<see cref="Actuals.GlSpeculation"/>).
    /// </summary>
    public const string GlSpeculation = "gl-speculation";

    /// <summary>
    /// A step done speculatively (<c>provisional:extract:gl-actuals:2</c>): what it recorded is taken only once
    /// <see cref="GlSpeculation"/> confirms it, never by the steps that read the plain key (replays, recovery).
    /// </summary>
    public static string Provisional(string step) => $"provisional:{step}";

    /// <summary>
    /// One file of a dataset staged in several (<c>gl-actuals:2</c>): its extraction, load and task are recorded under
    /// <see cref="Extract"/>, <see cref="Load"/> and <see cref="Task"/> of this name.
    /// </summary>
    public static string File(string dataset, int file) => $"{dataset}:{file.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>How a dataset's load into Anaplan ended.</summary>
    public static string Load(string dataset) => $"load:{dataset}";

    /// <summary>The Anaplan task a load or an export started (so a resumed run polls it rather than start another).</summary>
    public static string Task(string action) => $"task:{action}";

    /// <summary>What an export staged.</summary>
    public static string Export(string export) => $"export:{export}";

    /// <summary>What the connector remembered as sent after a dataset's load.</summary>
    public static string Commit(string dataset) => $"commit:{dataset}";

    /// <summary>What reconciliation found for a dataset.</summary>
    public static string Reconcile(string dataset) => $"reconcile:{dataset}";
}

/// <summary>Recording a step from an activity.</summary>
public static class StepResultStoreExtensions
{
    /// <summary>Records <paramref name="value"/> as the result of <paramref name="step"/> in the run's current attempt; returns it.</summary>
    public static async Task<T> RecordAsync<T>(this StepResultStore steps, RunRef run, string step, T value)
    {
        ArgumentNullException.ThrowIfNull(steps);
        ArgumentNullException.ThrowIfNull(run);
        await steps.RecordAsync(run.RunId, step, run.Attempt, value);
        return value;
    }
}

/// <summary>Input of <see cref="RecordStepActivity"/>: a step's result as JSON.</summary>
public sealed record RecordStepInput(RunRef Run, string Step, string Json);

/// <summary>
/// The steps earlier attempts of a run recorded, as an orchestrator reads them: the run's first activity returns them,
/// so they are part of the orchestration's history and every replay reads the same values (deterministic).
/// </summary>
public sealed class RecordedSteps
{
    /// <summary>No recorded step (a first attempt).</summary>
    public static readonly RecordedSteps None = new(new Dictionary<string, RecordedStep>());

    public RecordedSteps(IReadOnlyDictionary<string, RecordedStep>? steps) => this.All = steps ?? new Dictionary<string, RecordedStep>();

    /// <summary>Gets every recorded step.</summary>
    public IReadOnlyDictionary<string, RecordedStep> All { get; }

    /// <summary>Gets a recorded result, or default when the step was not recorded.</summary>
    public T? Get<T>(string step) => this.All.TryGetValue(step, out RecordedStep? recorded) ? recorded.Read<T>() : default;

    /// <summary>Gets the attempt that recorded a step (0 when none did).</summary>
    public int AttemptOf(string step) => this.All.TryGetValue(step, out RecordedStep? recorded) ? recorded.Attempt : 0;

    /// <summary>Gets the recorded steps whose keys start with one of <paramref name="prefixes"/> (what a sub-run needs).</summary>
    public IReadOnlyDictionary<string, RecordedStep> Subset(params string[] prefixes)
        => this.All.Where(kv => prefixes.Any(p => kv.Key.StartsWith(p, StringComparison.Ordinal))).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
}

/// <summary>
/// Records a step's result for the run, so a resumed attempt takes it instead of doing the step again. Used by
/// orchestrators for the steps they complete themselves (a load, an export); activities that complete a step record it
/// before they return.
/// </summary>
public sealed class RecordStepActivity(StepResultStore steps) : TaskActivity<RecordStepInput, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, RecordStepInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await steps.RecordAsync(input.Run.RunId, input.Step, input.Run.Attempt, System.Text.Json.JsonDocument.Parse(input.Json).RootElement);
        return true;
    }

    /// <summary>Records <paramref name="value"/> as the result of <paramref name="step"/> (from an orchestrator).</summary>
    public static Task RecordAsync<T>(TaskOrchestrationContext context, RunRef run, string step, T value)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.CallActivityAsync<bool>(
            nameof(RecordStepActivity),
            new RecordStepInput(run, step, System.Text.Json.JsonSerializer.Serialize(value, StepResultStore.Json)),
            Anaplan.AnaplanPolling.Retry);
    }
}
