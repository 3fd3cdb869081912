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

    [Fact]
    public void AzureYaml_RunsThePostprovisionHook_WhichExists()
    {
        string yaml = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "azure.yaml"));
        Match hook = PostprovisionHook().Match(yaml);
        Assert.True(hook.Success, "azure.yaml has no postprovision hook");
        Assert.Equal("sh", hook.Groups["shell"].Value);
        Assert.True(File.Exists(Path.Combine(RepositoryRoot.Path, hook.Groups["run"].Value)));
    }

    [Fact]
    public void PostprovisionHook_ListsEverySecretTheConnectionsName_WithItsStateAndHowToLoadIt()
    {
        // A stand-in `az` that holds one of the secrets.
        string names = Deployment.Full.Outputs["CONNECTOR_SECRET_NAMES"]!.GetValue<string>();
        (CommandResult result, string calls) = RunHook("echo sage-abc-apikey\necho unrelated-secret\n", names, "20.50.60.70");

        Assert.True(result.ExitCode == 0, result.Transcript);
        string output = result.StandardOutput;
        Assert.Matches(@"sage-abc-apikey\s+present", output);
        foreach (string name in names.Split(' ').Where(n => n != "sage-abc-apikey"))
        {
            Assert.Matches($@"{Regex.Escape(name)}\s+MISSING", output);
        }

        Assert.Contains("az keyvault secret set --vault-name kvtest --name <name> --file", output, StringComparison.Ordinal);
        Assert.Contains("Admit 20.50.60.70, and nothing else", output, StringComparison.Ordinal);

        // It only ever listed names: never a `show` or a `set` that would touch a value.
        Assert.Equal("keyvault secret list --vault-name kvtest --query [].name -o tsv", calls.Trim());
    }

    [Fact]
    public void PostprovisionHook_VaultUnreachable_SaysSo_AndStillSucceeds()
    {
        (CommandResult result, _) = RunHook("echo 'ERROR: public network access is disabled' >&2\nexit 1\n", "sage-abc-apikey anaplan-abc-password", string.Empty);
        Assert.True(result.ExitCode == 0, result.Transcript);
        Assert.Matches(@"anaplan-abc-password\s+not checked", result.StandardOutput);
        Assert.Contains("operatorIpRules", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("No NAT gateway", result.StandardOutput, StringComparison.Ordinal);
    }

    /// <summary>Runs the hook with a stand-in <c>az</c> (the given script body), returning its result and how az was called.</summary>
    private static (CommandResult Result, string AzCalls) RunHook(string azScript, string secretNames, string outboundIp)
    {
        string bin = Directory.CreateTempSubdirectory("connector-az-").FullName;
        try
        {
            string calls = Path.Combine(bin, "calls.txt");
            WriteScript(Path.Combine(bin, "az"), $"echo \"$@\" >> '{calls}'\n{azScript}");
            CommandResult result = Processes.Run(
                "sh",
                [Path.Combine(RepositoryRoot.Path, "infra", "hooks", "postprovision.sh")],
                RepositoryRoot.Path,
                new Dictionary<string, string>
                {
                    ["PATH"] = $"{bin}:/usr/bin:/bin",
                    ["AZURE_KEY_VAULT_NAME"] = "kvtest",
                    ["CONNECTOR_SECRET_NAMES"] = secretNames,
                    ["OUTBOUND_PUBLIC_IP"] = outboundIp,
                });
            return (result, File.Exists(calls) ? File.ReadAllText(calls) : string.Empty);
        }
        finally
        {
            Directory.Delete(bin, recursive: true);
        }
    }

    private static void WriteScript(string path, string body)
    {
        File.WriteAllText(path, "#!/bin/sh\n" + body);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("The postprovision hook is a POSIX shell script.");
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    [GeneratedRegex(@"^hooks:\s*\n\s+postprovision:\s*\n\s+posix:\s*\n\s+shell:\s*(?<shell>\S+)\s*\n\s+run:\s*\./(?<run>\S+)", RegexOptions.Multiline)]
    private static partial Regex PostprovisionHook();

    [GeneratedRegex(@"^\$\{AZURE_[A-Z0-9_]+(?:=(?<default>[^}]*))?\}$")]
    private static partial Regex Substitution();

    [GeneratedRegex(@"^services:\s*\n\s+(?<name>[a-z0-9-]+):\s*\n\s+project:\s*(?<project>\S+)\s*\n\s+language:\s*(?<language>\S+)\s*\n\s+host:\s*(?<host>\S+)", RegexOptions.Multiline)]
    private static partial Regex Service();
}
