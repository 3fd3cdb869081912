using Connector.Emulators.Anaplan.Model;

namespace Connector.Emulators.Anaplan.Http;

/// <summary>
/// What every request goes through before its endpoint: the request log, injected faults, the tenant rate limit
/// and, for the Integration API, the token check.
/// </summary>
internal sealed class RequestPipeline(RequestDelegate next, EmulatorState state)
{
    public const string UserItem = "anaplan.user";

    public async Task InvokeAsync(HttpContext context)
    {
        DateTimeOffset received = state.Time.GetUtcNow();
        long sequence = state.Requests.NextSequence();
        string path = context.Request.Path.Value ?? "/";
        string method = context.Request.Method;
        bool dropped = false;

        // The request is logged when its answer starts to go out, not after the endpoint returns: a client can read a
        // whole response (a page of 5,000 files) before the pipeline unwinds, and a test counting requests right after
        // the call must find it. Logged once, whichever of these comes first.
        int logged = 0;
        void Log()
        {
            if (Interlocked.Exchange(ref logged, 1) == 0)
            {
                int status = dropped ? 0 : context.Response.StatusCode;
                string? retryAfter = context.Response.Headers.RetryAfter.Count > 0 ? context.Response.Headers.RetryAfter.ToString() : null;
                state.Requests.Add(new EmulatorRequest(
                    sequence, method, path + context.Request.QueryString.Value, status, received, state.Time.GetUtcNow(), retryAfter));
                Logs.RequestAnswered(state.Logger, method, path, status);
            }
        }

        context.Response.OnStarting(() =>
        {
            Log();
            return Task.CompletedTask;
        });
        context.Response.OnCompleted(() =>
        {
            Log();
            return Task.CompletedTask;
        });

        if (path.StartsWith("/_emulator", StringComparison.OrdinalIgnoreCase))
        {
            await next(context);
            return;
        }

        bool api = path.StartsWith("/2/0", StringComparison.Ordinal);
        if (api)
        {
            state.Counters.ApiRequest();
        }

        if (state.Faults.Take(method, path) is { } fault)
        {
            state.Counters.FaultInjected();
            Logs.FaultInjected(state.Logger, method, path, fault.Kind);
            switch (fault.Kind)
            {
                case FaultKind.Drop:
                    dropped = true;
                    Log(); // before the abort: the client sees the reset at once and may retry
                    context.Abort();
                    return;
                case FaultKind.Fail:
                    await Envelope.Error(context, fault.StatusCode, null, fault.RetryAfterSeconds).ExecuteAsync(context);
                    return;
                default:
                    await Task.Delay(fault.Delay, state.Time, context.RequestAborted);
                    break;
            }
        }

        if (api && !state.RateLimiter.TryTake(out TimeSpan wait))
        {
            state.Counters.RateLimit();
            int? retryAfter = state.Options.RateLimitSendsRetryAfter ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : null;
            await Envelope.Error(context, 429, "Too Many Requests", retryAfter).ExecuteAsync(context);
            return;
        }

        if (api)
        {
            string? user = this.Authenticate(context);
            if (user is null)
            {
                state.Counters.UnauthorizedApiRequest();
                await Envelope.Error(context, 401, "Unauthorized").ExecuteAsync(context);
                return;
            }

            context.Items[UserItem] = user;
        }

        await next(context);
    }

    private string? Authenticate(HttpContext context)
    {
        string? header = context.Request.Headers.Authorization;
        const string scheme = "AnaplanAuthToken ";
        if (header is null || !header.StartsWith(scheme, StringComparison.Ordinal))
        {
            return null;
        }

        return state.Identity.Find(header[scheme.Length..].Trim(), state.Time.GetUtcNow())?.UserName;
    }
}
