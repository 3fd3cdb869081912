using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Connector.Orchestrations.Credentials;
using Connector.Orchestrations.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Connector.Orchestrations.Sage100;

/// <summary>
/// The connector's client of the Sage 100 agent (agent/openapi.yaml) for one company.
/// </summary>
/// <remarks>
/// <para>Every failure is a <see cref="SageAgentException"/> with a stable <see cref="SageAgentException.Code"/>:
/// <c>Locked</c> and <c>Unavailable</c> (and dropped connections, attempt timeouts) are retried with exponential
/// backoff and jitter, honouring Retry-After, up to <see cref="SageAgentClientOptions.MaxRetryAttempts"/>;
/// <c>Validation</c> is never retried and carries Sage's message, the record and the field; <c>Tls</c> fails closed.</para>
/// <para>"Maybe" reads (<see cref="FindJournalEntryAsync"/>) return null on 404. Paged reads stream
/// (<see cref="IAsyncEnumerable{T}"/>): only one page is in memory at a time.</para>
/// </remarks>
public class SageAgentClient : IDisposable
{
    private const string ApiKeyHeader = "X-Api-Key";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly SageAgentClientOptions options = null!;
    private readonly ICredentialStore credentials = null!;
    private readonly ILogger logger = NullLogger.Instance;
    private readonly HttpClient http = null!;
    private readonly bool ownsHttp;
    private readonly ResiliencePipeline pipeline = null!;
    private readonly SageTlsPolicy tls = null!;

    /// <summary>Creates a client over an HttpClient built by <see cref="SageAgentClientFactory"/> (the only way to build one).</summary>
    internal SageAgentClient(SageAgentClientOptions options, ICredentialStore credentials, HttpClient http, SageTlsPolicy tls, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        this.options = options;
        this.credentials = credentials;
        this.logger = loggerFactory.CreateLogger<SageAgentClient>();
        this.tls = tls;
        this.http = http;
        this.ownsHttp = true;
        this.CompanyCode = options.CompanyCode.ToUpperInvariant();
        this.pipeline = BuildPipeline(options, timeProvider, this.logger, () => this.CompanyCode);
    }

    /// <summary>For mocking.</summary>
    protected SageAgentClient()
    {
        this.CompanyCode = string.Empty;
    }

    private SageAgentClient(SageAgentClient parent, string companyCode)
    {
        this.options = parent.options;
        this.credentials = parent.credentials;
        this.logger = parent.logger;
        this.http = parent.http;
        this.tls = parent.tls;
        this.CompanyCode = companyCode.ToUpperInvariant();
        this.pipeline = parent.pipeline;
    }

    /// <summary>Gets the Sage company code this client sends.</summary>
    public virtual string CompanyCode { get; }

    /// <summary>Returns a client for another company of the same agent, sharing connections (do not dispose it separately).</summary>
    public virtual SageAgentClient ForCompany(string companyCode) => new(this, companyCode);

    /// <summary>Checks that the agent and Sage answer.</summary>
    public virtual async Task CheckHealthAsync(CancellationToken cancellationToken = default)
        => await this.SendAsync<JsonElement>("health", HttpMethod.Get, "v1/health", null, cancellationToken);

    /// <summary>Reads what the agent discovered: versions, companies, account structures, batch mode, source journals.</summary>
    public virtual async Task<SageCapabilities> GetCapabilitiesAsync(CancellationToken cancellationToken = default)
    {
        WireCapabilities c = await this.SendAsync<WireCapabilities>("capabilities", HttpMethod.Get, "v1/capabilities", null, cancellationToken);
        return new SageCapabilities(c.AgentVersion, c.Backend, c.SageVersion, c.Companies.Select(x => new SageCompanyCapabilities(x.Code, x.Name, x.AccountStructure.ToModel(),
            x.BatchMode.Enabled, x.BatchMode.PostOnCreate, x.SourceJournals.Select(j => j.Code).ToList(), x.CurrentFiscalYear, x.CurrentPeriod, x.ApDivisionsEnabled)).ToList());
    }

    /// <summary>Reads the company's account structure.</summary>
    /// <exception cref="SageAgentException">NotFound for an unknown company.</exception>
    public virtual async Task<AccountStructure> GetAccountStructureAsync(CancellationToken cancellationToken = default)
        => (await this.SendAsync<WireStructure>("account-structure", HttpMethod.Get, this.Company("account-structure"), null, cancellationToken)).ToModel();

    /// <summary>Streams every GL account, ordered by AccountKey.</summary>
    public virtual IAsyncEnumerable<SageGlAccount> GetAccountsAsync(CancellationToken cancellationToken = default)
        => this.Pages<WireAccount, SageGlAccount>("gl-accounts", this.Company("gl/accounts"), [], a => new SageGlAccount(a.AccountKey, a.Account, a.RawAccount, a.Segments, a.MainAccountCode,
            a.Description, a.Type, a.Group, a.Category, a.Status, a.ClearBalance, a.UpdatedAt is null ? null : SageWatermark.Parse(a.UpdatedAt)), null, cancellationToken);

    /// <summary>Streams the sub-account codes (of one segment, or all), e.g. the departments used as cost centres.</summary>
    public virtual IAsyncEnumerable<SageSubAccount> GetSubAccountsAsync(int? segment = null, CancellationToken cancellationToken = default)
        => this.Pages<SageSubAccount, SageSubAccount>("sub-accounts", this.Company("gl/sub-accounts"), [("segment", segment?.ToString(CultureInfo.InvariantCulture))], s => s, null, cancellationToken);

    /// <summary>Reads the fiscal calendar and the current period.</summary>
    public virtual async Task<SageFiscalCalendar> GetFiscalCalendarAsync(CancellationToken cancellationToken = default)
    {
        WireCalendar c = await this.SendAsync<WireCalendar>("fiscal-calendar", HttpMethod.Get, this.Company("gl/fiscal-calendar"), null, cancellationToken);
        return new SageFiscalCalendar(c.CurrentFiscalYear, c.CurrentPeriod, c.Years.Select(y => new SageFiscalYear(y.FiscalYear, y.BeginDate, y.EndDate,
            y.Periods.Select(p => new SageFiscalPeriod(p.Period, p.BeginDate, p.EndDate, p.Open)).ToList())).ToList());
    }

    /// <summary>Streams the period balances of one fiscal year and period range, ordered by AccountKey and period.</summary>
    public virtual IAsyncEnumerable<SagePeriodBalance> GetPeriodBalancesAsync(string fiscalYear, int fromPeriod = 1, int toPeriod = 13, CancellationToken cancellationToken = default)
        => this.Pages<WirePeriodBalance, SagePeriodBalance>("period-balances", this.Company("gl/period-balances"),
            PeriodBalanceQuery(fiscalYear, fromPeriod, toPeriod), b => b.ToModel(), null, cancellationToken,
            PeriodBalancePageReader.ReadAsync);

    /// <summary>
    /// Streams the period balances of one fiscal year and period range from <paramref name="cursor"/> (null: the first
    /// page), and stops at the end of the first page that brings the rows read to <paramref name="rowLimit"/> or more
    /// (0: no limit), or with the page after it when that is the range's last page (a last page of a few rows is not left
    /// for a read of its own). Once enumerated, <see cref="SagePageFeed{T}.NextCursor"/> says where to go on (null: the
    /// range was read to its end). The page after the limit is requested to see whether it is the last; the one after
    /// that never is.
    /// </summary>
    public virtual SagePageFeed<SagePeriodBalance> GetPeriodBalancePagesAsync(string fiscalYear, int fromPeriod, int toPeriod, string? cursor, long rowLimit)
        => new(cursor, (feed, ct) => this.Pages<WirePeriodBalance, SagePeriodBalance>("period-balances", this.Company("gl/period-balances"),
            PeriodBalanceQuery(fiscalYear, fromPeriod, toPeriod), b => b.ToModel(), null, ct,
            PeriodBalancePageReader.ReadAsync, new PageRange(cursor, rowLimit, (next, rows) => (feed.NextCursor, feed.Rows) = (next, rows))));

    /// <summary>The query of a period-balance read: one fiscal year and a range of its periods.</summary>
    private static (string Name, string? Value)[] PeriodBalanceQuery(string fiscalYear, int fromPeriod, int toPeriod)
        => [("fiscalYear", fiscalYear), ("fromPeriod", fromPeriod.ToString(CultureInfo.InvariantCulture)), ("toPeriod", toPeriod.ToString(CultureInfo.InvariantCulture))];

    /// <summary>Vendors: all of them (<paramref name="changedSince"/> null) or those changed since a watermark minus the overlap.</summary>
    public virtual SageChangeFeed<SageVendor> GetVendorsAsync(SageWatermark? changedSince = null, TimeSpan? overlap = null)
        => new(changedSince, (feed, ct) => this.Pages<WireVendor, SageVendor>("vendors", this.Company("ap/vendors"), Window(changedSince, overlap),
            v => new SageVendor(v.DivisionNo, v.VendorNo, v.VendorKey, v.Name, v.AddressLine1, v.City, v.State, v.ZipCode, v.TermsCode, v.Status, v.UpdatedAt is null ? null : SageWatermark.Parse(v.UpdatedAt)),
            w => feed.Watermark = w is null ? null : SageWatermark.Parse(w), ct));

    /// <summary>
    /// AP invoice totals per (division, vendor, fiscal year, period of the invoice date) over open and history
    /// invoices: every group (full pull) or every group holding an invoice changed since the watermark, each with its
    /// full recomputed totals (replace, don't add).
    /// </summary>
    public virtual SageChangeFeed<SageInvoiceTotal> GetInvoiceTotalsAsync(SageWatermark? changedSince = null, TimeSpan? overlap = null)
        => new(changedSince, (feed, ct) => this.Pages<SageInvoiceTotal, SageInvoiceTotal>("invoice-totals", this.Company("ap/invoice-totals"), Window(changedSince, overlap),
            t => t, w => feed.Watermark = w is null ? null : SageWatermark.Parse(w), ct));

    /// <summary>
    /// AP invoice GL distribution totalled per (division, vendor, fiscal year, period of the invoice date, code of account
    /// segment <paramref name="segment"/>): every group (full pull) or every group of a (vendor, period) holding an invoice
    /// changed since the watermark, each with its full recomputed totals (replace, don't add).
    /// </summary>
    public virtual SageChangeFeed<SageInvoiceDistributionTotal> GetInvoiceDistributionTotalsAsync(int segment, SageWatermark? changedSince = null, TimeSpan? overlap = null)
        => new(changedSince, (feed, ct) => this.Pages<SageInvoiceDistributionTotal, SageInvoiceDistributionTotal>("invoice-distribution", this.Company("ap/invoice-distribution"),
            [("segment", segment.ToString(CultureInfo.InvariantCulture)), .. Window(changedSince, overlap)], t => t, w => feed.Watermark = w is null ? null : SageWatermark.Parse(w), ct));

    /// <summary>Finds the journal entry carrying <paramref name="externalId"/> (unposted first, then history); null when there is none.</summary>
    public virtual async Task<SageJournalEntry?> FindJournalEntryAsync(string externalId, CancellationToken cancellationToken = default)
    {
        try
        {
            WireJournalEntry e = await this.SendAsync<WireJournalEntry>("find-journal-entry", HttpMethod.Get,
                this.Company("gl/journal-entries") + "?externalId=" + Uri.EscapeDataString(externalId), null, cancellationToken);
            return e.ToModel();
        }
        catch (SageAgentException ex) when (ex.Code == SageAgentErrorCode.NotFound && ex.Record is not null && ex.Record.StartsWith("journal entry", StringComparison.Ordinal))
        {
            return null;
        }
    }

    /// <summary>
    /// Creates a journal entry, or returns the existing one with the same external id (<see cref="SageJournalEntryResult.Created"/> false).
    /// Safe to repeat: the agent never posts the same external id twice, even after a crash between write and reply.
    /// </summary>
    /// <exception cref="SageAgentException">Validation (never retried), Conflict, or Locked/Unavailable after the retry budget.</exception>
    public virtual async Task<SageJournalEntryResult> CreateJournalEntryAsync(NewSageJournalEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var body = new WireNewEntry(entry.ExternalId, entry.SourceJournal, entry.PostingDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), entry.Comment,
            entry.Lines.Select(l => new WireNewLine(l.Account, l.Debit, l.Credit, l.Comment)).ToList());
        (WireJournalEntry e, HttpStatusCode status) = await this.SendWithStatusAsync<WireJournalEntry>("create-journal-entry", HttpMethod.Post, this.Company("gl/journal-entries"), body, cancellationToken);
        return new SageJournalEntryResult(e.ToModel(), status == HttpStatusCode.Created);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        this.Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the HttpClient (only the client that created it owns it; the factory keeps the handler).</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing && this.ownsHttp)
        {
            this.http.Dispose();
        }
    }

    private static ResiliencePipeline BuildPipeline(SageAgentClientOptions options, TimeProvider time, ILogger logger, Func<string> company)
        => new ResiliencePipelineBuilder { TimeProvider = time }
            .AddTimeout(options.TotalTimeout)
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = Math.Max(1, options.MaxRetryAttempts),
                ShouldHandle = new PredicateBuilder()
                    .Handle<SageAgentException>(e => e.IsTransient)
                    .Handle<HttpRequestException>(e => !IsTls(e))
                    // A connection the agent resets as it is made can escape HttpClient as a bare SocketException (read of
                    // the remote end point): the same failure as the wrapped one above.
                    .Handle<System.Net.Sockets.SocketException>()
                    .Handle<TimeoutRejectedException>(),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.MaxRetryDelay,

                // A positive Retry-After from the agent sets the wait (capped); otherwise Polly's exponential backoff with jitter.
                DelayGenerator = args => ValueTask.FromResult((args.Outcome.Exception as SageAgentException)?.RetryAfter is { } wait && wait > TimeSpan.Zero
                    ? (TimeSpan?)(wait < options.MaxRetryDelay ? wait : options.MaxRetryDelay)
                    : null),
                OnRetry = args =>
                {
                    string failure = args.Outcome.Exception is SageAgentException s ? s.Code.ToString() : args.Outcome.Exception?.GetType().Name ?? "failure";
                    string operation = args.Context.OperationKey ?? "call";
                    Logs.SageRetrying(logger, operation, company(), failure, args.AttemptNumber + 1, (long)args.RetryDelay.TotalMilliseconds);
                    ConnectorTelemetry.Retried("sage", failure);
                    return default;
                },
            })
            .AddTimeout(options.RequestTimeout)
            .Build();

    /// <summary>
    /// Whether the TLS handshake itself failed (certificate not trusted or not pinned, no common protocol: an
    /// <see cref="System.Security.Authentication.AuthenticationException"/> inside): never retried. A connection the network
    /// dropped during the handshake (reset, broken pipe, end of stream: a restarting agent, a proxy in front of a stopped
    /// one) is reported by .NET as a secure-connection error too, with only an I/O or socket error inside; that is an
    /// unreachable agent and is retried like any other.
    /// </summary>
    private static bool IsTls(HttpRequestException e)
    {
        if (e.HttpRequestError != HttpRequestError.SecureConnectionError)
        {
            return false;
        }

        for (Exception? inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Security.Authentication.AuthenticationException)
            {
                return true;
            }
        }

        return e.InnerException is not (IOException or System.Net.Sockets.SocketException);
    }

    private static IEnumerable<(string, string?)> Window(SageWatermark? changedSince, TimeSpan? overlap)
        => [("changedSince", changedSince?.ToString()), ("overlapSeconds", overlap is { } o ? ((int)o.TotalSeconds).ToString(CultureInfo.InvariantCulture) : null)];

    private string Company(string path) => $"v1/companies/{Uri.EscapeDataString(this.CompanyCode)}/{path}";

    /// <summary>
    /// Streams a paged read, one page ahead: the next page is requested (and parsed) while the caller works through the
    /// current one, so the agent's query and the caller's writing overlap. At most two pages are held, whatever the size.
    /// A failure of the page read ahead surfaces only once the caller has had every row of the pages before it, as if it
    /// had been read in turn; when the caller stops early (a failure of its own, cancellation), the read ahead is cancelled
    /// and awaited, never left running. <paramref name="read"/> reads a page's body (null: System.Text.Json).
    /// </summary>
    private async IAsyncEnumerable<TOut> Pages<TWire, TOut>(
        string operation, string path, IEnumerable<(string Name, string? Value)> query, Func<TWire, TOut> map, Action<string?>? watermark, [EnumeratorCancellation] CancellationToken cancellationToken,
        Func<HttpContent, JsonSerializerOptions, CancellationToken, Task<WirePage<TWire>?>>? read = null, PageRange? range = null)
    {
        string fixedQuery = string.Join("&", query.Where(q => q.Value is not null).Append(("limit", this.options.PageSize.ToString(CultureInfo.InvariantCulture)))
            .Select(q => $"{q.Item1}={Uri.EscapeDataString(q.Item2!)}"));
        using var ahead = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<WirePage<TWire>> Read(string? cursor)
            => this.SendAsync<WirePage<TWire>>(operation, HttpMethod.Get, $"{path}?{fixedQuery}" + (cursor is null ? string.Empty : "&cursor=" + Uri.EscapeDataString(cursor)), null, ahead.Token, read);

        Task<WirePage<TWire>>? next = Read(range?.From);
        bool first = true;
        long rows = 0;
        string? stoppedAt = null; // the cursor of the page after the limit, when that page is not the last one
        try
        {
            while (next is not null)
            {
                WirePage<TWire> page = await next;
                if (stoppedAt is not null)
                {
                    // The page after the limit, read ahead: when it is the last, it joins this read (a file of its few
                    // rows would cost a whole load of its own); otherwise it is left for the read from the cursor.
                    if (page.NextCursor is not null)
                    {
                        next = null;
                        break;
                    }

                    stoppedAt = null;
                }

                rows += page.Items.Count;
                bool stop = range is { RowLimit: > 0 } && rows >= range.RowLimit && page.NextCursor is not null;
                next = page.NextCursor is { } cursor ? Read(cursor) : null;
                stoppedAt = stop ? page.NextCursor : stoppedAt;
                if (first)
                {
                    watermark?.Invoke(page.Watermark);
                    first = false;
                }

                foreach (TWire item in page.Items)
                {
                    yield return map(item);
                }
            }

            range?.Stopped(stoppedAt, rows);
        }
        finally
        {
            if (next is not null)
            {
                // The caller stopped before the page read ahead was needed: nothing waits for it any more.
                await ahead.CancelAsync();
                try
                {
                    await next;
                }
                catch (Exception)
                {
                    // Whatever became of the read ahead, the caller stopped for its own reason, and that is what propagates.
                }
            }
        }
    }

    private async Task<T> SendAsync<T>(string operation, HttpMethod method, string url, object? body, CancellationToken cancellationToken, Func<HttpContent, JsonSerializerOptions, CancellationToken, Task<T?>>? read = null)
        => (await this.SendWithStatusAsync<T>(operation, method, url, body, cancellationToken, read)).Body;

    private async Task<(T Body, HttpStatusCode Status)> SendWithStatusAsync<T>(
        string operation, HttpMethod method, string url, object? body, CancellationToken cancellationToken, Func<HttpContent, JsonSerializerOptions, CancellationToken, Task<T?>>? read = null)
    {
        Secret key = await this.credentials.GetAsync(this.options.ApiKeyReference, cancellationToken);
        ResilienceContext context = ResilienceContextPool.Shared.Get(operation, cancellationToken);
        try
        {
            return await this.pipeline.ExecuteAsync(
                async ctx =>
                {
                    using var request = new HttpRequestMessage(method, url);
                    request.Headers.Add(ApiKeyHeader, key.Reveal());
                    if (body is not null)
                    {
                        request.Content = JsonContent.Create(body, options: Json);
                    }

                    using HttpResponseMessage response = await this.http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ctx.CancellationToken);
                    if (response.IsSuccessStatusCode)
                    {
                        T result = await (read is null ? response.Content.ReadFromJsonAsync<T>(Json, ctx.CancellationToken) : read(response.Content, Json, ctx.CancellationToken))
                            ?? throw new SageAgentException(SageAgentErrorCode.Protocol, $"The Sage agent answered {operation} with an empty body.", (int)response.StatusCode);
                        return (result, response.StatusCode);
                    }

                    throw await this.ToException(operation, response, ctx.CancellationToken);
                },
                context);
        }
        catch (SageAgentException ex)
        {
            Logs.SageCallFailed(this.logger, operation, this.CompanyCode, ex.Code, ex.Message);
            throw;
        }
        catch (HttpRequestException ex) when (IsTls(ex))
        {
            throw this.tls.Explain(ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or System.Net.Sockets.SocketException)
        {
            throw new SageAgentException(SageAgentErrorCode.Unavailable, $"Could not reach the Sage agent at {this.http.BaseAddress} for {operation} after retries: {ex.Message}", innerException: ex);
        }
        catch (TimeoutRejectedException ex)
        {
            throw new SageAgentException(SageAgentErrorCode.Unavailable, $"The Sage agent at {this.http.BaseAddress} did not answer {operation} in time (attempt timeout {this.options.RequestTimeout}, total {this.options.TotalTimeout}).", innerException: ex);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private async Task<SageAgentException> ToException(string operation, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        int status = (int)response.StatusCode;
        WireError? error = null;
        try
        {
            error = await response.Content.ReadFromJsonAsync<WireError>(Json, cancellationToken);
        }
        catch (JsonException)
        {
            // Not the agent's error body (a proxy?); fall back on the status.
        }

        TimeSpan? retryAfter = response.Headers.RetryAfter?.Delta
            ?? (error?.RetryAfterSeconds is { } s ? TimeSpan.FromSeconds(s) : null);
        SageAgentErrorCode code = error?.Code switch
        {
            "locked" => SageAgentErrorCode.Locked,
            "validation" => SageAgentErrorCode.Validation,
            "unavailable" => SageAgentErrorCode.Unavailable,
            "not_found" => SageAgentErrorCode.NotFound,
            "unauthorized" => SageAgentErrorCode.Unauthorized,
            "bad_request" => SageAgentErrorCode.BadRequest,
            "conflict" => SageAgentErrorCode.Conflict,
            _ => status switch
            {
                401 => SageAgentErrorCode.Unauthorized,
                404 => SageAgentErrorCode.NotFound,
                423 => SageAgentErrorCode.Locked,
                422 => SageAgentErrorCode.Validation,
                502 or 503 or 504 => SageAgentErrorCode.Unavailable,
                _ => SageAgentErrorCode.Protocol,
            },
        };
        string message = code == SageAgentErrorCode.Unauthorized
            ? $"The Sage agent rejected the API key stored under '{this.options.ApiKeyReference}' (HTTP 401)."
            : $"Sage agent {operation} for company {this.CompanyCode} failed ({code}, HTTP {status}): {error?.Message ?? response.ReasonPhrase}";
        return SageAgentRefusedException.IsRefusal(code, error?.Record)
            ? new SageAgentRefusedException(code, message, status, error?.SageMessage, error?.Record, error?.Field, error?.Line)
            : new SageAgentException(code, message, status, error?.SageMessage, error?.Record, error?.Field, error?.Line, retryAfter);
    }
}
