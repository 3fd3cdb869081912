using System.Text.Json;
using Connector.Emulators.Anaplan.Model;

namespace Connector.Emulators.Anaplan.Tests;

/// <summary>
/// The Integration API's list read as Anaplan documents it: <c>lists[]</c> paged, list metadata, <c>listItems[]</c> in
/// one answer (properties and subsets with <c>includeAll=true</c>), 403 for a user who is not a workspace administrator,
/// 400 beyond the read limit, 404 for what does not exist; native time is not a list.
/// </summary>
public sealed class ListReadTests
{
    private const string Workspace = "8a81b09d5e8c6f27015ea0b3c5d80001";
    private const string NativeModel = "C3D4E5F60718293A4B5C6D7E8F901A2B";
    private const string SimpleModel = "5B9C0E7A1D2F4E3BA6C8D0F1E2A3B4C5";

    [Fact]
    public async Task Lists_PagedIdsAndNames_NativeTimeIsNotAList()
    {
        await using EmulatorHarness h = await StartAsync();
        JsonElement page = await h.GetJsonAsync($"/2/0/workspaces/{Workspace}/models/{NativeModel}/lists?limit=2");
        Assert.Equal(3, page.GetProperty("meta").GetProperty("paging").GetProperty("totalSize").GetInt32());
        Assert.Equal(["GL Accounts", "Vendors"], page.GetProperty("lists").EnumerateArray().Select(l => l.GetProperty("name").GetString()));
        Assert.Equal("101000000201", page.GetProperty("lists")[0].GetProperty("id").GetString());
        JsonElement rest = await h.GetJsonAsync($"/2/0/workspaces/{Workspace}/models/{NativeModel}/lists?offset=2");
        Assert.Equal(["Versions"], rest.GetProperty("lists").EnumerateArray().Select(l => l.GetProperty("name").GetString()));

        // The time dimension has an id in the model file, but the list read does not know it.
        using HttpResponseMessage time = await h.SendAsync(HttpMethod.Get, $"/2/0/workspaces/{Workspace}/models/{NativeModel}/lists/101000000204/items");
        Assert.Equal(404, (int)time.StatusCode);
    }

    [Fact]
    public async Task ListItems_IncludeAll_PropertiesAndSubsets_OneAnswer_WithoutIt_IdsNamesCodes()
    {
        await using EmulatorHarness h = await StartAsync();
        h.Fpa.AddListItem("Accounts", "600-01", "Salaries", new Dictionary<string, string> { ["Type"] = "E" });
        h.Fpa.AddListItem("Accounts", "610-01", "Rent");
        string list = $"{EmulatorHarness.ModelPath}/lists/101000000001";

        JsonElement all = await h.GetJsonAsync(list + "/items?includeAll=true");
        Assert.Equal("https://api.anaplan.com/2/0/objects/item", all.GetProperty("meta").GetProperty("schema").GetString());
        Assert.False(all.GetProperty("meta").TryGetProperty("paging", out _));
        JsonElement[] items = [.. all.GetProperty("listItems").EnumerateArray()];
        Assert.Equal(2, items.Length);
        Assert.Equal(("201000000001", "Salaries", "600-01"), (items[0].GetProperty("id").GetString(), items[0].GetProperty("name").GetString(), items[0].GetProperty("code").GetString()));
        Assert.Equal("E", items[0].GetProperty("properties").GetProperty("Type").GetString());
        Assert.Equal(string.Empty, items[1].GetProperty("properties").GetProperty("Group").GetString());
        Assert.Equal(JsonValueKind.Object, items[0].GetProperty("subsets").ValueKind);

        JsonElement plain = await h.GetJsonAsync(list + "/items");
        Assert.False(plain.GetProperty("listItems")[0].TryGetProperty("properties", out _));

        JsonElement metadata = (await h.GetJsonAsync(list)).GetProperty("metadata");
        Assert.Equal(("101000000001", "Accounts", 2), (metadata.GetProperty("id").GetString(), metadata.GetProperty("name").GetString(), metadata.GetProperty("itemCount").GetInt32()));
        Assert.Equal(["Type", "Group"], metadata.GetProperty("properties").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task ListItems_Answer_ByteForByte_EscapesAndContentType()
    {
        await using EmulatorHarness h = await StartAsync();
        h.Fpa.AddListItem("Accounts", "600-01", "Salaries \"Ops\" & <Co> é", new Dictionary<string, string> { ["Group"] = "A,B\nC" });
        h.Fpa.AddListItem("Accounts", "610-01", "Rent");
        string list = $"{EmulatorHarness.ModelPath}/lists/101000000001/items";

        using HttpResponseMessage all = await h.SendAsync(HttpMethod.Get, list + "?includeAll=true");
        using HttpResponseMessage plain = await h.SendAsync(HttpMethod.Get, list);

        const string Envelope = "{\"meta\":{\"schema\":\"https://api.anaplan.com/2/0/objects/item\"},\"status\":{\"code\":200,\"message\":\"Success\"},\"listItems\":[";
        Assert.Equal(
            Envelope
            + "{\"id\":\"201000000001\",\"name\":\"Salaries \\u0022Ops\\u0022 \\u0026 \\u003CCo\\u003E \\u00E9\",\"code\":\"600-01\",\"properties\":{\"Type\":\"\",\"Group\":\"A,B\\nC\"},\"subsets\":{}},"
            + "{\"id\":\"201000000002\",\"name\":\"Rent\",\"code\":\"610-01\",\"properties\":{\"Type\":\"\",\"Group\":\"\"},\"subsets\":{}}]}",
            await all.Content.ReadAsStringAsync());
        Assert.Equal(
            Envelope
            + "{\"id\":\"201000000001\",\"name\":\"Salaries \\u0022Ops\\u0022 \\u0026 \\u003CCo\\u003E \\u00E9\",\"code\":\"600-01\"},"
            + "{\"id\":\"201000000002\",\"name\":\"Rent\",\"code\":\"610-01\"}]}",
            await plain.Content.ReadAsStringAsync());
        Assert.Equal("application/json", all.Content.Headers.ContentType?.ToString());
    }

    [Fact]
    public async Task ListItems_UserIsNotAWorkspaceAdministrator_403_OtherCallsStillAnswer()
    {
        await using EmulatorHarness h = await StartAsync();
        h.State.SetWorkspaceAdministrator(EmulatorHarness.User, false);
        using HttpResponseMessage items = await h.SendAsync(HttpMethod.Get, $"{EmulatorHarness.ModelPath}/lists/101000000001/items");
        Assert.Equal(403, (int)items.StatusCode);
        Assert.Equal(403, (await EmulatorHarness.JsonAsync(items)).GetProperty("status").GetProperty("code").GetInt32());
        await h.GetJsonAsync($"{EmulatorHarness.ModelPath}/imports");
    }

    [Fact]
    public async Task ListItems_MoreThanTheReadLimit_400_NothingPartial()
    {
        await using EmulatorHarness h = await StartAsync(o => o.MaxListItemsRead = 3);
        foreach (string code in new[] { "A", "B", "C", "D" })
        {
            h.Fpa.AddListItem("Cost Centers", code);
        }

        using HttpResponseMessage items = await h.SendAsync(HttpMethod.Get, $"{EmulatorHarness.ModelPath}/lists/101000000002/items");
        Assert.Equal(400, (int)items.StatusCode);
        Assert.False((await EmulatorHarness.JsonAsync(items)).TryGetProperty("listItems", out _));
    }

    [Fact]
    public async Task ListItems_UnknownList_404()
    {
        await using EmulatorHarness h = await StartAsync();
        using HttpResponseMessage items = await h.SendAsync(HttpMethod.Get, $"{EmulatorHarness.ModelPath}/lists/101000000999/items");
        Assert.Equal(404, (int)items.StatusCode);
    }

    [Fact]
    public async Task GridExport_PageSelectorFixesTheVersion_PeriodsAcrossColumns_ExtraNameColumn()
    {
        await using EmulatorHarness h = await StartAsync();
        EmulatedModel simple = h.State.Model(SimpleModel);
        simple.AddListItem("Accounts", "600-01", "Salaries");
        simple.AddListItem("Cost Centers", "02");
        simple.SetCell("Budget", ["600-01", "02", "FY26 P01", "Budget"], "Amount", 100.25);
        simple.SetCell("Budget", ["600-01", "02", "FY26 P03", "Budget"], "Amount", -7.0);
        simple.SetCell("Budget", ["600-01", "02", "FY26 P02", "Forecast"], "Amount", 999.0); // another page: not exported

        string path = $"/2/0/workspaces/{Workspace}/models/{SimpleModel}";
        JsonElement metadata = (await h.GetJsonAsync($"{path}/exports/116000000101")).GetProperty("exportMetadata");
        Assert.Equal(3 + 36, metadata.GetProperty("columnCount").GetInt32());
        using (HttpResponseMessage start = await h.SendAsync(HttpMethod.Post, $"{path}/exports/116000000101/tasks", EmulatorHarness.Json("{\"localeName\":\"en_US\"}")))
        {
            Assert.Equal(200, (int)start.StatusCode);
        }

        await h.State.WaitUntilAsync(() => simple.GetTasks().All(t => t.State == "COMPLETE"), EmulatorHarness.Bounded());
        string[] lines = System.Text.Encoding.UTF8.GetString(simple.ReadFile("116000000101")!).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("Account,Account Name,Cost Center,FY25 P01,", lines[0], StringComparison.Ordinal);
        string[] row = lines[1].TrimEnd('\r').Split(',');
        Assert.Equal(["600-01", "Salaries", "02"], row[..3]);
        Assert.Equal("100.25", row[3 + 12]); // FY26 P01 is the 13th period column
        Assert.Equal(string.Empty, row[3 + 13]);
        Assert.Equal("-7", row[3 + 14]);
    }

    private static Task<EmulatorHarness> StartAsync(Action<AnaplanEmulatorOptions>? configure = null)
        => EmulatorHarness.StartAsync(o =>
        {
            o.AdditionalModelPaths.Add(AnaplanEmulatorOptions.SimpleModelPath);
            o.AdditionalModelPaths.Add(AnaplanEmulatorOptions.NativeTimeModelPath);
            configure?.Invoke(o);
        }).ContinueWith(async t =>
        {
            EmulatorHarness h = await t;
            await h.LoginAsync();
            return h;
        }).Unwrap();
}
