using System.CommandLine;
using System.CommandLine.Parsing;

namespace Connector.Agent.CommandLine;

/// <summary>
/// Runs a System.CommandLine command tree the way an operator expects: a bad command line is reported in one or two
/// lines on standard error with where to find help (exit <see cref="ExitCodes.Usage"/>), and an exception from a command
/// becomes its message, never a stack trace. Shared by the agent's and the connector's command lines.
/// </summary>
public static class CommandLineRunner
{
    /// <summary>Parses and runs <paramref name="args"/>; returns the process exit code.</summary>
    /// <param name="root">The command tree.</param>
    /// <param name="args">The arguments.</param>
    /// <param name="describe">Turns an exception into its message and exit code (null: the message and <see cref="ExitCodes.Failed"/>).</param>
    /// <param name="processTerminationTimeout">How long a command may take to stop after Ctrl+C or SIGTERM cancels it;
    /// null when the command's own host handles those signals.</param>
    /// <param name="output">Standard output (tests).</param>
    /// <param name="error">Standard error (tests).</param>
    public static async Task<int> RunAsync(
        RootCommand root,
        IReadOnlyList<string> args,
        Func<Exception, (string Message, int ExitCode)?>? describe = null,
        TimeSpan? processTerminationTimeout = null,
        TextWriter? output = null,
        TextWriter? error = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        error ??= Console.Error;
        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 && parsed.Action is System.CommandLine.Invocation.ParseErrorAction)
        {
            foreach (ParseError parseError in parsed.Errors)
            {
                await error.WriteLineAsync(parseError.Message);
            }

            await error.WriteLineAsync($"Run '{CommandPath(parsed)} --help' for usage.");
            return ExitCodes.Usage;
        }

        var configuration = new InvocationConfiguration
        {
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = processTerminationTimeout,
            Output = output ?? Console.Out,
            Error = error,
        };
        try
        {
            return await parsed.InvokeAsync(configuration);
        }
        catch (OperationCanceledException)
        {
            await error.WriteLineAsync("Interrupted.");
            return ExitCodes.Interrupted;
        }
        catch (Exception ex)
        {
            (string message, int exitCode) = describe?.Invoke(ex) ?? (ex.Message, ExitCodes.Failed);
            await error.WriteLineAsync(message);
            return exitCode;
        }
    }

    private static string CommandPath(ParseResult parsed)
    {
        var names = new List<string>();
        for (SymbolResult? r = parsed.CommandResult; r is not null; r = r.Parent)
        {
            if (r is CommandResult command)
            {
                names.Insert(0, command.Command is RootCommand ? parsed.RootCommandResult.Command.Name : command.Command.Name);
            }
        }

        return string.Join(' ', names);
    }
}

/// <summary>The exit codes of the connector's command lines (the agent uses 0, 1, 2 and 130).</summary>
public static class ExitCodes
{
    /// <summary>Done as asked.</summary>
    public const int Ok = 0;

    /// <summary>The command failed (a run failed, a service was unreachable, an unexpected error).</summary>
    public const int Failed = 1;

    /// <summary>The command line is wrong (unknown command, invalid or missing option or argument).</summary>
    public const int Usage = 2;

    /// <summary>The run completed, but some records failed (they are in the run's audit).</summary>
    public const int CompletedWithFailures = 3;

    /// <summary>The run or connection named does not exist.</summary>
    public const int NotFound = 4;

    /// <summary>The run is in the wrong state for the action, or the flow is disabled.</summary>
    public const int Conflict = 5;

    /// <summary>The settings are not valid (the message names the setting).</summary>
    public const int InvalidSettings = 6;

    /// <summary>A destructive command was not confirmed.</summary>
    public const int NotConfirmed = 7;

    /// <summary>Stopped by Ctrl+C or SIGTERM while waiting.</summary>
    public const int Interrupted = 130;
}
