using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Connector.Infra.Tests.Tools;
using Connector.Testing;

namespace Connector.Infra.Tests;

/// <summary>infra/**/*.bicep as the Bicep CLI sees it: it compiles, it lints clean, and the compiled ARM JSON is safe.</summary>
public sealed partial class BicepTemplateTests
{
    private static JsonObject Template => Bicep.MainCompiled.Template ?? throw new InvalidOperationException(Bicep.MainCompiled.Result.Transcript);

    [Fact]
    public void Build_MainTemplate_CompilesWithoutDiagnostics()
    {
        CommandResult result = Bicep.MainCompiled.Result;
        Assert.True(result.ExitCode == 0, result.Transcript);
        Assert.DoesNotMatch(Diagnostic(), result.StandardError);
    }

    [Fact]
    public void Lint_EveryBicepFile_HasNoErrorsOrWarnings()
    {
        // No warning is accepted: a rule worth breaking gets a #disable-next-line with its reason in the source.
        string[] files = Directory.GetFiles(Path.Combine(RepositoryRoot.Path, "infra"), "*.bicep", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        CommandResult result = Bicep.Run("lint", "--pattern", "infra/**/*.bicep");
        Assert.True(result.ExitCode == 0, result.Transcript);
        Assert.DoesNotMatch(Diagnostic(), result.StandardOutput + result.StandardError);
    }

    [Fact]
    public void CompiledTemplate_NeverReadsKeysOrTokens()
    {
        // With shared keys disabled nothing may depend on them: no listKeys(), no SAS, no connection string with a key.
        string json = Template.ToJsonString();
        foreach (string function in new[] { "listKeys(", "listAccountSas(", "listServiceSas(", "listConnectionStrings(", "AccountKey=" })
        {
            Assert.DoesNotContain(function, json, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void CompiledTemplate_HasNoSecretParameters()
    {
        // Secrets go into Key Vault with `az keyvault secret set`, never through the template.
        foreach (JsonObject template in Templates(Template))
        {
            foreach ((string name, JsonNode? parameter) in template["parameters"]?.AsObject() ?? [])
            {
                string type = parameter!["type"]!.GetValue<string>();
                Assert.False(type.StartsWith("secure", StringComparison.OrdinalIgnoreCase), $"parameter {name} is {type}");
            }
        }
    }

    [Theory]
    [InlineData("Microsoft.Storage/storageAccounts", "allowSharedKeyAccess", "false")]
    [InlineData("Microsoft.Storage/storageAccounts", "minimumTlsVersion", "\"TLS1_2\"")]
    [InlineData("Microsoft.Storage/storageAccounts", "allowBlobPublicAccess", "false")]
    [InlineData("Microsoft.KeyVault/vaults", "enableRbacAuthorization", "true")]
    [InlineData("Microsoft.Insights/components", "DisableLocalAuth", "true")]
    [InlineData("Microsoft.Web/sites", "httpsOnly", "true")]
    public void CompiledTemplate_SecuritySetting_IsALiteral(string type, string property, string value)
    {
        // Literal in the template, so no parameter can turn it off.
        var resources = Templates(Template).SelectMany(Resources)
            .Where(r => r["type"]?.GetValue<string>() == type && r["existing"]?.GetValue<bool>() != true)
            .ToList();
        Assert.Single(resources);
        Assert.Equal(value, resources[0]["properties"]![property]?.ToJsonString());
    }

    /// <summary>The template and every module template nested in it.</summary>
    private static IEnumerable<JsonObject> Templates(JsonObject template)
    {
        yield return template;
        foreach (JsonObject resource in Resources(template))
        {
            if (resource["properties"] is JsonObject { } properties && properties["template"] is JsonObject nested)
            {
                foreach (JsonObject inner in Templates(nested))
                {
                    yield return inner;
                }
            }
        }
    }

    /// <summary>Resources of one template: an array, or (languageVersion 2.0) an object keyed by symbolic name.</summary>
    private static IEnumerable<JsonObject> Resources(JsonObject template)
        => template["resources"] switch
        {
            JsonArray array => array.Select(r => r!.AsObject()),
            JsonObject byName => byName.Select(r => r.Value!.AsObject()),
            _ => [],
        };

    [GeneratedRegex(@"\) : (Error|Warning) ")]
    private static partial Regex Diagnostic();
}
