using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Azure.Data.Tables;
using Azure.Data.Tables.Models;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Connector.Local.Demo;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Credentials;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Flows.Budgets;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Storage;
using Connector.Testing;
using Connector.Tests.Shared;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Connector.Orchestrations.Tests.Flows;

/// <summary>
/// Secrets never appear in logs, exceptions, audit rows, storage or URLs: both flows run for real, plus runs with a wrong
/// Sage API key and a wrong Anaplan password, and then every place the connector writes to is searched for every
/// secret it held (the keys, the passwords, the Basic header, every Anaplan token issued, the credential master key).
/// </summary>
public sealed class SecretHygieneTests(SecretHygieneTests.Fixture fixture) : IClassFixture<SecretHygieneTests.Fixture>
{
    [Fact]
    public async Task GoodAndRefusedRuns_LeaveNoSecretInLogsStorageHistoryAuditOrUrls()
    {
        BudgetSeed.Seed(fixture.Environment.Anaplan.DefaultModel, [new("600-01", "01", "FY2026-P12", "Budget", 1234.56m)], "Budget");
        ActualsRunSummary actuals = await fixture.RunActualsAsync("abc");
        Assert.Equal(RunStatuses.Completed, actuals.Status);
        BudgetRunSummary budgets = await fixture.RunBudgetsAsync("abc", new BudgetRunRequest());
        Assert.Equal(JournalStatuses.Posted, Assert.Single(await fixture.ResultsAsync(budgets)).Status);

        OrchestrationMetadata badKey = await fixture.RunActualsToEndAsync("abc-bad-key", UniqueRequest());
        Assert.Equal(OrchestrationRuntimeStatus.Failed, badKey.RuntimeStatus);
        Assert.Contains($"rejected the API key stored under '{Fixture.WrongKeyReference}'", badKey.FailureDetails?.ErrorMessage, StringComparison.Ordinal);
        OrchestrationMetadata badPassword = await fixture.RunActualsToEndAsync("abc-bad-password", UniqueRequest());
        Assert.Equal(OrchestrationRuntimeStatus.Failed, badPassword.RuntimeStatus);
        Assert.Contains($"Anaplan refused the credentials (127.0.0.1, basic, user {LocalEnvironment.AnaplanUser}, password stored under '{Fixture.WrongPasswordReference}') with 401", badPassword.FailureDetails?.ErrorMessage, StringComparison.Ordinal);

        Dictionary<string, string> secrets = await fixture.SecretsAsync();
        Assert.True(secrets.Count >= 8, $"only {secrets.Count} secrets collected");
        var places = new List<(string Where, string Text)>();
        places.AddRange(fixture.Logs.Lines.Select((line, i) => ($"log line {i}", line)));
        places.AddRange(fixture.Environment.Anaplan.State.Requests.Snapshot().Select(r => ($"Anaplan request {r.Method} {r.Path}", r.Path)));
        places.AddRange(await fixture.TableTextsAsync());
        places.AddRange(await fixture.BlobTextsAsync());
        Assert.Contains(places, p => p.Where.StartsWith("log", StringComparison.Ordinal));
        foreach (string table in new[] { $"{fixture.TaskHub}History", $"{fixture.TaskHub}Instances", fixture.TablePrefix + TableNames.Runs, fixture.TablePrefix + TableNames.RunDatasets, fixture.TablePrefix + TableNames.Journal })
        {
            Assert.Contains(places, p => p.Where.StartsWith($"table {table} ", StringComparison.OrdinalIgnoreCase));
        }

        Assert.Contains(places, p => p.Where.StartsWith($"blob {fixture.StagingContainer}/", StringComparison.Ordinal));

        var leaks = (
            from place in places
            from secret in secrets
            where place.Text.Contains(secret.Value, StringComparison.Ordinal)
            select $"{secret.Key} in {place.Where}").Distinct().ToList();
        Assert.True(leaks.Count == 0, $"{leaks.Count} leak(s) in {places.Count} places searched: {string.Join("; ", leaks.Take(20))}");
    }

    [Theory]
    [InlineData("abc-bad-key")]
    [InlineData("abc-bad-password")]
    public async Task RefusedCredentials_FailTheRunAtOnce_WithoutRetryingAnyStep(string connection)
    {
        OrchestrationMetadata run = await fixture.RunActualsToEndAsync(connection, UniqueRequest());
        Assert.Equal(OrchestrationRuntimeStatus.Failed, run.RuntimeStatus);

        // Waiting does not heal a wrong key or password, so no step of the run (or its sub-runs) was scheduled twice.
        Dictionary<string, int> scheduled = await fixture.ScheduledActivitiesAsync(run.InstanceId);
        Assert.NotEmpty(scheduled);
        Assert.All(scheduled, s => Assert.True(s.Value == 1, $"{s.Key} was scheduled {s.Value} times"));
    }

    private static ActualsRunRequest UniqueRequest() => new(RequestKey: Guid.NewGuid().ToString("N"));

    public sealed class Fixture : ConnectorFlowFixture
    {
        public const string WrongKeyReference = "sage-agent-api-key-typo";
        public const string WrongPasswordReference = "anaplan-password-old";
        private readonly string wrongKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        private readonly string wrongPassword = "old-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

        public CapturingLoggerProvider Logs { get; } = new();

        /// <summary>Every secret the connector held in these runs, by name.</summary>
        public async Task<Dictionary<string, string>> SecretsAsync()
        {
            ICredentialStore credentials = this.Environment.Credentials;
            string key = (await credentials.GetAsync(LocalEnvironment.SageApiKeyReference)).Reveal();
            string password = (await credentials.GetAsync(LocalEnvironment.AnaplanPasswordReference)).Reveal();
            var secrets = new Dictionary<string, string>
            {
                ["the Sage API key"] = key,
                ["the wrong Sage API key"] = this.wrongKey,
                ["the Anaplan password"] = password,
                ["the wrong Anaplan password"] = this.wrongPassword,
                ["the Basic header"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{LocalEnvironment.AnaplanUser}:{password}")),
                ["the wrong Basic header"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{LocalEnvironment.AnaplanUser}:{this.wrongPassword}")),
                ["the credential master key"] = this.Environment.MasterKey,
            };
            foreach ((string token, int i) in this.Environment.Anaplan.State.IssuedTokenValues().Select((t, i) => (t, i)))
            {
                secrets[$"Anaplan token #{i + 1}"] = token;
            }

            return secrets;
        }

        /// <summary>Every string property of every row of this fixture's tables: history, instances, audit, journal, mappings, watermarks.</summary>
        public async Task<List<(string Where, string Text)>> TableTextsAsync()
        {
            var service = new TableServiceClient(this.Environment.StorageConnectionString);
            var texts = new List<(string, string)>();
            await foreach (TableItem table in service.QueryAsync())
            {
                if (!table.Name.StartsWith(this.TaskHub, StringComparison.OrdinalIgnoreCase) && !table.Name.StartsWith(this.TablePrefix, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                await foreach (TableEntity row in service.GetTableClient(table.Name).QueryAsync<TableEntity>())
                {
                    foreach ((string name, object value) in row)
                    {
                        if (value is string text)
                        {
                            texts.Add(($"table {table.Name} row {row.PartitionKey}/{row.RowKey} {name}", text));
                        }
                        else if (value is byte[] bytes)
                        {
                            texts.Add(($"table {table.Name} row {row.PartitionKey}/{row.RowKey} {name}", Encoding.UTF8.GetString(bytes)));
                        }
                    }

                    texts.Add(($"table {table.Name} key {row.PartitionKey}/{row.RowKey}", $"{row.PartitionKey} {row.RowKey}"));
                }
            }

            return texts;
        }

        /// <summary>Every blob of the staging container and of the task hub's containers (large messages), unzipped.</summary>
        public async Task<List<(string Where, string Text)>> BlobTextsAsync()
        {
            var service = new BlobServiceClient(this.Environment.StorageConnectionString);
            var texts = new List<(string, string)>();
            await foreach (BlobContainerItem container in service.GetBlobContainersAsync())
            {
                if (container.Name != this.StagingContainer && !container.Name.StartsWith(this.TaskHub.ToLowerInvariant(), StringComparison.Ordinal))
                {
                    continue;
                }

                BlobContainerClient client = service.GetBlobContainerClient(container.Name);
                await foreach (BlobItem blob in client.GetBlobsAsync())
                {
                    byte[] content = (await client.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToArray();
                    texts.Add(($"blob {container.Name}/{blob.Name}", Encoding.UTF8.GetString(Unzipped(content))));
                    texts.Add(($"blob name {container.Name}/{blob.Name}", blob.Name));
                }
            }

            return texts;
        }

        protected override IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment)
        {
            ConnectionOptions abc = environment.Connection("abc", "ABC", "Department");
            abc.Budgets = new BudgetsFlowOptions { Enabled = true, OffsetAccount = "300-00-00", Version = "Budget" };
            ConnectionOptions badKey = environment.Connection("abc-bad-key", "ABC", "Department");
            badKey.Sage.ApiKeyReference = WrongKeyReference;
            ConnectionOptions badPassword = environment.Connection("abc-bad-password", "ABC", "Department");
            badPassword.Anaplan.PasswordReference = WrongPasswordReference;

            var store = (EncryptedFileCredentialStore)environment.Credentials;
            store.SetAsync(WrongKeyReference, this.wrongKey).GetAwaiter().GetResult();
            store.SetAsync(WrongPasswordReference, this.wrongPassword).GetAwaiter().GetResult();
            return [abc, badKey, badPassword];
        }

        protected override void ConfigureServices(IServiceCollection services)
            => services.AddLogging(b => b.AddProvider(this.Logs).SetMinimumLevel(LogLevel.Trace));

        private static byte[] Unzipped(byte[] content)
        {
            if (content is not [0x1f, 0x8b, ..])
            {
                return content;
            }

            using var gzip = new GZipStream(new MemoryStream(content), CompressionMode.Decompress);
            using var plain = new MemoryStream();
            gzip.CopyTo(plain);
            return plain.ToArray();
        }
    }
}
