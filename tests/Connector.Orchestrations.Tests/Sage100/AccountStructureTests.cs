using Connector.Orchestrations.Sage100;

namespace Connector.Orchestrations.Tests.Sage100;

public sealed class AccountStructureTests
{
    private static readonly AccountStructure Abc = new("-", [new(1, 3, "Main Account"), new(2, 2, "Division"), new(3, 2, "Department")]);
    private static readonly AccountStructure Tst = new("-", [new(1, 4, "Main Account"), new(2, 3, "Department")]);
    private static readonly AccountStructure Lng = new("-", [new(1, 8, "Main Account"), new(2, 3, "Location")]);
    private static readonly AccountStructure MainOnly = new(string.Empty, [new(1, 6, "Main Account")]);

    public static TheoryData<string, string, string[]> Valid => new()
    {
        { "ABC", "400-01-02", ["400", "01", "02"] },
        { "TST", "6000-100", ["6000", "100"] },
        { "LNG", "40001000-010", ["40001000", "010"] },
        { "ONE", "123456", ["123456"] },
    };

    private static AccountStructure Of(string name) => name switch { "ABC" => Abc, "TST" => Tst, "LNG" => Lng, _ => MainOnly };

    [Theory]
    [MemberData(nameof(Valid))]
    public void Parse_ValidAccount_SplitsIntoSegmentsAndRaw(string structure, string account, string[] segments)
    {
        ParsedAccount parsed = Of(structure).Parse(account);
        Assert.Equal(segments, parsed.Segments);
        Assert.Equal(string.Concat(segments), parsed.RawAccount);
        Assert.Equal(account, Of(structure).Format(segments));
        Assert.Equal(parsed, Of(structure).ParseRaw(parsed.RawAccount));
    }

    [Theory]
    [InlineData("ABC", "400-01", "2 segment(s)")]
    [InlineData("ABC", "400-01-02-03", "4 segment(s)")]
    [InlineData("ABC", "400-1-02", "segment 2 (Division) is '1'")]
    [InlineData("ABC", "40A-01-0#", "segment 3 (Department) contains '#'")]
    [InlineData("TST", "6000-01-00", "3 segment(s)")]
    [InlineData("LNG", "4000100-010", "segment 1 (Main Account) is '4000100' with 7")]
    [InlineData("ABC", "  ", "empty")]
    public void Parse_MalformedAccount_RejectedNamingAccountAndProblem(string structure, string account, string problem)
    {
        var error = Assert.Throws<AccountFormatException>(() => Of(structure).Parse(account));
        Assert.Equal(account, error.Account);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{account}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseRaw_WrongLength_Rejected()
    {
        var error = Assert.Throws<AccountFormatException>(() => Abc.ParseRaw("400010"));
        Assert.Contains("7 characters", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Format_WrongSegmentCount_Rejected()
        => Assert.Throws<AccountFormatException>(() => Tst.Format(["6000", "100", "01"]));

    [Fact]
    public void FindSegment_ByDescription_FindsCostCentreSegment()
    {
        Assert.Equal(3, Abc.FindSegment("department")!.Number);
        Assert.Equal(2, Lng.FindSegment("Location")!.Number);
        Assert.Null(Tst.FindSegment("Division"));
    }

    [Fact]
    public void Constructor_BeyondSageLimits_Rejected()
    {
        Assert.Throws<ArgumentException>(() => new AccountStructure("-", Enumerable.Range(1, 11).Select(i => new AccountSegment(i, 1, "s"))));
        Assert.Throws<ArgumentException>(() => new AccountStructure("-", [new(1, 15, "m"), new(2, 15, "a"), new(3, 3, "b")]));
        Assert.Throws<ArgumentException>(() => new AccountStructure(string.Empty, [new(1, 3, "m"), new(2, 2, "a")]));
    }
}
