using System.Text.Json;
using Connector.Emulators.Anaplan.Model;

namespace Connector.Emulators.Anaplan.Http;

/// <summary>
/// Seeding and inspection over HTTP under <c>/_emulator</c> (not part of Anaplan's API; no token needed, not rate
/// limited, never faulted). Mirrors the in-process <see cref="EmulatorState"/> methods.
/// </summary>
internal static class AdminEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void Map(IEndpointRouteBuilder app)
    {
        RouteGroupBuilder admin = app.MapGroup("/_emulator");
        admin.MapGet("/counters", (EmulatorState s) => Results.Json(s.Counters.Snapshot(), Json));
        admin.MapGet("/requests", (EmulatorState s) => Results.Json(s.Requests.Snapshot(), Json));
        admin.MapDelete("/requests", (EmulatorState s) =>
        {
            s.Requests.Clear();
            return Results.NoContent();
        });
        admin.MapGet("/violations", (EmulatorState s) => Results.Json(
            new { count = s.Counters.Violations, violations = s.Models.SelectMany(m => m.Violations) }, Json));
        admin.MapGet("/faults", (EmulatorState s) => Results.Json(s.Faults.Active, Json));
        admin.MapPost("/faults", (EmulatorState s, FaultRule rule) => Guard(() => Results.Json(s.Faults.Add(rule), Json)));
        admin.MapDelete("/faults", (EmulatorState s) =>
        {
            s.Faults.Clear();
            return Results.NoContent();
        });
        admin.MapPost("/faults/import-failure", (EmulatorState s, ImportFailureRequest body) =>
        {
            s.Faults.FailNextImportRun(body.Import);
            return Results.NoContent();
        });
        admin.MapPost("/users", (EmulatorState s, UserDefinition user) => Guard(() =>
        {
            if (user.Password is not null)
            {
                s.AddUser(user.UserName, user.Password);
            }

            if (user.CertificatePem is not null)
            {
                s.AddCertificateUser(user.UserName, user.CertificatePem);
            }

            return Results.NoContent();
        }));
        admin.MapPost("/tokens/revoke", (EmulatorState s) => Results.Json(new { revoked = s.RevokeAllTokens() }, Json));

        admin.MapGet("/models", (EmulatorState s) => Results.Json(s.Models.Select(m => new
        {
            m.Id,
            m.Name,
            m.WorkspaceId,
            m.ActiveState,
            m.IsBusy,
            m.BusyWaiters,
            Lists = m.ListNames,
            Modules = m.ModuleNames,
        }), Json));
        admin.MapPost("/models/{modelId}/state", (EmulatorState s, string modelId, StateRequest body)
            => WithModel(s, modelId, m => m.SetActiveState(body.ActiveState)));
        admin.MapGet("/models/{modelId}/lists/{list}/items", (EmulatorState s, string modelId, string list)
            => WithModel(s, modelId, m => Results.Json(m.GetListItems(list), Json)));
        admin.MapPost("/models/{modelId}/lists/{list}/items", (EmulatorState s, string modelId, string list, List<ListItemDefinition> items)
            => WithModel(s, modelId, m => items.ForEach(i => m.AddListItem(list, i.Code, i.Name, i.Properties))));
        admin.MapGet("/models/{modelId}/modules/{module}/cells", (EmulatorState s, string modelId, string module)
            => WithModel(s, modelId, m => Results.Json(m.GetCells(module).Select(c => new { c.Members, c.LineItem, Value = Values.Format(c.Value) }), Json)));
        admin.MapPost("/models/{modelId}/modules/{module}/cells", (EmulatorState s, string modelId, string module, List<CellRequest> cells)
            => WithModel(s, modelId, m => cells.ForEach(c => m.SetCell(module, c.Members, c.LineItem, CellValue(c.Value)))));
        admin.MapPost("/models/{modelId}/versions/{version}/approve", (EmulatorState s, string modelId, string version, bool? approved)
            => WithModel(s, modelId, m => m.SetVersionApproved(version, approved ?? true)));
        admin.MapGet("/models/{modelId}/files", (EmulatorState s, string modelId) => WithModel(s, modelId, m => Results.Json(m.GetFiles(), Json)));
        admin.MapGet("/models/{modelId}/files/{fileId}/content", (EmulatorState s, string modelId, string fileId)
            => WithModel(s, modelId, m => m.ReadFile(fileId) is { } bytes ? Results.Bytes(bytes, "text/csv") : Results.NotFound()));
        admin.MapGet("/models/{modelId}/tasks", (EmulatorState s, string modelId) => WithModel(s, modelId, m => Results.Json(m.GetTasks(), Json)));
        admin.MapPost("/models/{modelId}/tasks/{taskId}/reported-state", (EmulatorState s, string modelId, string taskId, ReportedStateRequest body)
            => WithModel(s, modelId, m => m.OverrideTaskState(taskId, body.State)));
    }

    private static object? CellValue(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => value.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => value.ToString(),
    };

    private static IResult WithModel(EmulatorState state, string modelId, Action<EmulatedModel> action)
        => WithModel(state, modelId, m =>
        {
            action(m);
            return Results.NoContent();
        });

    private static IResult WithModel(EmulatorState state, string modelId, Func<EmulatedModel, IResult> action)
        => state.FindModel(modelId) is { } model ? Guard(() => action(model)) : Results.NotFound(new { error = $"No model has the id '{modelId}'." });

    private static IResult Guard(Func<IResult> action)
    {
        try
        {
            return action();
        }
        catch (Exception ex) when (ex is ArgumentException or KeyNotFoundException)
        {
            return Results.BadRequest(new { error = ex.Message });
        }
    }

    internal sealed record StateRequest(string ActiveState);

    internal sealed record ImportFailureRequest(string Import);

    internal sealed record ReportedStateRequest(string? State);

    internal sealed record CellRequest(List<string> Members, string LineItem, JsonElement Value);
}
