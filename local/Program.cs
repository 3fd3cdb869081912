using Connector.Local;

return await Cli.RunAsync(args);
