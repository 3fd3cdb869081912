using System.Text;
using System.Text.Json;
using Connector.Agent.Sage;

namespace Connector.Agent.Api;

/// <summary>
/// Opaque page cursors: base64url of a small JSON array [version, kind, query fingerprint, values...]. A cursor
/// only continues the query that produced it; anything else is a <c>bad_request</c>.
/// </summary>
internal static class PageCursor
{
    private const string Version = "1";

    public static string Encode(string kind, string query, params string[] values)
    {
        string json = JsonSerializer.Serialize(new[] { Version, kind, query }.Concat(values).ToArray());
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>Decodes a cursor; null when there is none.</summary>
    /// <exception cref="SageOperationException">The cursor is malformed or belongs to another query.</exception>
    public static string[]? Decode(string? cursor, string kind, string query, int valueCount)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return null;
        }

        string[]? parts;
        try
        {
            string b64 = cursor.Replace('-', '+').Replace('_', '/');
            b64 = b64.PadRight(b64.Length + ((4 - (b64.Length % 4)) % 4), '=');
            parts = JsonSerializer.Deserialize<string[]>(Encoding.UTF8.GetString(Convert.FromBase64String(b64)));
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            parts = null;
        }

        if (parts is null || parts.Length != 3 + valueCount || parts[0] != Version || parts[1] != kind || parts[2] != query)
        {
            throw new SageOperationException(SageErrorKind.BadRequest, "The cursor is not valid for this query: pass back the nextCursor of the previous page with the same parameters.", field: "cursor");
        }

        return parts[3..];
    }
}
