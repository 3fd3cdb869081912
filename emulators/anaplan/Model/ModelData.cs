using System.Globalization;
using System.IO.Compression;
using System.Runtime.InteropServices;

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
    private static readonly IReadOnlyDictionary<string, string> NoProperties = new Dictionary<string, string>();

    private Dictionary<string, string>? properties;

    public string Code { get; } = code;

    public string Name { get; set; } = name;

    /// <summary>The properties set, in the order they were first set.</summary>
    public IReadOnlyDictionary<string, string> Properties => this.properties ?? NoProperties;

    /// <summary>The value of a property, or null when it was never set.</summary>
    public string? Property(string key) => this.properties?.GetValueOrDefault(key);

    public void SetProperty(string key, string value) => (this.properties ??= new(StringComparer.OrdinalIgnoreCase))[key] = value;
}

internal sealed class ListData
{
    private readonly Dictionary<string, int> positions = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> positionsBySpan;
    private readonly List<ListItem> ordered = [];

    public ListData(string id, string name, IReadOnlyDictionary<string, string> propertyTypes)
    {
        this.Id = id;
        this.Name = name;
        this.PropertyTypes = propertyTypes;
        this.positionsBySpan = this.positions.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public string Id { get; }

    public string Name { get; }

    public IReadOnlyDictionary<string, string> PropertyTypes { get; }

    public IReadOnlyList<ListItem> Items => this.ordered;

    public ListItem? Find(string code) => this.positions.TryGetValue(code, out int position) ? this.ordered[position] : null;

    /// <summary>The item's position in the list (items are only ever appended), or <see cref="int.MaxValue"/> when absent.</summary>
    public int IndexOf(string code) => this.positions.TryGetValue(code, out int position) ? position : int.MaxValue;

    /// <summary>The item's position in the list, or <see cref="int.MaxValue"/> when absent (no string made for the code).</summary>
    public int IndexOf(ReadOnlySpan<char> code)
        => this.positionsBySpan.TryGetValue(code, out int position) ? position : int.MaxValue;

    /// <summary>Creates or updates an item; returns true when created.</summary>
    public bool Upsert(string code, string? name, IReadOnlyDictionary<string, string>? properties)
    {
        (ListItem item, bool created) = this.Item(code, name);
        foreach ((string key, string value) in properties ?? new Dictionary<string, string>())
        {
            item.SetProperty(key, value);
        }

        return created;
    }

    /// <summary>
    /// <see cref="Upsert(string, string?, IReadOnlyDictionary{string, string}?)"/> for an import's row: the item at
    /// <paramref name="position"/>, or (-1) the one with <paramref name="code"/>; the properties <paramref name="keys"/>
    /// set to <paramref name="values"/>, in order.
    /// </summary>
    public void Upsert(int position, string? code, string? name, ReadOnlySpan<string> keys, ReadOnlySpan<string> values)
    {
        ListItem item = position >= 0 ? Renamed(this.ordered[position], name) : this.Item(code!, name).Item;
        for (int i = 0; i < keys.Length; i++)
        {
            item.SetProperty(keys[i], values[i]);
        }
    }

    /// <summary>The item with <paramref name="code"/>, created when absent (named <paramref name="name"/>, or its code),
    /// else renamed when <paramref name="name"/> is not empty.</summary>
    private (ListItem Item, bool Created) Item(string code, string? name)
    {
        ref int position = ref CollectionsMarshal.GetValueRefOrAddDefault(this.positions, code, out bool exists);
        if (exists)
        {
            return (Renamed(this.ordered[position], name), false);
        }

        position = this.ordered.Count;
        var created = new ListItem(code, string.IsNullOrEmpty(name) ? code : name);
        this.ordered.Add(created);
        return (created, true);
    }

    /// <summary>The item, renamed when <paramref name="name"/> is not empty (an import's blank name keeps the item's).</summary>
    private static ListItem Renamed(ListItem item, string? name)
    {
        if (!string.IsNullOrEmpty(name))
        {
            item.Name = name;
        }

        return item;
    }
}

/// <summary>
/// A module's cells: one row per combination of items that has any value, keyed by the items' positions in their lists
/// (lists only grow, so a position never changes) and mapped to a slot; each line item keeps its values in a column
/// indexed by slot (<see cref="CellColumn"/>: numbers unboxed). Held this way because a GL import stores millions of
/// rows: a value array and a boxed double per cell were most of the emulator's allocations and garbage-collection work.
/// </summary>
internal sealed class ModuleData
{
    private readonly ListData[] lists;
    private readonly string[] lineItemNames;
    private readonly Dictionary<string, int> lineItemIndex = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<CellKey, int> rows = [];
    private readonly CellColumn[] columns;
    private readonly Stack<int> freeSlots = new();
    private readonly List<CellKey> stagedKeys = [];
    private CellColumn[]? staging;
    private int slotCount;

    public ModuleData(string id, string name, IReadOnlyList<string> dimensions, IReadOnlyDictionary<string, string> lineItems, IReadOnlyList<ListData> lists)
    {
        this.Id = id;
        this.Name = name;
        this.Dimensions = dimensions;
        this.LineItems = lineItems;
        this.lists = [.. lists];
        this.lineItemNames = [.. lineItems.Keys];
        this.columns = new CellColumn[this.lineItemNames.Length];
        for (int i = 0; i < this.lineItemNames.Length; i++)
        {
            this.lineItemIndex.TryAdd(this.lineItemNames[i], i);
            this.columns[i] = new CellColumn();
        }
    }

    public string Id { get; }

    public string Name { get; }

    public IReadOnlyList<string> Dimensions { get; }

    /// <summary>Line item name to type.</summary>
    public IReadOnlyDictionary<string, string> LineItems { get; }

    /// <summary>The line items' names, in the order of <see cref="Column"/>.</summary>
    public IReadOnlyList<string> LineItemNames => this.lineItemNames;

    /// <summary>Each dimension's list, in the module's dimension order.</summary>
    public IReadOnlyList<ListData> Lists => this.lists;

    /// <summary>The rows that hold any value: their key and their slot in the line items' columns.</summary>
    public IEnumerable<KeyValuePair<CellKey, int>> Rows => this.rows;

    /// <summary>How many rows hold any value.</summary>
    public int RowCount => this.rows.Count;

    /// <summary>
    /// Where an import stages the rows it reads before they are applied (under the model's data lock, one import at a
    /// time): the rows' keys, emptied, and a column per line item (their slots are overwritten row by row). Kept from one
    /// import to the next, so a series of GL files does not allocate (and the system zero) the same space again each time.
    /// </summary>
    public (List<CellKey> Keys, CellColumn[] Columns) Staging()
    {
        this.stagedKeys.Clear();
        this.staging ??= [.. this.columns.Select(_ => new CellColumn())];
        return (this.stagedKeys, this.staging);
    }

    /// <summary>A line item's values by slot (<paramref name="lineItem"/> as <see cref="LineItemIndex"/> gives it).</summary>
    public CellColumn Column(int lineItem) => this.columns[lineItem];

    /// <summary>A line item's place among the columns; -1 when the module has no such line item.</summary>
    public int LineItemIndex(string lineItem) => this.lineItemIndex.TryGetValue(lineItem, out int index) ? index : -1;

    /// <summary>The key of the items named (one code per dimension); false when one is not in its list.</summary>
    public bool TryKey(IReadOnlyList<string> members, out CellKey key)
    {
        key = default;
        if (members.Count != this.lists.Length)
        {
            return false;
        }

        Span<int> positions = stackalloc int[this.lists.Length];
        for (int d = 0; d < positions.Length; d++)
        {
            positions[d] = this.lists[d].IndexOf(members[d]);
            if (positions[d] == int.MaxValue)
            {
                return false;
            }
        }

        key = CellKey.Of(positions);
        return true;
    }

    /// <summary>The codes of a row's items, in dimension order.</summary>
    public string[] Members(CellKey key)
    {
        var members = new string[this.lists.Length];
        for (int d = 0; d < members.Length; d++)
        {
            members[d] = this.lists[d].Items[key.Position(d)].Code;
        }

        return members;
    }

    public object? Get(CellKey key, int lineItem) => this.rows.TryGetValue(key, out int slot) ? this.columns[lineItem].Get(slot) : null;

    /// <summary>Sets one value (null clears it); a row left without values is removed.</summary>
    public void Set(CellKey key, int lineItem, object? value)
    {
        if (!this.rows.TryGetValue(key, out int slot))
        {
            if (value is null)
            {
                return;
            }

            slot = this.NewSlot();
            this.rows[key] = slot;
        }

        this.columns[lineItem].Set(slot, value);
        if (value is null)
        {
            this.RemoveIfBlank(key, slot);
        }
    }

    /// <summary>Makes room for <paramref name="more"/> rows beyond those held (an import knows how many it writes at
    /// most): at least doubling, so a series of imports grows the table as often as adding row by row would.</summary>
    public void MakeRoomFor(int more)
    {
        int capacity = this.rows.EnsureCapacity(0);
        long needed = (long)this.rows.Count + more;
        if (needed > capacity)
        {
            this.rows.EnsureCapacity((int)Math.Min(Array.MaxLength, Math.Max(needed, 2L * capacity)));
        }
    }

    /// <summary>
    /// Sets the values an import read for row <paramref name="row"/> of <paramref name="staged"/>: for each line item in
    /// <paramref name="lineItems"/> (distinct), the value staged in the same place of <paramref name="staged"/> (blank
    /// clears); the module's other line items keep their values. A row left without values is removed; an all-blank row
    /// that is not held is not added.
    /// </summary>
    public void SetRow(CellKey key, ReadOnlySpan<int> lineItems, CellColumn[] staged, int row)
    {
        bool blank = true;
        foreach (CellColumn column in staged)
        {
            blank &= !column.HasValue(row);
        }

        if (blank && !this.rows.ContainsKey(key))
        {
            return; // nothing to clear
        }

        ref int slot = ref CollectionsMarshal.GetValueRefOrAddDefault(this.rows, key, out bool exists);
        if (!exists)
        {
            slot = this.NewSlot();
        }

        int at = slot;
        for (int i = 0; i < lineItems.Length; i++)
        {
            this.columns[lineItems[i]].CopyFrom(at, staged[i], row);
        }

        if (exists && blank)
        {
            this.RemoveIfBlank(key, at);
        }
    }

    private int NewSlot()
    {
        if (this.freeSlots.TryPop(out int slot))
        {
            return slot;
        }

        slot = this.slotCount++;
        foreach (CellColumn column in this.columns)
        {
            column.EnsureSlot(slot);
        }

        return slot;
    }

    private void RemoveIfBlank(CellKey key, int slot)
    {
        foreach (CellColumn column in this.columns)
        {
            if (column.HasValue(slot))
            {
                return;
            }
        }

        this.rows.Remove(key);
        this.freeSlots.Push(slot);
    }
}

/// <summary>
/// One line item's values by slot: numbers as doubles, unboxed (what nearly every cell holds), anything else (a date,
/// a boolean, text, or whatever a test seeds) as its object; blank when neither. Held in segments of 16,384 slots, so
/// growing never copies what is held.
/// </summary>
internal sealed class CellColumn
{
    private const byte Blank = 0;
    private const byte Number = 1;
    private const byte Other = 2;
    private const int Shift = 14;
    private const int Mask = (1 << Shift) - 1;

    private double[][] numbers = [];
    private byte[][] kinds = [];
    private object?[][]? others;

    public bool HasValue(int slot) => this.kinds[slot >> Shift][slot & Mask] != Blank;

    /// <summary>Whether the slot holds a number (<paramref name="value"/>), not blank or another kind of value.</summary>
    public bool TryGetNumber(int slot, out double value)
    {
        value = this.numbers[slot >> Shift][slot & Mask];
        return this.kinds[slot >> Shift][slot & Mask] == Number;
    }

    /// <summary>The value (a double boxed anew), or null when blank.</summary>
    public object? Get(int slot) => this.kinds[slot >> Shift][slot & Mask] switch
    {
        Number => this.numbers[slot >> Shift][slot & Mask],
        Other => this.others![slot >> Shift][slot & Mask],
        _ => null,
    };

    /// <summary>The value as an export writes it (<see cref="Values.Format"/>); empty when blank.</summary>
    public string Format(int slot) => this.kinds[slot >> Shift][slot & Mask] switch
    {
        Number => this.numbers[slot >> Shift][slot & Mask].ToString(CultureInfo.InvariantCulture),
        Other => Values.Format(this.others![slot >> Shift][slot & Mask]),
        _ => string.Empty,
    };

    /// <summary>Sets a value: a double is kept unboxed, null blanks the slot.</summary>
    public void Set(int slot, object? value)
    {
        if (value is double number)
        {
            this.SetNumber(slot, number);
        }
        else if (value is null)
        {
            this.SetBlank(slot);
        }
        else
        {
            if (this.others is null)
            {
                this.others = new object?[this.kinds.Length][];
                for (int i = 0; i < this.others.Length; i++)
                {
                    this.others[i] = new object?[1 << Shift];
                }
            }

            this.others[slot >> Shift][slot & Mask] = value;
            this.kinds[slot >> Shift][slot & Mask] = Other;
        }
    }

    public void SetNumber(int slot, double value)
    {
        this.numbers[slot >> Shift][slot & Mask] = value;
        this.kinds[slot >> Shift][slot & Mask] = Number;
        if (this.others is not null)
        {
            this.others[slot >> Shift][slot & Mask] = null;
        }
    }

    public void SetBlank(int slot)
    {
        this.kinds[slot >> Shift][slot & Mask] = Blank;
        if (this.others is not null)
        {
            this.others[slot >> Shift][slot & Mask] = null;
        }
    }

    /// <summary>Copies slot <paramref name="from"/> of <paramref name="source"/> into slot <paramref name="slot"/>.</summary>
    public void CopyFrom(int slot, CellColumn source, int from)
    {
        switch (source.kinds[from >> Shift][from & Mask])
        {
            case Number:
                this.SetNumber(slot, source.numbers[from >> Shift][from & Mask]);
                break;
            case Other:
                this.Set(slot, source.others![from >> Shift][from & Mask]);
                break;
            default:
                this.SetBlank(slot);
                break;
        }
    }

    /// <summary>Makes slot <paramref name="slot"/> exist (blank when new), adding a segment when it is past the last.</summary>
    public void EnsureSlot(int slot)
    {
        int segment = slot >> Shift;
        if (segment < this.kinds.Length)
        {
            return;
        }

        int segments = segment + 1;
        Array.Resize(ref this.numbers, segments);
        Array.Resize(ref this.kinds, segments);
        if (this.others is not null)
        {
            Array.Resize(ref this.others, segments);
        }

        for (int i = segments - 1; i >= 0 && this.kinds[i] is null; i--)
        {
            this.numbers[i] = new double[1 << Shift];
            this.kinds[i] = new byte[1 << Shift];
            if (this.others is not null)
            {
                this.others[i] = new object?[1 << Shift];
            }
        }
    }
}

/// <summary>A module row's key: its items' positions in their lists, four to a pair of longs (more in an array).</summary>
internal readonly struct CellKey : IEquatable<CellKey>
{
    private readonly ulong low;
    private readonly ulong high;
    private readonly int[]? more;

    private CellKey(ulong low, ulong high, int[]? more)
    {
        this.low = low;
        this.high = high;
        this.more = more;
    }

    public static CellKey Of(ReadOnlySpan<int> positions)
    {
        ulong low = 0, high = 0;
        for (int d = 0; d < Math.Min(4, positions.Length); d++)
        {
            ulong part = (uint)positions[d];
            if (d < 2)
            {
                low |= part << (32 * d);
            }
            else
            {
                high |= part << (32 * (d - 2));
            }
        }

        return new CellKey(low, high, positions.Length > 4 ? positions[4..].ToArray() : null);
    }

    /// <summary>The position of the item of dimension <paramref name="dimension"/>.</summary>
    public int Position(int dimension) => dimension switch
    {
        0 => (int)(uint)this.low,
        1 => (int)(uint)(this.low >> 32),
        2 => (int)(uint)this.high,
        3 => (int)(uint)(this.high >> 32),
        _ => this.more![dimension - 4],
    };

    /// <summary>This key with the position of one dimension replaced.</summary>
    public CellKey With(int dimension, int position, int dimensions)
    {
        Span<int> positions = stackalloc int[dimensions];
        for (int d = 0; d < dimensions; d++)
        {
            positions[d] = d == dimension ? position : this.Position(d);
        }

        return Of(positions);
    }

    public bool Equals(CellKey other)
        => this.low == other.low && this.high == other.high
        && (ReferenceEquals(this.more, other.more) || (this.more is not null && other.more is not null && this.more.AsSpan().SequenceEqual(other.more)));

    public override bool Equals(object? obj) => obj is CellKey other && this.Equals(other);

    public override int GetHashCode()
    {
        if (this.more is null)
        {
            return HashCode.Combine(this.low, this.high);
        }

        var hash = new HashCode();
        hash.Add(this.low);
        hash.Add(this.high);
        foreach (int position in this.more ?? [])
        {
            hash.Add(position);
        }

        return hash.ToHashCode();
    }
}

/// <summary>Parses and formats cell and property values by Anaplan type name.</summary>
internal static class Values
{
    /// <summary>One boxed zero for every zero value parsed as an object.</summary>
    private static readonly object Zero = 0d;

    /// <summary>10^0 … 10^15, each exact in a double.</summary>
    private static readonly double[] PowersOfTen = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

    /// <summary>Parses <paramref name="text"/> as <paramref name="type"/>; null with an error when it does not parse.
    /// Blank text parses to null (the cell is cleared).</summary>
    public static bool TryParse(string type, string text, out object? value, out string? error)
        => TryParse(type, text.AsSpan(), out value, out error);

    /// <inheritdoc cref="TryParse(string, string, out object?, out string?)"/>
    public static bool TryParse(string type, ReadOnlySpan<char> text, out object? value, out string? error)
    {
        error = null;
        value = null;
        text = text.Trim();
        if (text.Length == 0)
        {
            return true;
        }

        if (IsNumber(type))
        {
            if (ParseNumber(text, out double number))
            {
                value = number == 0 && !double.IsNegative(number) ? Zero : number;
                return true;
            }

            error = "Invalid number";
            return false;
        }

        if (string.Equals(type, "date", StringComparison.OrdinalIgnoreCase))
        {
            if (DateOnly.TryParseExact(text, ["yyyy-MM-dd", "MM/dd/yyyy", "dd.MM.yyyy"], CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly date))
            {
                value = date;
                return true;
            }

            error = "Invalid date";
            return false;
        }

        if (string.Equals(type, "boolean", StringComparison.OrdinalIgnoreCase))
        {
            if (bool.TryParse(text, out bool flag))
            {
                value = flag;
                return true;
            }

            error = "Invalid boolean";
            return false;
        }

        value = text.ToString();
        return true;
    }

    /// <summary>Whether values of this type are parsed (number, date, boolean); any other type keeps the trimmed text.</summary>
    public static bool IsParsed(string type)
        => IsNumber(type) || string.Equals(type, "date", StringComparison.OrdinalIgnoreCase) || string.Equals(type, "boolean", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether a line item or property of this type holds numbers.</summary>
    public static bool IsNumber(string type) => string.Equals(type, "number", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses a number cell as <see cref="TryParse(string, ReadOnlySpan{char}, out object?, out string?)"/> does,
    /// without boxing: <paramref name="blank"/> when the text is blank (the cell is cleared); false when it does not parse.</summary>
    public static bool TryParseNumber(ReadOnlySpan<char> text, out double value, out bool blank)
    {
        text = text.Trim();
        blank = text.Length == 0;
        value = 0;
        return blank || ParseNumber(text, out value);
    }

    /// <summary>
    /// A finite number in the invariant culture: exponents and thousands separators allowed. The usual form (an optional
    /// minus, at most 15 digits, an optional decimal point) is computed directly: the digits as an integer are exact in a
    /// double, as is the power of ten, and one division rounds correctly, so the result is the one
    /// <see cref="double.TryParse(ReadOnlySpan{char}, NumberStyles, IFormatProvider?, out double)"/> gives (which every
    /// other form goes to).
    /// </summary>
    private static bool ParseNumber(ReadOnlySpan<char> text, out double value)
    {
        int i = text.Length > 0 && text[0] == '-' ? 1 : 0;
        long digits = 0;
        int count = 0;
        int scale = -1;
        for (; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsAsciiDigit(c))
            {
                digits = (digits * 10) + (c - '0');
                count++;
                if (scale >= 0)
                {
                    scale++;
                }
            }
            else if (c == '.' && scale < 0)
            {
                scale = 0;
            }
            else
            {
                break;
            }
        }

        if (i == text.Length && count is > 0 and <= 15)
        {
            value = scale > 0 ? digits / PowersOfTen[scale] : digits;
            if (text[0] == '-')
            {
                value = -value;
            }

            return true;
        }

        return double.TryParse(text, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out value)
            && double.IsFinite(value);
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
