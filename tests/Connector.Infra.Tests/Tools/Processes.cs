using System.Diagnostics;

namespace Connector.Infra.Tests.Tools;

/// <summary>The result of a finished command.</summary>
internal sealed record CommandResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Gets both streams, for failure messages.</summary>
    public string Transcript => $"exit {this.ExitCode}\nstdout:\n{this.StandardOutput}\nstderr:\n{this.StandardError}";
}

/// <summary>Runs an external tool to completion (bicep, node), never longer than a minute.</summary>
internal static class Processes
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    public static CommandResult Run(string fileName, IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // No telemetry from the Bicep CLI: the tests must not need the network.
        start.Environment["BICEP_TELEMETRY_DISABLED"] = "true";
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"{fileName} did not start.");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} ran longer than {Timeout}.");
        }

        return new CommandResult(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }
}
