using Connector.Emulators.Anaplan;
using Microsoft.Extensions.Logging.Console;

// dotnet run --project emulators/anaplan -- --urls http://127.0.0.1:5081 --model emulators/anaplan/models/fpa-model.json
//   [--also-model other.json[,another.json]] [--token-lifetime 00:35:00] [--rate-limit-per-minute 600]
//   [--task-duration 00:00:02] [--user name:password]
IConfiguration config = new ConfigurationBuilder()
    .AddEnvironmentVariables("ANAPLAN_EMULATOR_")
    .AddCommandLine(args)
    .Build();

using ILoggerFactory loggerFactory = LoggerFactory.Create(logging => logging
    .AddSimpleConsole(o => o.ColorBehavior = LoggerColorBehavior.Disabled)
    .AddFilter("Microsoft", LogLevel.Warning)
    .SetMinimumLevel(config.GetValue("log-level", LogLevel.Information)));

var options = new AnaplanEmulatorOptions
{
    Url = config["urls"] ?? "http://127.0.0.1:5081",
    ModelPath = config["model"],
    TokenLifetime = config.GetValue("token-lifetime", TimeSpan.FromMinutes(35)),
    RateLimitPerMinute = config.GetValue("rate-limit-per-minute", 600),
    TaskDuration = config.GetValue("task-duration", TimeSpan.Zero),
    LoggerFactory = loggerFactory,
};
foreach (string path in (config["also-model"] ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
{
    options.AdditionalModelPaths.Add(path);
}

await using AnaplanEmulator emulator = await AnaplanEmulator.StartAsync(options);
foreach (string user in (config["user"] ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries))
{
    string[] parts = user.Split(':', 2);
    if (parts.Length == 2)
    {
        emulator.State.AddUser(parts[0], parts[1]);
    }
}

ILogger log = loggerFactory.CreateLogger("Connector.Emulators.Anaplan");
Logs.Listening(log, emulator.BaseAddress, emulator.ApiBaseAddress);
await emulator.WaitForShutdownAsync();
