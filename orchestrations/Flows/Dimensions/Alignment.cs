using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Connector.Orchestrations.Flows.Dimensions;

/// <summary>
/// How one Sage account lands in Anaplan: the Anaplan account item (the formatted account without the cost-centre
/// segment, or its mapping override) and the Anaplan cost-centre item (the cost-centre segment value, or its override),
/// and whether both exist on both sides.
/// </summary>
public sealed record AccountAlignment(string SageAccount, string Account, string CostCenter, bool Valid, string? Reason, string? Field, bool Active = true);

/// <summary>
/// The result of dimension alignment, stored as a blob for the extraction and posting activities (it grows with the
/// chart of accounts, so it never travels through orchestration history).
/// </summary>
public sealed class AlignmentSnapshot
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Gets or sets the separator of formatted accounts.</summary>
    public string Separator { get; set; } = "-";

    /// <summary>Gets or sets the segment lengths, segment 1 first.</summary>
    public List<int> SegmentLengths { get; set; } = [];

    /// <summary>Gets or sets the segment descriptions, segment 1 first.</summary>
    public List<string> SegmentNames { get; set; } = [];

    /// <summary>Gets or sets the number of the cost-centre segment.</summary>
    public int CostCenterSegment { get; set; }

    /// <summary>Gets or sets each Sage cost-centre code's Anaplan cost-centre item (the code itself, or its mapping override).</summary>
    public Dictionary<string, string> CostCenterItems { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Gets or sets a value indicating whether the model has a cost-centre list whose members were read back.</summary>
    public bool HasCostCenterList { get; set; } = true;

    /// <summary>Gets or sets every Sage account and where it lands.</summary>
    public List<AccountAlignment> Accounts { get; set; } = [];

    /// <summary>Gets or sets a value indicating whether two Sage accounts land on the same Anaplan cell (then rows are summed).</summary>
    public bool RequiresAggregation { get; set; }

    /// <summary>Gets or sets the Anaplan account items that exist (after the load).</summary>
    public List<string> AnaplanAccounts { get; set; } = [];

    /// <summary>Gets or sets the Anaplan cost-centre items that exist (after the load).</summary>
    public List<string> AnaplanCostCenters { get; set; } = [];

    /// <summary>Indexes the accounts by Sage formatted account.</summary>
    /// <remarks>The first account of a key wins, as before; sized at once (a dictionary grown one resize at a time put each step's array on the large object heap at 10 k accounts and more).</remarks>
    public Dictionary<string, AccountAlignment> BySageAccount()
    {
        var bySage = new Dictionary<string, AccountAlignment>(this.Accounts.Count, StringComparer.OrdinalIgnoreCase);
        foreach (AccountAlignment account in this.Accounts)
        {
            bySage.TryAdd(account.SageAccount, account);
        }

        return bySage;
    }

    /// <summary>Writes the snapshot to <paramref name="blobName"/>; returns the ETag the blob has now.</summary>
    public async Task<Azure.ETag> SaveAsync(BlobContainerClient container, string blobName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(container);
        return (await Storage.SegmentedBuffer.UploadJsonAsync(container.GetBlobClient(blobName), this, Json, cancellationToken)).ETag;
    }

    /// <summary>
    /// A copy sharing this snapshot's lists and map: set its properties, never change what they hold (a snapshot kept by
    /// the worker is shared by its readers). Every property is copied, however many the snapshot has.
    /// </summary>
    public AlignmentSnapshot ShallowCopy() => (AlignmentSnapshot)this.MemberwiseClone();

    public static Task<AlignmentSnapshot> LoadAsync(BlobContainerClient container, string blobName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(container);
        return LoadAsync(container.GetBlobClient(blobName), null, cancellationToken);
    }

    /// <summary>Reads the snapshot in <paramref name="blob"/>, on <paramref name="conditions"/> (e.g. the ETag it was known by) when given.</summary>
    public static async Task<AlignmentSnapshot> LoadAsync(BlobClient blob, BlobRequestConditions? conditions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blob);
        await using Stream stream = await blob.OpenReadAsync(new BlobOpenReadOptions(allowModifications: false) { Conditions = conditions }, cancellationToken);
        return await JsonSerializer.DeserializeAsync<AlignmentSnapshot>(stream, Json, cancellationToken)
            ?? throw new InvalidDataException($"Alignment snapshot {blob.Name} is empty.");
    }
}

/// <summary>What the Sage side of alignment produced; the list CSVs are staged only when the run loads the lists.</summary>
public sealed record SageDimensions(
    string SnapshotBlob,
    Storage.StagedCsv? AccountsCsv,
    Storage.StagedCsv? CostCentersCsv,
    int SageAccounts,
    int AnaplanAccountItems,
    int CostCenterItems,
    int Rejected,
    string Structure);

/// <summary>
/// Input of <see cref="ReadSageDimensionsActivity"/>: whether to stage the lists for their imports (the budgets flow loads
/// none), in which layouts (the shipped model's when none was resolved), and whether the model has a cost-centre list.
/// </summary>
public sealed record SageDimensionsInput(RunRef Run, bool StageLists = false, ModelFit.ImportLayouts? Layouts = null, bool CostCenterList = true);

/// <summary>
/// Input of <see cref="BuildAlignmentActivity"/>: blobs listing the members Anaplan holds (a "Code" column), read from the
/// lists or their fallback exports; no cost-centre blob when the model has no cost-centre list. <c>ReadThrough</c> says how
/// each list was read (kept in the result, so a resumed run's summary says it too).
/// </summary>
public sealed record BuildAlignmentInput(
    RunRef Run, string SageSnapshotBlob, string? AccountsExportBlob, string? CostCentersExportBlob, bool HasCostCenterList = true, IReadOnlyList<string>? ReadThrough = null);

/// <summary>Input of <see cref="ReadAnaplanListsActivity"/>: the lists to read (name, the setting that names it, the fallback export's setting and name).</summary>
public sealed record ReadListsInput(RunRef Run, IReadOnlyList<ListToRead> Lists);

/// <summary>One list alignment reads back.</summary>
public sealed record ListToRead(string Dimension, string ListName, string ListSetting, string? FallbackExport, string FallbackSetting);

/// <summary>
/// What the list reads gave: per list, the blob of its members, or (when the read was refused and a fallback export is
/// set) why, so the orchestration runs the export instead.
/// </summary>
public sealed record ListReadResult(IReadOnlyList<ListMembers> Lists);

/// <summary>One list's members (<c>Blob</c>) or why they could not be read through the list API (<c>FallbackReason</c>).</summary>
public sealed record ListMembers(string Dimension, string ListName, string? Blob, int Count, string? FallbackExport, string? FallbackReason);

/// <summary>
/// The alignment every later step of a run uses: where it is, and the counts a person reads in the summary.
/// <c>RefusedByAnaplan</c> counts the accounts valid on the Sage side whose account or cost-centre item Anaplan does not
/// hold (0: the Sage side's validity is the alignment's, so what was staged against it stands; null: recorded by a
/// version that did not count them).
/// </summary>
public sealed record AlignmentResult(
    string AlignmentBlob,
    string Structure,
    int SageAccounts,
    int ValidAccounts,
    int InvalidAccounts,
    int AnaplanAccounts,
    int AnaplanCostCenters,
    IReadOnlyList<string> AnaplanOnlyAccounts,
    IReadOnlyList<string> AnaplanOnlyCostCenters,
    int AnaplanOnlyTotal,
    string? AnaplanOnlyBlob,
    bool RequiresAggregation,
    IReadOnlyList<string>? ReadThrough = null,
    int? RefusedByAnaplan = null);
