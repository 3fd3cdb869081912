using Connector.Orchestrations.ModelFit;

namespace Connector.Orchestrations.Tests.ModelFit;

public sealed class AccountItemsTests
{
    [Theory]
    [InlineData("{account}", "600-01", false)]
    [InlineData("{account}-{costcenter}", "600-01-02", true)]
    [InlineData("{sage}", "600-02-01", true)]
    [InlineData("{costcenter}.{account}", "02.600-01", true)]
    public void Apply_MakesTheAccountItem(string format, string expected, bool carriesCostCenter)
    {
        Assert.Null(AccountItems.Problem(format));
        Assert.Equal(expected, AccountItems.Apply(format, "600-01", "02", "600-02-01"));
        Assert.Equal(carriesCostCenter, AccountItems.CarriesCostCenter(format));
    }

    [Theory]
    [InlineData("{costcenter}", "must contain {account} or {sage}")]
    [InlineData("{acct}", "unknown token '{acct}'")]
    [InlineData("", "is required")]
    public void Problem_BadFormat(string format, string problem)
        => Assert.Contains(problem, AccountItems.Problem(format), StringComparison.Ordinal);
}
