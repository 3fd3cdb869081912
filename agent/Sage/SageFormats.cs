using System.Globalization;

namespace Connector.Agent.Sage;

/// <summary>
/// Sage 100's storage formats: fixed-width strings padded with trailing spaces, zero-filled key codes,
/// <c>YYYYMMDD</c> dates and times kept as decimal hours (<c>"15.5"</c> is 15:30).
/// </summary>
public static class SageFormats
{
    /// <summary>Pads <paramref name="value"/> with trailing spaces to <paramref name="width"/>.</summary>
    /// <exception cref="ArgumentException">The value is longer than the column.</exception>
    public static string Pad(string value, int width)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length > width)
        {
            throw new ArgumentException($"'{value}' is longer than the column width {width}.", nameof(value));
        }

        return value.PadRight(width);
    }

    /// <summary>Zero-fills a numeric key to <paramref name="width"/> characters, as Sage stores key codes.</summary>
    public static string ZeroFill(long number, int width) => number.ToString(CultureInfo.InvariantCulture).PadLeft(width, '0');

    /// <summary>Formats a date as Sage's <c>YYYYMMDD</c>.</summary>
    public static string ToSageDate(DateOnly date) => date.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    /// <summary>Parses Sage's <c>YYYYMMDD</c>; a blank value is <c>null</c>.</summary>
    public static DateOnly? ParseSageDate(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        return DateOnly.ParseExact(value.Trim(), "yyyyMMdd", CultureInfo.InvariantCulture);
    }

    /// <summary>Formats a time of day as decimal hours with at most five places (fits Sage's 8 characters).</summary>
    public static string ToDecimalHours(TimeSpan timeOfDay)
    {
        decimal hours = Math.Round((decimal)timeOfDay.TotalSeconds / 3600m, 5, MidpointRounding.ToZero);
        return hours.ToString("0.#####", CultureInfo.InvariantCulture);
    }

    /// <summary>Parses decimal hours to a time of day rounded to the second; a blank value is <c>null</c>.</summary>
    public static TimeSpan? ParseDecimalHours(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        decimal hours = decimal.Parse(value.Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        long seconds = (long)Math.Round(hours * 3600m, MidpointRounding.AwayFromZero);
        return TimeSpan.FromSeconds(Math.Min(seconds, (24 * 3600) - 1));
    }

    /// <summary>
    /// The largest amount Sage 100 stores in a GL amount field: DebitAmount and CreditAmount are numerics of width 16.2
    /// (16 digits, 2 of them decimals) in its data dictionary (GL_DetailPosting, GL_PeriodPostingHistory and the journal
    /// tables, class TRANSACTIONAMT), so 14 digits before the point.
    /// </summary>
    public const decimal MaxAmount = 99_999_999_999_999.99m;

    /// <summary>
    /// Sage 100's journal and posting comments (JournalComment, GL_DetailPosting.PostingComment) are 2048 characters.
    /// The agent writes "externalId comment" there, the external id (at most 40 characters) first.
    /// </summary>
    public const int CommentWidth = 2048;

    /// <summary>The longest comment text a request may carry: what is left of <see cref="CommentWidth"/> after the longest external id and a space.</summary>
    public const int MaxCommentText = CommentWidth - 40 - 1;

    /// <summary><see cref="MaxAmount"/> as people read it.</summary>
    public static string MaxAmountText => MaxAmount.ToString("#,##0.00", CultureInfo.InvariantCulture);

    /// <summary>Formats money with two decimal places, invariant culture.</summary>
    public static string FormatMoney(decimal amount) => amount.ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>Parses a stored amount exactly; a blank value is zero.</summary>
    public static decimal ParseMoney(string? value)
        => string.IsNullOrWhiteSpace(value) ? 0m : decimal.Parse(value.Trim(), NumberStyles.Number, CultureInfo.InvariantCulture);

    /// <summary>Formats a fiscal period as Sage's two-digit <c>"01".."13"</c>.</summary>
    public static string Period(int period) => period.ToString("00", CultureInfo.InvariantCulture);
}

/// <summary>
/// The (DateUpdated, TimeUpdated) pair as one local timestamp. A blank TimeUpdated is the start of its day.
/// Written in the API as <c>yyyy-MM-ddTHH:mm:ss</c> without an offset, because Sage keeps local time.
/// </summary>
public readonly record struct SageTimestamp(DateTime Value) : IComparable<SageTimestamp>
{
    /// <summary>The API's text format.</summary>
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss";

    /// <summary>Builds the timestamp of a row; <c>null</c> when DateUpdated is blank.</summary>
    public static SageTimestamp? FromSage(string? date, string? time)
    {
        DateOnly? d = SageFormats.ParseSageDate(date);
        if (d is null)
        {
            return null;
        }

        TimeSpan t = SageFormats.ParseDecimalHours(time) ?? TimeSpan.Zero;
        return new SageTimestamp(d.Value.ToDateTime(TimeOnly.MinValue).Add(t));
    }

    /// <summary>Parses the API's text format.</summary>
    public static bool TryParse(string? text, out SageTimestamp value)
    {
        if (DateTime.TryParseExact(text, Format, CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTime parsed))
        {
            value = new SageTimestamp(parsed);
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>The Sage date column value.</summary>
    public string SageDate => SageFormats.ToSageDate(DateOnly.FromDateTime(this.Value));

    /// <summary>The Sage time column value (decimal hours).</summary>
    public string SageTime => SageFormats.ToDecimalHours(this.Value.TimeOfDay);

    /// <summary>
    /// The decimal-hours threshold to compare stored times against: this time rounded down to the five places Sage
    /// keeps, so a row stamped in the same second is never lost to rounding.
    /// </summary>
    public double HoursThreshold => Math.Floor(this.Value.TimeOfDay.TotalHours * 100000d) / 100000d;

    /// <summary>Whether a row stamped (<paramref name="date"/>, <paramref name="time"/>) counts as changed since this timestamp.</summary>
    /// <remarks>A blank time counts as the start of its day, but the row is matched by date alone, so it is never missed.</remarks>
    public bool Includes(string? date, string? time)
    {
        DateOnly? d = SageFormats.ParseSageDate(date);
        if (d is null)
        {
            return false;
        }

        DateOnly since = DateOnly.FromDateTime(this.Value);
        if (d.Value != since)
        {
            return d.Value > since;
        }

        if (string.IsNullOrWhiteSpace(time))
        {
            return true;
        }

        return double.Parse(time.Trim(), CultureInfo.InvariantCulture) >= this.HoursThreshold;
    }

    /// <summary>Subtracts the overlap window.</summary>
    public SageTimestamp Minus(TimeSpan overlap) => new(this.Value - overlap);

    /// <inheritdoc/>
    public int CompareTo(SageTimestamp other) => this.Value.CompareTo(other.Value);

    /// <inheritdoc/>
    public override string ToString() => this.Value.ToString(Format, CultureInfo.InvariantCulture);

    public static bool operator <(SageTimestamp left, SageTimestamp right) => left.CompareTo(right) < 0;

    public static bool operator >(SageTimestamp left, SageTimestamp right) => left.CompareTo(right) > 0;

    public static bool operator <=(SageTimestamp left, SageTimestamp right) => left.CompareTo(right) <= 0;

    public static bool operator >=(SageTimestamp left, SageTimestamp right) => left.CompareTo(right) >= 0;
}
