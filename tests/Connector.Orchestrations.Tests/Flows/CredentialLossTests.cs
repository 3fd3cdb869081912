using System.Text.Json.Nodes;
using Connector.Local.Demo;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Operations;
using Connector.Testing;
using Microsoft.DurableTask.Client;

namespace Connector.Orchestrations.Tests.Flows;

/// <summary>
/// A secret that goes missing (or stops decrypting) after the worker started fails the run that needs it at once,
/// naming the reference, and nothing is retried for minutes: waiting does not bring a secret back.
/// </summary>
public sealed class CredentialLossTests(CredentialLossTests.Fixture fixture) : IClassFixture<CredentialLossTests.Fixture>
{
    [Theory]
    [InlineData("removed", "No credential is stored under the reference 'sage-agent-api-key'")]
    [InlineData("undecryptable", "Credential 'sage-agent-api-key'")]
    public async Task SecretLostAfterStart_RunFailsAtOnce_NamingTheReference_WithoutRetries(string loss, string message)
    {
        string file = fixture.Environment.CredentialFile;
        string original = await File.ReadAllTextAsync(file);
        JsonNode doc = JsonNode.Parse(original)!;
        JsonObject secrets = doc["Secrets"]!.AsObject();
        if (loss == "removed")
        {
            secrets.Remove(LocalEnvironment.SageApiKeyReference);
        }
        else
        {
            // The Anaplan password's sealed value under the Sage key's reference: authenticated for another reference.
            secrets[LocalEnvironment.SageApiKeyReference] = secrets[LocalEnvironment.AnaplanPasswordReference]!.GetValue<string>();
        }

        await File.WriteAllTextAsync(file, doc.ToJsonString());
        try
        {
            DateTime started = DateTime.UtcNow;
            OrchestrationMetadata run = await fixture.RunActualsToEndAsync("abc", new ActualsRunRequest(RequestKey: Guid.NewGuid().ToString("N")), TimeSpan.FromMinutes(3));

            Assert.Equal(OrchestrationRuntimeStatus.Failed, run.RuntimeStatus);
            Assert.Contains(message, run.FailureDetails?.ErrorMessage, StringComparison.Ordinal);
            Dictionary<string, int> scheduled = await fixture.ScheduledActivitiesAsync(run.InstanceId);
            Assert.All(scheduled, s => Assert.True(s.Value == 1, $"{s.Key} was scheduled {s.Value} times"));
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(60), $"the run took {DateTime.UtcNow - started} to fail");
        }
        finally
        {
            await File.WriteAllTextAsync(file, original);
        }
    }

    public sealed class Fixture : ConnectorFlowFixture
    {
        protected override IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment) => [environment.Connection("abc", "ABC", "Department")];
    }
}
