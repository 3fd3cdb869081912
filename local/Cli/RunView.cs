using System.Text.Json;
using Connector.Orchestrations.Operations;
using Microsoft.DurableTask.Client;
using Spectre.Console;

namespace Connector.Local.Cli;

/// <summary>Writes <c>connector runs show</c>: the run, its failure and cause, input and output, steps and sub-runs.</summary>
internal static class RunView
{
    /// <summary>Steps repeated more than this many times in a row (polling) are shown as one line with a count.</summary>
    private const int CollapseAfter = 3;

    public static void Write(CliContext cli, RunInspection inspection)
    {
        RunDetails run = inspection.Run;
        TextWriter o = cli.Output;
        bool finished = RunOperations.FinishedStatuses.Contains(run.Status);
        o.WriteLine($"Run        {run.InstanceId}");
        o.WriteLine($"Flow       {run.Flow} ({run.Name}){(run.ParentInstanceId is null ? string.Empty : $", sub-run of {run.ParentInstanceId}")}");
        o.WriteLine($"Status     {run.Status}");
        o.WriteLine($"Created    {CliOutput.Time(run.CreatedAt)}");
        o.WriteLine($"Updated    {CliOutput.Time(run.LastUpdatedAt)}{(finished ? $"  (took {CliOutput.Duration(run.LastUpdatedAt - run.CreatedAt)})" : string.Empty)}");
        o.WriteLine($"{(finished ? "Last step" : "Step"),-11}{run.Step ?? "(none reported)"}");
        if (run.Failure is { } failure)
        {
            o.WriteLine($"Failure    {FailureText.Cause(failure.Message)}");
            for (RunFailure? cause = failure.Cause; cause is not null; cause = cause.Cause)
            {
                o.WriteLine($"  cause    {cause.Type}: {cause.Message}");
            }

            // The way down to what failed first, read from the histories of the run and its sub-runs.
            foreach ((FailedStep failed, int i) in inspection.FailurePath.Select((f, i) => (f, i)))
            {
                RunStep step = failed.Step;
                string where = step.InstanceId is null ? string.Empty : $" ({step.InstanceId})";
                string why = i == inspection.FailurePath.Count - 1 ? $": {step.Failure?.Root.Message}" : string.Empty;
                o.WriteLine($"{(i == 0 ? "Failed at" : string.Empty),-11}{new string(' ', 2 * i)}{step.Kind} {step.Name}{where} at {CliOutput.Time(step.Ended)}{why}");
            }

            o.WriteLine($"Message    {failure.Type}: {failure.Message}");
        }

        o.WriteLine();
        o.WriteLine("Input");
        o.WriteLine(Indent(Json(run.Input)));
        o.WriteLine("Output");
        o.WriteLine(run.Status == OrchestrationRuntimeStatus.Failed ? "  (none: the run failed)" : Indent(Json(run.Output)));
        if (inspection.Journal is { } journal)
        {
            o.WriteLine();
            o.WriteLine($"Journal entries ({journal.Count}, every entry's result from the blob the output names)");
            Table entries = CliOutput.Table("EXTERNAL ID", "GROUP", "PERIOD", "STATUS", "SAGE ENTRY", "BATCH", "DEBIT>", "MESSAGE");
            foreach (Orchestrations.Flows.Budgets.EntryResult r in journal)
            {
                entries.Row(r.ExternalId, r.GroupKey, r.Period, r.Status, r.EntryNo, r.BatchNo, r.Debit.ToString("N2", System.Globalization.CultureInfo.InvariantCulture), r.Message);
            }

            cli.Console.Write(entries);
        }

        o.WriteLine();
        WriteSteps(cli, inspection);
        o.WriteLine();
        if (inspection.SubRuns.Count == 0)
        {
            o.WriteLine("Sub-runs: none");
            return;
        }

        var tree = new Tree(new Text("Sub-runs"));
        foreach (RunNode node in inspection.SubRuns)
        {
            Add(tree.AddNode(Label(node)), node);
        }

        cli.Console.Write(tree);
    }

    private static void WriteSteps(CliContext cli, RunInspection inspection)
    {
        if (inspection.Steps is not { } steps)
        {
            cli.Output.WriteLine($"Steps: {inspection.StepsUnavailable}");
            return;
        }

        if (steps.Count == 0)
        {
            cli.Output.WriteLine("Steps: none yet");
            return;
        }

        cli.Output.WriteLine("Steps");
        Table table = CliOutput.Table("#>", "KIND", "STEP", "STARTED (UTC)", "ENDED (UTC)", "DURATION>", "RESULT");
        int number = 0;
        for (int i = 0; i < steps.Count;)
        {
            int same = 1;
            while (i + same < steps.Count && Same(steps[i], steps[i + same]))
            {
                same++;
            }

            if (same <= CollapseAfter)
            {
                same = 1;
            }

            RunStep first = steps[i];
            RunStep last = steps[i + same - 1];
            string name = first.Name + (first.InstanceId is null ? string.Empty : $" ({first.InstanceId})") + (same > 1 ? $" ×{same}" : string.Empty);
            table.Row(
                ++number,
                first.Kind,
                name,
                first.Started,
                last.Ended,
                same > 1 ? null : first.Duration,
                first.Status == RunStep.Statuses.Failed ? $"failed: {CliOutput.Short(first.Failure?.Root.Message, 120)}" : first.Status);
            i += same;
        }

        cli.Console.Write(table);
    }

    private static bool Same(RunStep a, RunStep b)
        => a.Kind == b.Kind && a.Name == b.Name && a.InstanceId == b.InstanceId && a.Status == b.Status && a.Status != RunStep.Statuses.Failed;

    private static void Add(TreeNode parent, RunNode node)
    {
        foreach (RunNode child in node.SubRuns)
        {
            Add(parent.AddNode(Label(child)), child);
        }
    }

    private static Text Label(RunNode node)
    {
        string took = RunOperations.FinishedStatuses.Contains(node.Status) ? $", {CliOutput.Duration(node.LastUpdatedAt - node.CreatedAt)}" : string.Empty;
        return new Text($"{node.InstanceId}  {node.Status} ({RunIds.Flow(node.Name)}{took})");
    }

    private static string Json(JsonElement? value) => value is { } v ? JsonSerializer.Serialize(v, CliContext.Json) : "(none)";

    private static string Indent(string text) => "  " + text.Replace("\n", "\n  ", StringComparison.Ordinal);
}
