using System.Runtime.InteropServices;
using Connector.Agent.Sage;

namespace Connector.Agent.Backends.Boi;

/// <summary>
/// A forward walk over one <c>_svc</c> object (<c>nMoveFirst</c> / <c>nMoveNext</c> / <c>nEOF</c> / <c>nGetValue</c>),
/// positioned on the next row not yet handed out (<see cref="Current"/>), so a reader can stop at a page boundary
/// without losing a row. Rows must come in key order (a keyed file read sequentially, which is what every
/// <c>_svc</c> browse is assumed to be: unconfirmed, so the walk checks it and fails loudly instead of paging wrong).
/// </summary>
internal sealed class BoiBrowse : IDisposable
{
    /// <summary>Joins the parts of a composite key so that ordinal order of the joined text is the order of the parts.</summary>
    public const char KeySeparator = '\u0001';

    private readonly IBoiObject svc;
    private readonly string objectName;
    private readonly string[] columns;
    private readonly string[] keyColumns;
    private string? lastKey;

    private BoiBrowse(IBoiObject svc, string objectName, string[] columns, string[] keyColumns)
    {
        this.svc = svc;
        this.objectName = objectName;
        this.columns = columns;
        this.keyColumns = keyColumns;
    }

    /// <summary>Gets the row the walk stands on (column names without <c>$</c>), or null past the last row.</summary>
    public Dictionary<string, string>? Current { get; private set; }

    /// <summary>Gets the key of <see cref="Current"/> (its key columns joined by <see cref="KeySeparator"/>).</summary>
    public string? CurrentKey { get; private set; }

    /// <summary>Opens a <c>_svc</c> object and stands on the first row after <paramref name="from"/> (the first row when null).</summary>
    /// <param name="session">The company's session.</param>
    /// <param name="objectName">The service object, e.g. <c>GL_Account_svc</c>.</param>
    /// <param name="columns">Columns to read (with <c>$</c> for strings); must include <paramref name="keyColumns"/>.</param>
    /// <param name="keyColumns">The object's primary key columns, in key order.</param>
    /// <param name="from">Where the previous page stopped: a full key, or a prefix of one (a leading part of the key columns).</param>
    /// <param name="seek">Whether to try <c>nSetKeyValue</c> + <c>nFind</c> to jump to a full key before walking.</param>
    /// <param name="including">Whether to stand on <paramref name="from"/> itself when it exists, rather than after it.</param>
    public static BoiBrowse Open(BoiSession session, string objectName, IReadOnlyList<string> columns, IReadOnlyList<string> keyColumns, string? from, bool seek, bool including = false)
    {
        IBoiObject svc = session.NewObject(objectName);
        var browse = new BoiBrowse(svc, objectName, [.. columns], [.. keyColumns]);
        try
        {
            string[]? parts = from?.Split(KeySeparator);
            if (parts is null || !seek || parts.Length != keyColumns.Count || !browse.TrySeek(parts))
            {
                browse.Move("nMoveFirst");
            }

            // Without a seek (or when the row is gone), walk up to the cursor once. Only a read that lost its open walk
            // (agent restarted, walk evicted) pays this, never a page that continues one.
            while (from is not null && browse.CurrentKey is { } key && ComparePrefix(key, from) is var c && (c < 0 || (c == 0 && !including)))
            {
                browse.Advance();
            }

            return browse;
        }
        catch
        {
            browse.Dispose();
            throw;
        }
    }

    /// <summary>Moves to the next row (<c>nMoveNext</c>).</summary>
    public void Advance()
    {
        if (this.Current is not null)
        {
            this.Move("nMoveNext");
        }
    }

    public void Dispose() => this.svc.Dispose();

    /// <summary>Compares a key with a cursor that may name only its leading parts: a key under the prefix compares equal.</summary>
    internal static int ComparePrefix(string key, string prefix)
    {
        int parts = prefix.Count(c => c == KeySeparator) + 1;
        string[] split = key.Split(KeySeparator);
        string head = parts >= split.Length ? key : string.Join(KeySeparator, split[..parts]);
        return string.CompareOrdinal(head, prefix);
    }

    private bool TrySeek(string[] key)
    {
        try
        {
            for (int i = 0; i < key.Length; i++)
            {
                if (this.svc.N("nSetKeyValue", this.keyColumns[i], key[i]) == 0)
                {
                    return false;
                }
            }

            if (this.svc.N("nFind") != 1)
            {
                return false;
            }
        }
        catch (Exception ex) when (ex is MissingMemberException or COMException or InvalidCastException or FormatException)
        {
            // nFind on a _svc object is unconfirmed in some versions: walking from the first row is always possible.
            return false;
        }

        this.ReadCurrent(checkOrder: false);
        return true;
    }

    private void Move(string method)
    {
        this.svc.N(method);
        this.ReadCurrent(checkOrder: true);
    }

    private void ReadCurrent(bool checkOrder)
    {
        if (this.svc.N("nEOF") != 0)
        {
            this.Current = null;
            this.CurrentKey = null;
            return;
        }

        var row = new Dictionary<string, string>(this.columns.Length, StringComparer.OrdinalIgnoreCase);
        foreach (string column in this.columns)
        {
            row[column.TrimEnd('$')] = this.svc.GetValue(column).TrimEnd();
        }

        string key = string.Join(KeySeparator, this.keyColumns.Select(k => row[k.TrimEnd('$')]));
        if (checkOrder && this.lastKey is not null && string.CompareOrdinal(key, this.lastKey) <= 0)
        {
            throw new SageOperationException(
                SageErrorKind.Unavailable,
                $"{this.objectName} did not browse in key order ({Show(key)} came after {Show(this.lastKey)}); the agent pages on that order and cannot continue.",
                record: this.objectName);
        }

        this.lastKey = key;
        this.Current = row;
        this.CurrentKey = key;
    }

    private static string Show(string key) => key.Replace(KeySeparator, '|');
}

/// <summary>One page of a paged read and whether another item follows it.</summary>
internal sealed record BoiPage<T>(List<T> Items, bool HasMore);

/// <summary>A paged read over BOI that continues where its previous page stopped.</summary>
/// <typeparam name="T">What a page is made of (a row, or a vendor's group of rows).</typeparam>
internal abstract class BoiReader<T> : IDisposable
    where T : class
{
    private T? pending;

    /// <summary>Gets whether another item follows.</summary>
    public bool HasMore => (this.pending ??= this.ReadNext()) is not null;

    /// <summary>Takes the next item, or null at the end.</summary>
    public T? Next()
    {
        T? next = this.pending ?? this.ReadNext();
        this.pending = null;
        return next;
    }

    public abstract void Dispose();

    /// <summary>The key the API's cursor carries for <paramref name="item"/>.</summary>
    public abstract string KeyOf(T item);

    protected abstract T? ReadNext();
}

/// <summary>
/// The reads of one company left open between pages, each with the items its last page handed out: a page asked for
/// after one of them continues that read (the items the client did not take are handed out again first). At most
/// <see cref="Capacity"/> reads stay open, least recently used dropped first, and none longer than <see cref="IdleLimit"/>.
/// </summary>
internal sealed class BoiOpenReads(TimeProvider clock) : IDisposable
{
    public const int Capacity = 8;

    public static readonly TimeSpan IdleLimit = TimeSpan.FromMinutes(15);

    private readonly List<Entry> entries = [];

    /// <summary>
    /// Reads one page of <paramref name="query"/> after <paramref name="afterKey"/>: from the open read that handed out
    /// that key, else from a new one (<paramref name="open"/>, positioned after the key). Items that read handed out
    /// after the key come first (the client did not take them), then the walk continues until <paramref name="full"/>.
    /// </summary>
    public BoiPage<T> Page<T>(string query, string? afterKey, Func<string?, BoiReader<T>> open, Func<List<T>, bool> full)
        where T : class
    {
        DateTimeOffset now = clock.GetUtcNow();
        foreach (Entry stale in this.entries.Where(e => now - e.LastUsed > IdleLimit).ToList())
        {
            this.Drop(stale);
        }

        Entry? entry = afterKey is null ? null : this.entries
            .Where(e => e.Query == query && e.Reader is BoiReader<T> r && e.HandedOut.Cast<T>().Any(i => r.KeyOf(i) == afterKey))
            .MaxBy(e => e.LastUsed);
        List<T> queued = [];
        BoiReader<T> reader;
        if (entry is not null)
        {
            reader = (BoiReader<T>)entry.Reader;
            queued.AddRange(entry.HandedOut.Cast<T>().SkipWhile(i => reader.KeyOf(i) != afterKey).Skip(1));
        }
        else
        {
            reader = open(afterKey);
            entry = new Entry(query, reader) { LastUsed = now };
            this.entries.Add(entry);
            while (this.entries.Count > Capacity)
            {
                this.Drop(this.entries.MinBy(e => e.LastUsed)!);
            }
        }

        var page = new List<T>();
        int taken = 0;
        try
        {
            while (!full(page))
            {
                T? item = taken < queued.Count ? queued[taken++] : reader.Next();
                if (item is null)
                {
                    break;
                }

                page.Add(item);
            }

            bool more = taken < queued.Count || reader.HasMore;
            entry.HandedOut = [.. page, .. queued.Skip(taken)];
            entry.LastUsed = now;
            return new BoiPage<T>(page, more);
        }
        catch
        {
            this.Drop(entry);
            throw;
        }
    }

    /// <summary>Closes every open read (the session is going away).</summary>
    public void Dispose()
    {
        foreach (Entry entry in this.entries.ToList())
        {
            this.Drop(entry);
        }
    }

    private void Drop(Entry entry)
    {
        this.entries.Remove(entry);
        entry.Reader.Dispose();
    }

    private sealed class Entry(string query, IDisposable reader)
    {
        public string Query { get; } = query;

        public IDisposable Reader { get; } = reader;

        /// <summary>Gets or sets the items handed out by the last page, then those read ahead but not handed out yet.</summary>
        public object[] HandedOut { get; set; } = [];

        public DateTimeOffset LastUsed { get; set; }
    }
}
