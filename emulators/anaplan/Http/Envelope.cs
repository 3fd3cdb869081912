using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;

namespace Connector.Emulators.Anaplan.Http;

/// <summary>Anaplan's response shapes: the success envelope, paging and the error body.</summary>
internal static class Envelope
{
    private const string SchemaBase = "https://api.anaplan.com/2/0/objects/";

    public static IResult Ok(string schema, string? name, JsonNode? payload, int status = 200)
    {
        var body = new JsonObject
        {
            ["meta"] = new JsonObject { ["schema"] = SchemaBase + schema },
            ["status"] = Status(status),
        };
        if (name is not null && payload is not null)
        {
            body[name] = payload;
        }

        return Json(body, status);
    }

    /// <summary>A page of a list. <c>offset</c> and <c>limit</c> come from the query (limit at most
    /// <paramref name="maxPage"/>); an empty page omits the array, as Anaplan may.</summary>
    public static IResult Page(HttpContext context, string schema, string name, IReadOnlyList<JsonNode> items, int maxPage)
    {
        if (!TryInt(context, "offset", 0, out int offset) || offset < 0)
        {
            return Error(context, 400, "Invalid offset");
        }

        if (!TryInt(context, "limit", maxPage, out int limit) || limit <= 0)
        {
            return Error(context, 400, "Invalid limit");
        }

        limit = Math.Min(limit, maxPage);
        var page = new JsonArray();
        foreach (JsonNode item in items.Skip(offset).Take(limit))
        {
            page.Add(item.DeepClone());
        }

        var paging = new JsonObject
        {
            ["currentPageSize"] = page.Count,
            ["offset"] = offset,
            ["totalSize"] = items.Count,
        };
        if (offset + page.Count < items.Count)
        {
            HttpRequest request = context.Request;
            paging["next"] = $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}?offset={offset + page.Count}&limit={limit}";
        }

        var body = new JsonObject
        {
            ["meta"] = new JsonObject { ["paging"] = paging, ["schema"] = SchemaBase + schema },
            ["status"] = Status(200),
        };
        if (page.Count > 0)
        {
            body[name] = page;
        }

        return Json(body, 200);
    }

    /// <summary>Anaplan's error body: <c>{"status":{"code","message"},"path","timestamp"}</c>.</summary>
    public static IResult Error(HttpContext context, int status, string? message = null, int? retryAfterSeconds = null)
    {
        if (retryAfterSeconds is int seconds)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        return Json(ErrorBody(context, status, message), status);
    }

    public static JsonObject ErrorBody(HttpContext context, int status, string? message) => new()
    {
        ["status"] = new JsonObject { ["code"] = status, ["message"] = message ?? Phrase(status) },
        ["path"] = context.Request.Path.Value,
        ["timestamp"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
    };

    public static IResult Json(JsonNode body, int status) => Results.Content(body.ToJsonString(), "application/json", null, status);

    /// <summary>A body written with <see cref="WriteOkStart"/>, answered as <see cref="Json(JsonNode, int)"/> answers.</summary>
    public static IResult Json(ReadOnlyMemory<byte> utf8Body, int status) => new Utf8Body(utf8Body, status);

    /// <summary>Opens the success envelope of <see cref="Ok"/> (<c>meta</c>, <c>status</c>), leaving the body open for its payload.</summary>
    public static void WriteOkStart(Utf8JsonWriter json, string schema)
    {
        json.WriteStartObject();
        json.WriteStartObject("meta");
        json.WriteString("schema", SchemaBase + schema);
        json.WriteEndObject();
        json.WriteStartObject("status");
        json.WriteNumber("code", 200);
        json.WriteString("message", "Success");
        json.WriteEndObject();
    }

    public static JsonObject Status(int code) => new() { ["code"] = code, ["message"] = code < 300 ? "Success" : Phrase(code) };

    public static string Phrase(int status) => status switch
    {
        422 => "Model is archived",
        423 => "Model is locked",
        424 => "Model is offline",
        425 => "Model is deployed",
        _ => ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error",
    };

    public static long EpochMs(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    private static bool TryInt(HttpContext context, string name, int fallback, out int value)
    {
        string? text = context.Request.Query[name];
        if (string.IsNullOrEmpty(text))
        {
            value = fallback;
            return true;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>
    /// What <see cref="Results.Content(string?, string?, Encoding?, int?)"/> answers for the same text (status, content
    /// type <c>application/json</c> without a charset, content length, the bytes), without making the text: a list read of
    /// 100 k items is 20 MB of JSON, and a string of it cost a decode and an encode of every byte.
    /// </summary>
    private sealed class Utf8Body(ReadOnlyMemory<byte> body, int status) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            HttpResponse response = httpContext.Response;
            response.ContentType = "application/json";
            response.StatusCode = status;
            response.ContentLength = body.Length;
            return response.Body.WriteAsync(body).AsTask();
        }
    }
}
