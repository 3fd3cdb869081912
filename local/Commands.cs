using Connector.Orchestrations.Credentials;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Connector.Local;

/// <summary>Operator commands on mappings and secrets.</summary>
internal static class Commands
{
    public static async Task<int> MappingsAsync(IServiceProvider services, List<string> words, Dictionary<string, string?> switches, CancellationToken cancellationToken)
    {
        MappingStore store = services.GetRequiredService<MappingStore>();
        await services.GetRequiredService<ConnectorStorage>().EnsureCreatedOnceAsync();
        TimeProvider time = services.GetRequiredService<TimeProvider>();
        string Arg(int i, string name) => words.Count > i ? words[i] : throw new ArgumentException($"{name} is required.");
        string by = switches.GetValueOrDefault("by") ?? Environment.UserName;
        switch (words.ElementAtOrDefault(1))
        {
            case "list":
                await foreach (MappingEntry e in store.ListAsync(Arg(2, "A connection"), Arg(3, "A dimension"), cancellationToken))
                {
                    Console.WriteLine($"{e.SageCode,-20} → {e.AnaplanCode,-20} v{e.Version} by {e.ChangedBy} at {e.ChangedAt:u}");
                }

                return 0;
            case "set":
                MappingEntry set = await store.SetAsync(Arg(2, "A connection"), Arg(3, "A dimension"), Arg(4, "A Sage code"), Arg(5, "An Anaplan code"), by, switches.GetValueOrDefault("note"), time.GetUtcNow(), cancellationToken);
                Console.WriteLine($"{set.SageCode} → {set.AnaplanCode} (version {set.Version}).");
                return 0;
            case "remove":
                bool removed = await store.RemoveAsync(Arg(2, "A connection"), Arg(3, "A dimension"), Arg(4, "A Sage code"), by, switches.GetValueOrDefault("note"), time.GetUtcNow(), cancellationToken);
                Console.WriteLine(removed ? "Override removed: the codes are the same on both sides again." : "There was no override.");
                return 0;
            case "history":
                foreach (MappingChange c in await store.GetHistoryAsync(Arg(2, "A connection"), Arg(3, "A dimension"), Arg(4, "A Sage code"), cancellationToken))
                {
                    Console.WriteLine($"v{c.Version} {c.ChangedAt:u} {c.ChangedBy}: {c.OldAnaplanCode ?? "(same code)"} → {c.NewAnaplanCode ?? "(same code)"} {c.Note}");
                }

                return 0;
            default:
                throw new ArgumentException("Use: mappings list|set|remove|history <connection> <account|costcenter> ...");
        }
    }

    public static async Task<int> SecretsAsync(IConfiguration configuration, List<string> words, CancellationToken cancellationToken)
    {
        if (words.ElementAtOrDefault(1) == "new-master-key")
        {
            Console.WriteLine(EncryptedFileCredentialStore.NewMasterKey());
            return 0;
        }

        CredentialStoreOptions options = configuration.GetSection(CredentialStoreOptions.SectionName).Get<CredentialStoreOptions>() ?? new();
        options.Store = "EncryptedFile";
        if (ConnectorRuntime.CreateCredentialStore(options, configuration) is not EncryptedFileCredentialStore store)
        {
            throw new InvalidOperationException("Secrets are managed here only for an encrypted credential file (Credentials:File).");
        }

        using (store)
        {
            switch (words.ElementAtOrDefault(1))
            {
                case "set" when words.Count == 3:
                    string value = (await Console.In.ReadToEndAsync(cancellationToken)).TrimEnd('\r', '\n');
                    await store.SetAsync(words[2], value, cancellationToken);
                    Console.WriteLine($"Stored '{words[2]}' (encrypted).");
                    return 0;
                case "list":
                    foreach (string reference in (await store.ListAsync(cancellationToken)).Order(StringComparer.Ordinal))
                    {
                        Console.WriteLine(reference);
                    }

                    return 0;
                default:
                    throw new ArgumentException("Use: secrets new-master-key | secrets set <reference> | secrets list");
            }
        }
    }
}
