using Microsoft.Extensions.Configuration;

namespace Connector.Functions.Tests;

/// <summary>
/// The Functions app's <c>Durable:RetryFirstInterval</c> (app setting <c>Durable__RetryFirstInterval</c>): unset, the
/// product's 5 s; a time span (fractions allowed) within 0–2 minutes as given; anything else refused naming the setting.
/// </summary>
public sealed class DurableRetrySettingTests
{
    [Theory]
    [InlineData(null, 5.0)]
    [InlineData("", 5.0)]
    [InlineData("00:00:05", 5.0)]
    [InlineData("00:00:00.5", 0.5)]
    [InlineData("00:01:30", 90.0)]
    public void Setting_UnsetIsTheDefault_ElseTheTimeSpanGiven(string? value, double seconds)
        => Assert.Equal(TimeSpan.FromSeconds(seconds), Composition.DurableRetryFirstInterval(Settings(value)));

    [Theory]
    [InlineData("soon", "Durable:RetryFirstInterval 'soon' is not a time span")]
    [InlineData("00:00:00", "Durable:RetryFirstInterval must be more than 0")]
    [InlineData("00:05:00", "Durable:RetryFirstInterval must be more than 0 and at most 00:02:00")]
    public void Setting_NotUsable_RefusedNamingTheSetting(string value, string message)
    {
        InvalidOperationException refused = Assert.Throws<InvalidOperationException>(() => Composition.DurableRetryFirstInterval(Settings(value)));

        Assert.StartsWith(message, refused.Message, StringComparison.Ordinal);
    }

    private static IConfiguration Settings(string? value)
        => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Durable:RetryFirstInterval"] = value }).Build();
}
