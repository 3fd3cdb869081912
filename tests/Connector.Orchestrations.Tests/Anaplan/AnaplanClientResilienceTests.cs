using Connector.Emulators.Anaplan.Model;
using Connector.Orchestrations.Anaplan;

namespace Connector.Orchestrations.Tests.Anaplan;

public sealed class AnaplanClientResilienceTests
{
    private const string ImportsRoute = "GET /2/0/workspaces/*/models/*/imports";

    [Theory]
    [InlineData(2, 2)]
    [InlineData(null, 10)] // no Retry-After on a 429: wait 10 s
    public async Task Call_429Storm_NoRequestBeforeRetryAfter(int? retryAfterSeconds, int expectedWaitSeconds)
    {
        var time = new ObservedFakeTimeProvider(DateTimeOffset.UtcNow);
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync(o => o.RateLimitPerMinute = 0, time);
        AnaplanClient client = host.Client();
        await client.GetModelAsync();
        host.State.Faults.FailNext(ImportsRoute, 3, 429, retryAfterSeconds);
        TimeSpan wait = TimeSpan.FromSeconds(expectedWaitSeconds);

        Task<IReadOnlyList<AnaplanImport>> call = client.ListImportsAsync();
        for (int storm = 1; storm <= 3; storm++)
        {
            await time.WaitForTimerAsync(wait); // the client is now waiting out the 429
            int before = host.State.Requests.Find("GET", "/imports").Count;
            time.Advance(wait - TimeSpan.FromMilliseconds(1));
            Assert.Equal(before, host.State.Requests.Find("GET", "/imports").Count);
            time.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.Equal(5, (await call).Count);
        IReadOnlyList<EmulatorRequest> requests = host.State.Requests.Find("GET", "/imports");
        Assert.Equal([429, 429, 429, 200], requests.Select(r => r.StatusCode));
        for (int i = 1; i < requests.Count; i++)
        {
            Assert.True(requests[i].ReceivedAt - requests[i - 1].CompletedAt >= wait, $"request {i} came {requests[i].ReceivedAt - requests[i - 1].CompletedAt} after a 429");
        }
    }

    [Fact]
    public async Task RetryAfterSentToOneCall_HoldsBackEveryOtherCallToTheTenant_UntilItEnds()
    {
        var time = new ObservedFakeTimeProvider(DateTimeOffset.UtcNow);
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync(o => o.RateLimitPerMinute = 0, time);
        AnaplanClient client = host.Client();
        await client.GetModelAsync();
        host.State.Faults.FailNext(ImportsRoute, 1, 429, 3);
        TimeSpan window = TimeSpan.FromSeconds(3);

        Task<IReadOnlyList<AnaplanImport>> refused = client.ListImportsAsync();
        await time.WaitForTimerAsync(window); // its retry waits out the Retry-After
        Task<IReadOnlyList<AnaplanExport>> other = client.ListExportsAsync(); // another flow's call to the same tenant
        await time.WaitForTimerAsync(window); // held back by the same window, not sent at once
        Assert.Empty(host.State.Requests.Find("GET", "/exports"));
        time.Advance(window);

        Assert.Equal(5, (await refused).Count);
        Assert.NotEmpty(await other);
        EmulatorRequest limited = Assert.Single(host.State.Requests.Snapshot(), r => r.StatusCode == 429);
        EmulatorRequest exports = Assert.Single(host.State.Requests.Find("GET", "/exports"));
        Assert.True(exports.ReceivedAt >= limited.CompletedAt + window, $"the other call came {exports.ReceivedAt - limited.CompletedAt} after the 429");
        Assert.Empty(host.State.Requests.CallsInsideRetryAfterWindows());
    }

    [Theory]
    [InlineData(410)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task Call_TransientStatus_IsRetriedUntilSuccess(int status)
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();
        AnaplanClient client = host.Client();
        host.State.Faults.FailNext(ImportsRoute, 2, status);

        Assert.Equal(5, (await client.ListImportsAsync()).Count);

        Assert.Equal([status, status, 200], host.State.Requests.Find("GET", "/imports").Select(r => r.StatusCode));
    }

    [Fact]
    public async Task Call_ConnectionDropped_IsRetried()
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();
        AnaplanClient client = host.Client();
        await client.GetModelAsync();
        host.State.Faults.DropNext(ImportsRoute, 2);

        Assert.Equal(5, (await client.ListImportsAsync()).Count);

        Assert.Equal([0, 0, 200], host.State.Requests.Find("GET", "/imports").Select(r => r.StatusCode));
    }

    [Theory]
    [InlineData(400, AnaplanErrorCodes.BadRequest)]
    [InlineData(403, AnaplanErrorCodes.Forbidden)]
    [InlineData(405, AnaplanErrorCodes.BadRequest)]
    [InlineData(409, AnaplanErrorCodes.Conflict)]
    [InlineData(415, AnaplanErrorCodes.BadRequest)]
    public async Task Call_NonRetryableStatus_FailsAfterOneRequest(int status, string errorCode)
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();
        AnaplanClient client = host.Client();
        host.State.Faults.FailNext(ImportsRoute, 1, status);

        AnaplanException error = await Assert.ThrowsAsync<AnaplanException>(() => client.ListImportsAsync());

        Assert.Equal(status, error.StatusCode);
        Assert.Equal(errorCode, error.ErrorCode);
        Assert.Equal($"/2/0/workspaces/{AnaplanTestHost.WorkspaceId}/models/{AnaplanTestHost.ModelId}/imports", error.RequestPath);
        Assert.Single(host.State.Requests.Find("GET", "/imports"));
    }

    [Theory]
    [InlineData("ARCHIVED", 422, AnaplanModelState.Archived)]
    [InlineData("LOCKED", 423, AnaplanModelState.Locked)]
    [InlineData("MAINTENANCE", 424, AnaplanModelState.Offline)]
    public async Task Call_ModelInBlockingState_SurfacesTypedErrorNamingTheState(string activeState, int status, AnaplanModelState expected)
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();
        AnaplanClient client = host.Client();
        host.Model.SetActiveState(activeState);

        AnaplanModelStateException error = await Assert.ThrowsAsync<AnaplanModelStateException>(() => client.ListFilesAsync());

        Assert.Equal(status, error.StatusCode);
        Assert.Equal(expected, error.State);
        Assert.Contains(expected.ToString().ToLowerInvariant(), error.Message, StringComparison.Ordinal);
        Assert.Single(host.State.Requests.Find("GET", "/files"));
    }

    [Fact]
    public async Task Call_Deployed425_SurfacesDeployedState()
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();
        AnaplanClient client = host.Client();
        host.State.Faults.FailNext("POST /2/0/**/tasks", 1, 425);

        AnaplanModelStateException error = await Assert.ThrowsAsync<AnaplanModelStateException>(() => client.StartImportAsync(AnaplanTestHost.AccountsImport));

        Assert.Equal(AnaplanModelState.Deployed, error.State);
    }

    [Fact]
    public async Task Calls_TenantLimitReached_ClientWaitsOutTheEmulatorsRetryAfter()
    {
        var time = new ObservedFakeTimeProvider(DateTimeOffset.UtcNow);
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync(o =>
        {
            o.RateLimitCapacity = 2;
            o.RateLimitPerMinute = 6; // one token every 10 s
        }, time);
        AnaplanClient client = host.Client();
        await client.ListImportsAsync();
        await client.ListImportsAsync();

        Task<IReadOnlyList<AnaplanImport>> third = client.ListImportsAsync();
        await time.WaitForTimerAsync(TimeSpan.FromSeconds(10));
        time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(5, (await third).Count);
        EmulatorRequest limited = Assert.Single(host.State.Requests.Snapshot(), r => r.StatusCode == 429);
        Assert.Equal("10", limited.RetryAfter);
    }

    [Fact]
    public async Task Calls_ClientBucket_SpacesRequestsToItsShare()
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync(o => o.RateLimitPerMinute = 0);
        AnaplanClient client = host.Client(o => o.RequestsPerMinute = 60); // a burst of 6, then one a second

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.GetModelAsync()));

        EmulatorRequest[] calls = [.. host.State.Requests.Find("GET", "/models/")];
        Assert.Equal(8, calls.Length);
        Assert.Equal(0, host.State.Counters.RateLimited);
        // Two requests over the burst need two refills of one token a second: they cannot all arrive within a second.
        Assert.True(calls[^1].ReceivedAt - calls[0].ReceivedAt >= TimeSpan.FromSeconds(1), $"8 requests within {calls[^1].ReceivedAt - calls[0].ReceivedAt}");
    }
}
