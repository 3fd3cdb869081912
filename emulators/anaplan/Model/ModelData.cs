using System.Globalization;
using System.IO.Compression;

namespace Connector.Emulators.Anaplan.Model;

/// <summary>A list item as a test sees it.</summary>
public sealed record ListItemSnapshot(string Code, string Name, IReadOnlyDictionary<string, string> Properties);

/// <summary>A module cell as a test sees it: one item code per dimension (in the module's dimension order),
/// the line item and the value (<see cref="double"/>, <see cref="DateOnly"/>, <see cref="bool"/> or <see cref="string"/>).</summary>
public sealed record CellSnapshot(IReadOnlyList<string> Members, string LineItem, object Value);

/// <summary>A file as a test sees it.</summary>
public sealed record FileSnapshot(string Id, string Name, int ChunkCount, int ChunksReceived, long UncompressedBytes, bool IsPrivate);

/// <summary>A task as a test sees it.</summary>
public sealed record TaskSnapshot(string TaskId, string ActionType, string ActionId, string State, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt = null);

/// <summary>A task started while another action was running or waiting on the same model.</summary>
public sealed record ModelViolation(DateTimeOffset At, string ModelId, string StartedActionId, string BusyWithActionId);

internal sealed class ListItem(string code, string name)
{
    public string Code { get; } = code;

    public string Name { get; set; } = name;

    public Dictionary<string, string> Properties { get; } = new(StringComparer.OrdinalIgnoreCase);
}

internal sealed class ListData(string id, string name, IReadOnlyDictionary<string, string> propertyTypes)
{
    private readonly Dictionary<string, ListItem> byCode = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, int> positions = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<ListItem> ordered = [];

    public string Id { get; } = id;

    public string Name { get; } = name;

    public IReadOnlyDictionary<string, string> PropertyTypes { get; } = propertyTypes;

    public IReadOnlyList<ListItem> Items => this.ordered;

    public ListItem? Find(string code) => this.byCode.GetValueOrDefault(code);

    /// <summary>The item's position in the list (items are only ever appended), or <see cref="int.MaxValue"/> when absent.</summary>
    public int IndexOf(string code) => this.positions.TryGetValue(code, out int position) ? position : int.MaxValue;

    /// <summary>Creates or updates an item; returns true when created.</summary>
    public bool Upsert(string code, string? name, IReadOnlyDictionary<string, string>? properties)
    {
        bool created = false;
        if (!this.byCode.TryGetValue(code, out ListItem? item))
        {
            item = new ListItem(code, string.IsNullOrEmpty(name) ? code : name);
            this.byCode[code] = item;
            this.positions[code] = this.ordered.Count;
            this.ordered.Add(item);
            created = true;
        }
        else if (!string.IsNullOrEmpty(name))
        {
            item.Name = name;
        }

        foreach ((string key, string value) in properties ?? new Dictionary<string, string>())
        {
            item.Properties[key] = value;
        }

        return created;
    }
}

internal sealed class ModuleData(string id, string name, IReadOnlyList<string> dimensions, IReadOnlyDictionary<string, string> lineItems)
{
    public const char Separator = '\u001F';

    public string Id { get; } = id;

    public string Name { get; } = name;

    public IReadOnlyList<string> Dimensions { get; } = dimensions;

    /// <summary>Line item name to type.</summary>
    public IReadOnlyDictionary<string, string> LineItems { get; } = lineItems;

    /// <summary>Member key (codes joined by <see cref="Separator"/>) to line item values.</summary>
    public Dictionary<string, Dictionary<string, object>> Rows { get; } = new(StringComparer.OrdinalIgnoreCase);

    public static string Key(IEnumerable<string> members) => string.Join(Separator, members);

    public void Set(string memberKey, string lineItem, object? value)
    {
        if (!this.Rows.TryGetValue(memberKey, out Dictionary<string, object>? row))
        {
            if (value is null)
            {
                return;
            }

            row = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
            this.Rows[memberKey] = row;
        }

        if (value is null)
        {
            row.Remove(lineItem);
            if (row.Count == 0)
            {
                this.Rows.Remove(memberKey);
            }
        }
        else
        {
            row[lineItem] = value;
        }
    }
}

/// <summary>Parses and formats cell and property values by Anaplan type name.</summary>
internal static class Values
{
    /// <summary>Parses <paramref name="text"/> as <paramref name="type"/>; null with an error when it does not parse.
    /// Blank text parses to null (the cell is cleared).</summary>
    public static bool TryParse(string type, string text, out object? value, out string? error)
    {
        error = null;
        value = null;
        text = text.Trim();
        if (text.Length == 0)
        {
            return true;
        }

        switch (type.ToLowerInvariant())
        {
            case "number":
                if (double.TryParse(text, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out double number)
                    && double.IsFinite(number))
                {
                    value = number;
                    return true;
                }

                error = "Invalid number";
                return false;
            case "date":
                if (DateOnly.TryParseExact(text, ["yyyy-MM-dd", "MM/dd/yyyy", "dd.MM.yyyy"], CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly date))
                {
                    value = date;
                    return true;
                }

                error = "Invalid date";
                return false;
            case "boolean":
                if (bool.TryParse(text, out bool flag))
                {
                    value = flag;
                    return true;
                }

                error = "Invalid boolean";
                return false;
            default:
                value = text;
                return true;
        }
    }

    public static string Format(object? value) => value switch
    {
        null => string.Empty,
        double d => d.ToString(CultureInfo.InvariantCulture),
        DateOnly date => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}

/// <summary>One uploaded chunk as it arrived: gzip bytes are kept compressed and inflated when read.</summary>
internal sealed record StoredChunk(byte[] Data, bool Gzip, long UncompressedLength)
{
    public Stream Open() => this.Gzip
        ? new GZipStream(new MemoryStream(this.Data, writable: false), CompressionMode.Decompress)
        : new MemoryStream(this.Data, writable: false);
}

internal sealed class EmulatedFile(string id, string name)
{
    public string Id { get; } = id;

    public string Name { get; set; } = name;

    /// <summary>The declared chunk count; -1 while unknown (until complete).</summary>
    public int ChunkCount { get; set; }

    public SortedDictionary<int, StoredChunk> Chunks { get; } = [];

    public bool IsPrivate { get; init; }

    public long UncompressedBytes => this.Chunks.Values.Sum(c => c.UncompressedLength);

    /// <summary>A stream of the whole content, chunk after chunk, inflated on the fly.</summary>
    public Stream OpenContent() => new ConcatenatedStream([.. this.Chunks.Values]);

    public FileSnapshot Snapshot() => new(this.Id, this.Name, this.ChunkCount, this.Chunks.Count, this.UncompressedBytes, this.IsPrivate);
}

/// <summary>Reads chunk after chunk as one stream, holding one inflating stream open at a time.</summary>
internal sealed class ConcatenatedStream(IReadOnlyList<StoredChunk> chunks) : Stream
{
    private int index;
    private Stream? current;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => this.Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (this.index < chunks.Count)
        {
            this.current ??= chunks[this.index].Open();
            int read = this.current.Read(buffer);
            if (read > 0)
            {
                return read;
            }

            this.current.Dispose();
            this.current = null;
            this.index++;
        }

        return 0;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            this.current?.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>Task states as Anaplan spells them.</summary>
internal static class TaskStates
{
    public const string NotStarted = "NOT_STARTED";
    public const string InProgress = "IN_PROGRESS";
    public const string Complete = "COMPLETE";
    public const string Cancelling = "CANCELLING";
    public const string Cancelled = "CANCELLED";
}

internal sealed class EmulatedTask(string taskId, string actionType, string actionId, string actionName, DateTimeOffset createdAt)
{
    private readonly TaskCompletionSource cancelRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string TaskId { get; } = taskId;

    /// <summary>imports, exports or processes.</summary>
    public string ActionType { get; } = actionType;

    public string ActionId { get; } = actionId;

    public string ActionName { get; } = actionName;

    public DateTimeOffset CreatedAt { get; } = createdAt;

    public string State { get; set; } = TaskStates.NotStarted;

    /// <summary>A state to report instead of the real one (to emulate states a future Anaplan may add).</summary>
    public string? ReportedState { get; set; }

    public string CurrentStep { get; set; } = "Waiting.";

    public double Progress { get; set; }

    public System.Text.Json.Nodes.JsonObject? Result { get; set; }

    /// <summary>Failure dumps by object id (the import id, or each import of a process).</summary>
    public Dictionary<string, byte[]> Dumps { get; } = new(StringComparer.Ordinal);

    public Task CancelRequested => this.cancelRequested.Task;

    public bool IsCancelRequested => this.cancelRequested.Task.IsCompleted;

    public void RequestCancel() => this.cancelRequested.TrySetResult();

    /// <summary>Gets or sets when the task reached its final state (emulator clock).</summary>
    public DateTimeOffset? FinishedAt { get; set; }

    public TaskSnapshot Snapshot() => new(this.TaskId, this.ActionType, this.ActionId, this.ReportedState ?? this.State, this.CreatedAt, this.FinishedAt);
}
