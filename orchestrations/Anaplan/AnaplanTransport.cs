using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading.RateLimiting;
using Connector.Orchestrations.Telemetry;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Connector.Orchestrations.Anaplan;

/// <summary>One HTTP call: method, absolute URI and a content factory (called once per attempt).</summary>
internal sealed record AnaplanRequest(HttpMethod Method, Uri Uri, Func<HttpContent?>? Content = null)
{
    /// <summary>The path for logs and exceptions: no query, no secrets.</summary>
    public string Path => this.Uri.AbsolutePath;
}

/// <summary>
/// Sends calls to Anaplan: waits for the client-side token bucket, attaches the shared token, re-authenticates once
/// on 401 and replays, retries transient failures through a Polly pipeline, and turns errors into
/// <see cref="AnaplanException"/>s.
/// </summary>
internal sealed class AnaplanTransport
{
    private static readonly ResiliencePropertyKey<AnaplanRequest> RequestKey = new("anaplan.request");

    private static readonly HashSet<HttpStatusCode> Transient =
    [
        HttpStatusCode.Gone, HttpStatusCode.TooManyRequests, HttpStatusCode.BadGateway, HttpStatusCode.ServiceUnavailable, HttpStatusCode.GatewayTimeout,
    ];

    private readonly HttpClient http;
    private readonly AnaplanClientOptions options;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly ResiliencePipeline<HttpResponseMessage> pipeline;

    public AnaplanTransport(HttpClient http, AnaplanClientOptions options, TimeProvider time, ILogger logger)
    {
        this.http = http;
        this.options = options;
        this.time = time;
        this.logger = logger;
        AnaplanRetryOptions retry = options.Retry;
        this.pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = Math.Max(1, retry.MaxRetryAttempts),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = retry.BaseDelay,
                MaxDelay = retry.MaxDelay,
                ShouldHandle = args => ValueTask.FromResult(retry.MaxRetryAttempts > 0 && IsTransient(args.Outcome, args.Context.CancellationToken)),
                DelayGenerator = args => ValueTask.FromResult(this.RetryAfter(args.Outcome.Result)),
                OnRetry = args =>
                {
                    AnaplanRequest? request = args.Context.Properties.GetValue(RequestKey, null!);
                    ConnectorTelemetry.Retried("anaplan", args.Outcome.Result is { } answer ? ((int)answer.StatusCode).ToString(CultureInfo.InvariantCulture) : args.Outcome.Exception?.GetType().Name ?? "failure");
                    Logs.AnaplanRetrying(
                        this.logger, request?.Method.Method ?? "?", request?.Path ?? "?", (int?)args.Outcome.Result?.StatusCode,
                        args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception);
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(options.AttemptTimeout)
            .Build();
    }

    public TimeProvider Time => this.time;

    /// <summary>Sends an unauthenticated call (the auth service) with retries; returns whatever Anaplan answered.</summary>
    public Task<HttpResponseMessage> SendAnonymousAsync(AnaplanRequest request, Func<HttpRequestMessage, ValueTask> decorate, CancellationToken cancellationToken)
        => this.ExecuteAsync(request, async (r, ct) =>
        {
            using HttpRequestMessage message = Build(r);
            await decorate(message);
            return await this.http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, ct);
        }, cancellationToken);

    /// <summary>Sends an API call and returns a successful response.</summary>
    /// <exception cref="AnaplanException">Anaplan answered an error, or the retries ran out.</exception>
    public async Task<HttpResponseMessage> SendAsync(
        AnaplanRequest request, AnaplanTokenProvider tokens, IAnaplanAuthenticator authenticator, AnaplanTenantGate gate, CancellationToken cancellationToken)
    {
        HttpResponseMessage response = await this.ExecuteAsync(request, async (r, ct) =>
        {
            string token = await tokens.GetTokenAsync(authenticator, this.options.TokenRefreshWindow, ct);
            HttpResponseMessage answer = await this.SendOnceAsync(r, token, gate, ct);
            if (answer.StatusCode == HttpStatusCode.Unauthorized)
            {
                answer.Dispose();
                token = await tokens.ReauthenticateAsync(authenticator, token, ct);
                answer = await this.SendOnceAsync(r, token, gate, ct);
            }

            return answer;
        }, cancellationToken);

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            throw await ErrorAsync(request, response, cancellationToken);
        }
    }

    /// <summary>Builds the exception for an error answer. Reads at most a few KB of the body for Anaplan's message.</summary>
    public static async Task<AnaplanException> ErrorAsync(AnaplanRequest request, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        int status = (int)response.StatusCode;
        string? message = await ReadStatusMessageAsync(response, cancellationToken);
        string text = $"Anaplan answered {status}{(message is null ? string.Empty : " (" + message + ")")} to {request.Method} {request.Path}.";
        if (status == 401)
        {
            return new AnaplanAuthenticationException(text + " The token was refused even after authenticating again.", status, request.Path);
        }

        if (status == 404)
        {
            return new AnaplanNotFoundException(text, request.Path);
        }

        if (AnaplanModelStateException.StateOf(status) is AnaplanModelState state)
        {
            return new AnaplanModelStateException($"{text} The model is {state.ToString().ToLowerInvariant()}: fix its state, then retry.", status, state, request.Path);
        }

        return new AnaplanException(text, status, AnaplanErrorCodes.ForStatus(status), request.Path);
    }

    private async Task<HttpResponseMessage> ExecuteAsync(
        AnaplanRequest request, Func<AnaplanRequest, CancellationToken, Task<HttpResponseMessage>> attempt, CancellationToken cancellationToken)
    {
        ResilienceContext context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(RequestKey, request);
        try
        {
            return await this.pipeline.ExecuteAsync(
                static async (ctx, state) => await state.attempt(state.request, ctx.CancellationToken),
                context,
                (attempt, request));
        }
        catch (TimeoutRejectedException ex)
        {
            throw new AnaplanException(
                $"Anaplan did not answer {request.Method} {request.Path} within {this.options.AttemptTimeout} after {this.options.Retry.MaxRetryAttempts} retries.",
                null, AnaplanErrorCodes.Timeout, request.Path, ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
        {
            throw new AnaplanException(
                $"Anaplan could not be reached for {request.Method} {request.Path} after {this.options.Retry.MaxRetryAttempts} retries: {ex.GetType().Name}.",
                null, AnaplanErrorCodes.Transport, request.Path, ex);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private async Task<HttpResponseMessage> SendOnceAsync(AnaplanRequest request, string token, AnaplanTenantGate gate, CancellationToken cancellationToken)
    {
        if (!await gate.EnterAsync(this.time, cancellationToken))
        {
            throw new AnaplanException($"The client-side rate limiter refused {request.Method} {request.Path}.", null, AnaplanErrorCodes.RateLimited, request.Path);
        }

        using HttpRequestMessage message = Build(request);
        message.Headers.Authorization = new AuthenticationHeaderValue("AnaplanAuthToken", token);
        HttpResponseMessage response = await this.http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable && response.Headers.RetryAfter is not null
            && this.RetryAfter(response) is { } pause)
        {
            // The tenant asked to be left alone for a while: every call of the process waits, not only this one's retry.
            gate.PauseUntil(this.time.GetUtcNow() + pause);
        }

        Logs.AnaplanCall(this.logger, request.Method.Method, request.Path, (int)response.StatusCode);
        ConnectorTelemetry.AnaplanAnswered(request.Method.Method, (int)response.StatusCode);
        return response;
    }

    private static HttpRequestMessage Build(AnaplanRequest request)
    {
        var message = new HttpRequestMessage(request.Method, request.Uri) { Content = request.Content?.Invoke() };
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return message;
    }

    private static bool IsTransient(Outcome<HttpResponseMessage> outcome, CancellationToken cancellationToken) => outcome switch
    {
        { Result: { } response } => Transient.Contains(response.StatusCode),
        { Exception: TimeoutRejectedException } => true,
        { Exception: HttpRequestException or IOException } => !cancellationToken.IsCancellationRequested,
        _ => false,
    };

    /// <summary>Retry-After wins (seconds or a date); a 429 without it waits the configured default; otherwise null
    /// lets the exponential backoff with jitter decide.</summary>
    private TimeSpan? RetryAfter(HttpResponseMessage? response)
    {
        if (response is null)
        {
            return null;
        }

        RetryConditionHeaderValue? header = response.Headers.RetryAfter;
        if (header?.Delta is TimeSpan delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (header?.Date is DateTimeOffset date)
        {
            TimeSpan wait = date - this.time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return response.StatusCode == HttpStatusCode.TooManyRequests ? this.options.Retry.DefaultRetryAfter : null;
    }

    private static async Task<string?> ReadStatusMessageAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            byte[] body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (body.Length is 0 or > 16384)
            {
                return null;
            }

            using JsonDocument json = JsonDocument.Parse(body);
            JsonElement root = json.RootElement;
            if (root.TryGetProperty("status", out JsonElement status))
            {
                if (status.ValueKind == JsonValueKind.Object && status.TryGetProperty("message", out JsonElement message))
                {
                    return message.GetString();
                }

                if (status.ValueKind == JsonValueKind.String)
                {
                    return status.GetString();
                }
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }
}
