using Connector.Local.Cli;

return await ConnectorCommandLine.RunAsync(args);
