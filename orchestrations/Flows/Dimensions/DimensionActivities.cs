using System.Globalization;
using System.Text;
using Connector.Orchestrations.Anaplan;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.ModelFit;
using Connector.Orchestrations.Sage100;
using Connector.Orchestrations.Storage;
using CsvHelper;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Connector.Orchestrations.Flows.Dimensions;

/// <summary>
/// Reads the company's account structure, accounts and cost-centre codes from the agent; parses every formatted
/// account into segments from that structure (a malformed one is rejected, naming the account and the problem);
/// applies the mapping overrides and the connection's <c>AccountFormat</c> (the account item alone, or a combined code
/// carrying the cost centre); stages the Accounts and Cost Centers lists for Anaplan in their imports' layouts (when the
/// input has layouts: the budgets flow loads no list); and saves the Sage half of the alignment.
/// </summary>
public sealed class ReadSageDimensionsActivity(ConnectionClients clients, ConnectorStorage storage, MappingStore mappings, AuditStore audit, StepResultStore steps, Actuals.ExtractionCache cache)
    : TaskActivity<SageDimensionsInput, SageDimensions>
{
    public override async Task<SageDimensions> RunAsync(TaskActivityContext context, SageDimensionsInput dimensions)
    {
        RunRef input = dimensions.Run;
        ConnectionOptions connection = clients.Connection(input.ConnectionId);
        SageAgentClient sage = clients.Sage(input.ConnectionId);
        AccountStructure structure = await sage.GetAccountStructureAsync();
        AccountSegment costCenter = CostCenters.Resolve(connection, structure);
        IReadOnlyDictionary<string, string> accountMap = await mappings.GetOverridesAsync(input.ConnectionId, MappingDimensions.Account);
        IReadOnlyDictionary<string, string> costCenterMap = await mappings.GetOverridesAsync(input.ConnectionId, MappingDimensions.CostCenter);

        var snapshot = new AlignmentSnapshot
        {
            Separator = structure.Separator,
            SegmentLengths = [.. structure.Segments.Select(s => s.Length)],
            SegmentNames = [.. structure.Segments.Select(s => s.Description)],
            CostCenterSegment = costCenter.Number,
        };
        var rejections = new List<RecordAudit>();
        var accountItems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var costCenterItems = new Dictionary<string, string>(StringComparer.Ordinal);

        await foreach (SageGlAccount account in sage.GetAccountsAsync())
        {
            if (!structure.TryParse(account.Account, out ParsedAccount? parsed, out string? problem))
            {
                rejections.Add(new RecordAudit(Datasets.Dimensions, RecordKinds.Rejected, rejections.Count + 1, account.Account, "Account", $"Account '{account.Account}' is not valid: {problem}", null));
                snapshot.Accounts.Add(new AccountAlignment(account.Account, string.Empty, string.Empty, false, $"the account key does not fit the company's structure ({problem})", "Account"));
                continue;
            }

            string sageAccountItem = CostCenters.AccountWithoutCostCenter(structure, parsed, costCenter.Number);
            string sageCostCenter = parsed.Segment(costCenter.Number);
            string anaplanCostCenter = costCenterMap.GetValueOrDefault(sageCostCenter, sageCostCenter);
            string anaplanAccount = AccountItems.Apply(connection.AccountFormat, accountMap.GetValueOrDefault(sageAccountItem, sageAccountItem), anaplanCostCenter, parsed.Account);
            snapshot.CostCenterItems.TryAdd(sageCostCenter, anaplanCostCenter);
            bool deleted = account.Status == "D";
            snapshot.Accounts.Add(new AccountAlignment(
                parsed.Account, anaplanAccount, anaplanCostCenter, !deleted, deleted ? "the account is deleted in Sage" : null, deleted ? "Account" : null, account.IsActive));
            if (!deleted)
            {
                // Names are display text: one a spreadsheet would run as a formula is sent with a leading apostrophe.
                accountItems.TryAdd(anaplanAccount, [anaplanAccount, SpreadsheetSafe.Text(account.Description.Trim()), account.Type.Trim(), account.Group.Trim()]);
                costCenterItems.TryAdd(anaplanCostCenter, sageCostCenter);
            }
        }

        // Every cost-centre code Sage knows, used by an account yet or not, so budgets can target it too.
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (SageSubAccount sub in sage.GetSubAccountsAsync(costCenter.Number))
        {
            string code = sub.Code.Trim();
            string anaplanCode = costCenterMap.GetValueOrDefault(code, code);
            costCenterItems.TryAdd(anaplanCode, code);
            snapshot.CostCenterItems.TryAdd(code, anaplanCode);
            names[anaplanCode] = SpreadsheetSafe.Text(sub.Description.Trim());
        }

        var cells = new HashSet<(string Account, string CostCenter)>(snapshot.Accounts.Count); // sized at once: no resize steps on the large object heap
        snapshot.RequiresAggregation = snapshot.Accounts.Where(a => a.Valid).Any(a => !cells.Add((a.Account, a.CostCenter)));

        long maxPart = connection.Anaplan.ChunkSizeMb * 1024L * 1024L;
        ImportLayouts layouts = dimensions.Layouts ?? new ImportLayouts([]);
        string snapshotBlob = Datasets.RunBlob(input, "sage-dimensions.json");

        // Four independent writes (two staged lists, the snapshot, the rejections' audit rows), made at once: each is a
        // round trip to storage and, at 100 k accounts, megabytes; the step is recorded only once all of them are done.
        Task<StagedCsv?> accountsCsv = dimensions.StageLists
            ? StageAsync(storage, input, layouts.For(Datasets.Accounts), maxPart, accountItems.Values.OrderBy(r => r[0], StringComparer.Ordinal))
            : Task.FromResult<StagedCsv?>(null);
        Task<StagedCsv?> costCentersCsv = dimensions.StageLists && dimensions.CostCenterList
            ? StageAsync(
                storage, input, layouts.For(Datasets.CostCenters), maxPart,
                costCenterItems.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new[] { kv.Key, names.GetValueOrDefault(kv.Key, kv.Value) }))
            : Task.FromResult<StagedCsv?>(null);
        // The speculative GL extraction and the alignment read the snapshot next: on this worker, from memory.
        await Task.WhenAll(
            accountsCsv,
            costCentersCsv,
            cache.SaveAndKeepAsync(storage.StagingContainer, snapshotBlob, snapshot),
            audit.WriteRecordsAsync(input.RunId, rejections));
        return await steps.RecordAsync(input, StepKeys.SageDimensions, new SageDimensions(
            snapshotBlob, await accountsCsv, await costCentersCsv, snapshot.Accounts.Count, accountItems.Count, costCenterItems.Count, rejections.Count, structure.Describe()));
    }

    private static async Task<StagedCsv?> StageAsync(ConnectorStorage storage, RunRef run, DatasetLayout layout, long maxPart, IEnumerable<string[]> rows)
    {
        await Task.Yield(); // writes its rows while the other writes of the step go on
        await using var writer = new CsvPartWriter(storage.StagingContainer, Datasets.StagingPrefix(run, layout.Dataset), layout.Dataset, layout.Header, maxPart);
        foreach (string[] row in rows)
        {
            await writer.WriteRowAsync(layout.Row(row));
        }

        return await writer.CompleteAsync();
    }
}

/// <summary>
/// Takes which list items exist in Anaplan (read back after the loads) and intersects them with the Sage side: an
/// account is valid only when its account item and (when the model has a cost-centre list) its cost-centre item both
/// exist in Anaplan. Items that exist only in Anaplan are reported (a budget on them could not be posted to Sage).
/// </summary>
public sealed class BuildAlignmentActivity(
    ConnectorStorage storage, StepResultStore steps, Actuals.ExtractionCache cache, ConnectionStateStore state, TimeProvider time, ILogger<BuildAlignmentActivity> logger)
    : TaskActivity<BuildAlignmentInput, AlignmentResult>
{
    private const int ListedAnaplanOnly = 20;

    public override async Task<AlignmentResult> RunAsync(TaskActivityContext context, BuildAlignmentInput input)
    {
        // The Sage snapshot and both member lists are read at once (three blobs, one of them megabytes at 100 k accounts).
        // The Sage snapshot is shared with the GL extraction (kept in this worker): the alignment is built on a copy.
        Task<Actuals.AlignedChart> loading = cache.AlignmentAsync(storage.StagingContainer, input.SageSnapshotBlob);
        Task<HashSet<string>> readingAccounts = ReadCodesAsync(storage.StagingContainer, input.AccountsExportBlob);
        Task<HashSet<string>> readingCostCenters = ReadCodesAsync(storage.StagingContainer, input.CostCentersExportBlob);
        await Task.WhenAll(loading, readingAccounts, readingCostCenters);
        AlignmentSnapshot snapshot = (await loading).Snapshot.ShallowCopy();
        HashSet<string> anaplanAccounts = await readingAccounts;
        HashSet<string> anaplanCostCenters = await readingCostCenters;

        var aligned = new List<AccountAlignment>(snapshot.Accounts.Count);
        int refused = 0;
        foreach (AccountAlignment a in snapshot.Accounts)
        {
            if (!a.Valid)
            {
                aligned.Add(a);
            }
            else if (!anaplanAccounts.Contains(a.Account))
            {
                refused++;
                aligned.Add(a with { Valid = false, Reason = $"account item '{a.Account}' does not exist in the Anaplan Accounts list", Field = "Account" });
            }
            else if (input.HasCostCenterList && !anaplanCostCenters.Contains(a.CostCenter))
            {
                refused++;
                aligned.Add(a with { Valid = false, Reason = $"cost centre item '{a.CostCenter}' does not exist in the Anaplan Cost Centers list", Field = "Cost Center" });
            }
            else
            {
                aligned.Add(a);
            }
        }

        snapshot.Accounts = aligned;
        snapshot.HasCostCenterList = input.HasCostCenterList;
        snapshot.AnaplanAccounts = [.. anaplanAccounts.Order(StringComparer.Ordinal)];
        snapshot.AnaplanCostCenters = [.. anaplanCostCenters.Order(StringComparer.Ordinal)];

        var sageAccounts = snapshot.Accounts.Where(a => a.Account.Length > 0).Select(a => a.Account).ToHashSet(StringComparer.Ordinal);
        var sageCostCenters = snapshot.Accounts.Where(a => a.CostCenter.Length > 0).Select(a => a.CostCenter).Concat(snapshot.CostCenterItems.Values).ToHashSet(StringComparer.Ordinal);
        List<string> onlyAccounts = [.. anaplanAccounts.Where(a => !sageAccounts.Contains(a)).Order(StringComparer.Ordinal)];
        List<string> onlyCostCenters = [.. anaplanCostCenters.Where(c => !sageCostCenters.Contains(c)).Order(StringComparer.Ordinal)];

        // Cost centres come from GL_SubAccount too, so a code with no account yet is still a Sage code, not Anaplan-only.
        string? onlyBlob = null;
        if (onlyAccounts.Count + onlyCostCenters.Count > 0)
        {
            onlyBlob = Datasets.RunBlob(input.Run, "anaplan-only.csv");
            var text = new StringBuilder("Dimension,Code\r\n");
            foreach (string a in onlyAccounts)
            {
                text.Append("Account,").Append(CsvField(a)).Append("\r\n");
            }

            foreach (string c in onlyCostCenters)
            {
                text.Append("Cost Center,").Append(CsvField(c)).Append("\r\n");
            }

            await storage.StagingContainer.GetBlobClient(onlyBlob).UploadAsync(BinaryData.FromString(text.ToString()), overwrite: true);
        }

        string alignmentBlob = Datasets.RunBlob(input.Run, "alignment.json");
        await cache.SaveAndKeepAsync(storage.StagingContainer, alignmentBlob, snapshot);
        await this.RememberRefusedAsync(input.Run, refused);
        int valid = snapshot.Accounts.Count(a => a.Valid);
        return await steps.RecordAsync(input.Run, StepKeys.Alignment, new AlignmentResult(
            alignmentBlob,
            string.Join(snapshot.Separator, snapshot.SegmentNames.Zip(snapshot.SegmentLengths, (n, l) => $"{n}({l})")),
            snapshot.Accounts.Count,
            valid,
            snapshot.Accounts.Count - valid,
            anaplanAccounts.Count,
            anaplanCostCenters.Count,
            [.. onlyAccounts.Take(ListedAnaplanOnly)],
            [.. onlyCostCenters.Take(ListedAnaplanOnly)],
            onlyAccounts.Count + onlyCostCenters.Count,
            onlyBlob,
            snapshot.RequiresAggregation,
            input.ReadThrough,
            refused));
    }

    /// <summary>What this alignment refused, for the connection's next run (whether it stages GL before its alignment).</summary>
    private async Task RememberRefusedAsync(RunRef run, int refused)
    {
        try
        {
            await state.SetRefusedByAnaplanAsync(run.ConnectionId, refused, run.RunId, time.GetUtcNow());
        }
        catch (Exception ex) when (StorageFailure.Is(ex))
        {
            Logs.ConnectionStateUnavailable(logger, ex, run.ConnectionId, StorageFailure.Status(ex));
        }
    }

    private static string CsvField(string value)
    {
        value = SpreadsheetSafe.Text(value); // a person opens this file in a spreadsheet
        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;
    }

    /// <summary>The item codes of a list export (its <c>Code</c> column).</summary>
    internal static async Task<HashSet<string>> ReadCodesAsync(Azure.Storage.Blobs.BlobContainerClient container, string? blobName)
    {
        var codes = new HashSet<string>(StringComparer.Ordinal);
        if (blobName is null)
        {
            return codes;
        }

        await using Stream stream = await container.GetBlobClient(blobName).OpenReadAsync();
        await using CsvReader reader = CsvReader.Create(stream, new CsvReaderOptions { HasHeader = true, FormatProvider = CultureInfo.InvariantCulture });
        int code = -1;
        while (await reader.ReadAsync())
        {
            if (code < 0)
            {
                code = reader.Headers.Select((h, i) => (h, i)).FirstOrDefault(x => string.Equals(x.h.Trim(), "Code", StringComparison.OrdinalIgnoreCase)).i;
            }

            string value = reader.GetString(code).Trim();
            if (value.Length > 0)
            {
                codes.Add(value);
            }
        }

        return codes;
    }
}

/// <summary>
/// Reads the members of the dimension lists back from Anaplan through the Integration API's list read
/// (<c>GET .../lists</c>, then <c>.../lists/{id}/items</c>) and writes each list's codes to a blob. The read needs a
/// workspace administrator and lists of at most 1,000,000 items: when it is refused and the connection names a fallback
/// export for that list, the result says why and the orchestration runs the export instead; without one, the run fails
/// naming what to fix. Nothing here changes the model, so it needs no model lock.
/// </summary>
public sealed class ReadAnaplanListsActivity(ConnectionClients clients, ConnectorStorage storage) : TaskActivity<ReadListsInput, ListReadResult>
{
    public override async Task<ListReadResult> RunAsync(TaskActivityContext context, ReadListsInput input)
    {
        AnaplanClient anaplan = clients.Anaplan(input.Run.ConnectionId);
        IReadOnlyList<AnaplanList> lists = await anaplan.ListListsAsync();

        // The lists are read at once (the accounts list is the long one), each answer kept in the order asked.
        return new ListReadResult(await Task.WhenAll(input.Lists.Select(wanted => this.ReadAsync(anaplan, lists, input.Run, wanted))));
    }

    private async Task<ListMembers> ReadAsync(AnaplanClient anaplan, IReadOnlyList<AnaplanList> lists, RunRef run, ListToRead wanted)
    {
        AnaplanList? list = lists.FirstOrDefault(l => l.Name == wanted.ListName) ?? lists.FirstOrDefault(l => string.Equals(l.Name, wanted.ListName, StringComparison.OrdinalIgnoreCase));
        string? refused = null;
        IReadOnlyList<AnaplanListItem>? items = null;
        if (list is null)
        {
            refused = $"{wanted.ListSetting} names the list '{wanted.ListName}', which model {anaplan.Options.ModelId} does not have (its lists are {string.Join(", ", lists.Select(l => $"'{l.Name}'"))})";
        }
        else
        {
            try
            {
                items = await anaplan.GetListItemsAsync(list.Id, includeAll: false);
            }
            catch (AnaplanException ex) when (ex.StatusCode is 403 or 400)
            {
                refused = ex.StatusCode == 403
                    ? $"Anaplan refused to read the list '{list.Name}' (403): the list read needs a workspace administrator"
                    : $"Anaplan refused to read the list '{list.Name}' (400: more than 1,000,000 items)";
            }
        }

        if (refused is not null)
        {
            if (string.IsNullOrWhiteSpace(wanted.FallbackExport))
            {
                throw new ConnectorConfigurationException(
                    $"Alignment cannot tell which {wanted.Dimension} exist in Anaplan: {refused}. Fix the list name, give the integration user workspace administrator rights, or set {wanted.FallbackSetting} to an export of the list.");
            }

            return new ListMembers(wanted.Dimension, wanted.ListName, null, 0, wanted.FallbackExport, refused);
        }

        string blob = Datasets.RunBlob(run, $"anaplan-{Datasets.BlobSafeName(wanted.Dimension)}.csv");
        var text = new StringBuilder("Code\r\n");
        int count = 0;
        foreach (AnaplanListItem item in items!)
        {
            // An item without a code is named by its name, as an import matches it.
            string code = string.IsNullOrWhiteSpace(item.Code) ? item.Name : item.Code;
            text.Append(CsvField(code.Trim())).Append("\r\n");
            count++;
        }

        await storage.StagingContainer.GetBlobClient(blob).UploadAsync(BinaryData.FromString(text.ToString()), overwrite: true);
        return new ListMembers(wanted.Dimension, list!.Name, blob, count, null, null);
    }

    private static string CsvField(string value)
        => value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;
}

/// <summary>Which account segment is the cost centre, and what the account item is without it.</summary>
public static class CostCenters
{
    /// <summary>Finds the configured cost-centre segment in the company's structure.</summary>
    /// <exception cref="ConnectorConfigurationException">The setting names no segment 2–10 of this structure.</exception>
    public static AccountSegment Resolve(ConnectionOptions connection, AccountStructure structure)
    {
        string setting = connection.CostCenterSegment.Trim();
        AccountSegment? segment = int.TryParse(setting, NumberStyles.None, CultureInfo.InvariantCulture, out int number)
            ? structure.Segments.FirstOrDefault(s => s.Number == number)
            : structure.FindSegment(setting);
        if (segment is null || segment.Number == 1)
        {
            throw new ConnectorConfigurationException(
                $"Connection '{connection.Id}': CostCenterSegment '{setting}' is not a sub-account segment of company {connection.Sage.Company}'s account structure {structure.Describe()}.");
        }

        return segment;
    }

    /// <summary>The formatted account without its cost-centre segment ("600-01-02" → "600-01" when segment 3 is the cost centre).</summary>
    public static string AccountWithoutCostCenter(AccountStructure structure, ParsedAccount account, int costCenterSegment)
        => string.Join(structure.Separator, account.Segments.Where((_, i) => i + 1 != costCenterSegment));
}
