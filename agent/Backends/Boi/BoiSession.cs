using System.Collections.Concurrent;
using System.Globalization;
using Connector.Agent.Sage;

namespace Connector.Agent.Backends.Boi;

/// <summary>
/// One Sage 100 BOI session for one company: <c>Init</c>, <c>SY_Session</c>, <c>nSetUser</c>, <c>nSetCompany</c>,
/// <c>nSetDate</c>, <c>nSetModule</c>, <c>nSetProgram(nLookupTask(...))</c>. A session consumes a Sage user licence
/// and must stay on one thread, so each lives on its own <see cref="BoiWorker"/>.
/// </summary>
internal sealed class BoiSession : IDisposable
{
    /// <summary>ProvideX's list separator in sGetColumns/sGetKeyColumns results (SEP, $8A$).</summary>
    internal const char ProvideXSeparator = (char)0x8A;

    private readonly IBoiObject script;
    private readonly IBoiObject session;

    private BoiSession(string company, IBoiObject script, IBoiObject session)
    {
        this.Company = company;
        this.script = script;
        this.session = session;
    }

    public string Company { get; }

    /// <summary>Opens a session; failures are <c>unavailable</c> with Sage's message (licence, external access, logon).</summary>
    public static BoiSession Open(IBoiScriptFactory factory, BoiBackendOptions options, string company, DateOnly today)
    {
        IBoiObject script = factory.CreateScript();
        try
        {
            script.Invoke("Init", [options.MasHome]);
            var session = script.Invoke("NewObject", ["SY_Session"]) as IBoiObject
                ?? throw Unavailable(company, "NewObject(SY_Session) returned no object.", null);
            var opened = new BoiSession(company, script, session);
            opened.Require(session, "nSetUser", options.UserName, options.Password);
            opened.Require(session, "nSetCompany", company);
            opened.Require(session, "nSetDate", "G/L", SageFormats.ToSageDate(today));
            opened.Require(session, "nSetModule", "G/L");
            int task = session.N("nLookupTask", "GL_GeneralJournal_ui");
            opened.Require(session, "nSetProgram", task);
            return opened;
        }
        catch
        {
            script.Dispose();
            throw;
        }
    }

    /// <summary>Gets the Sage version the session reports, or "unknown".</summary>
    public string Version()
    {
        try
        {
            return Convert.ToString(this.session.Property("sVersion"), CultureInfo.InvariantCulture) is { Length: > 0 } v ? v : "unknown";
        }
        catch (Exception ex) when (ex is MissingMemberException or System.Runtime.InteropServices.COMException or InvalidOperationException)
        {
            return "unknown";
        }
    }

    /// <summary>Creates a business or service object bound to this session, e.g. <c>GL_Account_svc</c>.</summary>
    public IBoiObject NewObject(string name)
        => this.script.Invoke("NewObject", [name, this.session]) as IBoiObject
           ?? throw Unavailable(this.Company, $"NewObject({name}) returned no object.", this.session.LastError());

    /// <summary>Lists an object's columns (sGetColumns), e.g. <c>Account$</c>, <c>DebitAmount</c>.</summary>
    public static IReadOnlyList<string> Columns(IBoiObject o)
        => o.S("sGetColumns").Split([ProvideXSeparator, ',', ';', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Picks the first candidate column an object has.</summary>
    public static string? Pick(IReadOnlyList<string> columns, params string[] candidates)
        => candidates.FirstOrDefault(c => columns.Contains(c, StringComparer.OrdinalIgnoreCase));

    /// <summary>Reads every row of a <c>_svc</c> object (nMoveFirst / nEOF / nMoveNext / nGetValue).</summary>
    public List<Dictionary<string, string>> Scan(string serviceObject, IReadOnlyList<string> columns)
    {
        using IBoiObject svc = this.NewObject(serviceObject);
        var rows = new List<Dictionary<string, string>>();
        svc.N("nMoveFirst");
        while (svc.N("nEOF") == 0)
        {
            var row = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (string column in columns)
            {
                row[column.TrimEnd('$')] = svc.GetValue(column).TrimEnd();
            }

            rows.Add(row);
            svc.N("nMoveNext");
        }

        return rows;
    }

    /// <summary>Calls an n-method that must succeed during session set-up; 0 is <c>unavailable</c>.</summary>
    private void Require(IBoiObject target, string method, params object?[] args)
    {
        int rc = target.N(method, args);
        if (rc == 0)
        {
            string message = target.LastError();
            if (message.Length == 0 && !ReferenceEquals(target, this.session))
            {
                message = this.session.LastError();
            }

            throw Unavailable(this.Company, $"{method} failed.", message);
        }
    }

    internal static SageOperationException Unavailable(string company, string what, string? sageMessage)
        => new(SageErrorKind.Unavailable, $"Could not open a Sage 100 session for company {company}: {what}", sageMessage, $"company {company}");

    public void Dispose()
    {
        try
        {
            this.session.N("nCleanup");
        }
        catch (Exception ex) when (ex is MissingMemberException or System.Runtime.InteropServices.COMException or InvalidOperationException)
        {
            // Best effort: the session is being dropped anyway.
        }

        this.session.Dispose();
        this.script.Dispose();
    }
}

/// <summary>A dedicated thread (STA on Windows) that runs one BOI session's calls in order.</summary>
internal sealed class BoiWorker : IDisposable
{
    private readonly BlockingCollection<Action> queue = [];
    private readonly Thread thread;

    public BoiWorker(string name)
    {
        this.thread = new Thread(() =>
        {
            foreach (Action work in this.queue.GetConsumingEnumerable())
            {
                work();
            }
        })
        { IsBackground = true, Name = name };
        if (OperatingSystem.IsWindows())
        {
            this.thread.SetApartmentState(ApartmentState.STA);
        }

        this.thread.Start();
    }

    public Task<T> RunAsync<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        this.queue.Add(() =>
        {
            try
            {
                done.SetResult(work());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        });
        return done.Task;
    }

    public void Dispose()
    {
        this.queue.CompleteAdding();
        this.thread.Join(TimeSpan.FromSeconds(10));
        this.queue.Dispose();
    }
}
