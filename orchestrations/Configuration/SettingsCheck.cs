using System.Collections;
using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Connector.Orchestrations.Configuration;

/// <summary>
/// Checks a configuration section against the options type it binds to, before binding can lose anything. The binder
/// silently skips a list element it cannot convert (a connection with <c>PriorPeriods=abc</c> simply vanishes), and
/// ignores a key that matches no property (a typo); here every value is converted as the binder would convert it, and
/// every key must be a setting. Each error names the setting as written in configuration.
/// </summary>
public static class SettingsCheck
{
    /// <summary>Checks <paramref name="section"/> against <paramref name="type"/>; returns the problems found.</summary>
    public static IReadOnlyList<string> Check(IConfigurationSection section, Type type)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(type);
        var errors = new List<string>();
        CheckObject(section, type, errors, string.Empty);
        return errors;
    }

    private static void CheckObject(IConfigurationSection section, Type type, List<string> errors, string who)
    {
        Dictionary<string, PropertyInfo> properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite || IsCollection(p.PropertyType))
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (IConfigurationSection child in section.GetChildren())
        {
            if (!properties.TryGetValue(child.Key, out PropertyInfo? property))
            {
                errors.Add($"{child.Path}{who}: is not a setting ({type.Name} has {string.Join(", ", properties.Keys.Order(StringComparer.Ordinal))}).");
                continue;
            }

            CheckValue(child, property.PropertyType, errors, who);
        }
    }

    private static void CheckValue(IConfigurationSection section, Type type, List<string> errors, string who)
    {
        Type target = Nullable.GetUnderlyingType(type) ?? type;
        if (target == typeof(string) || target == typeof(object))
        {
            if (section.GetChildren().Any())
            {
                errors.Add($"{section.Path}{who}: is a single value, not a section.");
            }

            return;
        }

        if (IsScalar(target))
        {
            if (section.GetChildren().Any())
            {
                errors.Add($"{section.Path}{who}: is a single value, not a section.");
                return;
            }

            string? text = section.Value;
            if (string.IsNullOrEmpty(text))
            {
                return; // not set: the default applies
            }

            try
            {
                TypeDescriptor.GetConverter(target).ConvertFromInvariantString(text);
            }
            catch (Exception ex) when (ex is FormatException or NotSupportedException or ArgumentException or OverflowException || ex.InnerException is FormatException or OverflowException)
            {
                errors.Add($"{section.Path}{who}: '{text}' is not {Describe(target)}.");
            }

            return;
        }

        if (ElementType(target) is { } element)
        {
            bool dictionary = target.IsGenericType && target.GetGenericArguments().Length == 2;
            foreach (IConfigurationSection item in section.GetChildren())
            {
                if (!dictionary && !int.TryParse(item.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    errors.Add($"{item.Path}{who}: list entries are numbered (0, 1, ...); '{item.Key}' is not a number.");
                    continue;
                }

                // A connection's errors also name the connection, as the other validation errors do.
                string itemWho = element == typeof(ConnectionOptions) && item["Id"] is { Length: > 0 } id ? $" (connection '{id}')" : who;
                CheckValue(item, element, errors, itemWho);
            }

            return;
        }

        if (section.Value is { Length: > 0 } && !section.GetChildren().Any())
        {
            errors.Add($"{section.Path}{who}: is a section of settings, not a single value ('{section.Value}').");
            return;
        }

        CheckObject(section, target, errors, who);
    }

    private static bool IsScalar(Type type)
        => type.IsPrimitive || type.IsEnum || type == typeof(decimal) || type == typeof(TimeSpan) || type == typeof(DateTime)
            || type == typeof(DateTimeOffset) || type == typeof(Guid) || type == typeof(Uri);

    private static bool IsCollection(Type type) => type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type);

    private static Type? ElementType(Type type)
    {
        if (type.IsArray)
        {
            return type.GetElementType();
        }

        if (!type.IsGenericType || !IsCollection(type))
        {
            return null;
        }

        Type[] arguments = type.GetGenericArguments();
        return arguments.Length == 2 ? arguments[1] : arguments[0];
    }

    private static string Describe(Type type) => type switch
    {
        _ when type == typeof(int) || type == typeof(long) || type == typeof(short) => "a whole number",
        _ when type == typeof(decimal) || type == typeof(double) || type == typeof(float) => "a number (invariant culture, e.g. 12.5)",
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(TimeSpan) => "a time span (hh:mm:ss, or d.hh:mm:ss)",
        _ when type == typeof(Uri) => "an address",
        _ when type.IsEnum => $"one of {string.Join(", ", Enum.GetNames(type))}",
        _ => $"a {type.Name}",
    };
}

/// <summary>
/// Validates configuration sections with <see cref="SettingsCheck"/> at start-up (registered for
/// <typeparamref name="TOptions"/> with <c>ValidateOnStart</c>): a wrongly typed or unknown setting stops the process,
/// naming the setting. <paramref name="sections"/> pairs each section with the options type it binds to.
/// </summary>
public sealed class SettingsCheckValidator<TOptions>(params (IConfigurationSection Section, Type Type)[] sections) : IValidateOptions<TOptions>
    where TOptions : class
{
    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var errors = sections.SelectMany(s => SettingsCheck.Check(s.Section, s.Type)).ToList();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
