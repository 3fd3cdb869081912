using System.Net;
using Connector.Functions.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Connector.Functions.Tests.Http;

/// <summary>
/// <c>POST /api/connections/{id}/check</c> through the one HTTP edge: an unknown connection is a 404 naming it, and
/// read-only mode refuses it (it signs in to both systems with the stored credentials). The check's lines themselves
/// are tested against the real agent and emulator in Connector.Orchestrations.Tests (ConnectionCheckTests).
/// </summary>
public sealed class ConnectionCheckFunctionTests(HttpFunctionsFixture fixture) : IClassFixture<HttpFunctionsFixture>
{
    [Fact]
    public async Task Check_UnknownConnection_Answers404NamingIt()
    {
        Answer answer = await CheckAsync(fixture.App, "no-such-connection");

        Assert.True(answer.Status == HttpStatusCode.NotFound, answer.ToString());
        Assert.Contains("'no-such-connection'", answer.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_ReadOnly_Answers403NamingTheSetting()
    {
        Answer answer = await CheckAsync(fixture.ReadOnlyApp, HttpFunctionsFixture.Connection);

        Assert.True(answer.Status == HttpStatusCode.Forbidden, answer.ToString());
        Assert.Contains("Ops:ReadOnly", answer.Error, StringComparison.Ordinal);
    }

    private static Task<Answer> CheckAsync(IServiceProvider app, string connectionId)
        => new TestCaller(app).CallAsync("POST", $"connections/{connectionId}/check", null, "CheckConnection", request =>
            ActivatorUtilities.CreateInstance<ConnectionFunctions>(app).CheckAsync(request, connectionId));
}
