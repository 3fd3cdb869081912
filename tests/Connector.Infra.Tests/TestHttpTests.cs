using System.Text.Json;
using System.Text.RegularExpressions;
using Connector.Infra.Tests.Tools;
using Connector.Testing;

namespace Connector.Infra.Tests;

/// <summary>functions/test.http against the HTTP triggers the Functions build declares.</summary>
public sealed partial class TestHttpTests
{
    private const string ApiPrefix = "{{baseUrl}}/api/";

    private static readonly Lazy<List<(string Method, string Url, string Block)>> Requests = new(() =>
        File.ReadAllText(Path.Combine(RepositoryRoot.Path, "functions", "test.http"))
            .Split("###")
            .Skip(1)
            .Select(block => (Block: block, Line: RequestLine().Match(block)))
            .Where(r => r.Line.Success)
            .Select(r => (r.Line.Groups["method"].Value, r.Line.Groups["url"].Value, r.Block))
            .ToList());

    public static TheoryData<string, string, string> HttpTriggers()
    {
        using JsonDocument metadata = JsonDocument.Parse(File.ReadAllText(Expectations.FunctionsMetadata));
        var data = new TheoryData<string, string, string>();
        foreach (JsonElement function in metadata.RootElement.EnumerateArray())
        {
            foreach (JsonElement binding in function.GetProperty("bindings").EnumerateArray().Where(b => b.GetProperty("type").GetString() == "httpTrigger"))
            {
                foreach (JsonElement method in binding.GetProperty("methods").EnumerateArray())
                {
                    data.Add(function.GetProperty("name").GetString()!, method.GetString()!.ToUpperInvariant(), binding.GetProperty("route").GetString()!);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(HttpTriggers))]
    public void EveryHttpTrigger_HasARequest(string function, string method, string route)
    {
        // {instanceId} matches one path segment; {action:alpha} letters only.
        string pattern = "^" + RouteParameter().Replace(Regex.Escape(route), m => m.Groups["constraint"].Value == "alpha" ? "[A-Za-z]+" : "[^/?]+") + @"(\?.*)?$";
        Assert.True(
            Requests.Value.Any(r => r.Method == method && r.Url.StartsWith(ApiPrefix, StringComparison.Ordinal) && Regex.IsMatch(r.Url[ApiPrefix.Length..], pattern)),
            $"no {method} request for {function} (/api/{route}) in functions/test.http");
    }

    [Fact]
    public void EveryRequest_UsesTheBaseUrlApiPrefix_AndTheFunctionKey()
    {
        Assert.NotEmpty(Requests.Value);
        Assert.All(Requests.Value, r => Assert.StartsWith(ApiPrefix, r.Url, StringComparison.Ordinal));
        Assert.All(Requests.Value, r => Assert.Contains("x-functions-key: {{functionKey}}", r.Block, StringComparison.Ordinal));
    }

    [Fact]
    public void EveryVariableUsed_IsDefined()
    {
        string text = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "functions", "test.http"));
        var defined = Definition().Matches(text).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.DoesNotContain(Use().Matches(text).Select(m => m.Groups[1].Value).Distinct(), v => !defined.Contains(v));
    }

    // Variables inside the URL stay as they are written.
    [GeneratedRegex(@"^(?<method>GET|POST|PUT|PATCH|DELETE) (?<url>\S+)", RegexOptions.Multiline)]
    private static partial Regex RequestLine();

    [GeneratedRegex(@"\\\{(?<name>[A-Za-z]+)(:(?<constraint>[a-z]+))?}")]
    private static partial Regex RouteParameter();

    [GeneratedRegex(@"^@([A-Za-z]+)\s*=", RegexOptions.Multiline)]
    private static partial Regex Definition();

    [GeneratedRegex(@"\{\{([A-Za-z]+)\}\}")]
    private static partial Regex Use();
}
