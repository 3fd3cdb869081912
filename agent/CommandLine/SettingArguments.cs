namespace Connector.Agent.CommandLine;

/// <summary>
/// Settings given on a command line in the .NET configuration form, <c>--Section:Key value</c> or
/// <c>--Section:Key=value</c> (the name has a colon), are configuration; everything else is the command line proper,
/// parsed and validated as such. Shared by the agent's and the connector's command lines.
/// </summary>
public static class SettingArguments
{
    /// <summary>Splits <paramref name="args"/> into the command line proper and the settings it carries.</summary>
    public static (string[] CommandLine, Dictionary<string, string?> Settings) Split(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var rest = new List<string>();
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--")
            {
                rest.AddRange(args.Skip(i));
                break;
            }

            string name = arg.StartsWith("--", StringComparison.Ordinal) ? arg[2..].Split('=', 2)[0] : string.Empty;
            if (!name.Contains(':', StringComparison.Ordinal))
            {
                rest.Add(arg);
            }
            else if (arg.Contains('=', StringComparison.Ordinal))
            {
                settings[name] = arg[(arg.IndexOf('=', StringComparison.Ordinal) + 1)..];
            }
            else if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                settings[name] = args[++i];
            }
            else
            {
                rest.Add(arg); // a setting without a value: left to the parser, which reports it
            }
        }

        return ([.. rest], settings);
    }
}
