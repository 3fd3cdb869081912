using Microsoft.Playwright;

namespace Connector.Local.Tests.Dashboard;

/// <summary>
/// A real headless browser for the dashboard tests: Debian's <c>chromium</c> driven by Playwright for .NET through its
/// executable path (Playwright's own browser download is never used), with the flags that keep it off the network
/// (no background networking, component updates, sync or QUIC) and a new empty profile directory per launch.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    /// <summary>Where Debian's chromium package installs the browser.</summary>
    public const string ExecutablePath = "/usr/bin/chromium";

    private readonly IPlaywright playwright;
    private readonly string profile;

    private HeadlessChromium(IPlaywright playwright, IBrowserContext context, string profile)
    {
        this.playwright = playwright;
        this.Context = context;
        this.profile = profile;
    }

    /// <summary>Gets the browser context (one profile: cookies and session storage shared by its pages).</summary>
    public IBrowserContext Context { get; }

    /// <summary>
    /// Gets why the browser tests cannot run here, or null when they can. Only a machine outside CI without the browser
    /// skips them; in CI (<c>CI</c> set, as <c>.ci/run</c> sets it, which installs chromium) a missing browser fails them.
    /// </summary>
    public static string? SkipReason =>
        File.Exists(ExecutablePath) || InCi
            ? null
            : $"Chromium is not installed at {ExecutablePath}: install Debian's chromium package (apt-get install chromium) to run the dashboard's browser tests. "
                + "CI installs it (.ci/run), and there a missing browser fails these tests instead of skipping them.";

    private static bool InCi => Environment.GetEnvironmentVariable("CI") is { Length: > 0 } ci && ci != "false" && ci != "0";

    /// <summary>Launches the browser with a new empty profile.</summary>
    public static async Task<HeadlessChromium> LaunchAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException($"Chromium is not installed at {ExecutablePath}; .ci/run installs Debian's chromium package.");
        }

        IPlaywright playwright = await Playwright.CreateAsync();
        string profile = Directory.CreateTempSubdirectory("chromium-profile-").FullName;
        try
        {
            IBrowserContext context = await playwright.Chromium.LaunchPersistentContextAsync(profile, new BrowserTypeLaunchPersistentContextOptions
            {
                ExecutablePath = ExecutablePath,
                Headless = true,
                Args =
                [
                    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                ],
                ViewportSize = new ViewportSize { Width = 1440, Height = 1000 },
                AcceptDownloads = true,
                Locale = "en-US",
                TimezoneId = "UTC",
            });
            context.SetDefaultTimeout(30_000);
            return new HeadlessChromium(playwright, context, profile);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await this.Context.CloseAsync();
        this.playwright.Dispose();
        try
        {
            Directory.Delete(this.profile, recursive: true);
        }
        catch (IOException)
        {
            // the browser may still hold a file for a moment; the temp folder is cleaned by the system
        }
    }
}

/// <summary>A test that needs the headless browser: skipped, with the reason, only outside CI where chromium is missing.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (HeadlessChromium.SkipReason is { } reason)
        {
            this.Skip = reason;
        }
    }
}
