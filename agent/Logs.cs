using Microsoft.Extensions.Logging;

namespace Connector.Agent;

/// <summary>The agent's log messages. Event ids are stable: 1xx hosting and security, 2xx reads, 3xx writes, 4xx BOI.</summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Sage agent listening on {Address} with backend {Backend}; certificate SHA-256 fingerprint {Fingerprint}")]
    public static partial void AgentStarted(ILogger logger, string address, string backend, string fingerprint);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Created a self-signed certificate at {Path}; pin its SHA-256 fingerprint {Fingerprint} in the connector")]
    public static partial void SelfSignedCertificateCreated(ILogger logger, string path, string fingerprint);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Rejected a request to {Path}: missing or unknown API key")]
    public static partial void Unauthorized(ILogger logger, string path);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "No API keys are configured; every request will be rejected")]
    public static partial void NoApiKeys(ILogger logger);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "{Method} {Path} answered {StatusCode} in {ElapsedMs} ms")]
    public static partial void RequestServed(ILogger logger, string method, string path, int statusCode, long elapsedMs);

    [LoggerMessage(EventId = 105, Level = LogLevel.Debug, Message = "{Method} {Path} started")]
    public static partial void RequestStarted(ILogger logger, string method, string path);

    [LoggerMessage(EventId = 110, Level = LogLevel.Information, Message = "Generated simulated company {Company}: {PeriodBalances} period balances, {Invoices} invoices in {ElapsedMs} ms")]
    public static partial void SimulatedCompanyGenerated(ILogger logger, string company, long periodBalances, long invoices, long elapsedMs);

    [LoggerMessage(EventId = 200, Level = LogLevel.Warning, Message = "Request for company {Company} failed with {Code}: {Message}; Sage said {SageMessage}")]
    public static partial void SageFailure(ILogger logger, string company, string code, string message, string? sageMessage);

    [LoggerMessage(EventId = 201, Level = LogLevel.Error, Message = "Unexpected failure serving {Path}")]
    public static partial void UnexpectedFailure(ILogger logger, Exception exception, string path);

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Journal entry {ExternalId} for company {Company} written as entry {EntryNo} in batch {BatchNo}")]
    public static partial void JournalEntryCreated(ILogger logger, string company, string externalId, string entryNo, string? batchNo);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Journal entry {ExternalId} for company {Company} already exists as entry {EntryNo}; nothing written")]
    public static partial void JournalEntryExisted(ILogger logger, string company, string externalId, string entryNo);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "Ledger had journal entry {ExternalId} for company {Company} pending from an interrupted write; Sage {Outcome}")]
    public static partial void PendingLedgerResolved(ILogger logger, string company, string externalId, string outcome);

    [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "Simulated crash after writing journal entry {ExternalId} for company {Company}: dropping the connection")]
    public static partial void SimulatedCrash(ILogger logger, string company, string externalId);

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "BOI session for company {Company} opened; discovered {ColumnCount} journal line columns")]
    public static partial void BoiSessionOpened(ILogger logger, string company, int columnCount);

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "BOI call {Method} returned a warning for company {Company}: {SageMessage}")]
    public static partial void BoiWarning(ILogger logger, string company, string method, string sageMessage);
}
