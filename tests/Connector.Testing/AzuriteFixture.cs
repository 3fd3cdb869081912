using Connector.Local.Hosting;

namespace Connector.Testing;

/// <summary>
/// The storage the tests run against: the Azurite given by the <c>CONNECTOR_TEST_STORAGE</c> environment variable
/// (a connection string; CI starts one and sets it), or else one private Azurite per test process, started from the
/// repository's node_modules on free loopback ports with in-memory persistence and killed by PID when the process ends.
/// </summary>
public static class TestStorage
{
    /// <summary>Environment variable naming an existing storage connection string to reuse.</summary>
    public const string EnvironmentVariable = "CONNECTOR_TEST_STORAGE";

    private static readonly Lazy<Task<string>> Shared = new(StartAsync, LazyThreadSafetyMode.ExecutionAndPublication);
    private static Azurite? owned;

    /// <summary>Gets a connection string to a running storage emulator.</summary>
    public static Task<string> GetConnectionStringAsync() => Shared.Value;

    /// <summary>Gets the Azurite this process started, if it started one.</summary>
    public static Azurite? OwnedAzurite => owned;

    private static async Task<string> StartAsync()
    {
        string? given = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(given))
        {
            return given;
        }

        owned = await Azurite.StartAsync(RepositoryRoot.Path);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => owned.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(10));
        return owned.ConnectionString;
    }
}

/// <summary>Unique, valid names for task hubs, containers and tables, so test classes never share state.</summary>
public static class UniqueNames
{
    /// <summary>A task hub name: letters and digits, starting with a letter, at most 45 characters.</summary>
    public static string TaskHub(string prefix) => Compose(prefix, 45);

    /// <summary>A blob container name: lower-case letters and digits, 3–63 characters.</summary>
    public static string Container(string prefix) => Compose(prefix, 63).ToLowerInvariant();

    /// <summary>A table name: letters and digits, starting with a letter, 3–63 characters.</summary>
    public static string Table(string prefix) => Compose(prefix, 63);

    private static string Compose(string prefix, int max)
    {
        string clean = new(prefix.Where(char.IsAsciiLetterOrDigit).ToArray());
        if (clean.Length == 0 || !char.IsAsciiLetter(clean[0]))
        {
            clean = "t" + clean;
        }

        string suffix = Guid.NewGuid().ToString("N")[..12];
        clean = clean.Length + suffix.Length > max ? clean[..(max - suffix.Length)] : clean;
        return clean + suffix;
    }
}

/// <summary>Locates the repository root (the directory holding Connector.sln).</summary>
public static class RepositoryRoot
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Connector.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Connector.sln was not found above " + AppContext.BaseDirectory);
    });

    /// <summary>Gets the repository root path.</summary>
    public static string Path => Root.Value;
}
