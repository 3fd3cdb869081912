using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Connector.Orchestrations.Credentials;

/// <summary>
/// Secrets in a JSON file, each encrypted with AES-256-GCM under a master key kept outside the file (an environment
/// variable or a key file readable only by the service account). The reference is authenticated as associated data,
/// so an encrypted value moved to another reference does not decrypt. For the local host and on-premises installs;
/// in Azure use <see cref="KeyVaultCredentialStore"/>.
/// </summary>
public sealed class EncryptedFileCredentialStore : ICredentialStore, IDisposable
{
    private const int KeySize = 32;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private readonly string path;
    private readonly byte[] key;
    private readonly SemaphoreSlim gate = new(1, 1);

    // The file as last read, with the write time and length it had then: every request to the agent asks for its API
    // key, and reading and parsing the file each time was about 5 % of the worker's processor time in a 1 M-row run.
    // Only the sealed values are kept; each is decrypted when asked for, so no plaintext stays in memory here.
    private FileSnapshot? snapshot;

    public EncryptedFileCredentialStore(string path, ReadOnlySpan<byte> masterKey)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (masterKey.Length != KeySize)
        {
            throw new ArgumentException($"The master key must be {KeySize} bytes (base64 of 32 random bytes).", nameof(masterKey));
        }

        this.path = Path.GetFullPath(path);
        this.key = masterKey.ToArray();
    }

    /// <summary>Creates a new random master key, base64-encoded.</summary>
    public static string NewMasterKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(KeySize));

    /// <summary>Decodes a base64 master key, with an error that never echoes the key.</summary>
    public static byte[] DecodeMasterKey(string base64, string source)
    {
        try
        {
            byte[] bytes = Convert.FromBase64String(base64.Trim());
            return bytes.Length == KeySize
                ? bytes
                : throw new InvalidOperationException($"The master key from {source} is {bytes.Length} bytes; it must be {KeySize}.");
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"The master key from {source} is not valid base64.");
        }
    }

    /// <inheritdoc/>
    public async ValueTask<Secret> GetAsync(string reference, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reference);
        IReadOnlyDictionary<string, string> entries = await this.ReadAsync(cancellationToken);
        if (!entries.TryGetValue(reference, out string? sealedValue))
        {
            throw new CredentialNotFoundException(reference);
        }

        byte[] blob;
        try
        {
            blob = Convert.FromBase64String(sealedValue);
        }
        catch (FormatException ex)
        {
            throw new CredentialUnavailableException($"The stored value of credential '{reference}' in {this.path} is corrupt.", ex);
        }

        if (blob.Length < NonceSize + TagSize)
        {
            throw new CredentialUnavailableException($"The stored value of credential '{reference}' in {this.path} is corrupt.");
        }

        byte[] plain = new byte[blob.Length - NonceSize - TagSize];
        try
        {
            using var aes = new AesGcm(this.key, TagSize);
            aes.Decrypt(blob.AsSpan(0, NonceSize), blob.AsSpan(NonceSize + TagSize), blob.AsSpan(NonceSize, TagSize), plain, Encoding.UTF8.GetBytes(reference));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new CredentialUnavailableException(
                $"Credential '{reference}' in {this.path} does not decrypt: it was encrypted under another master key, or for another reference.");
        }

        return new Secret(Encoding.UTF8.GetString(plain));
    }

    /// <summary>Stores (or replaces) a secret.</summary>
    public async Task SetAsync(string reference, string value, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reference);
        ArgumentException.ThrowIfNullOrEmpty(value);
        byte[] nonce = RandomNumberGenerator.GetBytes(NonceSize);
        byte[] plain = Encoding.UTF8.GetBytes(value);
        byte[] blob = new byte[NonceSize + TagSize + plain.Length];
        nonce.CopyTo(blob, 0);
        using (var aes = new AesGcm(this.key, TagSize))
        {
            aes.Encrypt(nonce, plain, blob.AsSpan(NonceSize + TagSize), blob.AsSpan(NonceSize, TagSize), Encoding.UTF8.GetBytes(reference));
        }

        CryptographicOperations.ZeroMemory(plain);
        await this.gate.WaitAsync(cancellationToken);
        try
        {
            var entries = new Dictionary<string, string>(await this.ReadAsync(cancellationToken), StringComparer.Ordinal)
            {
                [reference] = Convert.ToBase64String(blob),
            };
            Directory.CreateDirectory(Path.GetDirectoryName(this.path)!);
            string temp = this.path + ".tmp";
            await File.WriteAllTextAsync(temp, JsonSerializer.Serialize(new StoreFile(1, entries), Json), cancellationToken);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            File.Move(temp, this.path, overwrite: true);
            this.snapshot = null; // the write time's granularity is the kernel's tick: never trust a stamp across a write of our own
        }
        finally
        {
            this.gate.Release();
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(this.key);
        this.gate.Dispose();
    }

    /// <summary>Lists the stored references (never the values).</summary>
    public async Task<IReadOnlyCollection<string>> ListAsync(CancellationToken cancellationToken = default)
        => [.. (await this.ReadAsync(cancellationToken)).Keys];

    /// <summary>
    /// The file's sealed values: read again only when its write time or length changed since the last read (a rotated
    /// secret, written by <see cref="SetAsync"/> or by another process, is seen by the next request; a stat is all a
    /// request costs otherwise).
    /// </summary>
    private async Task<IReadOnlyDictionary<string, string>> ReadAsync(CancellationToken cancellationToken)
    {
        var info = new FileInfo(this.path);
        if (!info.Exists)
        {
            this.snapshot = null;
            return new Dictionary<string, string>(StringComparer.Ordinal);
        }

        if (this.snapshot is { } known && known.WrittenAt == info.LastWriteTimeUtc && known.Length == info.Length)
        {
            return known.Entries;
        }

        try
        {
            await using FileStream stream = File.OpenRead(this.path);
            StoreFile file = await JsonSerializer.DeserializeAsync<StoreFile>(stream, cancellationToken: cancellationToken)
                ?? throw new CredentialUnavailableException($"{this.path} is not a credential store file.");
            var entries = new Dictionary<string, string>(file.Secrets ?? [], StringComparer.Ordinal);

            // Stamped with what the file was before it was read: when it changed meanwhile, the next read sees another
            // stamp and reads it again.
            this.snapshot = new FileSnapshot(info.LastWriteTimeUtc, info.Length, entries);
            return entries;
        }
        catch (JsonException ex)
        {
            throw new CredentialUnavailableException($"{this.path} is not a credential store file (not valid JSON).", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new CredentialUnavailableException($"{this.path} cannot be read by this account.", ex);
        }
    }

    private sealed record FileSnapshot(DateTime WrittenAt, long Length, IReadOnlyDictionary<string, string> Entries);

    private sealed record StoreFile(int Version, Dictionary<string, string> Secrets);
}
