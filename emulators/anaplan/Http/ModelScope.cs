using Connector.Emulators.Anaplan.Model;

namespace Connector.Emulators.Anaplan.Http;

/// <summary>Resolves the model a request names, answers its state errors (422–425) and waits while it is busy.</summary>
internal static class ModelScope
{
    /// <summary>How a call behaves while the model runs an action.</summary>
    public enum Busy
    {
        /// <summary>The call waits until the model is free (most calls).</summary>
        Wait,

        /// <summary>The call answers at once (starting and monitoring tasks, dumps, the model's status).</summary>
        Answer,
    }

    public static async Task<(EmulatedModel? Model, IResult? Error)> ResolveAsync(
        HttpContext context, EmulatorState state, string? workspaceId, string modelId, Busy busy, bool checkState = true)
    {
        EmulatedModel? model = state.FindModel(modelId);
        if (model is null || (workspaceId is not null && !string.Equals(model.WorkspaceId, workspaceId, StringComparison.OrdinalIgnoreCase)))
        {
            // Anaplan shows missing access and missing objects alike.
            return (null, Envelope.Error(context, 404, "Not Found"));
        }

        if (checkState && StateError(model.ActiveState) is int code)
        {
            return (null, Envelope.Error(context, code));
        }

        if (busy == Busy.Wait)
        {
            await model.WaitUntilIdleAsync(context.RequestAborted);
        }

        return (model, null);
    }

    /// <summary>The status a model in this state answers with: 422 archived, 423 locked, 424 offline (maintenance).</summary>
    public static int? StateError(string activeState) => activeState.ToUpperInvariant() switch
    {
        "ARCHIVED" => 422,
        "LOCKED" => 423,
        "MAINTENANCE" or "PRODUCTION_MAINTENANCE" or "OFFLINE" => 424,
        _ => null,
    };
}
