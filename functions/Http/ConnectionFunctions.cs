using Connector.Orchestrations.ModelFit;
using Connector.Orchestrations.Operations.Api;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace Connector.Functions.Http;

/// <summary>
/// "Ping your real systems" over HTTP: <see cref="ConnectionChecker"/> checks a connection against its Sage agent and its
/// Anaplan model and writes nothing. Answers 200 with every line (<c>passed</c> false when one failed: the check itself
/// worked), 404 for an unknown connection. A POST, so the edge logs it as an operator action and refuses it in read-only
/// mode: it signs in to both systems with the stored credentials.
/// </summary>
public sealed class ConnectionFunctions(ApiEdge edge, ConnectionChecker checker)
{
    [Function("CheckConnection")]
    public Task<HttpResponseData> CheckAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "connections/{connectionId}/check")] HttpRequestData request,
        string connectionId)
        => edge.RunAsync(request, "check-connection", connectionId, async ct => ApiResult.Ok(await checker.CheckAsync(connectionId, ct)));
}
