using System.CommandLine;
using Azure;
using Connector.Agent.CommandLine;
using Connector.Orchestrations.Operations;
using Microsoft.Extensions.Options;

namespace Connector.Local.Cli;

/// <summary>
/// The <c>connector</c> command: runs the connector's flows on the local Durable Task host and operates its runs, locks,
/// mappings and secrets. Every command has generated help (<c>--help</c>), typed options whose errors list what they
/// accept, and the documented exit codes of <see cref="ExitCodes"/>; no input makes it print a stack trace.
/// </summary>
public static class ConnectorCommandLine
{
    /// <summary>How long a command may take to stop after Ctrl+C or SIGTERM (the worker's bound is 10 s).</summary>
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(9);

    /// <summary>Runs the command line; returns the exit code.</summary>
    public static Task<int> RunAsync(string[] args)
    {
        (string[] commandLine, Dictionary<string, string?> settings) = SettingArguments.Split(args);
        var globals = new GlobalOptions(settings);
        return commandLine.Length == 0
            ? ShowHelpAsync(globals)
            : CommandLineRunner.RunAsync(Build(globals), commandLine, Describe, StopTimeout);
    }

    /// <summary>Builds the command tree.</summary>
    internal static RootCommand Build(GlobalOptions globals)
    {
        var root = new RootCommand(
            "connector: the Sage 100 ⇄ Anaplan connector on the local Durable Task host (Durable Task Framework + Azure Storage).\n"
            + "Settings (later sources win): connector.settings.json in the working directory, --settings <file>, environment variables\n"
            + "CONNECTOR_<Section>__<Key>, and --<Section>:<Key> <value> on the command line.\n"
            + "Exit codes: 0 done, 1 failed, 2 bad command line, 3 run completed with failed records, 4 run or connection not found,\n"
            + "5 wrong state or flow disabled, 6 invalid settings, 7 not confirmed, 130 interrupted.")
        {
            globals.Settings,
            globals.Storage,
            globals.TaskHub,
        };
        root.Add(FlowCommands.Demo(globals));
        root.Add(FlowCommands.Run(globals));
        root.Add(FlowCommands.Worker(globals));
        root.Add(FlowCommands.SelfTest(globals));
        root.Add(RunCommands.Build(globals));
        root.Add(LockCommands.Lock(globals));
        root.Add(LockCommands.Locks(globals));
        root.Add(DashboardCommand.Build(globals));
        root.Add(MappingAndSecretCommands.Mappings(globals));
        root.Add(MappingAndSecretCommands.Secrets(globals));
        root.Add(ModelFitCommands.Check(globals));
        root.Add(ModelFitCommands.Discover(globals));
        return root;
    }

    /// <summary>No command: the help, and the exit code of a command line that does nothing.</summary>
    private static async Task<int> ShowHelpAsync(GlobalOptions globals)
    {
        await CommandLineRunner.RunAsync(Build(globals), ["--help"]);
        return ExitCodes.Usage;
    }

    /// <summary>What an exception means to the operator: its message and the exit code.</summary>
    internal static (string Message, int ExitCode)? Describe(Exception exception) => exception switch
    {
        AggregateException { InnerExceptions.Count: 1 } aggregate => Describe(aggregate.InnerExceptions[0]),
        ConnectionNotFoundException or RunNotFoundException => (exception.Message, ExitCodes.NotFound),
        RunStateException or FlowDisabledException => (exception.Message, ExitCodes.Conflict),
        ConnectorValidationException => (exception.Message, ExitCodes.Usage),
        OptionsValidationException options => ("The settings are not valid:\n  " + string.Join("\n  ", options.Failures), ExitCodes.InvalidSettings),
        RequestFailedException storage => ($"Storage refused the request ({storage.Status} {storage.ErrorCode}): {storage.Message.Split('\n')[0]}", ExitCodes.Failed),
        _ => (OptionParsers.Message(exception), ExitCodes.Failed),
    };
}
