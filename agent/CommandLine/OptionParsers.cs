using System.CommandLine.Parsing;
using System.Globalization;

namespace Connector.Agent.CommandLine;

/// <summary>Option value parsers whose errors say what the option accepts, in words an operator reads.</summary>
public static class OptionParsers
{
    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static Func<ArgumentResult, int> Int(int min, int max = int.MaxValue)
        => result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
            if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max)
            {
                return value;
            }

            result.AddError(max == int.MaxValue
                ? $"{Name(result)} must be a whole number of at least {min}, not '{text}'."
                : $"{Name(result)} must be a whole number from {min} to {max}, not '{text}'.");
            return default;
        };

    /// <summary>The option's or argument's name as the user typed it.</summary>
    public static string Name(ArgumentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Parent is OptionResult option ? option.IdentifierToken?.Value ?? option.Option.Name : $"<{result.Argument.Name}>";
    }

    /// <summary>An exception's message without the framework's "(Parameter 'x')" suffix.</summary>
    public static string Message(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception is ArgumentException { ParamName: { } name } argument
            ? argument.Message.Replace($" (Parameter '{name}')", string.Empty, StringComparison.Ordinal)
            : exception.Message;
    }
}
