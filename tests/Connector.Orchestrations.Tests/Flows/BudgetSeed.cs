using Connector.Agent.Backends;
using Connector.Agent.Backends.Simulated;
using Connector.Emulators.Anaplan.Model;

namespace Connector.Orchestrations.Tests.Flows;

/// <summary>An approved budget seeded into the emulator's Budget module (list items created as needed).</summary>
internal static class BudgetSeed
{
    public sealed record Cell(string Account, string CostCenter, string Period, string Version, decimal Amount);

    public static void Seed(EmulatedModel model, IEnumerable<Cell> cells, params string[] approvedVersions)
    {
        foreach (Cell cell in cells)
        {
            if (model.GetListItems("Accounts").All(i => i.Code != cell.Account))
            {
                model.AddListItem("Accounts", cell.Account, cell.Account);
            }

            if (model.GetListItems("Cost Centers").All(i => i.Code != cell.CostCenter))
            {
                model.AddListItem("Cost Centers", cell.CostCenter, cell.CostCenter);
            }

            model.SetCell("Budget", [cell.Account, cell.CostCenter, cell.Period, cell.Version], "Amount", (double)cell.Amount);
            if (model.GetListItems("Versions").All(i => i.Code != cell.Version))
            {
                model.AddListItem("Versions", cell.Version, cell.Version);
            }
        }

        foreach (string version in approvedVersions)
        {
            model.SetVersionApproved(version);
        }
    }

    /// <summary>The journal entries the connector posted (external ids start with ANP-).</summary>
    public static IReadOnlyList<JournalEntryInfo> Posted(SimulatedCompany company)
        => [.. company.ListJournalEntries().Where(e => e.ExternalId.StartsWith("ANP-", StringComparison.Ordinal))];
}
