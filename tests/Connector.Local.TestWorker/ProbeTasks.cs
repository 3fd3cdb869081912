using Microsoft.DurableTask;

namespace Connector.Local.TestWorker;

/// <summary>Input of <see cref="StepsProbeOrchestrator"/>: steps run in order, each recording its runs as files.</summary>
public sealed record StepsProbeInput(string Directory, IReadOnlyList<string> Steps);

/// <summary>One step: <c>Directory</c> holds the run records and the control files.</summary>
public sealed record StepInput(string Directory, string Step);

/// <summary>Runs <see cref="StepActivity"/> once per step; returns the process id each step ran in.</summary>
public sealed class StepsProbeOrchestrator : TaskOrchestrator<StepsProbeInput, List<string>>
{
    public override async Task<List<string>> RunAsync(TaskOrchestrationContext context, StepsProbeInput input)
    {
        var ranIn = new List<string>();
        foreach (string step in input.Steps)
        {
            context.SetCustomStatus(step);
            ranIn.Add(await context.CallActivityAsync<string>(nameof(StepActivity), new StepInput(input.Directory, step)));
        }

        return ranIn;
    }
}

/// <summary>
/// Records each run as a file <c>{step}.{guid}.run</c>. Control files in the directory steer it:
/// <c>{step}.fail</c> makes it throw; <c>{step}.block</c> makes it announce <c>{step}.started.{pid}</c> and wait
/// until <c>{step}.release</c> appears.
/// </summary>
public sealed class StepActivity : TaskActivity<StepInput, string>
{
    public static int RunCount(string directory, string step) => System.IO.Directory.GetFiles(directory, $"{step}.*.run").Length;

    public override async Task<string> RunAsync(TaskActivityContext context, StepInput input)
    {
        string pid = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await File.WriteAllTextAsync(Path.Combine(input.Directory, $"{input.Step}.{Guid.NewGuid():N}.run"), pid);

        if (File.Exists(Path.Combine(input.Directory, $"{input.Step}.fail")))
        {
            throw new InvalidOperationException($"step {input.Step} was told to fail");
        }

        if (File.Exists(Path.Combine(input.Directory, $"{input.Step}.block")))
        {
            await File.WriteAllTextAsync(Path.Combine(input.Directory, $"{input.Step}.started.{pid}"), pid);
            string release = Path.Combine(input.Directory, $"{input.Step}.release");
            while (!File.Exists(release))
            {
                await Task.Delay(100);
            }
        }

        return pid;
    }
}

public static class ProbeTasks
{
    public static DurableTaskRegistry AddProbeTasks(this DurableTaskRegistry registry)
        => registry.AddOrchestrator<StepsProbeOrchestrator>().AddActivity<StepActivity>();
}
