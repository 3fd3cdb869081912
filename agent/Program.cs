using Connector.Agent.CommandLine;

// The agent's command line (see agent/README.md, or run with --help).
return await AgentCommandLine.RunAsync(args);
