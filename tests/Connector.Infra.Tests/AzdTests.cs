using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Connector.Infra.Tests.Tools;
using Connector.Testing;

namespace Connector.Infra.Tests;

/// <summary>What `azd up` reads: azure.yaml and infra/main.parameters.json, against the template they drive.</summary>
public sealed partial class AzdTests
{
    private static readonly Lazy<JsonObject> TemplateParameters = new(() =>
        Bicep.MainCompiled.Template?["parameters"]!.AsObject() ?? throw new InvalidOperationException("infra/main.bicep does not compile."));

    private static JsonObject ParametersFile
        => JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "infra", "main.parameters.json")))!["parameters"]!.AsObject();

    [Fact]
    public void ParametersFile_HoldsOnlyAzureEnvironmentSubstitutions()
    {
        Assert.All(ParametersFile, p => Assert.Matches(Substitution(), p.Value!["value"]!.GetValue<string>()));
    }

    [Fact]
    public void ParametersFile_NamesOnlyTemplateParameters_AndEveryRequiredOne()
    {
        JsonObject template = TemplateParameters.Value;
        Assert.DoesNotContain(ParametersFile.Select(p => p.Key), name => !template.ContainsKey(name));
        var required = template.Where(p => p.Value!["defaultValue"] is null).Select(p => p.Key).ToList();
        Assert.Equal(["environmentName", "location"], required.Order(StringComparer.Ordinal));
        Assert.All(required, name => Assert.True(ParametersFile.ContainsKey(name), $"{name} has no value in main.parameters.json"));
    }

    [Fact]
    public void ParametersFile_FallbackValues_MatchTheTemplateDefaults()
    {
        // `${AZURE_X=default}` is what azd passes when AZURE_X is unset; it must not silently change the template default.
        foreach ((string name, JsonNode? value) in ParametersFile)
        {
            Match match = Substitution().Match(value!["value"]!.GetValue<string>());
            if (!match.Groups["default"].Success)
            {
                continue;
            }

            JsonNode templateDefault = TemplateParameters.Value[name]!["defaultValue"]!;
            string fallback = match.Groups["default"].Value;
            JsonNode? parsed = templateDefault.GetValueKind() == System.Text.Json.JsonValueKind.String ? JsonValue.Create(fallback) : JsonNode.Parse(fallback);
            Assert.True(JsonNode.DeepEquals(templateDefault, parsed), $"{name}: main.parameters.json falls back to '{fallback}', the template default is {templateDefault.ToJsonString()}");
        }
    }

    [Fact]
    public void AzureYaml_DeploysTheFunctionsProject_ToTheTaggedFunctionApp()
    {
        string yaml = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "azure.yaml"));
        Match service = Service().Match(yaml);
        Assert.True(service.Success, "azure.yaml has no service with project, language and host");
        Assert.Equal("dotnet", service.Groups["language"].Value);
        Assert.Equal("function", service.Groups["host"].Value);
        Assert.True(File.Exists(Path.Combine(RepositoryRoot.Path, service.Groups["project"].Value, "Connector.Functions.csproj")));

        // azd finds the app to deploy to by the azd-service-name tag.
        Assert.Equal(service.Groups["name"].Value, Deployment.Text(Deployment.Full.Single("Microsoft.Web/sites"), "tags.azd-service-name"));
    }

    [GeneratedRegex(@"^\$\{AZURE_[A-Z0-9_]+(?:=(?<default>[^}]*))?\}$")]
    private static partial Regex Substitution();

    [GeneratedRegex(@"^services:\s*\n\s+(?<name>[a-z0-9-]+):\s*\n\s+project:\s*(?<project>\S+)\s*\n\s+language:\s*(?<language>\S+)\s*\n\s+host:\s*(?<host>\S+)", RegexOptions.Multiline)]
    private static partial Regex Service();
}
