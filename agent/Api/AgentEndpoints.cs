using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Connector.Agent.Backends;
using Connector.Agent.Journal;
using Connector.Agent.Sage;
using Connector.Agent.Security;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Connector.Agent.Api;

/// <summary>The agent's middleware and the <c>/v1</c> routes of agent/openapi.yaml.</summary>
internal static partial class AgentEndpoints
{
    public const string ApiKeyHeader = "X-Api-Key";

    // The contract says number for amounts: "10.00" as a string is refused (the web defaults would read it).
    private static readonly JsonSerializerOptions StrictJson = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict,
    };

    [GeneratedRegex("^[A-Za-z0-9._:/-]{1,40}$")]
    private static partial Regex ExternalIdPattern();

    /// <summary>Every /v1 and /_sim request must carry a configured API key; the 401 carries no detail.</summary>
    public static IApplicationBuilder UseApiKeys(this IApplicationBuilder app, ApiKeyValidator validator, ILogger logger)
        => app.Use(async (HttpContext context, RequestDelegate next) =>
        {
            string path = context.Request.Path.Value ?? string.Empty;
            if (!validator.IsValid(context.Request.Headers[ApiKeyHeader].ToString()))
            {
                Logs.Unauthorized(logger, path);
                await WriteError(context, StatusCodes.Status401Unauthorized, new ErrorBody("unauthorized", "Unauthorized."));
                return;
            }

            await next(context);
        });

    /// <summary>Maps failures to the contract's error bodies with stable codes.</summary>
    public static IApplicationBuilder UseSageErrors(this IApplicationBuilder app, AgentHostOptions options, ILogger logger)
        => app.Use(async (HttpContext context, RequestDelegate next) =>
        {
            try
            {
                await next(context);
            }
            catch (SimulatedCrashException)
            {
                context.Abort();
            }
            catch (SageOperationException ex)
            {
                string company = context.Request.RouteValues.TryGetValue("company", out object? c) ? Convert.ToString(c, CultureInfo.InvariantCulture) ?? "-" : "-";
                (int status, string code, int? retry) = ex.Kind switch
                {
                    SageErrorKind.Locked => (StatusCodes.Status423Locked, "locked", (int?)Seconds(options.LockRetryAfter)),
                    SageErrorKind.Validation => (StatusCodes.Status422UnprocessableEntity, "validation", null),
                    SageErrorKind.Unavailable => (StatusCodes.Status503ServiceUnavailable, "unavailable", Seconds(options.UnavailableRetryAfter)),
                    SageErrorKind.NotFound => (StatusCodes.Status404NotFound, "not_found", null),
                    SageErrorKind.Conflict => (StatusCodes.Status409Conflict, "conflict", null),
                    _ => (StatusCodes.Status400BadRequest, "bad_request", null),
                };
                Logs.SageFailure(logger, company, code, ex.Message, ex.SageMessage);
                if (retry is { } r)
                {
                    context.Response.Headers.RetryAfter = r.ToString(CultureInfo.InvariantCulture);
                }

                await WriteError(context, status, new ErrorBody(code, ex.Message, ex.SageMessage, ex.Record, ex.Field, ex.Line, retry));
            }
            catch (BadHttpRequestException ex)
            {
                await WriteError(context, StatusCodes.Status400BadRequest, new ErrorBody("bad_request", ex.Message));
            }
            catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
            {
                Logs.UnexpectedFailure(logger, ex, context.Request.Path.Value ?? string.Empty);
                await WriteError(context, StatusCodes.Status500InternalServerError, new ErrorBody("internal", "The agent failed unexpectedly; see the agent's log."));
            }
        });

    public static void MapAgentApi(this IEndpointRouteBuilder app, AgentHostOptions options)
    {
        string version = typeof(AgentEndpoints).Assembly.GetName().Version?.ToString(3) ?? "1.0.0";

        app.MapGet("/v1/health", async (ISageBackend backend, CancellationToken ct) =>
        {
            await backend.CheckHealthAsync(ct);
            return Results.Ok(new HealthDto("ok", version, backend.Name));
        });

        app.MapGet("/v1/capabilities", async (ISageBackend backend, CancellationToken ct) =>
        {
            var companies = new List<CompanyCapabilitiesDto>();
            foreach (string code in backend.Companies)
            {
                CompanyInfo info = await backend.GetCompanyAsync(code, ct);
                FiscalCalendarInfo calendar = await backend.GetFiscalCalendarAsync(code, ct);
                companies.Add(new CompanyCapabilitiesDto(info.Code, info.Name, info.AccountStructure.ToDto(), new BatchModeDto(info.BatchEntryEnabled, info.PostOnCreate),
                    info.SourceJournals.Select(j => new SourceJournalDto(j.Code, j.Description)).ToList(), calendar.CurrentFiscalYear, calendar.CurrentPeriod, info.ApDivisionsEnabled));
            }

            return Results.Ok(new CapabilitiesDto(version, backend.Name, backend.SageVersion, companies));
        });

        RouteGroupBuilder co = app.MapGroup("/v1/companies/{company}").AddEndpointFilter(CompanyFilter);

        co.MapGet("/account-structure", async (string company, ISageBackend backend, CancellationToken ct)
            => Results.Ok((await backend.GetCompanyAsync(Code(company), ct)).AccountStructure.ToDto()));

        co.MapGet("/gl/accounts", async (string company, string? cursor, int? limit, ISageBackend backend, CancellationToken ct) =>
        {
            company = Code(company);
            int n = Limit(limit, options);
            string? after = PageCursor.Decode(cursor, "accounts", company, 1)?[0];
            AccountStructureInfo structure = (await backend.GetCompanyAsync(company, ct)).AccountStructure;
            var rows = await backend.GetAccountsAsync(company, after, n + 1, ct);
            string? next = rows.Count > n ? PageCursor.Encode("accounts", company, rows[n - 1].AccountKey) : null;
            return Results.Ok(new PageDto<GlAccountDto>(rows.Take(n).Select(r => r.ToDto(structure)).ToList(), next));
        });

        co.MapGet("/gl/sub-accounts", async (string company, int? segment, string? cursor, int? limit, ISageBackend backend, CancellationToken ct) =>
        {
            company = Code(company);
            if (segment is < 2 or > 10)
            {
                throw new SageOperationException(SageErrorKind.BadRequest, "segment must be between 2 and 10 (segment 1 is the main account).", field: "segment");
            }

            int n = Limit(limit, options);
            string query = $"{company}|{segment}";
            string[]? after = PageCursor.Decode(cursor, "sub-accounts", query, 2);
            var rows = await backend.GetSubAccountsAsync(company, segment, after is null ? null : (int.Parse(after[0], CultureInfo.InvariantCulture), after[1]), n + 1, ct);
            string? next = rows.Count > n ? PageCursor.Encode("sub-accounts", query, rows[n - 1].SegmentNumber.ToString(CultureInfo.InvariantCulture), rows[n - 1].Code) : null;
            return Results.Ok(new PageDto<SubAccountDto>(rows.Take(n).Select(r => new SubAccountDto(r.SegmentNumber, r.Code, r.Description)).ToList(), next));
        });

        co.MapGet("/gl/fiscal-calendar", async (string company, ISageBackend backend, CancellationToken ct)
            => Results.Ok((await backend.GetFiscalCalendarAsync(Code(company), ct)).ToDto()));

        co.MapGet("/gl/period-balances", async (string company, string? fiscalYear, int? fromPeriod, int? toPeriod, string? cursor, int? limit, ISageBackend backend, CancellationToken ct) =>
        {
            company = Code(company);
            if (fiscalYear is null || fiscalYear.Length != 4 || !fiscalYear.All(char.IsAsciiDigit))
            {
                throw new SageOperationException(SageErrorKind.BadRequest, "fiscalYear is required as four digits, e.g. 2026.", field: "fiscalYear");
            }

            int from = fromPeriod ?? 1, to = toPeriod ?? 13;
            if (from is < 1 or > 13 || to is < 1 or > 13 || from > to)
            {
                throw new SageOperationException(SageErrorKind.BadRequest, "fromPeriod and toPeriod must be 1-13 with fromPeriod <= toPeriod.", field: from is < 1 or > 13 ? "fromPeriod" : "toPeriod");
            }

            int n = Limit(limit, options);
            string query = $"{company}|{fiscalYear}|{from}|{to}";
            string[]? after = PageCursor.Decode(cursor, "balances", query, 2);
            var rows = await backend.GetPeriodBalancesAsync(company, fiscalYear, from, to, after is null ? null : (after[0], int.Parse(after[1], CultureInfo.InvariantCulture)), n + 1, ct);
            string? next = rows.Count > n ? PageCursor.Encode("balances", query, rows[n - 1].AccountKey, rows[n - 1].FiscalPeriod.ToString(CultureInfo.InvariantCulture)) : null;
            return Results.Ok(new PageDto<PeriodBalanceDto>(rows.Take(n).Select(r => r.ToDto()).ToList(), next));
        });

        co.MapGet("/ap/vendors", async (string company, string? changedSince, int? overlapSeconds, string? cursor, int? limit, ISageBackend backend, CancellationToken ct) =>
        {
            company = Code(company);
            int n = Limit(limit, options);
            Window w = await OpenWindow(backend, company, SageDataSet.Vendors, "vendors", changedSince, overlapSeconds, cursor, 2, options, ct);
            var rows = await backend.GetVendorsAsync(company, w.EffectiveSince, w.After is null ? null : (w.After[0], w.After[1]), n + 1, ct);
            string? next = rows.Count > n ? w.Next(rows[n - 1].DivisionNo, rows[n - 1].VendorNo) : null;
            return Results.Ok(new IncrementalPageDto<VendorDto>(rows.Take(n).Select(r => r.ToDto()).ToList(), next, w.Watermark?.ToString()));
        });

        co.MapGet("/ap/invoice-totals", async (string company, string? changedSince, int? overlapSeconds, string? cursor, int? limit, ISageBackend backend, CancellationToken ct) =>
        {
            company = Code(company);
            int n = Limit(limit, options);
            Window w = await OpenWindow(backend, company, SageDataSet.Invoices, "invoice-totals", changedSince, overlapSeconds, cursor, 2, options, ct);
            InvoiceTotalsResult result = await backend.GetInvoiceTotalsAsync(company, w.EffectiveSince, w.After is null ? null : (w.After[0], w.After[1]), n, ct);
            string? next = result.HasMore && result.LastVendor is { } last ? w.Next(last.Division, last.Vendor) : null;
            return Results.Ok(new InvoiceTotalPageDto(result.Rows.Select(r => r.ToDto()).ToList(), next, w.Watermark?.ToString(), result.UnmappedInvoices));
        });

        co.MapGet("/ap/invoice-distribution", async (string company, int? segment, string? changedSince, int? overlapSeconds, string? cursor, int? limit, ISageBackend backend, CancellationToken ct) =>
        {
            company = Code(company);
            if (segment is not (>= 1 and <= 10))
            {
                throw new SageOperationException(SageErrorKind.BadRequest, "segment is required: the account segment (1-10) whose codes the distribution is totalled by.", field: "segment");
            }

            int n = Limit(limit, options);
            Window w = await OpenWindow(backend, company, SageDataSet.Invoices, $"invoice-distribution-{segment}", changedSince, overlapSeconds, cursor, 2, options, ct);
            InvoiceDistributionResult result = await backend.GetInvoiceDistributionAsync(company, segment.Value, w.EffectiveSince, w.After is null ? null : (w.After[0], w.After[1]), n, ct);
            string? next = result.HasMore && result.LastVendor is { } last ? w.Next(last.Division, last.Vendor) : null;
            return Results.Ok(new InvoiceDistributionPageDto(result.Rows.Select(r => r.ToDto(segment.Value)).ToList(), next, w.Watermark?.ToString(), result.UnmappedInvoices));
        });

        co.MapGet("/gl/journal-entries", async (string company, string? externalId, ISageBackend backend, CancellationToken ct) =>
        {
            company = Code(company);
            if (externalId is null || !ExternalIdPattern().IsMatch(externalId))
            {
                throw new SageOperationException(SageErrorKind.BadRequest, "externalId is required: 1-40 characters of letters, digits and . _ : / -", field: "externalId");
            }

            JournalEntryInfo? entry = await backend.FindJournalEntryAsync(company, externalId, ct);
            return entry is null
                ? throw new SageOperationException(SageErrorKind.NotFound, $"No journal entry carries external id {externalId} (searched unposted entries and posted history).", record: $"journal entry {externalId}")
                : Results.Ok(entry.ToDto());
        });

        co.MapPost("/gl/journal-entries", async (string company, HttpRequest request, JournalService journals, CancellationToken ct) =>
        {
            company = Code(company);
            JournalEntryDraft draft = await ReadDraft(request, ct);
            JournalCreateOutcome outcome = await journals.CreateAsync(company, draft, ct);
            JournalEntryDto dto = outcome.Entry.ToDto();
            return outcome.Created
                ? Results.Created($"/v1/companies/{company}/gl/journal-entries?externalId={Uri.EscapeDataString(draft.ExternalId)}", dto)
                : Results.Ok(dto);
        });
    }

    internal static string Code(string company) => company.ToUpperInvariant();

    internal static async ValueTask<object?> CompanyFilter(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        string company = Code(Convert.ToString(context.HttpContext.Request.RouteValues["company"], CultureInfo.InvariantCulture) ?? string.Empty);
        ISageBackend backend = context.HttpContext.RequestServices.GetRequiredService<ISageBackend>();
        if (!backend.Companies.Contains(company, StringComparer.Ordinal))
        {
            throw new SageOperationException(SageErrorKind.NotFound, $"Company '{company}' is not configured on this agent.", record: $"company {company}", field: "company");
        }

        return await next(context);
    }

    internal static async Task WriteError(HttpContext context, int status, ErrorBody body)
    {
        context.Response.StatusCode = status;
        JsonSerializerOptions json = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        await context.Response.WriteAsJsonAsync(body, json);
    }

    private static int Seconds(TimeSpan value) => (int)Math.Ceiling(Math.Max(0, value.TotalSeconds));

    private static int Limit(int? limit, AgentHostOptions options)
        => limit is null ? options.DefaultPageSize
            : limit is < 1 or > 5000 ? throw new SageOperationException(SageErrorKind.BadRequest, "limit must be between 1 and 5000.", field: "limit")
            : limit.Value;

    /// <summary>The incremental window of one pull, fixed on its first page and carried by the cursor.</summary>
    private sealed record Window(string Kind, string Query, SageTimestamp? EffectiveSince, SageTimestamp? Watermark, string[]? After)
    {
        public string Next(string division, string vendor)
            => PageCursor.Encode(this.Kind, this.Query, division, vendor, this.EffectiveSince?.ToString() ?? string.Empty, this.Watermark?.ToString() ?? string.Empty);
    }

    private static async Task<Window> OpenWindow(ISageBackend backend, string company, SageDataSet set, string kind, string? changedSince, int? overlapSeconds, string? cursor, int keyCount, AgentHostOptions options, CancellationToken ct)
    {
        SageTimestamp? since = null;
        if (changedSince is not null)
        {
            since = SageTimestamp.TryParse(changedSince, out SageTimestamp parsed)
                ? parsed
                : throw new SageOperationException(SageErrorKind.BadRequest, "changedSince must be the watermark of a previous pull, formatted yyyy-MM-ddTHH:mm:ss.", field: "changedSince");
        }

        if (overlapSeconds is < 0 or > 86400)
        {
            throw new SageOperationException(SageErrorKind.BadRequest, "overlapSeconds must be between 0 and 86400.", field: "overlapSeconds");
        }

        TimeSpan overlap = overlapSeconds is { } s ? TimeSpan.FromSeconds(s) : options.DefaultOverlap;
        string query = $"{company}|{changedSince}|{(int)overlap.TotalSeconds}";
        string[]? state = PageCursor.Decode(cursor, kind, query, keyCount + 2);
        if (state is not null)
        {
            return new Window(kind, query, Parse(state[keyCount]), Parse(state[keyCount + 1]), state[..keyCount]);
        }

        // The watermark is fixed before the first page is read: a row stamped later is picked up by the next pull.
        SageTimestamp? latest = await backend.GetLatestUpdateAsync(company, set, ct);
        SageTimestamp? watermark = since is { } a && (latest is null || latest.Value < a) ? a : latest;
        return new Window(kind, query, since?.Minus(overlap), watermark, null);

        static SageTimestamp? Parse(string text) => SageTimestamp.TryParse(text, out SageTimestamp t) ? t : null;
    }

    private static async Task<JournalEntryDraft> ReadDraft(HttpRequest request, CancellationToken ct)
    {
        CreateJournalEntryRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<CreateJournalEntryRequest>(request.Body, StrictJson, ct);
        }
        catch (JsonException ex)
        {
            throw new SageOperationException(SageErrorKind.BadRequest, $"The request body is not a valid journal entry: {ex.Message}", field: ex.Path?.TrimStart('$', '.'));
        }

        if (body is null)
        {
            throw new SageOperationException(SageErrorKind.BadRequest, "The request body is empty.");
        }

        string id = body.ExternalId ?? string.Empty;
        string record = $"journal entry {(id.Length == 0 ? "(no external id)" : id)}";
        if (!ExternalIdPattern().IsMatch(id))
        {
            throw Invalid("externalId is required: 1-40 characters of letters, digits and . _ : / -", record, "externalId");
        }

        if (body.SourceJournal is not { Length: 2 })
        {
            throw Invalid("sourceJournal is required: two characters, e.g. GJ.", record, "sourceJournal");
        }

        if (!DateOnly.TryParseExact(body.PostingDate, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly postingDate))
        {
            throw Invalid("postingDate is required as yyyy-MM-dd.", record, "postingDate");
        }

        if (body.Lines is not { Count: >= 2 })
        {
            throw Invalid("A journal entry needs at least two lines.", record, "lines");
        }

        CheckComment(body.Comment, record, "comment", null);
        var lines = new List<JournalLineDraft>();
        decimal debits = 0m, credits = 0m;
        for (int i = 0; i < body.Lines.Count; i++)
        {
            CreateJournalLineRequest line = body.Lines[i] ?? throw Invalid($"Line {i + 1} is empty.", record, $"lines[{i}]", i + 1);
            if (string.IsNullOrWhiteSpace(line.Account))
            {
                throw Invalid($"Line {i + 1} has no account.", record, $"lines[{i}].account", i + 1);
            }

            decimal debit = CheckAmount(line.Debit, record, i, "debit"), credit = CheckAmount(line.Credit, record, i, "credit");
            CheckComment(line.Comment, record, $"lines[{i}].comment", i + 1);
            lines.Add(new JournalLineDraft(line.Account.Trim(), debit, credit, line.Comment));
            debits += debit;
            credits += credit;
        }

        // Each line fits Sage's amount field; so must the entry's totals, which Sage keeps in fields of the same width.
        if (Math.Max(debits, credits) > SageFormats.MaxAmount)
        {
            throw Invalid(
                $"The entry totals {SageFormats.FormatMoney(Math.Max(debits, credits))}, more than Sage 100 stores in an amount ({SageFormats.MaxAmountText}); split it into several entries.",
                record,
                "lines");
        }

        return new JournalEntryDraft(id, body.SourceJournal.ToUpperInvariant(), postingDate, body.Comment, lines);

        static decimal CheckAmount(decimal? value, string record, int i, string name)
        {
            decimal amount = value ?? 0m;
            if (amount < 0m)
            {
                throw Invalid($"Line {i + 1}: {name} {amount.ToString(CultureInfo.InvariantCulture)} is negative; enter a positive debit or credit.", record, $"lines[{i}].{name}", i + 1);
            }

            if (amount > SageFormats.MaxAmount)
            {
                throw Invalid(
                    $"Line {i + 1}: {name} {amount.ToString(CultureInfo.InvariantCulture)} is more than Sage 100 stores in an amount ({SageFormats.MaxAmountText}: 16 digits, 2 of them decimals).",
                    record,
                    $"lines[{i}].{name}",
                    i + 1);
            }

            if (decimal.Round(amount, 2) != amount)
            {
                throw Invalid($"Line {i + 1}: {name} {amount.ToString(CultureInfo.InvariantCulture)} has more than two decimal places; Sage 100 stores cents and nothing is rounded.", record, $"lines[{i}].{name}", i + 1);
            }

            return amount;
        }

        static void CheckComment(string? comment, string record, string field, int? line)
        {
            if (comment is { Length: > SageFormats.MaxCommentText })
            {
                throw Invalid(
                    $"{field} is {comment.Length} characters; Sage 100 keeps {SageFormats.CommentWidth}, the external id and a space first, so at most {SageFormats.MaxCommentText}.",
                    record,
                    field,
                    line);
            }
        }

        static SageOperationException Invalid(string message, string record, string field, int? line = null)
            => new(SageErrorKind.Validation, message, record: record, field: field, line: line);
    }
}
