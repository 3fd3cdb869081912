using System.Buffers;
using System.Text;

namespace Connector.Emulators.Anaplan.Engine;

/// <summary>An RFC 4180 reader: comma-separated, double-quoted fields, quotes doubled inside, CRLF or LF line ends,
/// line breaks allowed inside quotes. Knows the line each record starts on (Anaplan's <c>_Line_</c>).</summary>
/// <remarks>Reads through a buffer of its own, copies each run of plain characters at once, and keeps a record's fields
/// as spans of one character array: a GL import reads millions of fields, and a call per character, a string per field
/// and an array per record were most of the emulator's processor time per imported row. <see cref="Record"/> makes the
/// strings only when asked (the header, a list's rows, a failed row). A quote anywhere in a field starts a quoted
/// section (<c>a"b,c"</c> reads as <c>ab,c</c>), as before.</remarks>
internal sealed class CsvRecordReader(TextReader reader)
{
    private static readonly SearchValues<char> Plain = SearchValues.Create(",\"\r\n");
    private static readonly SearchValues<char> Quoted = SearchValues.Create("\"\n");

    private readonly char[] buffer = new char[16 * 1024];
    private char[] text = new char[1024];
    private int[] starts = new int[16];
    private int[] lengths = new int[16];
    private int used;
    private int position;
    private int length;
    private int line = 1;
    private string[]? record;

    /// <summary>The 1-based line on which the last record read starts.</summary>
    public int RecordLine { get; private set; }

    /// <summary>How many fields the last record read has.</summary>
    public int FieldCount { get; private set; }

    /// <summary>The fields of the last record read.</summary>
    public string[] Record => this.record ??= this.MakeRecord();

    /// <summary>A field of the last record read; empty past its last field.</summary>
    public ReadOnlySpan<char> Field(int index) => index < this.FieldCount ? this.text.AsSpan(this.starts[index], this.lengths[index]) : default;

    public bool Read()
    {
        if (this.position == this.length && !this.Fill())
        {
            return false;
        }

        this.RecordLine = this.line;
        this.FieldCount = 0;
        this.used = 0;
        this.record = null;
        int start = 0;
        bool quoted = false;
        while (true)
        {
            if (this.position == this.length && !this.Fill())
            {
                this.EndField(start);
                break;
            }

            ReadOnlySpan<char> rest = this.buffer.AsSpan(this.position, this.length - this.position);
            int at = rest.IndexOfAny(quoted ? Quoted : Plain);
            if (at < 0)
            {
                this.Append(rest);
                this.position = this.length;
                continue;
            }

            char ch = rest[at];
            this.Append(rest[..at]);
            this.position += at + 1;
            if (quoted)
            {
                if (ch == '\n')
                {
                    this.line++;
                    this.Append("\n");
                }
                else if (this.Peek() == '"')
                {
                    this.position++;
                    this.Append("\"");
                }
                else
                {
                    quoted = false;
                }
            }
            else if (ch == '"')
            {
                quoted = true;
            }
            else if (ch == ',')
            {
                this.EndField(start);
                start = this.used;
            }
            else
            {
                if (ch == '\r' && this.Peek() == '\n')
                {
                    this.position++;
                }

                this.line++;
                this.EndField(start);
                break;
            }
        }

        return true;
    }

    /// <summary>Whether every field of the last record read is blank.</summary>
    public bool IsBlank()
    {
        for (int i = 0; i < this.FieldCount; i++)
        {
            if (!this.Field(i).IsWhiteSpace())
            {
                return false;
            }
        }

        return true;
    }

    private string[] MakeRecord()
    {
        var fields = new string[this.FieldCount];
        for (int i = 0; i < fields.Length; i++)
        {
            fields[i] = new string(this.Field(i));
        }

        return fields;
    }

    private void Append(ReadOnlySpan<char> chars)
    {
        if (this.used + chars.Length > this.text.Length)
        {
            Array.Resize(ref this.text, Math.Max(this.text.Length * 2, this.used + chars.Length));
        }

        chars.CopyTo(this.text.AsSpan(this.used));
        this.used += chars.Length;
    }

    private void EndField(int start)
    {
        if (this.FieldCount == this.starts.Length)
        {
            Array.Resize(ref this.starts, this.starts.Length * 2);
            Array.Resize(ref this.lengths, this.lengths.Length * 2);
        }

        this.starts[this.FieldCount] = start;
        this.lengths[this.FieldCount] = this.used - start;
        this.FieldCount++;
    }

    /// <summary>The next character without taking it; -1 at the end.</summary>
    private int Peek() => this.position < this.length || this.Fill() ? this.buffer[this.position] : -1;

    /// <summary>Reads the next block once the buffer is used up; false at the end.</summary>
    private bool Fill()
    {
        this.position = 0;
        this.length = reader.Read(this.buffer, 0, this.buffer.Length);
        return this.length > 0;
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
