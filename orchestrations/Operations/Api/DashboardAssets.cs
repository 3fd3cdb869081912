using System.Collections.Frozen;
using System.Net;
using System.Reflection;

namespace Connector.Orchestrations.Operations.Api;

/// <summary>
/// The operations dashboard: one HTML page, a style sheet and a script (plain HTML, CSS and JavaScript, no build step),
/// embedded in this assembly so the Functions app and the local host serve the same files. They hold no data and no
/// secret: the page reads everything from the operator API, with the caller's function key when the host needs one.
/// Every answer carries a strict Content-Security-Policy (only this origin's script, style and API; nothing inline,
/// no framing), so text from a run (record values, messages) can never run as script.
/// </summary>
public static class DashboardAssets
{
    /// <summary>The page's path below <c>/api/</c>; its files are at <c>dashboard/{file}</c>.</summary>
    public const string PagePath = "dashboard";

    /// <summary>The headers of every dashboard answer.</summary>
    public static readonly IReadOnlyDictionary<string, string> Headers = new Dictionary<string, string>
    {
        ["Content-Security-Policy"] = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            + "form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
        ["X-Content-Type-Options"] = "nosniff",
        ["Referrer-Policy"] = "no-referrer",
        ["Cache-Control"] = "no-cache",
    };

    private const string ResourcePrefix = "Dashboard/";

    private static readonly FrozenDictionary<string, (string Text, string ContentType)> Files = Load();

    /// <summary>Gets the names of the page's files (besides the page itself).</summary>
    public static IReadOnlyCollection<string> FileNames => [.. Files.Keys.Where(f => f != "index.html")];

    /// <summary>The page.</summary>
    public static ApiResult Page() => File("index.html");

    /// <summary>One of the page's files, or 404.</summary>
    public static ApiResult File(string name)
        => Files.TryGetValue(name ?? string.Empty, out var file)
            ? ApiResult.Text(file.Text, file.ContentType, Headers)
            : new ApiResult(HttpStatusCode.NotFound, $"The dashboard has no file '{name}'.") { ContentType = "text/plain; charset=utf-8", Headers = Headers };

    private static FrozenDictionary<string, (string Text, string ContentType)> Load()
    {
        Assembly assembly = typeof(DashboardAssets).Assembly;
        var files = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        foreach (string resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using Stream stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            string name = resource[ResourcePrefix.Length..];
            files[name] = (reader.ReadToEnd(), ContentType(name));
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".svg" => "image/svg+xml",
        _ => "text/plain; charset=utf-8",
    };
}
