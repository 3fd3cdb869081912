using Connector.Orchestrations.Storage;
using Connector.Testing;

namespace Connector.Orchestrations.Tests.Storage;

public sealed class StoresTests(StorageFixture fixture) : IClassFixture<StorageFixture>
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 2, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Watermark_OnlyMovesForward()
    {
        var store = new WatermarkStore(fixture.Storage);
        string conn = $"c{Guid.NewGuid():N}";
        Assert.Null(await store.GetAsync(conn, "ap-invoices"));

        Assert.True(await store.CommitAsync(conn, "ap-invoices", "2026-11-25T10:00:00Z", "run1", T0));
        Assert.False(await store.CommitAsync(conn, "ap-invoices", "2026-11-24T10:00:00Z", "run0", T0)); // older: ignored
        Assert.True(await store.CommitAsync(conn, "ap-invoices", "2026-11-26T01:00:00Z", "run2", T0));

        Watermark? current = await store.GetAsync(conn, "ap-invoices");
        Assert.Equal("2026-11-26T01:00:00Z", current?.Value);
        Assert.Equal("run2", current?.RunId);
        Assert.Null(await store.GetAsync(conn, "vendors"));
    }

    [Fact]
    public async Task Watermark_ConcurrentCommits_KeepTheLatest()
    {
        var store = new WatermarkStore(fixture.Storage);
        string conn = $"c{Guid.NewGuid():N}";
        string[] values = Enumerable.Range(10, 10).Select(h => $"2026-11-26T{h:D2}:00:00Z").ToArray();
        await Task.WhenAll(values.Reverse().Select(v => store.CommitAsync(conn, "vendors", v, "r", T0)));
        Assert.Equal(values[^1], (await store.GetAsync(conn, "vendors"))?.Value);
    }

    [Fact]
    public async Task ConnectionState_KeepsTheLastAlignmentsRefusals_PerConnection()
    {
        var store = new ConnectionStateStore(fixture.Storage);
        string conn = $"c{Guid.NewGuid():N}", other = $"c{Guid.NewGuid():N}";
        Assert.Null(await store.GetRefusedByAnaplanAsync(conn)); // before the first alignment

        await store.SetRefusedByAnaplanAsync(conn, 3, "run1", T0);
        await store.SetRefusedByAnaplanAsync(other, 5, "run9", T0);
        Assert.Equal(3, await store.GetRefusedByAnaplanAsync(conn));

        await store.SetRefusedByAnaplanAsync(conn, 0, "run2", T0.AddDays(1)); // the model now holds every item
        Assert.Equal(0, await store.GetRefusedByAnaplanAsync(conn));
        Assert.Equal(5, await store.GetRefusedByAnaplanAsync(other)); // another connection's own
    }

    [Fact]
    public async Task Mapping_SetChangeRemove_KeepsVersionedHistory()
    {
        var store = new MappingStore(fixture.Storage);
        string conn = $"c{Guid.NewGuid():N}";

        MappingEntry v1 = await store.SetAsync(conn, MappingDimensions.CostCenter, "01", "CC-SALES", "alice", "initial", T0);
        MappingEntry v2 = await store.SetAsync(conn, MappingDimensions.CostCenter, "01", "CC-SALES-EU", "bob", "renamed in Anaplan", T0.AddDays(1));
        await store.SetAsync(conn, MappingDimensions.CostCenter, "02", "CC-OPS", "alice", null, T0);

        Assert.Equal(1, v1.Version);
        Assert.Equal(2, v2.Version);
        IReadOnlyDictionary<string, string> overrides = await store.GetOverridesAsync(conn, MappingDimensions.CostCenter);
        Assert.Equal("CC-SALES-EU", overrides["01"]);
        Assert.Equal("CC-OPS", overrides["02"]);
        Assert.Empty(await store.GetOverridesAsync(conn, MappingDimensions.Account));

        Assert.True(await store.RemoveAsync(conn, MappingDimensions.CostCenter, "01", "carol", "back to same code", T0.AddDays(2)));
        Assert.False(await store.RemoveAsync(conn, MappingDimensions.CostCenter, "01", "carol", null, T0.AddDays(2)));
        MappingEntry v4 = await store.SetAsync(conn, MappingDimensions.CostCenter, "01", "CC-X", "dave", null, T0.AddDays(3));
        Assert.Equal(4, v4.Version);

        IReadOnlyList<MappingChange> history = await store.GetHistoryAsync(conn, MappingDimensions.CostCenter, "01");
        Assert.Equal([1, 2, 3, 4], history.Select(h => h.Version));
        Assert.Equal([null, "CC-SALES", "CC-SALES-EU", null], history.Select(h => h.OldAnaplanCode));
        Assert.Equal(["CC-SALES", "CC-SALES-EU", null, "CC-X"], history.Select(h => h.NewAnaplanCode));
        Assert.Equal(["alice", "bob", "carol", "dave"], history.Select(h => h.ChangedBy));
    }

    [Fact]
    public async Task Mapping_UnknownDimension_IsRefused()
    {
        var store = new MappingStore(fixture.Storage);
        var ex = await Assert.ThrowsAsync<Connector.Orchestrations.Operations.ConnectorValidationException>(() => store.SetAsync("c", "vendor", "1", "2", "me", null, T0));
        Assert.Contains("Unknown mapping dimension 'vendor'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_RunDatasetAndRecords_RoundTrip()
    {
        var audit = new AuditStore(fixture.Storage);
        string conn = "abc-fpa";
        string run = $"abc-fpa:actuals:{Guid.NewGuid():N}";
        await audit.UpsertRunAsync(new RunAudit(conn, run, "actuals", "schedule", "Running", T0, null, null, null));
        await audit.UpsertRunAsync(new RunAudit(conn, run, "actuals", "schedule", "CompletedWithRejections", T0, T0.AddMinutes(3), "{\"rows\":3}", null));
        await audit.UpsertDatasetAsync(new DatasetAudit(conn, run, "gl-actuals", "Completed",
            new Dictionary<string, long> { ["read"] = 10, ["staged"] = 8, ["rejected"] = 2 },
            new Dictionary<string, string> { ["SageTotals"] = "{}" }));

        var records = Enumerable.Range(1, 250)
            .Select(i => new RecordAudit("gl-actuals", RecordKinds.Rejected, i, $"6000-{i:D2}/FY2026-P03", "Cost Center", $"cost centre {i:D2} is not in Anaplan", null))
            .ToList();
        await audit.WriteRecordsAsync(run, records);
        await audit.WriteRecordsAsync(run, records); // an activity retried after a crash rewrites, never duplicates
        await audit.WriteRecordsAsync(run, [new RecordAudit("ap-actuals", RecordKinds.Failed, 1, "01-0000001/FY2026-P03", null, "Vendor not found", 2)]);

        RunAudit? row = await audit.GetRunAsync(conn, run);
        Assert.Equal("CompletedWithRejections", row?.Status);
        Assert.Equal(T0.AddMinutes(3), row?.FinishedAt);
        DatasetAudit dataset = Assert.Single(await audit.GetDatasetsAsync(run));
        Assert.Equal(2, dataset.Counts["rejected"]);
        Assert.Equal(250, await audit.GetRecordsAsync(run, "gl-actuals").CountAsync());
        RecordAudit failed = Assert.Single(await audit.GetRecordsAsync(run, "ap-actuals").ToListAsync());
        Assert.Equal(2, failed.Line);
        Assert.Equal(251, await audit.GetRecordsAsync(run).CountAsync());
    }
}
