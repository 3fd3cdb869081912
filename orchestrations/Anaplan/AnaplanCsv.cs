using System.Text;

namespace Connector.Orchestrations.Anaplan;

/// <summary>Reads the CSV Anaplan speaks (comma, double quotes, quotes doubled inside, LF or CRLF): a header line
/// for the pre-upload check, and failure dumps.</summary>
internal static class AnaplanCsv
{
    /// <summary>The header fields of a CSV whose start is in <paramref name="start"/> (UTF-8, BOM allowed); null when
    /// the first line does not end inside <paramref name="start"/> and more data follows.</summary>
    public static IReadOnlyList<string>? HeaderOf(ReadOnlySpan<byte> start, bool isWholeFile)
    {
        ReadOnlySpan<byte> bom = [0xEF, 0xBB, 0xBF];
        if (start.StartsWith(bom))
        {
            start = start[3..];
        }

        bool quoted = false;
        for (int i = 0; i < start.Length; i++)
        {
            byte b = start[i];
            if (b == (byte)'"')
            {
                quoted = !quoted;
            }
            else if (b == (byte)'\n' && !quoted)
            {
                return SplitLine(Encoding.UTF8.GetString(start[..i]).TrimEnd('\r'));
            }
        }

        return isWholeFile ? SplitLine(Encoding.UTF8.GetString(start).TrimEnd('\r')) : null;
    }

    /// <summary>Logical records of a CSV text: a physical line is joined with the next while its quotes are open.</summary>
    public static IEnumerable<IReadOnlyList<string>> Records(TextReader reader)
    {
        var pending = new StringBuilder();
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            if (pending.Length > 0)
            {
                pending.Append('\n');
            }

            pending.Append(line);
            if (CountQuotes(pending) % 2 != 0)
            {
                continue;
            }

            string record = pending.ToString();
            pending.Clear();
            if (record.Length > 0)
            {
                yield return SplitLine(record);
            }
        }

        if (pending.Length > 0)
        {
            yield return SplitLine(pending.ToString());
        }
    }

    /// <summary>Splits one logical record into fields.</summary>
    public static IReadOnlyList<string> SplitLine(string record)
    {
        var fields = new List<string>();
        var current = new StringBuilder();
        int i = 0;
        while (true)
        {
            current.Clear();
            if (i < record.Length && record[i] == '"')
            {
                int close = i + 1;
                while (close < record.Length)
                {
                    if (record[close] == '"' && close + 1 < record.Length && record[close + 1] == '"')
                    {
                        current.Append('"');
                        close += 2;
                    }
                    else if (record[close] == '"')
                    {
                        break;
                    }
                    else
                    {
                        current.Append(record[close++]);
                    }
                }

                int comma = record.IndexOf(',', Math.Min(close, record.Length));
                fields.Add(current.ToString());
                if (comma < 0)
                {
                    return fields;
                }

                i = comma + 1;
            }
            else
            {
                int comma = record.IndexOf(',', i);
                fields.Add(comma < 0 ? record[i..] : record[i..comma]);
                if (comma < 0)
                {
                    return fields;
                }

                i = comma + 1;
            }
        }
    }

    private static int CountQuotes(StringBuilder text)
    {
        int count = 0;
        foreach (ReadOnlyMemory<char> chunk in text.GetChunks())
        {
            count += chunk.Span.Count('"');
        }

        return count;
    }
}
