using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Connector.Local.Cli;

/// <summary>How the commands show things: tables with a header row, times in UTC, durations a person reads, safe CSV.</summary>
internal static class CliOutput
{
    /// <summary>A table with one column per header; a header ending in <c>&gt;</c> is right-aligned (numbers).</summary>
    public static Table Table(params string[] headers)
    {
        var table = new Table().Border(TableBorder.None).HideRowSeparators();
        table.ShowHeaders = true;
        foreach (string header in headers)
        {
            bool right = header.EndsWith('>');
            var column = new TableColumn(new Text(right ? header[..^1] : header, new Style(decoration: Decoration.Bold))) { NoWrap = false };
            column.Padding(0, 0, 2, 0);
            table.AddColumn(right ? column.RightAligned() : column);
        }

        return table;
    }

    /// <summary>Adds a row of plain-text cells (never markup: ids and messages may hold brackets).</summary>
    public static void Row(this Table table, params object?[] cells)
        => table.AddRow([.. cells.Select(c => (IRenderable)new Text(Cell(c)))]);

    /// <summary>A time in UTC, e.g. <c>2026-11-26 02:00:03Z</c>.</summary>
    public static string Time(DateTimeOffset? at) => at?.ToUniversalTime().ToString("u", CultureInfo.InvariantCulture) ?? string.Empty;

    /// <summary>A duration a person reads: <c>850 ms</c>, <c>12.4 s</c>, <c>3m 05s</c>, <c>2h 03m</c>.</summary>
    public static string Duration(TimeSpan? duration) => duration switch
    {
        null => string.Empty,
        { TotalSeconds: < 1 } d => $"{Math.Max(0, d.TotalMilliseconds):0} ms",
        { TotalMinutes: < 1 } d => d.TotalSeconds.ToString("0.0 's'", CultureInfo.InvariantCulture),
        { TotalHours: < 1 } d => $"{(int)d.TotalMinutes}m {d.Seconds:00}s",
        { } d => $"{(int)d.TotalHours}h {d.Minutes:00}m",
    };

    public static string Money(decimal? value) => (value ?? 0m).ToString("#,##0.00", CultureInfo.InvariantCulture);

    public static string Number(long value) => value.ToString("#,##0", CultureInfo.InvariantCulture);

    /// <summary>The first line of a text, cut to <paramref name="max"/> characters.</summary>
    public static string Short(string? text, int max)
    {
        string line = (text ?? string.Empty).Split('\n', 2)[0].TrimEnd('\r');
        return line.Length <= max ? line : line[..(max - 1)] + "…";
    }

    private static string Cell(object? value) => value switch
    {
        null => string.Empty,
        string s => s,
        DateTimeOffset at => Time(at),
        TimeSpan d => Duration(d),
        long n => Number(n),
        int n => Number(n),
        decimal m => Money(m),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}
