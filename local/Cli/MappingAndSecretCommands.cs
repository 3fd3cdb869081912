using System.CommandLine;
using Connector.Agent.CommandLine;
using Connector.Orchestrations.Credentials;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Storage;
using Microsoft.Extensions.Configuration;
using Spectre.Console;

namespace Connector.Local.Cli;

/// <summary><c>connector mappings ...</c> (Sage code → Anaplan code overrides) and <c>connector secrets ...</c>.</summary>
internal static class MappingAndSecretCommands
{
    public static Command Mappings(GlobalOptions globals)
    {
        var mappings = new Command("mappings", "Mapping overrides per connection and dimension: a Sage code that has another code in Anaplan (versioned, with history).");

        (Argument<string> connection, Argument<string> dimension) = Scope();
        Option<bool> listJson = CommonOptions.Json("the overrides");
        var list = new Command("list", "List a dimension's overrides.") { connection, dimension, listJson };
        list.SetAction((parse, ct) => WithStoreAsync(globals, parse, async (cli, store, _) =>
        {
            List<MappingEntry> entries = await store.ListAsync(cli.Value(connection)!, cli.Value(dimension)!, ct).ToListAsync(ct);
            if (cli.Value(listJson))
            {
                cli.WriteJson(entries);
            }
            else if (entries.Count == 0)
            {
                cli.Output.WriteLine("No overrides: every code is the same on both sides.");
            }
            else
            {
                Table table = CliOutput.Table("SAGE CODE", "ANAPLAN CODE", "VERSION>", "CHANGED BY", "CHANGED (UTC)");
                foreach (MappingEntry e in entries)
                {
                    table.Row(e.SageCode, e.AnaplanCode, e.Version, e.ChangedBy, e.ChangedAt);
                }

                cli.Console.Write(table);
            }

            return ExitCodes.Ok;
        }, ct));
        mappings.Add(list);

        (Argument<string> setConnection, Argument<string> setDimension) = Scope();
        Argument<string> sageCode = SageCode();
        var anaplanCode = new Argument<string>("anaplan-code") { Description = "The code in Anaplan." };
        Option<string?> by = By();
        var note = new Option<string?>("--note") { Description = "Why (kept in the history)." };
        var set = new Command("set", "Set or change an override.") { setConnection, setDimension, sageCode, anaplanCode, by, note };
        set.SetAction((parse, ct) => WithStoreAsync(globals, parse, async (cli, store, time) =>
        {
            MappingEntry entry = await store.SetAsync(
                cli.Value(setConnection)!, cli.Value(setDimension)!, cli.Value(sageCode)!, cli.Value(anaplanCode)!, cli.Value(by) ?? Environment.UserName, cli.Value(note), time.GetUtcNow(), ct);
            cli.Output.WriteLine($"{entry.SageCode} → {entry.AnaplanCode} (version {entry.Version}).");
            return ExitCodes.Ok;
        }, ct));
        mappings.Add(set);

        (Argument<string> removeConnection, Argument<string> removeDimension) = Scope();
        Argument<string> removeCode = SageCode();
        Option<string?> removeBy = By();
        var removeNote = new Option<string?>("--note") { Description = "Why (kept in the history)." };
        Option<bool> yes = CommonOptions.Yes();
        var remove = new Command("remove", "Remove an override: the code becomes the same on both sides again. Asks first unless --yes.")
        {
            removeConnection, removeDimension, removeCode, removeBy, removeNote, yes,
        };
        remove.SetAction((parse, ct) => WithStoreAsync(globals, parse, async (cli, store, time) =>
        {
            string code = cli.Value(removeCode)!;
            if (!await cli.ConfirmAsync($"Remove the {cli.Value(removeDimension)} override of '{code}' on {cli.Value(removeConnection)}?", cli.Value(yes), ct))
            {
                return ExitCodes.NotConfirmed;
            }

            bool removed = await store.RemoveAsync(
                cli.Value(removeConnection)!, cli.Value(removeDimension)!, code, cli.Value(removeBy) ?? Environment.UserName, cli.Value(removeNote), time.GetUtcNow(), ct);
            cli.Output.WriteLine(removed ? "Override removed: the codes are the same on both sides again." : "There was no override.");
            return ExitCodes.Ok;
        }, ct));
        mappings.Add(remove);

        (Argument<string> historyConnection, Argument<string> historyDimension) = Scope();
        Argument<string> historyCode = SageCode();
        Option<bool> historyJson = CommonOptions.Json("the history");
        var history = new Command("history", "Show the history of one code's override, oldest first.") { historyConnection, historyDimension, historyCode, historyJson };
        history.SetAction((parse, ct) => WithStoreAsync(globals, parse, async (cli, store, _) =>
        {
            IReadOnlyList<MappingChange> changes = await store.GetHistoryAsync(cli.Value(historyConnection)!, cli.Value(historyDimension)!, cli.Value(historyCode)!, ct);
            if (cli.Value(historyJson))
            {
                cli.WriteJson(changes);
                return ExitCodes.Ok;
            }

            Table table = CliOutput.Table("VERSION>", "CHANGED (UTC)", "CHANGED BY", "FROM", "TO", "NOTE");
            foreach (MappingChange c in changes)
            {
                table.Row(c.Version, c.ChangedAt, c.ChangedBy, c.OldAnaplanCode ?? "(same code)", c.NewAnaplanCode ?? "(same code)", c.Note);
            }

            cli.Console.Write(table);
            return ExitCodes.Ok;
        }, ct));
        mappings.Add(history);
        return mappings;
    }

    public static Command Secrets(GlobalOptions globals)
    {
        var secrets = new Command("secrets", "The encrypted credential file (Credentials:File; master key in CONNECTOR_MASTER_KEY).");
        var newKey = new Command("new-master-key", "Print a new master key for an encrypted credential file.");
        newKey.SetAction(parse =>
        {
            parse.InvocationConfiguration.Output.WriteLine(EncryptedFileCredentialStore.NewMasterKey());
            return ExitCodes.Ok;
        });
        secrets.Add(newKey);

        var reference = new Argument<string>("reference") { Description = "The reference the settings use (e.g. sage-abc-apikey)." };
        var set = new Command("set", "Store a secret under a reference; the value is read from standard input (never from the command line).") { reference };
        set.SetAction((parse, ct) => WithCredentialsAsync(globals, parse, async (cli, store) =>
        {
            string value = (await Console.In.ReadToEndAsync(ct)).TrimEnd('\r', '\n');
            await store.SetAsync(cli.Value(reference)!, value, ct);
            cli.Output.WriteLine($"Stored '{cli.Value(reference)}' (encrypted).");
            return ExitCodes.Ok;
        }));
        secrets.Add(set);

        var list = new Command("list", "List the stored references (never the values).");
        list.SetAction((parse, ct) => WithCredentialsAsync(globals, parse, async (cli, store) =>
        {
            foreach (string stored in (await store.ListAsync(ct)).Order(StringComparer.Ordinal))
            {
                cli.Output.WriteLine(stored);
            }

            return ExitCodes.Ok;
        }));
        secrets.Add(list);
        return secrets;
    }

    private static (Argument<string> Connection, Argument<string> Dimension) Scope()
    {
        var connection = new Argument<string>("connection") { Description = "The connection id." };
        var dimension = new Argument<string>("dimension") { Description = $"The dimension: {string.Join(" or ", MappingDimensions.All)}." };
        dimension.AcceptOnlyFromAmong([.. MappingDimensions.All]);
        return (connection, dimension);
    }

    private static Argument<string> SageCode() => new("sage-code") { Description = "The code in Sage." };

    private static Option<string?> By() => new("--by") { Description = "Who changes it (default: the signed-in user)." };

    private static Task<int> WithStoreAsync(
        GlobalOptions globals, ParseResult parse, Func<CliContext, MappingStore, TimeProvider, Task<int>> action, CancellationToken ct)
    {
        CliContext cli = globals.Context(parse);
        return cli.WithHostAsync(runWorker: false, async services =>
        {
            await services.Get<ConnectorStorage>().EnsureCreatedOnceAsync();
            return await action(cli, services.Get<MappingStore>(), services.Get<TimeProvider>());
        }, ct);
    }

    private static async Task<int> WithCredentialsAsync(GlobalOptions globals, ParseResult parse, Func<CliContext, EncryptedFileCredentialStore, Task<int>> action)
    {
        CliContext cli = globals.Context(parse);
        CredentialStoreOptions options = cli.Configuration.GetSection(CredentialStoreOptions.SectionName).Get<CredentialStoreOptions>() ?? new();
        options.Store = "EncryptedFile";
        if (ConnectorRuntime.CreateCredentialStore(options, cli.Configuration) is not EncryptedFileCredentialStore store)
        {
            throw new InvalidOperationException("Secrets are managed here only for an encrypted credential file (Credentials:File).");
        }

        using (store)
        {
            return await action(cli, store);
        }
    }
}
