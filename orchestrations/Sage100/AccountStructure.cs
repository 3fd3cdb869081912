using System.Text;

namespace Connector.Orchestrations.Sage100;

/// <summary>One segment of a Sage 100 GL account structure. Segment 1 is the main account.</summary>
/// <param name="Number">1-based segment number (1..10).</param>
/// <param name="Length">Fixed length of the segment's values (main 3-15, others 1-15).</param>
/// <param name="Description">E.g. "Main Account", "Division", "Department".</param>
public sealed record AccountSegment(int Number, int Length, string Description);

/// <summary>An account split into its segments.</summary>
/// <param name="Account">The formatted account, e.g. <c>400-01-02</c>.</param>
/// <param name="RawAccount">The account without separators, e.g. <c>4000102</c>.</param>
/// <param name="Segments">The segment values, segment 1 first.</param>
public sealed record ParsedAccount(string Account, string RawAccount, IReadOnlyList<string> Segments)
{
    /// <summary>Gets the main account (segment 1).</summary>
    public string Main => this.Segments[0];

    /// <summary>Gets the value of segment <paramref name="number"/> (1-based).</summary>
    public string Segment(int number) => this.Segments[number - 1];

    /// <summary>Two parsed accounts are equal when their text and segments are.</summary>
    public bool Equals(ParsedAccount? other)
        => other is not null && this.Account == other.Account && this.RawAccount == other.RawAccount && this.Segments.SequenceEqual(other.Segments);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(this.Account, this.RawAccount);
}

/// <summary>Thrown when an account does not fit the company's structure. The message names the account and the problem.</summary>
public sealed class AccountFormatException : FormatException
{
    public AccountFormatException(string account, string problem)
        : base($"Account '{account}' is not valid: {problem}")
    {
        this.Account = account;
        this.Problem = problem;
    }

    public AccountFormatException()
        : this(string.Empty, "malformed")
    {
    }

    public AccountFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        this.Account = string.Empty;
        this.Problem = message;
    }

    /// <summary>Gets the rejected account text.</summary>
    public string Account { get; }

    /// <summary>Gets what is wrong with it.</summary>
    public string Problem { get; }
}

/// <summary>
/// A company's GL account structure (1 to 10 segments, at most 32 raw characters), as the agent reports it.
/// Parses formatted accounts (<c>6000-01-00</c>) and raw ones (<c>60000100</c>) into segments and composes them
/// back. Never assumes a segment count: everything follows the segments given.
/// </summary>
public sealed class AccountStructure
{
    private static readonly System.Buffers.SearchValues<char> LettersAndDigits = System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");

    /// <summary>Sage's limit on the raw (separator-less) account length.</summary>
    public const int MaxRawLength = 32;

    public AccountStructure(string separator, IEnumerable<AccountSegment> segments)
    {
        ArgumentNullException.ThrowIfNull(separator);
        this.Segments = segments.OrderBy(s => s.Number).ToList();
        if (this.Segments.Count is < 1 or > 10)
        {
            throw new ArgumentException($"An account structure has 1 to 10 segments, not {this.Segments.Count}.", nameof(segments));
        }

        for (int i = 0; i < this.Segments.Count; i++)
        {
            AccountSegment s = this.Segments[i];
            if (s.Number != i + 1 || s.Length is < 1 or > 15)
            {
                throw new ArgumentException($"Segment {s.Number} ({s.Description}) is invalid: segments are numbered 1..n and 1-15 characters long.", nameof(segments));
            }
        }

        if (this.Segments.Count > 1 && separator.Length != 1)
        {
            throw new ArgumentException("A structure with several segments needs a one-character separator.", nameof(separator));
        }

        this.Separator = this.Segments.Count > 1 ? separator : string.Empty;
        this.RawLength = this.Segments.Sum(s => s.Length);
        if (this.RawLength > MaxRawLength)
        {
            throw new ArgumentException($"The segments add up to {this.RawLength} characters; Sage allows at most {MaxRawLength}.", nameof(segments));
        }
    }

    /// <summary>Gets the separator ("" with a single segment).</summary>
    public string Separator { get; }

    /// <summary>Gets the segments, segment 1 first.</summary>
    public IReadOnlyList<AccountSegment> Segments { get; }

    /// <summary>Gets the length of a raw account.</summary>
    public int RawLength { get; }

    /// <summary>Finds a segment by its description (e.g. "Department"), case-insensitive; null when absent.</summary>
    public AccountSegment? FindSegment(string description)
        => this.Segments.FirstOrDefault(s => string.Equals(s.Description.Trim(), description.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>Parses a formatted account.</summary>
    /// <exception cref="AccountFormatException">Wrong segment count, a segment of the wrong length, or a character that is not a letter or digit.</exception>
    public ParsedAccount Parse(string account)
        => this.TryParse(account, out ParsedAccount? parsed, out string? problem) ? parsed : throw new AccountFormatException(account ?? string.Empty, problem);

    /// <summary>Parses a formatted account without throwing.</summary>
    public bool TryParse(string? account, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ParsedAccount? parsed, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? problem)
    {
        parsed = null;
        if (string.IsNullOrWhiteSpace(account))
        {
            problem = "it is empty.";
            return false;
        }

        string text = account.Trim();
        string[] values = this.Separator.Length == 0 ? [text] : text.Split(this.Separator[0]);
        if (values.Length != this.Segments.Count)
        {
            problem = $"it has {values.Length} segment(s) but the structure {this.Describe()} has {this.Segments.Count}.";
            return false;
        }

        return this.TryBuild(values, out parsed, out problem);
    }

    /// <summary>Parses a raw account (no separators) by the segment lengths.</summary>
    /// <exception cref="AccountFormatException">Wrong length or characters.</exception>
    public ParsedAccount ParseRaw(string rawAccount)
    {
        string raw = (rawAccount ?? string.Empty).Trim();
        if (raw.Length != this.RawLength)
        {
            throw new AccountFormatException(raw, $"a raw account of the structure {this.Describe()} has {this.RawLength} characters, not {raw.Length}.");
        }

        var values = new List<string>();
        int at = 0;
        foreach (AccountSegment s in this.Segments)
        {
            values.Add(raw.Substring(at, s.Length));
            at += s.Length;
        }

        return this.TryBuild(values, out ParsedAccount? parsed, out string? problem) ? parsed : throw new AccountFormatException(raw, problem);
    }

    /// <summary>Composes a formatted account from segment values, segment 1 first.</summary>
    /// <exception cref="AccountFormatException">Wrong number of values, lengths or characters.</exception>
    public string Format(IReadOnlyList<string> segmentValues)
    {
        ArgumentNullException.ThrowIfNull(segmentValues);
        string shown = string.Join(this.Separator.Length == 0 ? "" : this.Separator, segmentValues);
        if (segmentValues.Count != this.Segments.Count)
        {
            throw new AccountFormatException(shown, $"{segmentValues.Count} segment value(s) given but the structure {this.Describe()} has {this.Segments.Count}.");
        }

        return this.TryBuild(segmentValues, out ParsedAccount? parsed, out string? problem) ? parsed.Account : throw new AccountFormatException(shown, problem);
    }

    /// <summary>Returns the raw form of a formatted account.</summary>
    public string ToRaw(string account) => this.Parse(account).RawAccount;

    /// <summary>Describes the structure, e.g. <c>Main Account(3)-Division(2)-Department(2)</c>.</summary>
    public string Describe() => string.Join(this.Separator.Length == 0 ? "" : this.Separator, this.Segments.Select(s => $"{s.Description}({s.Length})"));

    /// <inheritdoc/>
    public override string ToString() => this.Describe();

    private bool TryBuild(IReadOnlyList<string> values, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ParsedAccount? parsed, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? problem)
    {
        parsed = null;
        var raw = new StringBuilder();
        for (int i = 0; i < this.Segments.Count; i++)
        {
            AccountSegment s = this.Segments[i];
            string v = values[i];
            if (v.Length != s.Length)
            {
                problem = $"segment {s.Number} ({s.Description}) is '{v}' with {v.Length} character(s); it must have {s.Length}.";
                return false;
            }

            int bad = v.AsSpan().IndexOfAnyExcept(LettersAndDigits);
            if (bad >= 0)
            {
                problem = $"segment {s.Number} ({s.Description}) contains '{v[bad]}'; only letters and digits are allowed.";
                return false;
            }

            raw.Append(v);
        }

        problem = null;
        parsed = new ParsedAccount(string.Join(this.Separator, values), raw.ToString(), values.ToList());
        return true;
    }
}
