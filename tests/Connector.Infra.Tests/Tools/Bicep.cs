using System.Reflection;
using System.Text.Json.Nodes;
using Connector.Testing;

namespace Connector.Infra.Tests.Tools;

/// <summary>
/// The Bicep CLI from the NuGet package <c>Azure.Bicep.CommandLine.linux-x64</c>, which restore downloads through the
/// test project's PackageDownload item. Everything it does here is offline: build, lint and snapshot (a what-if
/// computed from the template and parameters alone, with modules, loops and guid() evaluated).
/// </summary>
internal static class Bicep
{
    /// <summary>Subscription, tenant and region the snapshots are computed for.</summary>
    public const string SubscriptionId = "00000000-0000-0000-0000-0000000000aa";
    public const string TenantId = "00000000-0000-0000-0000-0000000000bb";
    public const string Location = "westeurope";

    private static readonly Lazy<string> Executable = new(Locate);

    private static readonly Lazy<(CommandResult Result, JsonObject? Template)> Compiled = new(Build);

    /// <summary>Gets infra/main.bicep.</summary>
    public static string MainTemplate => Path.Combine(RepositoryRoot.Path, "infra", "main.bicep");

    /// <summary>Runs the CLI from the repository root.</summary>
    public static CommandResult Run(params string[] arguments) => Processes.Run(Executable.Value, arguments, RepositoryRoot.Path);

    /// <summary>Gets infra/main.bicep compiled to ARM JSON (compiled once per test run).</summary>
    public static (CommandResult Result, JsonObject? Template) MainCompiled => Compiled.Value;

    private static (CommandResult Result, JsonObject? Template) Build()
    {
        CommandResult result = Run("build", MainTemplate, "--stdout");
        return (result, result.ExitCode == 0 ? JsonNode.Parse(result.StandardOutput)!.AsObject() : null);
    }

    /// <summary>
    /// Computes the resources a deployment of infra/main.bicep with these parameters (Bicep literals, by name) would
    /// create. Values only known after deployment stay ARM expressions (<c>[reference(...).principalId]</c>).
    /// </summary>
    public static JsonObject Snapshot(IReadOnlyDictionary<string, string> parameters)
    {
        string directory = Directory.CreateTempSubdirectory("connector-bicep-").FullName;
        try
        {
            // A parameters file may only name its template by a relative path.
            string relative = Path.GetRelativePath(directory, MainTemplate).Replace('\\', '/');
            string file = Path.Combine(directory, "test.bicepparam");
            File.WriteAllText(
                file,
                $"using '{relative}'\n" + string.Concat(parameters.Select(p => $"param {p.Key} = {p.Value}\n")));
            CommandResult result = Run(
                "snapshot", file, "--subscription-id", SubscriptionId, "--tenant-id", TenantId, "--location", Location);
            string snapshot = Path.Combine(directory, "test.snapshot.json");
            if (result.ExitCode != 0 || !File.Exists(snapshot))
            {
                throw new InvalidOperationException("bicep snapshot failed:\n" + result.Transcript);
            }

            return JsonNode.Parse(File.ReadAllText(snapshot))!.AsObject();
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string Locate()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The tests use the linux-x64 Bicep CLI package.");
        }

        Assembly assembly = typeof(Bicep).Assembly;
        string Metadata(string key) => assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
        string version = Metadata("BicepCliVersion");

        // The packages folder restore used: NUGET_PACKAGES when set, else ~/.nuget/packages; the build's own value last.
        string[] roots =
        [
            Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? string.Empty,
            Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
            Metadata("NuGetPackageRoot"),
        ];
        string[] candidates = roots
            .Where(root => root.Length > 0)
            .Select(root => Path.Combine(root, "azure.bicep.commandline.linux-x64", version, "tools", "bicep"))
            .ToArray();
        string executable = candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException(
                "The Bicep CLI is not in the NuGet packages folder; run `dotnet restore` (it comes with the test project's "
                + "PackageDownload). Looked at: " + string.Join(", ", candidates));

        // NuGet does not always keep the execute bit of files it extracts.
        UnixFileMode mode = File.GetUnixFileMode(executable);
        if (!mode.HasFlag(UnixFileMode.UserExecute))
        {
            File.SetUnixFileMode(executable, mode | UnixFileMode.UserExecute);
        }

        return executable;
    }
}
