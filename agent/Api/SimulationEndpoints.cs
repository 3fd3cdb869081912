using System.Globalization;
using Connector.Agent.Backends;
using Connector.Agent.Backends.Simulated;
using Connector.Agent.Sage;

namespace Connector.Agent.Api;

/// <summary>
/// The test-control surface of the simulated backend under <c>/_sim</c> (not Sage's API; mapped only with
/// <c>--backend simulated</c>, API key protected like everything else).
/// </summary>
internal static class SimulationEndpoints
{
    public static void MapSimulationApi(this IEndpointRouteBuilder app, SimulatedSageBackend sim)
    {
        RouteGroupBuilder co = app.MapGroup("/_sim/companies/{company}").AddEndpointFilter(AgentEndpoints.CompanyFilter);

        co.MapPost("/ap/vendors", (string company, SimVendorChangeDto body) =>
        {
            string division = body.DivisionNo ?? throw Bad("divisionNo is required.", "divisionNo");
            string vendor = body.VendorNo ?? throw Bad("vendorNo is required.", "vendorNo");
            VendorRow row = sim.Company(AgentEndpoints.Code(company)).UpsertVendor(division, vendor, body.Name, body.City, Status(body.Status), Stamp(body.UpdatedAt), body.BlankTimeUpdated ?? false, create: true);
            return Results.Created($"/_sim/companies/{company}/ap/vendors/{division}/{vendor}", row.ToDto());
        });

        co.MapPatch("/ap/vendors/{division}/{vendorNo}", (string company, string division, string vendorNo, SimVendorChangeDto body)
            => Results.Ok(sim.Company(AgentEndpoints.Code(company)).UpsertVendor(division, vendorNo, body.Name, body.City, Status(body.Status), Stamp(body.UpdatedAt), body.BlankTimeUpdated ?? false, create: false).ToDto()));

        co.MapPost("/ap/invoices", (string company, SimInvoiceChangeDto body) =>
        {
            string division = body.DivisionNo ?? throw Bad("divisionNo is required.", "divisionNo");
            string vendor = body.VendorNo ?? throw Bad("vendorNo is required.", "vendorNo");
            string invoice = body.InvoiceNo ?? throw Bad("invoiceNo is required.", "invoiceNo");
            SimInvoiceRow row = sim.Company(AgentEndpoints.Code(company)).UpsertInvoice(division, vendor, invoice, Date(body.InvoiceDate), body.InvoiceAmount, body.Balance, Stamp(body.UpdatedAt), body.BlankTimeUpdated ?? false, create: true, Lines(body));
            return Results.Created($"/_sim/companies/{company}/ap/invoices/{division}/{vendor}/{invoice}", row.ToDto());
        });

        co.MapPatch("/ap/invoices/{division}/{vendorNo}/{invoiceNo}", (string company, string division, string vendorNo, string invoiceNo, SimInvoiceChangeDto body)
            => Results.Ok(sim.Company(AgentEndpoints.Code(company)).UpsertInvoice(division, vendorNo, invoiceNo, Date(body.InvoiceDate), body.InvoiceAmount, body.Balance, Stamp(body.UpdatedAt), body.BlankTimeUpdated ?? false, create: false, Lines(body)).ToDto()));

        co.MapPut("/gl/period-balances/{account}/{fiscalYear}/{fiscalPeriod:int}", (string company, string account, string fiscalYear, int fiscalPeriod, SimBalanceChangeDto body)
            => Results.Ok(sim.Company(AgentEndpoints.Code(company)).SetPeriodBalance(account, fiscalYear, fiscalPeriod, body.BeginningBalance, body.Debit, body.Credit).ToDto()));

        co.MapGet("/gl/journal-entries", (string company)
            => Results.Ok(sim.Company(AgentEndpoints.Code(company)).ListJournalEntries().Select(e => e.ToDto()).ToList()));

        co.MapPost("/gl/journal-update", (string company)
            => Results.Ok(new SimJournalUpdateDto(sim.Company(AgentEndpoints.Code(company)).JournalUpdate(SimulatedSageBackend.WriterUser))));

        co.MapPut("/faults", (string company, SimFaultsDto body) =>
        {
            if (body.UnavailableReason is not (null or "licence" or "external_access" or "session"))
            {
                throw Bad("unavailableReason must be licence, external_access or session.", "unavailableReason");
            }

            var settings = new SimulatedFaultSettings(body.LockNextWrites ?? 0, body.LockMessage, body.UnavailableReason, body.UnavailableCount, body.SlowPageMilliseconds ?? 0, body.CrashAfterNextWrites ?? 0, body.UnreadableTables);
            SimulatedFaults faults = sim.Faults(AgentEndpoints.Code(company));
            faults.Set(settings);
            return Results.Ok(faults.Current.ToDto());
        });

        co.MapDelete("/faults", (string company) =>
        {
            sim.Faults(AgentEndpoints.Code(company)).Clear();
            return Results.NoContent();
        });
    }

    private static IReadOnlyList<(string Account, decimal Amount)>? Lines(SimInvoiceChangeDto body)
        => body.Distribution?.Select(l => (l.Account, l.Amount)).ToList();

    private static string? Status(string? status)
        => status is null or "active" or "temporary" or "on_hold" ? status : throw Bad("status must be active, temporary or on_hold.", "status");

    private static SageTimestamp? Stamp(string? text)
        => text is null ? null : SageTimestamp.TryParse(text, out SageTimestamp t) ? t : throw Bad("updatedAt must be yyyy-MM-ddTHH:mm:ss.", "updatedAt");

    private static DateOnly? Date(string? text)
        => text is null ? null : DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly d) ? d : throw Bad("invoiceDate must be yyyy-MM-dd.", "invoiceDate");

    private static SageOperationException Bad(string message, string field) => new(SageErrorKind.BadRequest, message, field: field);
}
