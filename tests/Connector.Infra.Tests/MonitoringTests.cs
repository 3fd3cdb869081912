using System.Reflection;
using System.Text.Json.Nodes;
using Connector.Infra.Tests.Tools;
using Connector.Orchestrations.Flows;
using Connector.Testing;

namespace Connector.Infra.Tests;

/// <summary>
/// What an operator of the deployment gets to watch and act with: diagnostic settings to Log Analytics, alerts on the
/// runs the worker reports, an action group, and the data roles the CLI and Durable Functions Monitor need.
/// </summary>
public sealed class MonitoringTests
{
    /// <summary>Run statuses that must page someone, and the ones that must not.</summary>
    private static readonly string[] FailedStatuses = ["Failed"];

    private static readonly string[] ProblemStatuses = ["CompletedWithFailures", "CompletedWithDifferences"];

    private static readonly string[] QuietStatuses = ["Running", "Completed", "CompletedWithRejections", "DryRun", "Terminated"]; // an operator terminated it

    private static readonly string[] OperatorRoles = ["Storage Blob Data Contributor", "Storage Queue Data Contributor", "Storage Table Data Contributor"];

    private static string Workspace(Deployment d) => Deployment.Id(d.Single("Microsoft.OperationalInsights/workspaces"));

    [Fact]
    public void Diagnostics_TheAppStorageServicesAndVault_SendToTheWorkspace()
    {
        Deployment full = Deployment.Full;
        string site = Deployment.Id(full.Single("Microsoft.Web/sites"));
        string storage = Deployment.Id(full.Single("Microsoft.Storage/storageAccounts"));
        string vault = Deployment.Id(full.Single("Microsoft.KeyVault/vaults"));
        var settings = Diagnostics(full);

        Assert.Equal(["FunctionAppLogs"], settings[site].Logs);
        Assert.Equal(["AuditEvent"], settings[vault].Logs);
        foreach (string service in new[] { "blobServices", "queueServices", "tableServices" })
        {
            Assert.Equal(["StorageDelete", "StorageWrite"], settings[$"{storage}/{service}/default"].Logs.Order(StringComparer.Ordinal));
        }

        Assert.Equal(["Transaction"], settings[storage].Metrics);
        Assert.All(settings.Values, s => Assert.Equal(Workspace(full), s.Workspace));
    }

    [Fact]
    public void Alerts_OneRuleForFailedRuns_OneForRunsWithFailuresOrDifferences_OnTheAppsTelemetry()
    {
        Deployment full = Deployment.Full;
        string insights = Deployment.Id(full.Single("Microsoft.Insights/components"));
        var rules = full.OfType("Microsoft.Insights/scheduledQueryRules").ToList();
        Assert.Equal(2, rules.Count);

        JsonObject failed = rules.Single(r => Deployment.Text(r, "name").Contains("run-failed", StringComparison.Ordinal));
        JsonObject problems = rules.Single(r => Deployment.Text(r, "name").Contains("run-completed-with-problems", StringComparison.Ordinal));
        Assert.Equal(FailedStatuses, AlertedStatuses(Query(failed)));
        Assert.Equal(ProblemStatuses, AlertedStatuses(Query(problems)));
        Assert.Equal("1", Deployment.Text(failed, "properties.severity"));
        Assert.Equal("2", Deployment.Text(problems, "properties.severity"));

        foreach (JsonObject rule in rules)
        {
            Assert.Equal(insights, rule["properties"]!["scopes"]!.AsArray().Single()!.GetValue<string>());
            Assert.Contains("customDimensions.EventName) == \"RunEnded\"", Query(rule), StringComparison.Ordinal);
            var dimensions = rule["properties"]!["criteria"]!["allOf"]![0]!["dimensions"]!.AsArray().Select(d => d!["name"]!.GetValue<string>());
            Assert.Equal(["ConnectionId", "Flow"], dimensions);
        }
    }

    [Fact]
    public void Alerts_EveryRunStatusIsEitherAlertedOrDeliberatelyQuiet()
    {
        // A status added to RunStatuses (issue 9 adds CompletedWithDifferences) must be classified here and, when it
        // means trouble, be in an alert query.
        var statuses = typeof(RunStatuses).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToList();
        Assert.Contains(RunStatuses.Failed, statuses);
        Assert.DoesNotContain(statuses, s => !FailedStatuses.Contains(s) && !ProblemStatuses.Contains(s) && !QuietStatuses.Contains(s));
    }

    [Fact]
    public void Alerts_NotifyTheNewActionGroupsAddresses()
    {
        Deployment full = Deployment.Full;
        JsonObject group = full.Single("Microsoft.Insights/actionGroups");
        var addresses = group["properties"]!["emailReceivers"]!.AsArray().Select(r => r!["emailAddress"]!.GetValue<string>());
        Assert.Equal(["finance-ops@example.com", "it-oncall@example.com"], addresses);
        Assert.All(full.OfType("Microsoft.Insights/scheduledQueryRules"), rule =>
            Assert.Equal(Deployment.Id(group), rule["properties"]!["actions"]!["actionGroups"]!.AsArray().Single()!.GetValue<string>()));

        // No e-mail, no action group; existing groups are notified as they are.
        Assert.Empty(Deployment.Minimal.OfType("Microsoft.Insights/actionGroups"));
        Assert.All(Deployment.LandingZone.OfType("Microsoft.Insights/scheduledQueryRules"), rule =>
            Assert.EndsWith("/actionGroups/ag-finance-oncall", rule["properties"]!["actions"]!["actionGroups"]![0]!.GetValue<string>(), StringComparison.Ordinal));
    }

    [Fact]
    public void Operators_GetTheStorageDataRolesTheCliAndDurableFunctionsMonitorNeed_AndNothingElse()
    {
        Deployment full = Deployment.Full;
        string storage = Deployment.Id(full.Single("Microsoft.Storage/storageAccounts"));
        var assignments = full.RoleAssignments().Where(a => a.Principal == Deployment.OperatorsGroupId).ToList();
        Assert.Equal(
            OperatorRoles.Select(r => Expectations.Roles[r]).Order(),
            assignments.Select(a => a.RoleId).Order());
        Assert.All(assignments, a => Assert.Equal(storage, a.Scope));
        Assert.All(assignments, a => Assert.Equal(ArmGuid.Of(storage, Deployment.OperatorsGroupId, a.RoleId), a.Name));
        Assert.All(
            full.OfType("Microsoft.Authorization/roleAssignments").Where(r => Deployment.Text(r, "properties.principalId") == Deployment.OperatorsGroupId),
            r => Assert.Equal("Group", Deployment.Text(r, "properties.principalType")));
    }

    [Fact]
    public void Tags_AreOnEveryResourceThatTakesThem()
    {
        // Resources Azure does not tag (extensions and child settings) are the only ones without.
        string[] untagged =
        [
            "Microsoft.Authorization/roleAssignments", "Microsoft.Insights/diagnosticSettings", "Microsoft.Web/sites/config",
            "Microsoft.Storage/storageAccounts/blobServices", "Microsoft.Storage/storageAccounts/blobServices/containers",
            "Microsoft.Network/privateEndpoints/privateDnsZoneGroups", "Microsoft.Storage/storageAccounts/managementPolicies",
        ];
        foreach (Deployment deployment in new[] { Deployment.Full, Deployment.Network, Deployment.LandingZone })
        {
            foreach (JsonObject resource in deployment.Resources.Where(r => !untagged.Contains(r["type"]!.GetValue<string>())))
            {
                Assert.True(
                    Deployment.Text(resource, "tags.CostCenter") == "FIN-42" && Deployment.Text(resource, "tags.azd-env-name") == "infratest",
                    $"{Deployment.Id(resource)} lacks the tags");
            }
        }
    }

    [Fact]
    public void AlertQueries_AreTheSharedFiles_SoTerraformAlertsOnTheSameSignal()
    {
        string directory = Path.Combine(RepositoryRoot.Path, "infra", "alerts");
        var queries = Deployment.Full.OfType("Microsoft.Insights/scheduledQueryRules").Select(Query).ToHashSet();
        Assert.Equal(
            queries.Order(StringComparer.Ordinal),
            Directory.GetFiles(directory, "*.kql").Select(File.ReadAllText).Order(StringComparer.Ordinal));
    }

    private static string Query(JsonObject rule) => rule["properties"]!["criteria"]!["allOf"]![0]!["query"]!.GetValue<string>();

    /// <summary>The statuses in the query's <c>RunStatus in (...)</c> filter.</summary>
    private static string[] AlertedStatuses(string query)
    {
        string list = System.Text.RegularExpressions.Regex.Match(query, @"where RunStatus in \(([^)]*)\)").Groups[1].Value;
        return list.Split(',').Select(s => s.Trim().Trim('"')).Where(s => s.Length > 0).ToArray();
    }

    private static Dictionary<string, (string Workspace, string[] Logs, string[] Metrics)> Diagnostics(Deployment deployment)
        => deployment.OfType("Microsoft.Insights/diagnosticSettings").ToDictionary(
            d => Deployment.Id(d).Split("/providers/Microsoft.Insights/diagnosticSettings/")[0],
            d => (
                Deployment.Text(d, "properties.workspaceId"),
                (d["properties"]!["logs"]?.AsArray() ?? []).Select(l => l!["category"]!.GetValue<string>()).ToArray(),
                (d["properties"]!["metrics"]?.AsArray() ?? []).Select(l => l!["category"]!.GetValue<string>()).ToArray()));
}
