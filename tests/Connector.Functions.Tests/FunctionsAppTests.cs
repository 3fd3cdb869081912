using Microsoft.Extensions.Configuration;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Connector.Orchestrations.Durable;
using Connector.Testing;

namespace Connector.Functions.Tests;

/// <summary>The Functions app as Azure Functions will load it: its generated metadata, host.json and settings.</summary>
public sealed partial class FunctionsAppTests
{
    private static readonly string OutputDirectory = Path.Combine(
        RepositoryRoot.Path,
        "functions",
        "bin",
        typeof(FunctionsAppTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Configuration").Value!,
        "net10.0");

    private static readonly Lazy<List<(string Name, string Trigger, JsonElement Binding)>> Functions = new(() =>
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(OutputDirectory, "functions.metadata")));
        return doc.RootElement.EnumerateArray()
            .Select(f =>
            {
                JsonElement trigger = f.GetProperty("bindings").EnumerateArray()
                    .Single(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));
                return (f.GetProperty("name").GetString()!, trigger.GetProperty("type").GetString()!, trigger.Clone());
            })
            .ToList();
    });

    public static TheoryData<string, string> ConnectorTaskTriggers()
    {
        var data = new TheoryData<string, string>();
        foreach (Type t in ConnectorTasks.Orchestrators)
        {
            data.Add(t.Name, "orchestrationTrigger");
        }

        foreach (Type t in ConnectorTasks.Activities)
        {
            data.Add(t.Name, "activityTrigger");
        }

        foreach (Type t in ConnectorTasks.Entities)
        {
            data.Add(t.Name, "entityTrigger");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ConnectorTaskTriggers))]
    public void FunctionsMetadata_EveryConnectorTask_HasItsTrigger(string name, string trigger)
        => Assert.Contains(Functions.Value, f => f.Name == name && f.Trigger == trigger);

    [Fact]
    public void FunctionsMetadata_DurableTriggers_AreExactlyTheConnectorTasks()
    {
        // No adapter without a task behind it, so the local host and Azure Functions run the same set.
        var durable = Functions.Value
            .Where(f => f.Trigger is "orchestrationTrigger" or "activityTrigger" or "entityTrigger")
            .Select(f => f.Name)
            .Order(StringComparer.Ordinal);
        var tasks = ConnectorTasks.Orchestrators.Concat(ConnectorTasks.Activities).Concat(ConnectorTasks.Entities)
            .Select(t => t.Name)
            .Order(StringComparer.Ordinal);
        Assert.Equal(tasks, durable);
    }

    [Theory]
    [InlineData("timerTrigger")]
    [InlineData("httpTrigger")]
    public void FunctionsMetadata_ListsScheduleAndHttpTriggers(string trigger)
        => Assert.Contains(Functions.Value, f => f.Trigger == trigger);

    [Fact]
    public void HostJson_DurableTaskAtTopLevel_HubFromSetting_AzureStorage()
    {
        using JsonDocument host = JsonDocument.Parse(File.ReadAllText(Path.Combine(OutputDirectory, "host.json")));
        JsonElement durable = host.RootElement.GetProperty("extensions").GetProperty("durableTask");
        Assert.Equal("%TASKHUB_NAME%", durable.GetProperty("hubName").GetString());
        Assert.Equal("AzureStorage", durable.GetProperty("storageProvider").GetProperty("type").GetString());
        Assert.False(host.RootElement.GetProperty("logging").TryGetProperty("extensions", out _));
    }

    [Fact]
    public void HostJson_OpenTelemetryMode_AndDurableDistributedTracing()
    {
        // The host exports with OpenTelemetry like the worker, and links orchestrations, activities and the worker's
        // spans (Durable Functions distributed tracing V2).
        using JsonDocument host = JsonDocument.Parse(File.ReadAllText(Path.Combine(OutputDirectory, "host.json")));
        Assert.Equal("OpenTelemetry", host.RootElement.GetProperty("telemetryMode").GetString());
        JsonElement tracing = host.RootElement.GetProperty("extensions").GetProperty("durableTask").GetProperty("tracing");
        Assert.True(tracing.GetProperty("distributedTracingEnabled").GetBoolean());
        Assert.Equal("V2", tracing.GetProperty("version").GetString());
        Assert.False(tracing.GetProperty("traceInputsAndOutputs").GetBoolean());
    }

    [Fact]
    public void SettingsSample_DefinesEverySettingTheBindingsAndHostReference()
    {
        using JsonDocument sample = JsonDocument.Parse(File.ReadAllText(Path.Combine(OutputDirectory, "local.settings.sample.json")));
        JsonElement values = sample.RootElement.GetProperty("Values");
        Assert.Equal("UseDevelopmentStorage=true", values.GetProperty("AzureWebJobsStorage").GetString());
        Assert.Equal("dotnet-isolated", values.GetProperty("FUNCTIONS_WORKER_RUNTIME").GetString());

        string texts = File.ReadAllText(Path.Combine(OutputDirectory, "functions.metadata"))
            + File.ReadAllText(Path.Combine(OutputDirectory, "host.json"));
        var referenced = SettingReference().Matches(texts).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.NotEmpty(referenced);
        foreach (string setting in referenced)
        {
            Assert.True(values.TryGetProperty(setting, out JsonElement value) && value.GetString() is { Length: > 0 }, $"{setting} has no value in local.settings.sample.json");
        }
    }

    [Fact]
    public void SettingsSample_ConnectorSection_PassesStartUpValidation()
    {
        // The sample's connection must be accepted as it is (placeholders with valid shapes), flows off until filled in.
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder()
            .AddJsonFile(Path.Combine(OutputDirectory, "local.settings.sample.json"))
            .Build();
        var flat = configuration.GetSection("Values").AsEnumerable(makePathsRelative: true)
            .Where(kv => kv.Value is not null)
            .ToDictionary(kv => kv.Key.Replace("__", ":", StringComparison.Ordinal), kv => kv.Value);
        var options = new Connector.Orchestrations.Configuration.ConnectorOptions();
        new Microsoft.Extensions.Configuration.ConfigurationBuilder().AddInMemoryCollection(flat).Build()
            .GetSection("Connector").Bind(options);

        Connector.Orchestrations.Configuration.ConnectorOptionsValidator.ThrowIfInvalid(options);
        Assert.Single(options.Connections);
        Assert.False(options.Connections[0].Actuals.Enabled);
    }

    [Fact]
    public void OrchestrationsAssembly_DoesNotReferenceAzureFunctions()
    {
        AssemblyName[] references = typeof(ConnectorTasks).Assembly.GetReferencedAssemblies();
        Assert.DoesNotContain(references, r => r.Name!.StartsWith("Microsoft.Azure.Functions", StringComparison.Ordinal));
    }

    [GeneratedRegex("%([A-Za-z0-9_]+)%")]
    private static partial Regex SettingReference();
}
