using System.Globalization;

namespace Connector.Orchestrations.Storage;

/// <summary>
/// Neutralises text that a spreadsheet would run as a formula (CSV injection): a field starting with <c>=</c>, <c>+</c>,
/// <c>-</c>, <c>@</c>, a tab or a carriage return (or their full-width forms) gets a leading apostrophe, which makes
/// Excel, LibreOffice and Google Sheets show it as text. A field that is a plain number ("-120.50") is left as it is,
/// so amounts stay numbers.
/// </summary>
public static class SpreadsheetSafe
{
    private static readonly char[] Triggers = ['=', '+', '-', '@', '\t', '\r', '\n', '＝', '＋', '－', '＠'];

    /// <summary>Whether <paramref name="text"/> would be read as a formula by a spreadsheet.</summary>
    public static bool IsFormula(string? text)
        => !string.IsNullOrEmpty(text)
            && Array.IndexOf(Triggers, text[0]) >= 0
            && !decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    /// <summary>The text as a person's CSV must carry it: prefixed with an apostrophe when it would run as a formula.</summary>
    public static string Text(string? text) => text is null ? string.Empty : IsFormula(text) ? "'" + text : text;
}
