using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Storage;
using Xunit;

namespace Connector.Testing;

/// <summary>The connector's own storage (staging container and tables) on Azurite, with names unique to the test class.</summary>
public class StorageFixture : IAsyncLifetime
{
    public ConnectorStorage Storage { get; private set; } = null!;

    public StorageOptions Options { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        this.Options = new StorageOptions
        {
            ConnectionString = await TestStorage.GetConnectionStringAsync(),
            StagingContainer = UniqueNames.Container("staging"),
            TablePrefix = UniqueNames.Table("C"),
        };
        this.Storage = new ConnectorStorage(this.Options);
        await this.Storage.EnsureCreatedAsync();
    }

    public async Task DisposeAsync()
    {
        if (this.Storage is null)
        {
            return;
        }

        await this.Storage.StagingContainer.DeleteIfExistsAsync();
        foreach (string table in TableNames.All)
        {
            await this.Storage.Table(table).DeleteAsync();
        }
    }
}
