using Connector.Orchestrations.Credentials;

namespace Connector.Orchestrations.Tests.Credentials;

public sealed class EncryptedFileCredentialStoreTests : IDisposable
{
    private const string Password = "S3cret-Anaplan-Pa55!";
    private readonly string dir = Directory.CreateTempSubdirectory("creds-").FullName;

    private string FilePath => Path.Combine(this.dir, "credentials.json");

    [Fact]
    public async Task SetThenGet_ReturnsTheValue_AndTheFileHoldsNoPlaintext()
    {
        byte[] key = EncryptedFileCredentialStore.DecodeMasterKey(EncryptedFileCredentialStore.NewMasterKey(), "test");
        using var store = new EncryptedFileCredentialStore(this.FilePath, key);
        await store.SetAsync("anaplan-password", Password);
        await store.SetAsync("sage-apikey", "k-123");

        using var reopened = new EncryptedFileCredentialStore(this.FilePath, key);
        Assert.Equal(Password, (await reopened.GetAsync("anaplan-password")).Reveal());
        Assert.Equal("***", (await reopened.GetAsync("anaplan-password")).ToString());
        string file = await File.ReadAllTextAsync(this.FilePath);
        Assert.DoesNotContain(Password, file, StringComparison.Ordinal);
        Assert.DoesNotContain("k-123", file, StringComparison.Ordinal);
        Assert.Equal(["anaplan-password", "sage-apikey"], (await reopened.ListAsync()).Order());
    }

    [Fact]
    public async Task Get_WithAnotherMasterKey_FailsWithoutRevealingAnything()
    {
        using (var store = new EncryptedFileCredentialStore(this.FilePath, EncryptedFileCredentialStore.DecodeMasterKey(EncryptedFileCredentialStore.NewMasterKey(), "a")))
        {
            await store.SetAsync("anaplan-password", Password);
        }

        using var other = new EncryptedFileCredentialStore(this.FilePath, EncryptedFileCredentialStore.DecodeMasterKey(EncryptedFileCredentialStore.NewMasterKey(), "b"));
        var ex = await Assert.ThrowsAsync<CredentialUnavailableException>(async () => await other.GetAsync("anaplan-password"));
        Assert.Contains("does not decrypt", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_ValueMovedToAnotherReference_DoesNotDecrypt()
    {
        byte[] key = EncryptedFileCredentialStore.DecodeMasterKey(EncryptedFileCredentialStore.NewMasterKey(), "test");
        using var store = new EncryptedFileCredentialStore(this.FilePath, key);
        await store.SetAsync("prod-password", Password);
        await store.SetAsync("test-password", "harmless");
        string text = await File.ReadAllTextAsync(this.FilePath);
        var doc = System.Text.Json.Nodes.JsonNode.Parse(text)!;
        doc["Secrets"]!["test-password"] = doc["Secrets"]!["prod-password"]!.GetValue<string>();
        await File.WriteAllTextAsync(this.FilePath, doc.ToJsonString());

        await Assert.ThrowsAsync<CredentialUnavailableException>(async () => await store.GetAsync("test-password"));
    }

    [Fact]
    public async Task Get_AfterTheSecretWasRotatedByAnotherProcess_ReturnsTheNewValue()
    {
        // The worker keeps the file as last read; an operator rotating a secret with `connector credentials set` (another
        // process, another store instance) must not need a restart of the worker.
        byte[] key = EncryptedFileCredentialStore.DecodeMasterKey(EncryptedFileCredentialStore.NewMasterKey(), "test");
        using var worker = new EncryptedFileCredentialStore(this.FilePath, key);
        using var operatorCli = new EncryptedFileCredentialStore(this.FilePath, key);
        await operatorCli.SetAsync("sage-apikey", "old-key-1");
        Assert.Equal("old-key-1", (await worker.GetAsync("sage-apikey")).Reveal());
        Assert.Equal("old-key-1", (await worker.GetAsync("sage-apikey")).Reveal());

        await operatorCli.SetAsync("sage-apikey", "new-key-22");
        Assert.Equal("new-key-22", (await worker.GetAsync("sage-apikey")).Reveal());

        await operatorCli.SetAsync("anaplan-password", Password);
        Assert.Equal(["anaplan-password", "sage-apikey"], (await worker.ListAsync()).Order());
        Assert.Equal(Password, (await worker.GetAsync("anaplan-password")).Reveal());

        File.Delete(this.FilePath);
        await Assert.ThrowsAsync<CredentialNotFoundException>(async () => await worker.GetAsync("sage-apikey"));
    }

    [Fact]
    public async Task Get_UnknownReference_NamesTheReference()
    {
        using var store = new EncryptedFileCredentialStore(this.FilePath, EncryptedFileCredentialStore.DecodeMasterKey(EncryptedFileCredentialStore.NewMasterKey(), "k"));
        var ex = await Assert.ThrowsAsync<CredentialNotFoundException>(async () => await store.GetAsync("nope"));
        Assert.Equal("nope", ex.Reference);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("AAAA")]
    public void DecodeMasterKey_Bad_IsRefusedWithoutEchoingIt(string key)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => EncryptedFileCredentialStore.DecodeMasterKey(key, "CONNECTOR_MASTER_KEY"));
        Assert.Contains("CONNECTOR_MASTER_KEY", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(key, ex.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(this.dir, recursive: true);
}
