using System.Reflection;
using System.Runtime.InteropServices;

namespace Connector.Agent.Backends.Boi;

/// <summary>
/// One BOI (ProvideX COM) object reached by late binding. Sage's conventions: methods named <c>n...</c> return 1
/// (success), 0 (failure, text in <c>sLastErrorMsg</c>) or -1 (warning); <c>s...</c> return strings; <c>o...</c>
/// properties are child objects.
/// </summary>
public interface IBoiObject : IDisposable
{
    /// <summary>Calls a method. Arguments marked in <paramref name="byRef"/> are updated in <paramref name="args"/>. Child COM objects come back as <see cref="IBoiObject"/>.</summary>
    object? Invoke(string method, object?[] args, bool[]? byRef = null);

    /// <summary>Reads a property such as <c>sLastErrorMsg</c> or <c>oLines</c>.</summary>
    object? Property(string name);
}

/// <summary>Creates the <c>ProvideX.Script</c> root object.</summary>
public interface IBoiScriptFactory
{
    IBoiObject CreateScript();
}

/// <summary>Convenience calls over <see cref="IBoiObject"/>.</summary>
public static class BoiObjectExtensions
{
    /// <summary>Calls an <c>n</c> method and returns its return code (1, 0, -1; nSetKey also 2).</summary>
    public static int N(this IBoiObject o, string method, params object?[] args) => Convert.ToInt32(o.Invoke(method, args), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Calls an <c>s</c> method and returns its string.</summary>
    public static string S(this IBoiObject o, string method, params object?[] args) => Convert.ToString(o.Invoke(method, args), System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;

    /// <summary>Calls <c>nGetValue(column, ByRef value)</c>.</summary>
    public static string GetValue(this IBoiObject o, string column)
    {
        object?[] args = [column, string.Empty];
        o.Invoke("nGetValue", args, [false, true]);
        return Convert.ToString(args[1], System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
    }

    /// <summary>Reads <c>sLastErrorMsg</c>.</summary>
    public static string LastError(this IBoiObject o) => Convert.ToString(o.Property("sLastErrorMsg"), System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;

    /// <summary>Gets a child object property such as <c>oLines</c>.</summary>
    public static IBoiObject Child(this IBoiObject o, string name) => o.Property(name) as IBoiObject ?? throw new InvalidOperationException($"BOI property {name} is not an object.");
}

/// <summary>The real COM binding (Windows only; compiles everywhere).</summary>
public sealed class ComBoiScriptFactory : IBoiScriptFactory
{
    private readonly string progId;

    public ComBoiScriptFactory(string progId = "ProvideX.Script") => this.progId = progId;

    /// <inheritdoc/>
    public IBoiObject CreateScript()
    {
        if (!OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("The BOI backend needs Windows with Sage 100 installed (ProvideX.Script is a COM server). Use --backend simulated elsewhere.");
        }

        Type type = Type.GetTypeFromProgID(this.progId, throwOnError: false)
            ?? throw new InvalidOperationException($"COM class {this.progId} is not registered: install the Sage 100 workstation/server components (32-bit BOI needs a 32-bit agent process).");
        return new ComBoiObject(Activator.CreateInstance(type)!);
    }
}

/// <summary>A COM object called through <see cref="Type.InvokeMember(string, BindingFlags, Binder?, object?, object?[]?)"/>.</summary>
public sealed class ComBoiObject : IBoiObject
{
    private object? com;

    public ComBoiObject(object com) => this.com = com;

    internal object Raw => this.com ?? throw new ObjectDisposedException(nameof(ComBoiObject));

    /// <inheritdoc/>
    public object? Invoke(string method, object?[] args, bool[]? byRef = null)
    {
        object?[] raw = args.Select(a => a is ComBoiObject w ? w.Raw : a).ToArray();
        ParameterModifier[]? modifiers = null;
        if (byRef is not null && raw.Length > 0)
        {
            var m = new ParameterModifier(raw.Length);
            for (int i = 0; i < byRef.Length; i++)
            {
                m[i] = byRef[i];
            }

            modifiers = [m];
        }

        object? result = this.Raw.GetType().InvokeMember(method, BindingFlags.InvokeMethod, null, this.Raw, raw, modifiers, null, null);
        for (int i = 0; byRef is not null && i < byRef.Length; i++)
        {
            if (byRef[i])
            {
                args[i] = raw[i];
            }
        }

        return Wrap(result);
    }

    /// <inheritdoc/>
    public object? Property(string name) => Wrap(this.Raw.GetType().InvokeMember(name, BindingFlags.GetProperty, null, this.Raw, null, null, null, null));

    /// <inheritdoc/>
    public void Dispose()
    {
        if (this.com is not null && OperatingSystem.IsWindows() && Marshal.IsComObject(this.com))
        {
            Marshal.FinalReleaseComObject(this.com);
        }

        this.com = null;
    }

    private static object? Wrap(object? value)
        => value is not null && OperatingSystem.IsWindows() && Marshal.IsComObject(value) ? new ComBoiObject(value) : value;
}
