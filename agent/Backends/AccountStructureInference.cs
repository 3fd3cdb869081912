namespace Connector.Agent.Backends;

/// <summary>
/// Infers a company's account structure by comparing GL_Account.Account (formatted) with RawAccount (no
/// separators), for installs whose GL_AccountStructure layout is unknown.
/// </summary>
public static class AccountStructureInference
{
    /// <summary>Infers the separator and segment lengths; descriptions come from <paramref name="segmentDescriptions"/> or "Segment n".</summary>
    /// <exception cref="InvalidOperationException">No accounts, or formatted and raw accounts that disagree.</exception>
    public static AccountStructureInfo Infer(IEnumerable<(string Account, string RawAccount)> accounts, IReadOnlyList<string>? segmentDescriptions = null)
    {
        string? separator = null;
        var lengths = new List<int>();
        int seen = 0;
        foreach ((string account, string raw) in accounts)
        {
            seen++;
            string a = account.Trim(), r = raw.Trim();
            char? sep = a.Where(ch => !char.IsLetterOrDigit(ch)).Select(ch => (char?)ch).FirstOrDefault();
            if (sep is { } s)
            {
                separator ??= s.ToString();
                if (separator != s.ToString())
                {
                    throw new InvalidOperationException($"Account {a} uses separator '{s}' but others use '{separator}'.");
                }
            }

            string[] parts = sep is { } x ? a.Split(x) : [a];
            if (!string.Equals(string.Concat(parts), r, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"Account {a} does not match its raw account {r}.");
            }

            for (int i = 0; i < parts.Length; i++)
            {
                if (i == lengths.Count)
                {
                    lengths.Add(0);
                }

                lengths[i] = Math.Max(lengths[i], parts[i].Length);
            }
        }

        if (seen == 0)
        {
            throw new InvalidOperationException("No GL accounts to infer the account structure from.");
        }

        var segments = lengths.Select((len, i) => new AccountSegmentInfo(i + 1, len,
            segmentDescriptions is not null && i < segmentDescriptions.Count ? segmentDescriptions[i] : i == 0 ? "Main Account" : $"Segment {i + 1}")).ToList();
        return new AccountStructureInfo(lengths.Count > 1 ? separator ?? string.Empty : string.Empty, segments, "inferred");
    }
}
