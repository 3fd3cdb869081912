using Connector.Orchestrations.Flows.Budgets;
using Connector.Testing;

namespace Connector.Orchestrations.Tests.Storage;

/// <summary>
/// A posting batch reads its index range of the plan from the pages planning wrote, whatever the batch size: a range
/// across two pages comes back whole and in order, and a range past the plan's end is an error, never a short batch.
/// </summary>
public sealed class BudgetEntryPagesTests(StorageFixture fixture) : IClassFixture<StorageFixture>
{
    [Fact]
    public async Task ReadRange_AcrossPages_InIndexOrder_AndPastTheEnd_Refused()
    {
        await fixture.Storage.EnsureCreatedOnceAsync();
        string prefix = $"runs/test/{Guid.NewGuid():N}/budget/entries";
        List<PlannedEntry> entries = [.. Enumerable.Range(0, 250).Select(Entry)];
        Assert.Equal(3, await BudgetEntryPages.WriteAsync(fixture.Storage.StagingContainer, prefix, entries));

        IReadOnlyList<PlannedEntry> straddling = await BudgetEntryPages.ReadAsync(fixture.Storage.StagingContainer, prefix, 100, 95, 30);
        Assert.Equal(Enumerable.Range(95, 30), straddling.Select(e => e.Index));
        Assert.Equal(entries[120].ExternalId, straddling[^5].ExternalId);
        IReadOnlyList<PlannedEntry> last = await BudgetEntryPages.ReadAsync(fixture.Storage.StagingContainer, prefix, 100, 240, 10);
        Assert.Equal(Enumerable.Range(240, 10), last.Select(e => e.Index));

        var past = await Assert.ThrowsAsync<InvalidDataException>(() => BudgetEntryPages.ReadAsync(fixture.Storage.StagingContainer, prefix, 100, 245, 10));
        Assert.Contains("no entries 250 to 254", past.Message, StringComparison.Ordinal);
    }

    private static PlannedEntry Entry(int index)
        => new(index, $"ANP-{index:D32}", $"Budget|P{index % 12 + 1:D2}|{index}", "Budget", "2027", index % 12 + 1, $"FY2027-P{index % 12 + 1:D2}",
            new DateOnly(2027, 1, 31), "GJ", "budget", [new PlannedLine("600-01-01", 10m + index, 0m, "budget", "600-01|01|P01|Budget", index), new PlannedLine("300-00-00", 0m, 10m + index, "offset", string.Empty, null)]);
}
