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
    /// Runs <c>bicep snapshot</c> on a parameter file of infra/snapshots: <paramref name="validate"/> compares the
    /// resources a deployment would create (modules, loops and guid() evaluated offline; values only known after
    /// deployment left as ARM expressions) with the committed <c>.snapshot.json</c>; otherwise the file is rewritten.
    /// </summary>
    public static CommandResult Snapshot(string parametersFile, bool validate = true)
        => Run(
            "snapshot", parametersFile, "--mode", validate ? "validate" : "overwrite",
            "--subscription-id", SubscriptionId, "--tenant-id", TenantId, "--location", Location);

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
