using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Connector.Orchestrations.Storage;

namespace Connector.Orchestrations.Sage100;

/// <summary>
/// Reads the agent's GL period-balance page (<c>PeriodBalancePage</c> in agent/openapi.yaml) with a
/// <see cref="Utf8JsonReader"/> over the whole body in one pooled buffer: the hottest read of an actuals run (a million rows
/// is a thousand pages). It gives what System.Text.Json with web defaults gives for <see cref="WirePage{T}"/> of
/// <see cref="WirePeriodBalance"/>, without its per-property machinery, and without a new string for an account key,
/// account or fiscal year equal to the previous row's (the agent sends an account's periods one after another).
/// </summary>
/// <remarks>
/// Faithful by construction where it matters: names match case-insensitively, unknown properties are skipped, and a
/// value in any form but the usual one (a number as a string, a null, a wrong type) is read by System.Text.Json's own
/// converter with the client's options, so it is accepted or refused exactly as before. A refused value is a
/// <see cref="JsonException"/> naming the record (its position in the page, and its account and period when read) and the
/// field, with the JSON path.
/// </remarks>
internal sealed class PeriodBalancePageReader
{
    private static readonly (byte[] Utf8, string Name)[] Fields =
        [.. new[] { "accountKey", "account", "fiscalYear", "fiscalPeriod", "beginningBalance", "debit", "credit", "net" }.Select(n => (Encoding.UTF8.GetBytes(n), n))];

    private readonly JsonSerializerOptions options;
    private readonly CachedText accountKey = new();
    private readonly CachedText account = new();
    private readonly CachedText fiscalYear = new();

    public PeriodBalancePageReader(JsonSerializerOptions options)
    {
        this.options = options;
    }

    /// <summary>Reads one page from the response body (the whole of it, then parsed in one pass).</summary>
    public static async Task<WirePage<WirePeriodBalance>?> ReadAsync(HttpContent content, JsonSerializerOptions options, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentType?.CharSet is { } charset && !charset.Trim('"').Equals("utf-8", StringComparison.OrdinalIgnoreCase))
        {
            // Another encoding: the serializer's reader transcodes it (the agent sends UTF-8).
            return await content.ReadFromJsonAsync<WirePage<WirePeriodBalance>>(options, cancellationToken);
        }

        // A reader per page: pages read ahead run concurrently with the caller's, so nothing mutable is shared between them.
        var reader = new PeriodBalancePageReader(options);
        await using Stream body = await content.ReadAsStreamAsync(cancellationToken);
        using PooledBuffer page = await PooledBuffer.ReadAllAsync(body, content.Headers.ContentLength, maxLength: int.MaxValue / 2, cancellationToken);
        return reader.Read(page.WrittenMemory.Span);
    }

    /// <summary>Reads one page from its UTF-8 JSON (a byte order mark at the start is skipped, as the serializer does).</summary>
    /// <exception cref="JsonException">The body is not a page, or a field of a balance cannot be read (record and field named).</exception>
    public WirePage<WirePeriodBalance>? Read(ReadOnlySpan<byte> json)
    {
        if (json.StartsWith(Encoding.UTF8.Preamble))
        {
            json = json[Encoding.UTF8.Preamble.Length..];
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = this.options.ReadCommentHandling, AllowTrailingCommas = this.options.AllowTrailingCommas, MaxDepth = this.options.MaxDepth });
        WirePage<WirePeriodBalance>? page = this.ReadPage(ref reader);
        if (reader.Read())
        {
            throw NotAPage(ref reader, $"{reader.TokenType} after the page's end");
        }

        return page;
    }

    private static bool Is(ref Utf8JsonReader reader, ReadOnlySpan<byte> name, string text)
        => !reader.ValueIsEscaped && Ascii.IsValid(reader.ValueSpan)
            ? Ascii.EqualsIgnoreCase(reader.ValueSpan, name)
            : string.Equals(reader.GetString(), text, StringComparison.OrdinalIgnoreCase);

    private static JsonException NotAPage(ref Utf8JsonReader reader, string what)
        => new($"The Sage agent's period-balance page is not a page: {what} (at byte {reader.TokenStartIndex}).");

    private WirePage<WirePeriodBalance>? ReadPage(ref Utf8JsonReader reader)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            if (reader.TokenType == JsonTokenType.Null)
            {
                // As the serializer: null, which the client reports as an empty answer.
                return null;
            }

            throw NotAPage(ref reader, $"it starts with {reader.TokenType}, not an object");
        }

        List<WirePeriodBalance>? items = null;
        string? nextCursor = null, watermark = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (Is(ref reader, "items"u8, "items"))
            {
                reader.Read();
                items = this.ReadItems(ref reader);
            }
            else if (Is(ref reader, "nextCursor"u8, "nextCursor"))
            {
                reader.Read();
                nextCursor = JsonSerializer.Deserialize<string>(ref reader, this.options);
            }
            else if (Is(ref reader, "watermark"u8, "watermark"))
            {
                reader.Read();
                watermark = JsonSerializer.Deserialize<string>(ref reader, this.options);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            throw NotAPage(ref reader, $"{reader.TokenType} where a property was expected");
        }

        // What the serializer gives for a page without items (the record's parameter is not marked required).
        return new WirePage<WirePeriodBalance>(items!, nextCursor, watermark);
    }

    private List<WirePeriodBalance>? ReadItems(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException($"The Sage agent's period-balance page has {reader.TokenType} for 'items', not an array. Path: $.items");
        }

        var items = new List<WirePeriodBalance>(1000);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            items.Add(reader.TokenType == JsonTokenType.Null ? null! : this.ReadBalance(ref reader, items.Count));
        }

        return items;
    }

    private WirePeriodBalance ReadBalance(ref Utf8JsonReader reader, int index)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"The Sage agent's period balance {index + 1} of the page is {reader.TokenType}, not an object. Path: $.items[{index}]");
        }

        var balance = new WirePeriodBalance();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            // The agent's spelling is matched on the bytes; any other (another case, escapes) through the case-insensitive path.
            string? field = null;
            if (!reader.ValueIsEscaped)
            {
                foreach ((byte[] utf8, string known) in Fields)
                {
                    if (reader.ValueSpan.SequenceEqual(utf8))
                    {
                        field = known;
                        break;
                    }
                }
            }

            if (field is null)
            {
                string given = reader.GetString()!;
                field = Array.Find(Fields, f => f.Name.Equals(given, StringComparison.OrdinalIgnoreCase)).Name ?? string.Empty;
            }

            reader.Read();
            try
            {
                switch (field)
                {
                    case "accountKey":
                        balance.AccountKey = this.accountKey.Read(ref reader, this.options)!;
                        break;
                    case "account":
                        balance.Account = this.account.Read(ref reader, this.options)!;
                        break;
                    case "fiscalYear":
                        balance.FiscalYear = this.fiscalYear.Read(ref reader, this.options)!;
                        break;
                    case "fiscalPeriod":
                        balance.FiscalPeriod = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int period) ? period : JsonSerializer.Deserialize<int>(ref reader, this.options);
                        break;
                    case "beginningBalance":
                        balance.BeginningBalance = reader.TokenType == JsonTokenType.Number && reader.TryGetDecimal(out decimal begin) ? begin : JsonSerializer.Deserialize<decimal?>(ref reader, this.options);
                        break;
                    case "debit":
                        balance.Debit = this.Amount(ref reader);
                        break;
                    case "credit":
                        balance.Credit = this.Amount(ref reader);
                        break;
                    case "net":
                        balance.Net = this.Amount(ref reader);
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
            catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
            {
                string? who = balance.Account ?? balance.AccountKey;
                string record = who is null ? string.Empty
                    : $" (account {who}{(balance.FiscalYear is null ? string.Empty : $", fiscal year {balance.FiscalYear}")}{(balance.FiscalPeriod == 0 ? string.Empty : $" period {balance.FiscalPeriod}")})";
                throw new JsonException(
                    $"The Sage agent's period balance {index + 1} of the page{record} has a '{field}' that cannot be read ({Describe(ref reader)}): {Inner(ex)} Path: $.items[{index}].{field}",
                    $"$.items[{index}].{field}",
                    null,
                    null,
                    ex);
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            throw new JsonException($"The Sage agent's period balance {index + 1} of the page is not a complete object. Path: $.items[{index}]");
        }

        return balance;
    }

    private decimal Amount(ref Utf8JsonReader reader)
        => reader.TokenType == JsonTokenType.Number && reader.TryGetDecimal(out decimal value) ? value : JsonSerializer.Deserialize<decimal>(ref reader, this.options);

    private static string Describe(ref Utf8JsonReader reader)
    {
        string text = reader.TokenType is JsonTokenType.String or JsonTokenType.Number ? Encoding.UTF8.GetString(reader.ValueSpan) : reader.TokenType.ToString();
        return text.Length > 40 ? text[..40] + "…" : text;
    }

    private static string Inner(Exception ex)
    {
        string message = ex.Message;
        int path = message.IndexOf(" Path:", StringComparison.Ordinal);
        return path >= 0 ? message[..path] : message;
    }

    /// <summary>A string field's last value, kept with its UTF-8 bytes so that an equal next value is not decoded again.</summary>
    private sealed class CachedText
    {
        private byte[] bytes = new byte[64];
        private int length = -1;
        private string? text;

        public string? Read(ref Utf8JsonReader reader, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped || reader.HasValueSequence)
            {
                // Null, another type (refused as before), or escapes: the serializer's own reading, not remembered.
                this.length = -1;
                return JsonSerializer.Deserialize<string>(ref reader, options);
            }

            ReadOnlySpan<byte> value = reader.ValueSpan;
            if (value.Length == this.length && value.SequenceEqual(this.bytes.AsSpan(0, this.length)))
            {
                return this.text;
            }

            this.text = reader.GetString();
            if (value.Length > this.bytes.Length)
            {
                this.bytes = new byte[value.Length];
            }

            value.CopyTo(this.bytes);
            this.length = value.Length;
            return this.text;
        }
    }
}
