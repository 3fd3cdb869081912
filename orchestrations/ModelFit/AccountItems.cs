namespace Connector.Orchestrations.ModelFit;

/// <summary>
/// How the Anaplan account item is made from a Sage account (the connection's <c>AccountFormat</c>): <c>{account}</c>
/// the account without its cost-centre segment (or its mapping override), <c>{costcenter}</c> the cost-centre item,
/// <c>{sage}</c> the whole Sage account. A format that carries the cost centre makes one combined code per Sage account.
/// </summary>
public static class AccountItems
{
    public const string AccountToken = "{account}";
    public const string CostCenterToken = "{costcenter}";
    public const string SageToken = "{sage}";

    private static readonly string[] Tokens = [AccountToken, CostCenterToken, SageToken];

    /// <summary>What is wrong with a format, or null.</summary>
    public static string? Problem(string? format)
    {
        if (string.IsNullOrWhiteSpace(format))
        {
            return "is required: {account} by default.";
        }

        for (int open = format.IndexOf('{', StringComparison.Ordinal); open >= 0; open = format.IndexOf('{', open + 1))
        {
            int close = format.IndexOf('}', open);
            string token = close < 0 ? format[open..] : format[open..(close + 1)];
            if (!Tokens.Contains(token, StringComparer.Ordinal))
            {
                return $"'{format}' has the unknown token '{token}'; the tokens are {string.Join(" ", Tokens)}.";
            }
        }

        return format.Contains(AccountToken, StringComparison.Ordinal) || format.Contains(SageToken, StringComparison.Ordinal)
            ? null
            : $"'{format}' must contain {AccountToken} or {SageToken}: the item must name the account.";
    }

    /// <summary>Whether the account item carries the cost centre (then the model needs no cost-centre list).</summary>
    public static bool CarriesCostCenter(string? format)
        => format is not null && (format.Contains(CostCenterToken, StringComparison.Ordinal) || format.Contains(SageToken, StringComparison.Ordinal));

    /// <summary>The account item of one Sage account.</summary>
    public static string Apply(string format, string account, string costCenter, string sageAccount)
    {
        ArgumentNullException.ThrowIfNull(format);
        return format.Replace(AccountToken, account, StringComparison.Ordinal)
            .Replace(CostCenterToken, costCenter, StringComparison.Ordinal)
            .Replace(SageToken, sageAccount, StringComparison.Ordinal);
    }
}
