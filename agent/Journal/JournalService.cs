using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Connector.Agent.Backends;
using Connector.Agent.Sage;
using Microsoft.Extensions.Logging;

namespace Connector.Agent.Journal;

/// <summary>The result of a create: the entry and whether this call wrote it.</summary>
public sealed record JournalCreateOutcome(JournalEntryInfo Entry, bool Created);

/// <summary>Thrown by a simulated crash between Sage's write and the reply: the connection must be dropped.</summary>
public sealed class SimulatedCrashException : Exception
{
    public SimulatedCrashException()
        : base("Simulated crash after the Sage write.")
    {
    }

    public SimulatedCrashException(string message)
        : base(message)
    {
    }

    public SimulatedCrashException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Creates journal entries exactly once per external id: writes are serialized per company; Sage is searched for
/// the external id (unposted, then history) before every write; the ledger records the write before and after it.
/// </summary>
public sealed class JournalService
{
    private readonly ISageBackend backend;
    private readonly JournalLedger ledger;
    private readonly ILogger logger;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> gates = new(StringComparer.OrdinalIgnoreCase);

    public JournalService(ISageBackend backend, JournalLedger ledger, ILogger<JournalService> logger)
    {
        this.backend = backend;
        this.ledger = ledger;
        this.logger = logger;
    }

    /// <summary>Creates the entry unless one with its external id exists.</summary>
    /// <exception cref="SageOperationException">Locked, validation, unavailable, or conflict (same id, other content).</exception>
    /// <exception cref="SimulatedCrashException">A simulated crash after the write.</exception>
    public async Task<JournalCreateOutcome> CreateAsync(string company, JournalEntryDraft draft, CancellationToken cancellationToken)
    {
        SemaphoreSlim gate = this.gates.GetOrAdd(company, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            string id = draft.ExternalId;
            string record = $"journal entry {id}";
            string hash = Hash(draft);
            LedgerEntry? ledgered = this.ledger.Get(company, id);
            JournalEntryInfo? existing = await this.backend.FindJournalEntryAsync(company, id, cancellationToken);
            if (existing is not null)
            {
                if (!draft.Matches(existing))
                {
                    throw new SageOperationException(SageErrorKind.Conflict,
                        $"External id {id} is already used by entry {existing.EntryNo} ({existing.SourceJournal}, {existing.PostingDate:yyyy-MM-dd}) with different lines; nothing was written.",
                        record: record, field: "externalId");
                }

                if (ledgered?.State == JournalLedger.Pending)
                {
                    Logs.PendingLedgerResolved(this.logger, company, id, "had written it");
                }

                this.ledger.MarkWritten(company, id, hash, existing.EntryNo, existing.BatchNo);
                Logs.JournalEntryExisted(this.logger, company, id, existing.EntryNo);
                return new JournalCreateOutcome(existing, Created: false);
            }

            if (ledgered?.State == JournalLedger.Written)
            {
                throw new SageOperationException(SageErrorKind.Conflict,
                    $"The agent wrote external id {id} as entry {ledgered.EntryNo} (batch {ledgered.BatchNo}) on {ledgered.UpdatedAt:u}, but Sage no longer has it (deleted?). Not writing it again; resolve in Sage.",
                    record: record, field: "externalId");
            }

            if (ledgered?.State == JournalLedger.Pending)
            {
                Logs.PendingLedgerResolved(this.logger, company, id, "had not written it; writing now");
            }

            this.ledger.MarkPending(company, id, hash);
            JournalEntryInfo created;
            try
            {
                created = await this.backend.CreateJournalEntryAsync(company, draft, cancellationToken);
            }
            catch (SageOperationException)
            {
                // Sage refused the write as a whole: nothing was written, so the intent is void.
                this.ledger.Remove(company, id);
                throw;
            }

            if (this.backend is IWriteFaultSource faults && faults.ConsumeCrashAfterWrite(company))
            {
                Logs.SimulatedCrash(this.logger, company, id);
                throw new SimulatedCrashException();
            }

            this.ledger.MarkWritten(company, id, hash, created.EntryNo, created.BatchNo);
            Logs.JournalEntryCreated(this.logger, company, id, created.EntryNo, created.BatchNo);
            return new JournalCreateOutcome(created, Created: true);
        }
        finally
        {
            gate.Release();
        }
    }

    private static string Hash(JournalEntryDraft draft)
    {
        var text = new StringBuilder()
            .Append(draft.SourceJournal).Append('|').Append(draft.PostingDate.ToString("yyyyMMdd", CultureInfo.InvariantCulture));
        foreach (JournalLineDraft line in draft.Lines)
        {
            text.Append('|').Append(line.Account).Append(':').Append(line.Debit.ToString("0.00", CultureInfo.InvariantCulture))
                .Append(':').Append(line.Credit.ToString("0.00", CultureInfo.InvariantCulture));
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
