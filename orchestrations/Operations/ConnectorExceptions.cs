using Microsoft.DurableTask.Client;

namespace Connector.Orchestrations.Operations;

/// <summary>
/// The connector's own errors at its edges (HTTP API, <c>connector</c> command): what an operator or caller did that
/// cannot be done, with a message that names the thing and says why. Each edge maps the concrete type to its own answer
/// in one place (HTTP: a ProblemDetails status; the command: an exit code), so callers depend on these types, never on
/// framework exceptions.
/// </summary>
public abstract class ConnectorException : Exception
{
    protected ConnectorException(string message)
        : base(message)
    {
    }

    protected ConnectorException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    protected ConnectorException()
    {
    }
}

/// <summary>No connection with that id is configured (<c>Connector:Connections</c>).</summary>
public sealed class ConnectionNotFoundException : ConnectorException
{
    public ConnectionNotFoundException(string connectionId)
        : base($"No connection '{connectionId}' is configured (Connector:Connections).")
    {
        this.ConnectionId = connectionId;
    }

    public ConnectionNotFoundException()
    {
        this.ConnectionId = string.Empty;
    }

    public ConnectionNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
        this.ConnectionId = string.Empty;
    }

    /// <summary>Gets the connection id that was asked for.</summary>
    public string ConnectionId { get; }
}

/// <summary>Thrown when an operator action names a run that does not exist.</summary>
public sealed class RunNotFoundException : ConnectorException
{
    public RunNotFoundException(string instanceId)
        : base($"No run with id '{instanceId}' exists.")
    {
        this.InstanceId = instanceId;
    }

    public RunNotFoundException(string instanceId, string message)
        : base(message)
    {
        this.InstanceId = instanceId;
    }

    public RunNotFoundException()
    {
        this.InstanceId = string.Empty;
    }

    public RunNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
        this.InstanceId = string.Empty;
    }

    /// <summary>Gets the run id that was asked for.</summary>
    public string InstanceId { get; }
}

/// <summary>The run exists but is in the wrong state for the action (rewind a running run, purge one that runs...).</summary>
public sealed class RunStateException : ConnectorException
{
    public RunStateException(string instanceId, OrchestrationRuntimeStatus status, string message)
        : base(message)
    {
        this.InstanceId = instanceId;
        this.Status = status;
    }

    public RunStateException(string instanceId, OrchestrationRuntimeStatus? status, string message)
        : base(message)
    {
        this.InstanceId = instanceId;
        this.Status = status;
    }

    public RunStateException()
    {
        this.InstanceId = string.Empty;
    }

    public RunStateException(string message)
        : base(message)
    {
        this.InstanceId = string.Empty;
    }

    public RunStateException(string message, Exception innerException)
        : base(message, innerException)
    {
        this.InstanceId = string.Empty;
    }

    /// <summary>Gets the run.</summary>
    public string InstanceId { get; }

    /// <summary>Gets the state the run is in.</summary>
    public OrchestrationRuntimeStatus? Status { get; }
}

/// <summary>The flow is switched off for the connection (<c>Actuals:Enabled</c> or <c>Budgets:Enabled</c> is false).</summary>
public sealed class FlowDisabledException : ConnectorException
{
    public FlowDisabledException(string connectionId, string flow, string setting)
        : base($"The {flow} flow is disabled for connection '{connectionId}' ({setting}).")
    {
        this.ConnectionId = connectionId;
        this.Flow = flow;
        this.Setting = setting;
    }

    public FlowDisabledException()
    {
        this.ConnectionId = this.Flow = this.Setting = string.Empty;
    }

    public FlowDisabledException(string message)
        : base(message)
    {
        this.ConnectionId = this.Flow = this.Setting = string.Empty;
    }

    public FlowDisabledException(string message, Exception innerException)
        : base(message, innerException)
    {
        this.ConnectionId = this.Flow = this.Setting = string.Empty;
    }

    /// <summary>Gets the connection.</summary>
    public string ConnectionId { get; }

    /// <summary>Gets the flow (<c>actuals</c> or <c>budgets</c>).</summary>
    public string Flow { get; }

    /// <summary>Gets the setting that disables it.</summary>
    public string Setting { get; }
}

/// <summary>A request is malformed: the message names the field and what is wrong with it.</summary>
public sealed class ConnectorValidationException : ConnectorException
{
    public ConnectorValidationException(string? field, string message)
        : base(message)
    {
        this.Field = field;
    }

    public ConnectorValidationException(string? field, string message, Exception? innerException)
        : base(message, innerException)
    {
        this.Field = field;
    }

    public ConnectorValidationException()
    {
    }

    public ConnectorValidationException(string message)
        : base(message)
    {
    }

    public ConnectorValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Gets the field (body property, query parameter or argument) at fault, when there is one.</summary>
    public string? Field { get; }
}

/// <summary>The durable backend cannot do what was asked (for example history or rewind on a backend without them).</summary>
public sealed class OperationNotSupportedException : ConnectorException
{
    public OperationNotSupportedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public OperationNotSupportedException()
    {
    }

    public OperationNotSupportedException(string message)
        : base(message)
    {
    }
}

/// <summary>No endpoint of the API answers this method and path (the local host's answer to a route it does not have).</summary>
public sealed class EndpointNotFoundException : ConnectorException
{
    public EndpointNotFoundException(string method, string path)
        : base($"This server has no endpoint {method} {path}.")
    {
        this.Method = method;
        this.Path = path;
    }

    public EndpointNotFoundException()
    {
        this.Method = this.Path = string.Empty;
    }

    public EndpointNotFoundException(string message)
        : base(message)
    {
        this.Method = this.Path = string.Empty;
    }

    public EndpointNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
        this.Method = this.Path = string.Empty;
    }

    /// <summary>Gets the method asked for.</summary>
    public string Method { get; }

    /// <summary>Gets the path asked for.</summary>
    public string Path { get; }
}
