using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using YamlDotNet.RepresentationModel;

namespace Connector.Agent.Tests;

/// <summary>
/// agent/openapi.yaml read as JSON: checks that a response's status is declared for its operation and that its
/// body validates against the declared schema (JSON Schema 2020-12, OpenAPI 3.1).
/// </summary>
public sealed class OpenApiContract
{
    private static readonly Lazy<OpenApiContract> Shared = new(() => new OpenApiContract(Path.Combine(AppContext.BaseDirectory, "openapi.yaml")));
    private readonly JsonObject document;

    private OpenApiContract(string path)
    {
        using var reader = new StreamReader(path);
        var yaml = new YamlStream();
        yaml.Load(reader);
        this.document = (JsonObject)ToJson(yaml.Documents[0].RootNode)!;
    }

    public static OpenApiContract Instance => Shared.Value;

    public JsonObject Paths => (JsonObject)this.document["paths"]!;

    /// <summary>Validates a response to <paramref name="method"/> <paramref name="pathTemplate"/>; returns the body.</summary>
    public async Task<JsonNode?> CheckAsync(HttpResponseMessage response, string pathTemplate, string method)
    {
        int status = (int)response.StatusCode;
        string text = await response.Content.ReadAsStringAsync();
        JsonObject operation = this.Paths[pathTemplate]?[method.ToLowerInvariant()] as JsonObject
            ?? throw new Xunit.Sdk.XunitException($"openapi.yaml has no operation {method} {pathTemplate}.");
        JsonNode? declared = operation["responses"]?[status.ToString(CultureInfo.InvariantCulture)]
            ?? throw new Xunit.Sdk.XunitException($"{method} {pathTemplate} answered {status}, which openapi.yaml does not declare. Body: {text}");
        declared = this.Resolve(declared);
        JsonNode? schemaNode = declared["content"]?["application/json"]?["schema"];
        if (schemaNode is null)
        {
            Assert.True(text.Length == 0, $"{method} {pathTemplate} {status} declares no body but returned: {text}");
            return null;
        }

        JsonNode? body = JsonNode.Parse(text);
        EvaluationResults result = this.SchemaFor(schemaNode).Evaluate(body, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (!result.IsValid)
        {
            string errors = string.Join("; ", (result.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));
            throw new Xunit.Sdk.XunitException($"{method} {pathTemplate} {status} does not match openapi.yaml: {errors}\nBody: {text}");
        }

        if (declared["headers"]?["Retry-After"] is not null && status is 423)
        {
            Assert.True(response.Headers.RetryAfter is not null, $"{method} {pathTemplate} {status} must send Retry-After.");
        }

        return body;
    }

    private JsonNode Resolve(JsonNode node)
    {
        while (node["$ref"]?.GetValue<string>() is { } reference)
        {
            string[] parts = reference.TrimStart('#', '/').Split('/');
            node = parts.Aggregate<string, JsonNode>(this.document, (n, p) => n[p]!);
        }

        return node;
    }

    private JsonSchema SchemaFor(JsonNode schema)
    {
        // Component schemas become $defs of one self-contained schema, so every $ref resolves inside it.
        var root = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$defs"] = this.document["components"]!["schemas"]!.DeepClone(),
        };
        foreach ((string key, JsonNode? value) in schema.DeepClone().AsObject().ToList())
        {
            root[key] = value?.DeepClone();
        }

        string json = root.ToJsonString().Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal);
        return JsonSchema.FromText(json);
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, ToJson(kv.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(ToJson).ToArray()),
        YamlScalarNode s when s.Style is YamlDotNet.Core.ScalarStyle.Plain => Plain(s.Value),
        YamlScalarNode s => JsonValue.Create(s.Value),
        _ => null,
    };

    private static JsonNode? Plain(string? value)
    {
        if (value is null or "null" or "~")
        {
            return null;
        }

        if (value is "true" or "false")
        {
            return JsonValue.Create(value == "true");
        }

        if (long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long l))
        {
            return JsonValue.Create(l);
        }

        if (decimal.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out decimal d))
        {
            return JsonValue.Create(d);
        }

        return JsonValue.Create(value);
    }
}

internal static class JsonNodeExtensions
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    public static string Str(this JsonNode? node, string name) => node![name]!.GetValue<string>();

    public static JsonArray Items(this JsonNode? node) => (JsonArray)node!["items"]!;

    public static StringContent AsJson(this object value) => new(JsonSerializer.Serialize(value, Web), System.Text.Encoding.UTF8, "application/json");
}
