using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Connector.Agent.Journal;

/// <summary>The ledger's view of one external id.</summary>
public sealed record LedgerEntry(string Company, string ExternalId, string State, string RequestHash, string? EntryNo, string? BatchNo, DateTimeOffset UpdatedAt);

/// <summary>
/// The agent's own small SQLite ledger: a row is written <c>pending</c> before the Sage write and <c>written</c>
/// after it, so an interrupted request can be resolved on retry (Sage has no idempotency key).
/// </summary>
public sealed class JournalLedger
{
    public const string Pending = "pending";
    public const string Written = "written";
    private readonly string connectionString;
    private readonly TimeProvider clock;

    public JournalLedger(string path, TimeProvider clock)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        this.connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString();
        this.clock = clock;
        using SqliteConnection c = this.Open();
        using SqliteCommand cmd = c.CreateCommand();
        cmd.CommandText = """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS journal_ledger (
              company TEXT NOT NULL, external_id TEXT NOT NULL, state TEXT NOT NULL, request_hash TEXT NOT NULL,
              entry_no TEXT, batch_no TEXT, updated_utc TEXT NOT NULL,
              PRIMARY KEY (company, external_id));
            """;
        cmd.ExecuteNonQuery();
    }

    public LedgerEntry? Get(string company, string externalId)
    {
        using SqliteConnection c = this.Open();
        using SqliteCommand cmd = c.CreateCommand();
        cmd.CommandText = "SELECT state, request_hash, entry_no, batch_no, updated_utc FROM journal_ledger WHERE company = $c AND external_id = $e";
        cmd.Parameters.AddWithValue("$c", company);
        cmd.Parameters.AddWithValue("$e", externalId);
        using SqliteDataReader r = cmd.ExecuteReader();
        return r.Read()
            ? new LedgerEntry(company, externalId, r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
                DateTimeOffset.Parse(r.GetString(4), CultureInfo.InvariantCulture))
            : null;
    }

    /// <summary>Records the intent to write, before calling Sage.</summary>
    public void MarkPending(string company, string externalId, string requestHash) => this.Upsert(company, externalId, Pending, requestHash, null, null);

    /// <summary>Records the entry Sage wrote.</summary>
    public void MarkWritten(string company, string externalId, string requestHash, string entryNo, string? batchNo) => this.Upsert(company, externalId, Written, requestHash, entryNo, batchNo);

    /// <summary>Forgets a pending row whose write Sage refused (nothing was written).</summary>
    public void Remove(string company, string externalId)
    {
        using SqliteConnection c = this.Open();
        using SqliteCommand cmd = c.CreateCommand();
        cmd.CommandText = "DELETE FROM journal_ledger WHERE company = $c AND external_id = $e AND state = 'pending'";
        cmd.Parameters.AddWithValue("$c", company);
        cmd.Parameters.AddWithValue("$e", externalId);
        cmd.ExecuteNonQuery();
    }

    private void Upsert(string company, string externalId, string state, string hash, string? entryNo, string? batchNo)
    {
        using SqliteConnection c = this.Open();
        using SqliteCommand cmd = c.CreateCommand();
        cmd.CommandText = """
            INSERT INTO journal_ledger (company, external_id, state, request_hash, entry_no, batch_no, updated_utc) VALUES ($c, $e, $s, $h, $n, $b, $u)
            ON CONFLICT (company, external_id) DO UPDATE SET state = $s, request_hash = $h, entry_no = $n, batch_no = $b, updated_utc = $u
            """;
        cmd.Parameters.AddWithValue("$c", company);
        cmd.Parameters.AddWithValue("$e", externalId);
        cmd.Parameters.AddWithValue("$s", state);
        cmd.Parameters.AddWithValue("$h", hash);
        cmd.Parameters.AddWithValue("$n", (object?)entryNo ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$b", (object?)batchNo ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$u", this.clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
        cmd.ExecuteNonQuery();
    }

    private SqliteConnection Open()
    {
        var c = new SqliteConnection(this.connectionString);
        c.Open();
        return c;
    }
}
