namespace Connector.Orchestrations.Flows;

/// <summary>
/// The connection's settings do not fit the systems they point at (an offset account Sage does not have, a cost-centre
/// segment the account structure does not have, an export without the columns the flow reads). Waiting does not help,
/// so activities failing with it are not retried: the run fails at once with the message, to be rewound after the fix.
/// </summary>
public sealed class ConnectorConfigurationException : Exception
{
    public ConnectorConfigurationException(string message)
        : base(message)
    {
    }

    public ConnectorConfigurationException()
    {
    }

    public ConnectorConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
