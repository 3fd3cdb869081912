using System.Text.RegularExpressions;

namespace Connector.Emulators.Anaplan.Model;

/// <summary>What an injected fault does to a matching request.</summary>
public enum FaultKind
{
    /// <summary>Answer with a status code (and an Anaplan error body) without running the request.</summary>
    Fail,

    /// <summary>Abort the connection without an answer.</summary>
    Drop,

    /// <summary>Wait (on the emulator clock) before running the request normally.</summary>
    Delay,
}

/// <summary>
/// A fault rule. <see cref="Route"/> is <c>"METHOD /path/pattern"</c> or just <c>"/path/pattern"</c> (any method);
/// in the pattern <c>*</c> matches within one path segment and <c>**</c> matches across segments, e.g.
/// <c>PUT /2/0/workspaces/*/models/*/files/*/chunks/*</c> or <c>/token/**</c>.
/// </summary>
public sealed class FaultRule
{
    public string Route { get; set; } = "/**";

    public FaultKind Kind { get; set; } = FaultKind.Fail;

    /// <summary>For <see cref="FaultKind.Fail"/>: the status to answer.</summary>
    public int StatusCode { get; set; } = 503;

    /// <summary>For <see cref="FaultKind.Fail"/>: a Retry-After value in seconds to send, if any.</summary>
    public int? RetryAfterSeconds { get; set; }

    /// <summary>For <see cref="FaultKind.Delay"/>: how long to wait.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>How many matching requests the rule still applies to.</summary>
    public int Remaining { get; set; } = 1;

    internal Regex? Compiled { get; set; }

    internal string? Method { get; set; }
}

/// <summary>Faults injected by configuration: tests and demos add rules, matching requests consume them.</summary>
public sealed class EmulatorFaults
{
    private readonly List<FaultRule> rules = [];
    private readonly HashSet<string> failingImports = new(StringComparer.Ordinal);

    /// <summary>Answers the next <paramref name="count"/> requests matching <paramref name="route"/> with
    /// <paramref name="statusCode"/> (e.g. 410, 429, 503, 423).</summary>
    public FaultRule FailNext(string route, int count, int statusCode, int? retryAfterSeconds = null)
        => this.Add(new FaultRule { Route = route, Kind = FaultKind.Fail, Remaining = count, StatusCode = statusCode, RetryAfterSeconds = retryAfterSeconds });

    /// <summary>Drops the connection of the next <paramref name="count"/> matching requests.</summary>
    public FaultRule DropNext(string route, int count)
        => this.Add(new FaultRule { Route = route, Kind = FaultKind.Drop, Remaining = count });

    /// <summary>Slows the next <paramref name="count"/> matching requests by <paramref name="delay"/>.</summary>
    public FaultRule Delay(string route, TimeSpan delay, int count = int.MaxValue)
        => this.Add(new FaultRule { Route = route, Kind = FaultKind.Delay, Remaining = count, Delay = delay });

    /// <summary>The next run of the import (by id or name) ends COMPLETE with <c>successful: false</c> and loads nothing.</summary>
    public void FailNextImportRun(string importIdOrName)
    {
        lock (this.rules)
        {
            this.failingImports.Add(importIdOrName);
        }
    }

    /// <summary>Adds a rule.</summary>
    /// <exception cref="ArgumentException">The route or the rule is malformed; the message names the field.</exception>
    public FaultRule Add(FaultRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        string route = rule.Route.Trim();
        int space = route.IndexOf(' ', StringComparison.Ordinal);
        string path = route;
        if (space > 0)
        {
            rule.Method = route[..space].ToUpperInvariant();
            path = route[(space + 1)..].Trim();
        }

        if (!path.StartsWith('/'))
        {
            throw new ArgumentException($"Fault route '{rule.Route}': the path must start with '/'.", nameof(rule));
        }

        if (rule.Kind == FaultKind.Fail && (rule.StatusCode < 400 || rule.StatusCode > 599))
        {
            throw new ArgumentException($"Fault route '{rule.Route}': statusCode {rule.StatusCode} is not an error status.", nameof(rule));
        }

        string pattern = "^" + Regex.Escape(path).Replace(@"\*\*", ".*", StringComparison.Ordinal).Replace(@"\*", "[^/]*", StringComparison.Ordinal) + "$";
        rule.Compiled = new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1));
        lock (this.rules)
        {
            this.rules.Add(rule);
        }

        return rule;
    }

    /// <summary>The rules that still apply.</summary>
    public IReadOnlyList<FaultRule> Active
    {
        get
        {
            lock (this.rules)
            {
                return [.. this.rules];
            }
        }
    }

    /// <summary>Removes every rule.</summary>
    public void Clear()
    {
        lock (this.rules)
        {
            this.rules.Clear();
            this.failingImports.Clear();
        }
    }

    internal FaultRule? Take(string method, string path)
    {
        lock (this.rules)
        {
            foreach (FaultRule rule in this.rules)
            {
                if ((rule.Method is null || rule.Method == method) && rule.Compiled!.IsMatch(path))
                {
                    rule.Remaining--;
                    if (rule.Remaining <= 0)
                    {
                        this.rules.Remove(rule);
                    }

                    return rule;
                }
            }
        }

        return null;
    }

    internal bool TakeImportFailure(string importId, string importName)
    {
        lock (this.rules)
        {
            return this.failingImports.Remove(importId) || this.failingImports.Remove(importName);
        }
    }
}
