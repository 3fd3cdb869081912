using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Sage100;

namespace Connector.Orchestrations.ModelFit;

/// <summary>
/// How a connection names a Sage fiscal period in Anaplan (<c>PeriodFormat</c>, <c>PeriodYear</c>, <c>Period13</c>,
/// <c>Period13Format</c>), as the model builder chose it.
/// </summary>
/// <param name="Format">The code's format; tokens: <c>{yyyy}</c> (also <c>{year}</c>) and <c>{yy}</c> the year,
/// <c>{pp}</c> (also <c>{period}</c>) the fiscal period with two digits and <c>{p}</c> without padding, <c>{mon}</c>
/// the month as Anaplan's native time shows it (<c>Jan</c>), <c>{mm}</c> the month number with two digits.</param>
/// <param name="YearBasis"><c>Fiscal</c>: the year tokens are the fiscal year (as Sage names it); <c>Calendar</c>: the
/// calendar year of the period (of its middle day), as Anaplan's native time labels months (<c>Jan 26</c>).</param>
/// <param name="Period13"><c>Own</c>: a 13th period has its own code; <c>Fold</c>: it is added into period 12's code;
/// <c>Skip</c>: it is not sent, and budgets cannot target it.</param>
/// <param name="Period13Format">The 13th period's own format (e.g. <c>FY{yy} Adj</c>); null uses <paramref name="Format"/>.</param>
public sealed record PeriodSettings(string Format, string YearBasis = PeriodSettings.Fiscal, string Period13 = PeriodSettings.Own, string? Period13Format = null)
{
    public const string Fiscal = "Fiscal";
    public const string Calendar = "Calendar";
    public const string Own = "Own";
    public const string Fold = "Fold";
    public const string Skip = "Skip";

    /// <summary>The values <see cref="YearBasis"/> takes.</summary>
    public static readonly IReadOnlyList<string> YearBases = [Fiscal, Calendar];

    /// <summary>The values <see cref="Period13"/> takes.</summary>
    public static readonly IReadOnlyList<string> Period13Rules = [Own, Fold, Skip];

    /// <summary>A connection's period settings.</summary>
    public static PeriodSettings Of(ConnectionOptions connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return new(connection.PeriodFormat, connection.PeriodYear, connection.Period13, string.IsNullOrWhiteSpace(connection.Period13Format) ? null : connection.Period13Format);
    }
}

/// <summary>
/// Period codes in both directions, from the company's own fiscal calendar: a Sage fiscal period to the code the model
/// uses, and a code (from a budget export, a column header) back to the period. Every code of the calendar is worked out
/// once, so two periods that would share a code (a format without the period on a 13-period calendar) are found up front
/// and refused, naming the setting, instead of silently overwriting each other's cells. Pure: no I/O.
/// </summary>
public sealed class PeriodCodec
{
    private static readonly string[] Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    private static readonly string[] YearTokens = ["{yyyy}", "{year}", "{yy}"];
    private static readonly string[] PeriodTokens = ["{pp}", "{period}", "{p}", "{mon}", "{mm}"];
    private static readonly string[] Tokens = [.. YearTokens, .. PeriodTokens];

    private readonly Dictionary<(string FiscalYear, int Period), string?> codes = [];
    private readonly Dictionary<string, (string FiscalYear, int Period)> periods = new(StringComparer.OrdinalIgnoreCase);
    private readonly string years;

    /// <summary>Works out every code of <paramref name="calendar"/>.</summary>
    /// <exception cref="ConnectorConfigurationException">The settings are invalid, or give two periods the same code.</exception>
    public PeriodCodec(PeriodSettings settings, SageFiscalCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(calendar);
        if (Problem(settings) is { } problem)
        {
            throw new ConnectorConfigurationException($"{problem.Setting} {problem.Message}");
        }

        this.Settings = settings;
        this.years = string.Join(", ", calendar.Years.OrderBy(y => y.BeginDate).Select(y => $"{y.FiscalYear}: {y.Periods.Count} periods"));
        foreach (SageFiscalYear year in calendar.Years.OrderBy(y => y.BeginDate))
        {
            foreach (SageFiscalPeriod period in year.Periods.OrderBy(p => p.Period))
            {
                string? code = this.Format(year, period);
                this.codes[(year.FiscalYear, period.Period)] = code;
                if (code is null || (period.Period == 13 && settings.Period13 == PeriodSettings.Fold))
                {
                    continue;
                }

                if (this.periods.TryGetValue(code, out var other))
                {
                    throw new ConnectorConfigurationException(
                        $"PeriodFormat '{settings.Format}' gives fiscal periods {other.FiscalYear}-{other.Period:D2} and {year.FiscalYear}-{period.Period:D2} the same code '{code}', "
                        + "so one would overwrite the other's cells: add {pp} or {p} to the format"
                        + (period.Period == 13 ? ", or set Period13 to Fold or Skip." : "."));
                }

                this.periods[code] = (year.FiscalYear, period.Period);
            }
        }
    }

    /// <summary>Gets the settings the codes follow.</summary>
    public PeriodSettings Settings { get; }

    /// <summary>Gets a few codes, as a person recognizes the format (<c>FY26 P01, FY26 P02, …</c>).</summary>
    public string Examples => string.Join(", ", this.periods.Keys.Take(3)) + (this.periods.Count > 3 ? ", …" : string.Empty);

    /// <summary>Checks settings without a calendar (the format's tokens, the rules' values): the setting and its problem, or null.</summary>
    public static (string Setting, string Message)? Problem(PeriodSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!PeriodSettings.YearBases.Contains(settings.YearBasis, StringComparer.Ordinal))
        {
            return ("PeriodYear", $"must be {string.Join(" or ", PeriodSettings.YearBases)}; got '{settings.YearBasis}'.");
        }

        if (!PeriodSettings.Period13Rules.Contains(settings.Period13, StringComparer.Ordinal))
        {
            return ("Period13", $"must be one of {string.Join(", ", PeriodSettings.Period13Rules)}; got '{settings.Period13}'.");
        }

        return FormatProblem(settings.Format, needsPeriod: true) is { } format ? ("PeriodFormat", format)
            : settings.Period13Format is { } own && FormatProblem(own, needsPeriod: false) is { } thirteen ? ("Period13Format", thirteen)
            : null;
    }

    /// <summary>The code of a fiscal period; null when the settings skip it (a 13th period with <c>Period13</c> Skip).</summary>
    /// <exception cref="ArgumentException">The period is not in the company's calendar.</exception>
    public string? Code(string fiscalYear, int period)
        => this.codes.TryGetValue((fiscalYear, period), out string? code)
            ? code
            : throw new ArgumentException($"Fiscal period {fiscalYear}-{period:D2} is not in the company's calendar.", nameof(period));

    /// <summary>The code of a fiscal period, or null when it is not in the calendar or skipped.</summary>
    public string? CodeOrNull(string fiscalYear, int period) => this.codes.GetValueOrDefault((fiscalYear, period));

    /// <summary>Reads a code back (trimmed, any case): the fiscal period it names. A folded code names period 12.</summary>
    public bool TryParse(string code, out string fiscalYear, out int period)
    {
        ArgumentNullException.ThrowIfNull(code);
        if (this.periods.TryGetValue(code.Trim(), out var found))
        {
            (fiscalYear, period) = found;
            return true;
        }

        (fiscalYear, period) = (string.Empty, 0);
        return false;
    }

    /// <summary>
    /// Why a code names no period (for a rejected line): a code of the format's shape whose period the company's calendar
    /// does not have is outside the calendar (the years it has are listed); anything else does not have the format's form.
    /// </summary>
    public string WhyUnknown(string code)
    {
        ArgumentNullException.ThrowIfNull(code);
        string trimmed = code.Trim();
        bool shaped = Shape(this.Settings.Format).IsMatch(trimmed)
            || (this.Settings.Period13Format is { } own && Shape(own).IsMatch(trimmed));
        return shaped
            ? $"period '{trimmed}' is outside the company's fiscal calendar ({this.years})"
            : $"period '{trimmed}' does not have the form of PeriodFormat '{this.Settings.Format}' (codes look like {this.Examples})";
    }

    /// <summary>
    /// The periods whose values land in the same cells as <paramref name="period"/>'s: with <c>Fold</c>, periods 12 and 13
    /// of a 13-period year (a run sending one must send both, or the cell would hold only part of its sum); otherwise the
    /// period itself.
    /// </summary>
    public IReadOnlyList<FiscalPeriodRef> SharingCells(FiscalPeriodRef period)
    {
        ArgumentNullException.ThrowIfNull(period);
        if (this.Settings.Period13 == PeriodSettings.Fold && period.Period is 12 or 13 && this.codes.ContainsKey((period.FiscalYear, 13)))
        {
            return [new FiscalPeriodRef(period.FiscalYear, 12), new FiscalPeriodRef(period.FiscalYear, 13)];
        }

        return [period];
    }

    /// <summary>Formats one period with a format string (no calendar checks): used by <see cref="PeriodCodec"/> and discovery.</summary>
    public static string Apply(string format, string fiscalYear, int period, DateOnly begin, DateOnly end, string yearBasis)
    {
        ArgumentNullException.ThrowIfNull(format);
        DateOnly middle = begin.AddDays((end.DayNumber - begin.DayNumber) / 2);
        string year = yearBasis == PeriodSettings.Calendar ? middle.Year.ToString("D4", CultureInfo.InvariantCulture) : fiscalYear;
        string shortYear = year.Length >= 2 ? year[^2..] : year;
        var text = new StringBuilder(format);
        text.Replace("{yyyy}", year).Replace("{year}", year).Replace("{yy}", shortYear)
            .Replace("{pp}", period.ToString("D2", CultureInfo.InvariantCulture))
            .Replace("{period}", period.ToString("D2", CultureInfo.InvariantCulture))
            .Replace("{p}", period.ToString(CultureInfo.InvariantCulture))
            .Replace("{mon}", Months[middle.Month - 1])
            .Replace("{mm}", middle.Month.ToString("D2", CultureInfo.InvariantCulture));
        return text.ToString();
    }

    /// <summary>A pattern matching any code of a format's form, whatever its year and period (<c>FY{yy}-P{pp}</c> → <c>FY\d{2}-P\d{2}</c>).</summary>
    private static Regex Shape(string format)
    {
        var pattern = new StringBuilder("^");
        int at = 0;
        while (at < format.Length)
        {
            string? token = Tokens.FirstOrDefault(t => string.CompareOrdinal(format, at, t, 0, t.Length) == 0);
            if (token is null)
            {
                pattern.Append(Regex.Escape(format[at].ToString()));
                at++;
                continue;
            }

            pattern.Append(token switch
            {
                "{yyyy}" or "{year}" => @"\d{4}",
                "{yy}" or "{pp}" or "{period}" or "{mm}" => @"\d{2}",
                "{p}" => @"\d{1,2}",
                _ => "(" + string.Join('|', Months) + ")",
            });
            at += token.Length;
        }

        return new Regex(pattern.Append('$').ToString(), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    private static string? FormatProblem(string format, bool needsPeriod)
    {
        if (string.IsNullOrWhiteSpace(format))
        {
            return "is required.";
        }

        // Anything in braces must be a known token: a typo ({yr}) would otherwise end up in every code.
        for (int open = format.IndexOf('{', StringComparison.Ordinal); open >= 0; open = format.IndexOf('{', open + 1))
        {
            int close = format.IndexOf('}', open);
            string token = close < 0 ? format[open..] : format[open..(close + 1)];
            if (!Tokens.Contains(token, StringComparer.Ordinal))
            {
                return $"'{format}' has the unknown token '{token}'; the tokens are {string.Join(" ", Tokens)}.";
            }
        }

        if (!YearTokens.Any(t => format.Contains(t, StringComparison.Ordinal)))
        {
            return $"'{format}' must contain a year: {{yyyy}} (or {{year}}) or {{yy}}.";
        }

        return needsPeriod && !PeriodTokens.Any(t => format.Contains(t, StringComparison.Ordinal))
            ? $"'{format}' must contain the period: {{pp}} (or {{period}}), {{p}}, {{mon}} or {{mm}}."
            : null;
    }

    private string? Format(SageFiscalYear year, SageFiscalPeriod period)
    {
        if (period.Period == 13)
        {
            switch (this.Settings.Period13)
            {
                case PeriodSettings.Skip:
                    return null;
                case PeriodSettings.Fold:
                    SageFiscalPeriod twelve = year.Periods.FirstOrDefault(p => p.Period == 12) ?? period;
                    return Apply(this.Settings.Format, year.FiscalYear, twelve.Period, twelve.BeginDate, twelve.EndDate, this.Settings.YearBasis);
                default:
                    return Apply(this.Settings.Period13Format ?? this.Settings.Format, year.FiscalYear, period.Period, period.BeginDate, period.EndDate, this.Settings.YearBasis);
            }
        }

        return Apply(this.Settings.Format, year.FiscalYear, period.Period, period.BeginDate, period.EndDate, this.Settings.YearBasis);
    }
}
