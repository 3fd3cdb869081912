using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Connector.Emulators.Anaplan.Model;

namespace Connector.Emulators.Anaplan.Http;

/// <summary>
/// The list read of the Integration API v2: <c>GET .../lists</c> (paged, <c>lists[]</c> with id and name; native time is
/// a dimension, not a list, and is not listed), <c>GET .../lists/{listId}</c> (<c>metadata</c>: id, name, itemCount,
/// properties) and <c>GET .../lists/{listId}/items[?includeAll=true]</c> (<c>listItems[]</c>: id, name, code, and with
/// <c>includeAll</c> properties and subsets; one answer, not paged). Anaplan allows the list read to workspace
/// administrators only (403 otherwise) and answers 400 for a list of more than 1,000,000 items.
/// </summary>
internal static class ListEndpoints
{
    private const string ModelRoute = "/workspaces/{workspaceId}/models/{modelId}";

    public static void Map(IEndpointRouteBuilder app)
    {
        RouteGroupBuilder api = app.MapGroup("/2/0");
        api.MapGet(ModelRoute + "/lists", ListListsAsync);
        api.MapGet(ModelRoute + "/lists/{listId}", MetadataAsync);
        api.MapGet(ModelRoute + "/lists/{listId}/items", ItemsAsync);
    }

    private static async Task<IResult> ListListsAsync(HttpContext context, EmulatorState state, string workspaceId, string modelId)
    {
        (EmulatedModel? model, IResult? error) = await ModelScope.ResolveAsync(context, state, workspaceId, modelId, ModelScope.Busy.Wait);
        if (model is null)
        {
            return error!;
        }

        JsonNode[] lists = [.. model.Definition.Lists.Where(l => !l.Time).Select(l => (JsonNode)new JsonObject { ["id"] = l.Id, ["name"] = l.Name })];
        return Envelope.Page(context, "list", "lists", lists, state.Options.MaxPageSize);
    }

    private static async Task<IResult> MetadataAsync(HttpContext context, EmulatorState state, string workspaceId, string modelId, string listId)
    {
        (EmulatedModel? model, ListDefinition? definition, IResult? error) = await ResolveAsync(context, state, workspaceId, modelId, listId);
        if (definition is null)
        {
            return error!;
        }

        int count = model!.ReadListItems(definition.Name, []).Count;
        var metadata = new JsonObject
        {
            ["id"] = definition.Id,
            ["name"] = definition.Name,
            ["hasSelectiveAccess"] = false,
            ["itemCount"] = count,
            ["numberedList"] = false,
            ["productionData"] = false,
            ["permittedItems"] = Math.Max(0, state.Options.MaxListItems - count),
            ["properties"] = new JsonArray([.. definition.Properties.Select(p => (JsonNode)new JsonObject
            {
                ["name"] = p.Key,
                ["format"] = p.Value.ToUpperInvariant(),
                ["notes"] = string.Empty,
            })]),
        };
        return Envelope.Ok("listMetadata", "metadata", metadata);
    }

    private static async Task<IResult> ItemsAsync(HttpContext context, EmulatorState state, string workspaceId, string modelId, string listId)
    {
        (EmulatedModel? model, ListDefinition? definition, IResult? error) = await ResolveAsync(context, state, workspaceId, modelId, listId);
        if (definition is null)
        {
            return error!;
        }

        bool includeAll = string.Equals(context.Request.Query["includeAll"], "true", StringComparison.OrdinalIgnoreCase);
        string[] properties = [.. definition.Properties.Keys];
        IReadOnlyList<(string Code, string Name, string[] Properties)> items = model!.ReadListItems(definition.Name, includeAll ? properties : []);
        if (items.Count > state.Options.MaxListItemsRead)
        {
            return Envelope.Error(context, 400, $"The list has {items.Count} items; this call returns at most {state.Options.MaxListItemsRead}. Use a large read request.");
        }

        // Written straight to JSON: a node per item and field cost more than the rest of the call at 100 k items.
        var buffer = new ArrayBufferWriter<byte>(EstimatedBytes(items));
        using (var json = new Utf8JsonWriter(buffer))
        {
            Envelope.WriteOkStart(json, "item");
            json.WriteStartArray("listItems");
            for (int i = 0; i < items.Count; i++)
            {
                (string code, string name, string[] values) = items[i];
                json.WriteStartObject();
                json.WriteString("id", ItemId(definition.Id, i));
                json.WriteString("name", name);
                json.WriteString("code", code);
                if (includeAll)
                {
                    json.WriteStartObject("properties");
                    for (int p = 0; p < properties.Length; p++)
                    {
                        json.WriteString(properties[p], values[p]);
                    }

                    json.WriteEndObject();
                    json.WriteStartObject("subsets");
                    json.WriteEndObject();
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Envelope.Json(buffer.WrittenMemory, 200);
    }

    /// <summary>About the size of the answer (each item's texts plus its field names), so its buffer seldom grows.</summary>
    private static int EstimatedBytes(IReadOnlyList<(string Code, string Name, string[] Properties)> items)
    {
        long bytes = 1024;
        foreach ((string code, string name, string[] properties) in items)
        {
            bytes += 64 + code.Length + name.Length;
            foreach (string value in properties)
            {
                bytes += 16 + value.Length;
            }
        }

        return (int)Math.Min(bytes, Array.MaxLength / 2);
    }

    /// <summary>An item's id: 12 digits, stable while the list only grows.</summary>
    private static string ItemId(string listId, int index)
        => "2" + listId[^2..] + (index + 1).ToString("D9", CultureInfo.InvariantCulture);

    private static async Task<(EmulatedModel? Model, ListDefinition? List, IResult? Error)> ResolveAsync(
        HttpContext context, EmulatorState state, string workspaceId, string modelId, string listId)
    {
        (EmulatedModel? model, IResult? error) = await ModelScope.ResolveAsync(context, state, workspaceId, modelId, ModelScope.Busy.Wait);
        if (model is null)
        {
            return (null, null, error);
        }

        // The list read is for workspace administrators; Anaplan refuses other users with 403.
        if (context.Items[RequestPipeline.UserItem] is string user && !state.IsWorkspaceAdministrator(user))
        {
            return (model, null, Envelope.Error(context, 403, "Forbidden"));
        }

        ListDefinition? list = model.Definition.Lists.FirstOrDefault(l => l.Id == listId && !l.Time);
        return list is null ? (model, null, Envelope.Error(context, 404)) : (model, list, null);
    }
}
