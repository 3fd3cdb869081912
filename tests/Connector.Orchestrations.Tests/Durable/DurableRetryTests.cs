using Connector.Local.Hosting;
using Connector.Orchestrations.Durable;
using Connector.Testing;
using Microsoft.DurableTask;

namespace Connector.Orchestrations.Tests.Durable;

/// <summary>
/// The connector's durable retry policies: in production the first retry comes 5 s after a failure, each next wait twice
/// the last (at most 2 minutes), 5 attempts for the activities that talk to Anaplan or Sage and 6 for a budget posting.
/// <c>Durable:RetryFirstInterval</c> changes only the first interval (the tests' hosts use 1 s); a value that cannot be
/// one is refused naming the setting, and a process keeps the interval its first worker started with.
/// </summary>
public sealed class DurableRetryTests
{
    [Fact]
    public void Default_IsTheProductionPolicy_5sFirst_Doubling_AtMost2Minutes_5And6Attempts()
    {
        Assert.Equal(TimeSpan.FromSeconds(5), DurableRetry.DefaultFirstInterval);
        Assert.Equal(TimeSpan.FromSeconds(5), new LocalDurableOptions().RetryFirstInterval);

        RetryPolicy activities = DurableRetry.ActivityPolicy(DurableRetry.DefaultFirstInterval);
        Assert.Equal(5, activities.MaxNumberOfAttempts);
        Assert.Equal(TimeSpan.FromSeconds(5), activities.FirstRetryInterval);
        Assert.Equal(2.0, activities.BackoffCoefficient);
        Assert.Equal(TimeSpan.FromMinutes(2), activities.MaxRetryInterval);
        Assert.Equal(Timeout.InfiniteTimeSpan, activities.RetryTimeout);

        RetryPolicy posting = DurableRetry.PostingPolicy(DurableRetry.DefaultFirstInterval);
        Assert.Equal(6, posting.MaxNumberOfAttempts);
        Assert.Equal(TimeSpan.FromSeconds(5), posting.FirstRetryInterval);
        Assert.Equal(2.0, posting.BackoffCoefficient);
        Assert.Equal(TimeSpan.FromMinutes(2), posting.MaxRetryInterval);
        Assert.Equal(Timeout.InfiniteTimeSpan, posting.RetryTimeout);
    }

    [Fact]
    public void ShorterFirstInterval_ChangesOnlyTheFirstInterval()
    {
        TimeSpan half = TimeSpan.FromSeconds(0.5);
        RetryPolicy activities = DurableRetry.ActivityPolicy(half);
        RetryPolicy posting = DurableRetry.PostingPolicy(half);

        Assert.Equal((5, half, 2.0, TimeSpan.FromMinutes(2)), (activities.MaxNumberOfAttempts, activities.FirstRetryInterval, activities.BackoffCoefficient, activities.MaxRetryInterval));
        Assert.Equal((6, half, 2.0, TimeSpan.FromMinutes(2)), (posting.MaxNumberOfAttempts, posting.FirstRetryInterval, posting.BackoffCoefficient, posting.MaxRetryInterval));
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-00:00:01")]
    [InlineData("00:02:00.001")]
    public void FirstIntervalNotUsable_RefusedNamingTheSetting(string value)
    {
        var options = new LocalDurableOptions { RetryFirstInterval = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture) };

        InvalidOperationException refused = Assert.Throws<InvalidOperationException>(options.Validate);

        Assert.StartsWith("Durable:RetryFirstInterval must be more than 0 and at most 00:02:00", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Process_KeepsTheIntervalItsWorkersStartedWith_AnotherIsRefusedNamingTheSetting()
    {
        // Every worker of this test process starts with the tests' interval (DurableHostFixture.ApplyTestTimings).
        DurableRetry.Use(DurableHostFixture.TestRetryFirstInterval);
        DurableRetry.Use(DurableHostFixture.TestRetryFirstInterval);

        InvalidOperationException refused = Assert.Throws<InvalidOperationException>(() => DurableRetry.Use(TimeSpan.FromSeconds(3)));

        Assert.Contains("Durable:RetryFirstInterval is fixed for the life of the process", refused.Message, StringComparison.Ordinal);
        Assert.Equal(DurableHostFixture.TestRetryFirstInterval, DurableRetry.FirstInterval);
    }
}
