using Connector.Infra.Tests.Tools;

namespace Connector.Infra.Tests;

/// <summary>
/// The committed snapshots under infra/snapshots (what each sample parameter file deploys, computed offline by
/// <c>bicep snapshot</c>) are what the template deploys today. A change to the templates shows as a diff here; refresh
/// the snapshots with the command in infra/README.md and review the diff like code.
/// </summary>
public sealed class BicepSnapshotTests
{
    public static TheoryData<string> Names => [.. Deployment.SnapshotNames];

    [Theory]
    [MemberData(nameof(Names))]
    public void Snapshot_IsWhatTheTemplateDeploysToday(string name)
    {
        string parameters = Path.Combine(Deployment.SnapshotDirectory, name + ".bicepparam");
        Assert.True(File.Exists(Path.ChangeExtension(parameters, ".snapshot.json")), $"{name}.snapshot.json is not committed");
        CommandResult result = Bicep.Snapshot(parameters);
        Assert.True(result.ExitCode == 0, $"infra/snapshots/{name}.snapshot.json is stale (see infra/README.md to refresh it):\n{result.Transcript}");
    }

    [Fact]
    public void EveryParameterFile_HasItsSnapshot_AndIsTested()
    {
        var files = Directory.GetFiles(Deployment.SnapshotDirectory, "*.bicepparam").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal);
        Assert.Equal(Deployment.SnapshotNames.Order(StringComparer.Ordinal), files);
    }

    [Fact]
    public void Snapshots_HaveNoDiagnostics()
    {
        foreach (string name in Deployment.SnapshotNames)
        {
            var snapshot = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(Deployment.SnapshotDirectory, name + ".snapshot.json")))!;
            Assert.Empty(snapshot["diagnostics"]!.AsArray());
        }
    }
}
