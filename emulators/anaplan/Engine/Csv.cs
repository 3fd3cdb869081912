using System.Text;

namespace Connector.Emulators.Anaplan.Engine;

/// <summary>An RFC 4180 reader: comma-separated, double-quoted fields, quotes doubled inside, CRLF or LF line ends,
/// line breaks allowed inside quotes. Knows the line each record starts on (Anaplan's <c>_Line_</c>).</summary>
internal sealed class CsvRecordReader(TextReader reader)
{
    private readonly StringBuilder field = new();
    private int line = 1;

    /// <summary>The 1-based line on which the last record read starts.</summary>
    public int RecordLine { get; private set; }

    /// <summary>The fields of the last record read.</summary>
    public string[] Record { get; private set; } = [];

    public bool Read()
    {
        int c = reader.Read();
        if (c < 0)
        {
            return false;
        }

        this.RecordLine = this.line;
        var fields = new List<string>();
        bool quoted = false;
        this.field.Clear();
        while (true)
        {
            if (c < 0)
            {
                fields.Add(this.field.ToString());
                break;
            }

            char ch = (char)c;
            if (quoted)
            {
                if (ch == '"')
                {
                    if (reader.Peek() == '"')
                    {
                        reader.Read();
                        this.field.Append('"');
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    if (ch == '\n')
                    {
                        this.line++;
                    }

                    this.field.Append(ch);
                }
            }
            else if (ch == '"')
            {
                quoted = true;
            }
            else if (ch == ',')
            {
                fields.Add(this.field.ToString());
                this.field.Clear();
            }
            else if (ch is '\r' or '\n')
            {
                if (ch == '\r' && reader.Peek() == '\n')
                {
                    reader.Read();
                }

                this.line++;
                fields.Add(this.field.ToString());
                break;
            }
            else
            {
                this.field.Append(ch);
            }

            c = reader.Read();
        }

        this.Record = [.. fields];
        return true;
    }
}

/// <summary>Writes RFC 4180 CSV with LF line ends, quoting only the fields that need it.</summary>
internal static class CsvText
{
    public static void AppendRecord(StringBuilder output, IEnumerable<string> fields)
    {
        bool first = true;
        foreach (string value in fields)
        {
            if (!first)
            {
                output.Append(',');
            }

            first = false;
            if (value.AsSpan().IndexOfAny(",\"\r\n") >= 0 || (value.Length > 0 && (char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1]))))
            {
                output.Append('"').Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
            }
            else
            {
                output.Append(value);
            }
        }

        output.Append('\n');
    }
}
