using System.Globalization;
using System.Text;
using System.Text.Json;
using Connector.Orchestrations.Sage100;

namespace Connector.Orchestrations.Tests.Sage100;

/// <summary>
/// The GL period-balance page reader against what it replaces: System.Text.Json with the client's web defaults reading
/// the same bytes. Every field must come out the same (amounts to the digit and the scale, which the staged CSV shows),
/// and a page the serializer refuses must be refused too, with the record and the field named.
/// </summary>
public sealed class PeriodBalancePageReaderTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    /// <summary>Balances as the agent might send them, each read alone in a page and all together in one.</summary>
    public static readonly IReadOnlyDictionary<string, string> Balances = new Dictionary<string, string>
    {
        ["usual"] = """{"accountKey":"60001003","account":"600-01-03","fiscalYear":"2026","fiscalPeriod":1,"beginningBalance":1200.50,"debit":2500.00,"credit":0.00,"net":2500.00}""",
        ["no beginning balance"] = """{"accountKey":"60001003","account":"600-01-03","fiscalYear":"2026","fiscalPeriod":2,"beginningBalance":null,"debit":1.1,"credit":0,"net":1.1}""",
        ["beginning balance left out"] = """{"accountKey":"60001003","account":"600-01-03","fiscalYear":"2026","fiscalPeriod":3,"debit":0,"credit":0,"net":0}""",
        ["negative amounts"] = """{"accountKey":"40000000","account":"400-00-00","fiscalYear":"2026","fiscalPeriod":4,"beginningBalance":-0.01,"debit":-12.34,"credit":-0.00,"net":-12.34}""",
        ["many decimals"] = """{"accountKey":"40000000","account":"400-00-00","fiscalYear":"2026","fiscalPeriod":5,"debit":0.1234567890123456789012345678,"credit":12345.678901234567890123,"net":-1.000000000000000000000000001}""",
        ["exponents"] = """{"accountKey":"40000000","account":"400-00-00","fiscalYear":"2026","fiscalPeriod":6,"debit":1.5e3,"credit":25E-2,"net":-3.75E+2}""",
        ["huge"] = """{"accountKey":"40000000","account":"400-00-00","fiscalYear":"2026","fiscalPeriod":7,"debit":79228162514264337593543950335,"credit":-79228162514264337593543950335,"net":9999999999999999.99}""",
        ["amounts as strings"] = """{"accountKey":"40000000","account":"400-00-00","fiscalYear":"2026","fiscalPeriod":"8","beginningBalance":"5.00","debit":"12.50","credit":"1e2","net":"-87.50"}""",
        ["escaped strings"] = """{"accountKey":"\u0036\u0030\u0030\u0030\u0031\u0030\u0030\u0033","account":"600\u002d01\u002d03","fiscalYear":"20\u00326","fiscalPeriod":9,"debit":1,"credit":2,"net":-1}""",
        ["non-Latin and quotes"] = """{"accountKey":"Ωmega株式会社","account":"Müller \"Größe\", Ωmega 株式会社","fiscalYear":"２０２６","fiscalPeriod":10,"debit":3,"credit":2,"net":1}""",
        ["names in another case and order"] = """{"NET":7.25,"Credit":0.75,"DEBIT":8,"FiscalPeriod":11,"FISCALYEAR":"2026","Account":"700-00-00","ACCOUNTKEY":"70000000"}""",
        ["unknown properties"] = """{"accountKey":"70000000","extra":{"nested":[1,2,{"a":null}]},"account":"700-00-00","fiscalYear":"2026","fiscalPeriod":12,"note":"x","debit":1,"credit":1,"net":0}""",
        ["a property twice"] = """{"accountKey":"70000000","account":"700-00-00","fiscalYear":"2026","fiscalPeriod":13,"debit":1,"debit":2,"credit":0,"net":2}""",
        ["escaped property names"] = """{"account\u004bey":"70000000","\u0061ccount":"700-00-00","fiscalYear":"2026","fiscalPeriod":1,"de\u0062it":4,"credit":0,"net":4}""",
    };

    public static TheoryData<string> BalanceCases => [.. Balances.Keys];

    /// <summary>Pages the serializer refuses: the case, the page, and the JSON path of the field at fault.</summary>
    public static readonly IReadOnlyDictionary<string, (string Json, string Path)> BadPages = new Dictionary<string, (string, string)>
    {
        ["debit not a number"] = (Page(Row("600-01-03", 1), Row("600-01-03", 2).Replace("\"debit\":1", "\"debit\":\"abc\"", StringComparison.Ordinal)), "$.items[1].debit"),
        ["credit a boolean"] = (Page(Row("600-01-03", 1).Replace("\"credit\":0", "\"credit\":true", StringComparison.Ordinal)), "$.items[0].credit"),
        ["net null"] = (Page(Row("600-01-03", 1), Row("600-01-03", 2), Row("600-01-03", 3).Replace("\"net\":1", "\"net\":null", StringComparison.Ordinal)), "$.items[2].net"),
        ["amount beyond a decimal"] = (Page(Row("600-01-03", 1).Replace("\"debit\":1", "\"debit\":1e400", StringComparison.Ordinal)), "$.items[0].debit"),
        ["amount NaN"] = (Page(Row("600-01-03", 1).Replace("\"debit\":1", "\"debit\":\"NaN\"", StringComparison.Ordinal)), "$.items[0].debit"),
        ["period not whole"] = (Page(Row("600-01-03", 1), Row("600-01-03", 1).Replace("\"fiscalPeriod\":1", "\"fiscalPeriod\":1.5", StringComparison.Ordinal)), "$.items[1].fiscalPeriod"),
        ["account a number"] = (Page(Row("600-01-03", 1).Replace("\"account\":\"600-01-03\"", "\"account\":600", StringComparison.Ordinal)), "$.items[0].account"),
    };

    public static TheoryData<string> BadPageCases => [.. BadPages.Keys];

    [Theory]
    [MemberData(nameof(BalanceCases))]
    public void Read_OneBalance_EveryFieldAsTheSerializerReadsIt(string name)
    {
        string json = Page(Balances[name]);
        Assert.Equal(Serializer(json), Reader(json));
    }

    [Fact]
    public void Read_EveryBalanceInOnePage_RepeatedAccountsAndYearsComeOutRight()
    {
        // Consecutive rows share account and year (remembered), then change to a value of the same length, then back, then
        // the same value escaped: each row must still carry its own.
        string json = Page([.. Balances.Values, Row("600-01-03", 1), Row("600-01-03", 2), Row("600-01-04", 3), Row("600-01-03", 4),
            Row("600-01-03", 5).Replace("\"account\":\"600-01-03\"", "\"account\":\"600\\u002d01-03\"", StringComparison.Ordinal), Row("600-01-03", 6)]);
        List<string> read = Reader(json);
        Assert.Equal(Serializer(json), read);
        Assert.Equal(Balances.Count + 6, read.Count);
    }

    [Fact]
    public void Read_PageFields_CursorWatermarkAndAnEmptyPageAsTheSerializerReadsThem()
    {
        foreach (string json in new[]
        {
            """{"items":[],"nextCursor":"abc\u002Fdef==","watermark":"2026-11-30T10:00:00Z"}""",
            """{"Items":[],"NEXTCURSOR":null}""",
            "\uFEFF{\"items\":[]}",
            """{"nextCursor":"x"}""",
            "null",
        })
        {
            WirePage<WirePeriodBalance>? expected = AsTheClientRead(json);
            WirePage<WirePeriodBalance>? actual = new PeriodBalancePageReader(Web).Read(Encoding.UTF8.GetBytes(json));
            Assert.Equal(expected is null, actual is null);
            Assert.Equal(expected?.NextCursor, actual?.NextCursor);
            Assert.Equal(expected?.Watermark, actual?.Watermark);
            Assert.Equal(expected?.Items?.Count, actual?.Items?.Count);
        }
    }

    [Theory]
    [MemberData(nameof(BadPageCases))]
    public void Read_BadField_RefusedLikeTheSerializer_NamingTheRecordAndTheField(string name)
    {
        (string json, string path) = BadPages[name];

        // The serializer (the reading this replaces) refuses the page at that field...
        JsonException before = Assert.ThrowsAny<JsonException>(() => AsTheClientRead(json));
        Assert.Contains(path, before.Message, StringComparison.Ordinal);

        // ... and so does the reader, naming the record (its place in the page, its account) and the field.
        JsonException after = Assert.ThrowsAny<JsonException>(() => new PeriodBalancePageReader(Web).Read(Encoding.UTF8.GetBytes(json)));
        Assert.Contains(path, after.Message, StringComparison.Ordinal);
        Assert.Equal(path, after.Path);
        int index = int.Parse(path[(path.IndexOf('[', StringComparison.Ordinal) + 1)..path.IndexOf(']', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
        Assert.Contains($"period balance {index + 1} of the page", after.Message, StringComparison.Ordinal);
        Assert.Contains($"'{path[(path.LastIndexOf('.') + 1)..]}'", after.Message, StringComparison.Ordinal);
        if (!name.StartsWith("account", StringComparison.Ordinal))
        {
            Assert.Contains("account 600-01-03, fiscal year 2026", after.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("""{"items":[{"accountKey":"1","debit":1""")]
    [InlineData("""{"items":[{"accountKey":"1"},]}""")]
    [InlineData("""{"items":{}}""")]
    [InlineData("""[]""")]
    [InlineData("""{"items":[]} {}""")]
    [InlineData("""{"items":[1]}""")]
    public void Read_NotAPage_RefusedLikeTheSerializer(string json)
    {
        Assert.ThrowsAny<JsonException>(() => AsTheClientRead(json));
        Assert.ThrowsAny<JsonException>(() => new PeriodBalancePageReader(Web).Read(Encoding.UTF8.GetBytes(json)));
    }

    // What the client did before: System.Text.Json reading the response stream (which skips a byte order mark).
    private static WirePage<WirePeriodBalance>? AsTheClientRead(string json)
    {
        using var body = new MemoryStream(Encoding.UTF8.GetBytes(json));
        return JsonSerializer.Deserialize<WirePage<WirePeriodBalance>>(body, Web);
    }

    private static string Row(string account, int period)
        => $$"""{"accountKey":"{{account.Replace("-", string.Empty, StringComparison.Ordinal)}}","account":"{{account}}","fiscalYear":"2026","fiscalPeriod":{{period}},"beginningBalance":null,"debit":1,"credit":0,"net":1}""";

    private static string Page(params string[] rows) => $$"""{"items":[{{string.Join(",", rows)}}],"nextCursor":null}""";

    private static List<string> Serializer(string json)
        => [.. AsTheClientRead(json)!.Items.Select(Show)];

    private static List<string> Reader(string json)
        => [.. new PeriodBalancePageReader(Web).Read(Encoding.UTF8.GetBytes(json))!.Items.Select(Show)];

    // Amounts as text: the scale (1.50 against 1.5) is what the staged CSV shows, and decimal equality ignores it.
    private static string Show(WirePeriodBalance b)
        => string.Join(
            "|",
            b.AccountKey,
            b.Account,
            b.FiscalYear,
            b.FiscalPeriod.ToString(CultureInfo.InvariantCulture),
            b.BeginningBalance?.ToString(CultureInfo.InvariantCulture) ?? "null",
            b.Debit.ToString(CultureInfo.InvariantCulture),
            b.Credit.ToString(CultureInfo.InvariantCulture),
            b.Net.ToString(CultureInfo.InvariantCulture));
}
