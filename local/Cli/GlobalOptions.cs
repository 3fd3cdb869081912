using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Connector.Agent.CommandLine;
using Connector.Local.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace Connector.Local.Cli;

/// <summary>The options every command takes (settings file, storage, task hub) and the settings given as <c>--Section:Key</c>.</summary>
internal sealed class GlobalOptions(IReadOnlyDictionary<string, string?> commandLineSettings)
{
    public Option<FileInfo> Settings { get; } = new Option<FileInfo>("--settings")
    {
        Description = "A settings file (JSON) read after connector.settings.json in the working directory.",
        Recursive = true,
    }.AcceptExistingOnly();

    public Option<string?> Storage { get; } = new("--storage")
    {
        Description = "The storage connection string of the task hub (shortcut for --Durable:ConnectionString; default: Azurite).",
        Recursive = true,
    };

    public Option<string?> TaskHub { get; } = new("--taskhub")
    {
        Description = "The task hub (shortcut for --Durable:TaskHubName).",
        Recursive = true,
    };

    /// <summary>Gets the settings given as <c>--Section:Key value</c>.</summary>
    public IReadOnlyDictionary<string, string?> CommandLineSettings { get; } = commandLineSettings;

    /// <summary>The context of one command: its settings, its output and its host.</summary>
    public CliContext Context(ParseResult parse) => new(parse, this);

    /// <summary>Makes <paramref name="action"/> the command's action, run with a client of the task hub (no worker).</summary>
    public void SetClientAction(Command command, Func<CliContext, IServiceProvider, CancellationToken, Task<int>> action)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.SetAction((parse, ct) =>
        {
            CliContext cli = this.Context(parse);
            return cli.WithHostAsync(runWorker: false, services => action(cli, services, ct), ct);
        });
    }
}

/// <summary>One command's settings, output and host.</summary>
internal sealed class CliContext
{
    /// <summary>The JSON the commands print: camelCase, indented, enums as names, nulls left out.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        // Read by people and tools, never embedded in HTML: quotes and apostrophes stay as they are.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly ParseResult parse;
    private readonly GlobalOptions globals;
    private IConfiguration? configuration;

    public CliContext(ParseResult parse, GlobalOptions globals)
    {
        this.parse = parse;
        this.globals = globals;
        this.Output = parse.InvocationConfiguration.Output;
        this.Error = parse.InvocationConfiguration.Error;

        // A person at a terminal gets colour, live progress and tables as wide as the terminal; anything else (a pipe,
        // a file, a test) gets plain text, no live display and tables as wide as their content.
        this.Interactive = !System.Console.IsOutputRedirected && ReferenceEquals(this.Output, System.Console.Out);
        this.Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(this.Output),
            Ansi = this.Interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = this.Interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = this.Interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!this.Interactive)
        {
            this.Console.Profile.Width = 4096;
        }
    }

    public TextWriter Output { get; }

    public TextWriter Error { get; }

    public IAnsiConsole Console { get; }

    public bool Interactive { get; }

    /// <summary>Gets the settings: connector.settings.json, --settings, CONNECTOR_ variables, --Section:Key, --storage, --taskhub.</summary>
    public IConfiguration Configuration => this.configuration ??= this.BuildConfiguration();

    public T? Value<T>(Option<T> option) => this.parse.GetValue(option);

    public T? Value<T>(Argument<T> argument) => this.parse.GetValue(argument);

    public void WriteJson<T>(T value) => this.Output.WriteLine(JsonSerializer.Serialize(value, Json));

    /// <summary>Starts the connector's host (a client always, a worker when asked), runs <paramref name="action"/>, stops the host.</summary>
    public async Task<int> WithHostAsync(bool runWorker, Func<IServiceProvider, Task<int>> action, CancellationToken cancellationToken)
    {
        using IHost host = ConnectorHost.CreateBuilder(this.Configuration, runWorker).Build();
        await host.StartAsync(cancellationToken);
        try
        {
            return await action(host.Services);
        }
        finally
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(7));
            await host.StopAsync(stop.Token);
        }
    }

    /// <summary>
    /// Asks before a destructive action: true with <c>--yes</c>, otherwise the answer read from standard input (a
    /// terminal or a pipe; no answer is no). The question goes to standard error so the output stays clean.
    /// </summary>
    public async Task<bool> ConfirmAsync(string question, bool yes, CancellationToken cancellationToken)
    {
        if (yes)
        {
            return true;
        }

        await this.Error.WriteAsync($"{question} [y/N] ");
        await this.Error.FlushAsync(cancellationToken);
        string? answer = await System.Console.In.ReadLineAsync(cancellationToken);
        if (answer?.Trim().ToUpperInvariant() is "Y" or "YES")
        {
            return true;
        }

        await this.Error.WriteLineAsync();
        await this.Error.WriteLineAsync("Not confirmed; nothing was changed. Add --yes to confirm without a prompt.");
        return false;
    }

    private IConfiguration BuildConfiguration()
    {
        var builder = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "connector.settings.json"), optional: true);
        if (this.parse.GetValue(this.globals.Settings) is { } file)
        {
            builder.AddJsonFile(file.FullName, optional: false);
        }

        builder.AddEnvironmentVariables("CONNECTOR_");
        var overrides = new Dictionary<string, string?>(this.globals.CommandLineSettings, StringComparer.OrdinalIgnoreCase);
        if (this.parse.GetValue(this.globals.Storage) is { } storage)
        {
            overrides[$"{LocalDurableOptions.SectionName}:{nameof(LocalDurableOptions.ConnectionString)}"] = storage;
        }

        if (this.parse.GetValue(this.globals.TaskHub) is { } hub)
        {
            overrides[$"{LocalDurableOptions.SectionName}:{nameof(LocalDurableOptions.TaskHubName)}"] = hub;
        }

        return builder.AddInMemoryCollection(overrides).Build();
    }
}

/// <summary>Options several commands share.</summary>
internal static class CommonOptions
{
    public static Option<bool> Json(string what = "the result") => new("--json") { Description = $"Print {what} as JSON." };

    public static Option<bool> Yes() => new("--yes", "-y") { Description = "Do it without asking for confirmation." };

    public static Option<bool> DryRun(string what) => new("--dry-run") { Description = $"List {what} and change nothing." };

    public static Option<string?> Reason(string action) => new("--reason") { Description = $"Why (recorded with the {action})." };

    public static Argument<string> RunId() => new("run-id") { Description = "The run's instance id (see 'connector runs list')." };

    /// <summary>A service the host provides.</summary>
    public static T Get<T>(this IServiceProvider services)
        where T : notnull
        => services.GetRequiredService<T>();
}
