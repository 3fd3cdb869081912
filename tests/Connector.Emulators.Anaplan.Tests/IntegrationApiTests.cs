using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Connector.Emulators.Anaplan.Model;
using Microsoft.Extensions.Time.Testing;

namespace Connector.Emulators.Anaplan.Tests;

public sealed class IntegrationApiTests
{
    [Fact]
    public async Task ListFiles_MoreThanAPage_PagedWithTotalAndNext()
    {
        await using EmulatorHarness anaplan = await EmulatorHarness.StartAsync();
        await anaplan.LoginAsync();
        for (int i = 0; i < 5200; i++)
        {
            anaplan.Fpa.AddFile($"1139{i:D8}", $"f{i}.csv");
        }

        JsonElement first = await anaplan.GetJsonAsync($"{EmulatorHarness.ModelPath}/files");
        JsonElement second = await anaplan.GetJsonAsync($"{EmulatorHarness.ModelPath}/files?offset=5000&limit=5000");

        JsonElement paging = first.GetProperty("meta").GetProperty("paging");
        Assert.Equal(5000, first.GetProperty("files").GetArrayLength());
        Assert.Equal(5205, paging.GetProperty("totalSize").GetInt32());
        Assert.EndsWith("offset=5000&limit=5000", paging.GetProperty("next").GetString(), StringComparison.Ordinal);
        Assert.Equal(205, second.GetProperty("files").GetArrayLength());
        Assert.False(second.GetProperty("meta").GetProperty("paging").TryGetProperty("next", out _));
    }

    [Fact]
    public async Task ListTasks_None_ArrayOmittedAndErrorsUseAnaplanBody()
    {
        await using EmulatorHarness anaplan = await EmulatorHarness.StartAsync();
        await anaplan.LoginAsync();

        JsonElement tasks = await anaplan.GetJsonAsync($"{EmulatorHarness.ModelPath}/imports/112000000001/tasks");
        using HttpResponseMessage missing = await anaplan.SendAsync(HttpMethod.Get, $"{EmulatorHarness.ModelPath}/imports/112999999999");
        JsonElement error = await EmulatorHarness.JsonAsync(missing);

        Assert.False(tasks.TryGetProperty("tasks", out _));
        Assert.Equal(404, (int)missing.StatusCode);
        Assert.Equal(404, error.GetProperty("status").GetProperty("code").GetInt32());
        Assert.Equal($"{EmulatorHarness.ModelPath}/imports/112999999999", error.GetProperty("path").GetString());
        Assert.True(error.TryGetProperty("timestamp", out _));
    }

    [Fact]
    public async Task RecreateImport_ListedUnderItsNewId_TheOldIdIsNotFound_ItsFileStays()
    {
        await using EmulatorHarness anaplan = await EmulatorHarness.StartAsync();
        await anaplan.LoginAsync();
        JsonElement before = (await anaplan.GetJsonAsync($"{EmulatorHarness.ModelPath}/imports")).GetProperty("imports")[0];
        string name = before.GetProperty("name").GetString()!, oldId = before.GetProperty("id").GetString()!;

        Assert.Equal(oldId, anaplan.Fpa.RecreateImport(name, "112000000777"));

        JsonElement after = (await anaplan.GetJsonAsync($"{EmulatorHarness.ModelPath}/imports")).GetProperty("imports")[0];
        Assert.Equal(("112000000777", name, before.GetProperty("importDataSourceId").GetString()),
            (after.GetProperty("id").GetString(), after.GetProperty("name").GetString(), after.GetProperty("importDataSourceId").GetString()));
        using HttpResponseMessage start = await anaplan.SendAsync(HttpMethod.Post, $"{EmulatorHarness.ModelPath}/imports/{oldId}/tasks", EmulatorHarness.Json("{\"localeName\":\"en_US\"}"));
        Assert.Equal(404, (int)start.StatusCode);
        Assert.Throws<ArgumentException>(() => anaplan.Fpa.RecreateImport(name, "113000000001"));
    }

    [Fact]
    public async Task SetChunkCount_UnknownFileId_SilentlyCreatesPrivateFile()
    {
        await using EmulatorHarness anaplan = await EmulatorHarness.StartAsync();
        await anaplan.LoginAsync();

        using HttpResponseMessage response = await anaplan.SendAsync(HttpMethod.Post, $"{EmulatorHarness.ModelPath}/files/113000000555", EmulatorHarness.Json("{\"chunkCount\":2}"));

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(1, anaplan.State.Counters.PrivateFilesCreated);
        Assert.Contains(anaplan.Fpa.GetFiles(), f => f.Id == "113000000555" && f.IsPrivate);
    }

    [Theory]
    [InlineData("gzip-over-limit", 400)]
    [InlineData("raw-over-limit", 400)]
    [InlineData("not-gzip", 400)]
    [InlineData("index-1000", 400)]
    [InlineData("text/plain", 415)]
    public async Task PutChunk_LimitsAndBadBodies_Refused(string variant, int status)
    {
        await using EmulatorHarness anaplan = await EmulatorHarness.StartAsync(o => o.MaxChunkBytes = 64 * 1024);
        await anaplan.LoginAsync();
        using (await anaplan.SendAsync(HttpMethod.Post, $"{EmulatorHarness.ModelPath}/files/113000000004", EmulatorHarness.Json("{\"chunkCount\":-1}")))
        {
        }

        byte[] big = new byte[(64 * 1024) + 1];
        (HttpContent content, string index) = variant switch
        {
            "gzip-over-limit" => ((HttpContent)EmulatorHarness.Raw(Gzip(big), "application/x-gzip"), "0"),
            "raw-over-limit" => (EmulatorHarness.Raw(big), "0"),
            "not-gzip" => (EmulatorHarness.Raw([1, 2, 3, 4], "application/x-gzip"), "0"),
            "index-1000" => (EmulatorHarness.Raw([1]), "1000"),
            _ => (new StringContent("a,b"), "0"),
        };

        using HttpResponseMessage response = await anaplan.SendAsync(HttpMethod.Put, $"{EmulatorHarness.ModelPath}/files/113000000004/chunks/{index}", content);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(0, anaplan.State.Counters.ChunksReceived);
    }

    [Fact]
    public async Task ModuleImport_ReplacesCellsAndDumpsBadRows()
    {
        await using EmulatorHarness anaplan = await EmulatorHarness.StartAsync();
        await anaplan.LoginAsync();
        anaplan.Fpa.AddListItem("Vendors", "V1", "Acme");
        anaplan.Fpa.SetCell("AP Actuals", ["V1", "FY2024-P01"], "Invoice Amount", 999);
        string csv = "Vendor,Period,Invoice Amount,Invoice Count\nV1,FY2024-P01,120.5,3\nV2,FY2024-P01,1,1\n\nV1,FY2031-P01,1,1\nV1,FY2024-P02,12/03,1\n";

        string taskId = await anaplan.RunImportAsync("112000000005", "113000000005", csv);
        JsonElement task = (await anaplan.GetJsonAsync($"{EmulatorHarness.ModelPath}/imports/112000000005/tasks/{taskId}")).GetProperty("task");
        using HttpResponseMessage dump = await anaplan.SendAsync(HttpMethod.Get, $"{EmulatorHarness.ModelPath}/imports/112000000005/tasks/{taskId}/dump");
        string[] dumpLines = (await dump.Content.ReadAsStringAsync()).TrimEnd('\n').Split('\n');

        Assert.Equal("COMPLETE", task.GetProperty("taskState").GetString());
        JsonElement result = task.GetProperty("result");
        Assert.True(result.GetProperty("failureDumpAvailable").GetBoolean());
        string[] values = [.. result.GetProperty("details")[0].GetProperty("values").EnumerateArray().Select(v => v.GetString()!)];
        Assert.Equal("1", values[Array.IndexOf(values, "successRowCount") + 1]);
        Assert.Equal("3", values[Array.IndexOf(values, "failedCount") + 1]);
        Assert.Equal("1", values[Array.IndexOf(values, "ignoredCount") + 1]);
        Assert.Equal(120.5, anaplan.Fpa.GetCell("AP Actuals", ["V1", "FY2024-P01"], "Invoice Amount")); // replaced, not added
        Assert.Equal("_Status_,Vendor,Period,Invoice Amount,Invoice Count,_Line_,_Error_1_", dumpLines[0]);
        Assert.Equal(["3", "5", "6"], dumpLines.Skip(1).Select(l => l.Split(',')[5]));
        Assert.Contains("Vendors", dumpLines[1], StringComparison.Ordinal);
        Assert.Contains("Periods", dumpLines[2], StringComparison.Ordinal);
        Assert.Contains("Invoice Amount", dumpLines[3], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListImport_CodeIsTheKey_CreatesThenUpdates()
    {
        await using EmulatorHarness anaplan = await EmulatorHarness.StartAsync();
        await anaplan.LoginAsync();

        await anaplan.RunImportAsync("112000000003", "113000000003", "Code,Name,Division,Status\nV1,Acme,East,Active\nV2,Globex,West,Active\n");
        await anaplan.RunImportAsync("112000000003", "113000000003", "Code,Name,Division,Status\nV1,Acme Corp,East,Inactive\n");

        Assert.Collection(
            anaplan.Fpa.GetListItems("Vendors"),
            v => Assert.Equal(("V1", "Acme Corp", "Inactive"), (v.Code, v.Name, v.Properties["Status"])),
            v => Assert.Equal(("V2", "Globex", "Active"), (v.Code, v.Name, v.Properties["Status"])));
    }

    [Fact]
    public async Task ListImport_UpdateMatchingItemsOnly_IgnoresNewCodes()
    {
        TenantDefinition definition = TenantDefinition.LoadDefault();
        definition.Workspaces[0].Models[0].Imports.Single(i => i.Id == "112000000003").CreateItems = false;
        await using EmulatorHarness anaplan = await EmulatorHarness.StartAsync(o => o.Definition = definition);
        await anaplan.LoginAsync();
        anaplan.Fpa.AddListItem("Vendors", "V1", "Acme");

        await anaplan.RunImportAsync("112000000003", "113000000003", "Code,Name,Division,Status\nV1,Acme Corp,East,Active\nV2,Globex,West,Active\n");

        ListItemSnapshot only = Assert.Single(anaplan.Fpa.GetListItems("Vendors"));
        Assert.Equal(("V1", "Acme Corp"), (only.Code, only.Name));
        JsonElement task = (await anaplan.GetJsonAsync($"{EmulatorHarness.ModelPath}/imports/112000000003/tasks")).GetProperty("tasks")[0];
        string taskId = task.GetProperty("taskId").GetString()!;
        JsonElement result = (await anaplan.GetJsonAsync($"{EmulatorHarness.ModelPath}/imports/112000000003/tasks/{taskId}")).GetProperty("task").GetProperty("result");
        string[] values = [.. result.GetProperty("details")[0].GetProperty("values").EnumerateArray().Select(v => v.GetString()!)];
        Assert.Equal("1", values[Array.IndexOf(values, "successRowCount") + 1]);
        Assert.Equal("1", values[Array.IndexOf(values, "ignoredCount") + 1]);
    }

    [Fact]
    public async Task BusyModel_SecondTaskWaitsAndIsAViolation_OtherCallsWaitUntilFree()
    {
        await using EmulatorHarness anaplan = await EmulatorHarness.StartAsync();
        await anaplan.LoginAsync();
        string files = $"{EmulatorHarness.ModelPath}/files";
        Task<HttpResponseMessage> waiting;
        string second;
        using (anaplan.Fpa.HoldTasks())
        {
            string first = await anaplan.StartTaskAsync("exports", "116000000002");
            await anaplan.State.WaitUntilAsync(() => anaplan.Fpa.GetTasks().Single().State == "IN_PROGRESS", EmulatorHarness.Bounded());
            second = await anaplan.StartTaskAsync("exports", "116000000003");
            waiting = anaplan.SendAsync(HttpMethod.Get, files);
            await anaplan.State.WaitUntilAsync(() => anaplan.Fpa.BusyWaiters == 1, EmulatorHarness.Bounded());
            JsonElement status = await anaplan.GetJsonAsync($"{EmulatorHarness.ModelPath}/exports/116000000003/tasks/{second}");

            Assert.False(waiting.IsCompleted);
            Assert.Equal("NOT_STARTED", status.GetProperty("task").GetProperty("taskState").GetString());
            Assert.Equal(1, anaplan.State.Counters.Violations);
            Assert.Equal(first, anaplan.Fpa.GetTasks()[0].TaskId);
        }

        using HttpResponseMessage answered = await waiting.WaitAsync(EmulatorHarness.Bounded());
        Assert.Equal(200, (int)answered.StatusCode);
        Assert.All(anaplan.Fpa.GetTasks(), t => Assert.Equal("COMPLETE", t.State));
    }

    [Fact]
    public async Task TenantRateLimit_BucketEmpty_429WithRetryAfter()
    {
        await using EmulatorHarness anaplan = await EmulatorHarness.StartAsync(o =>
        {
            o.RateLimitCapacity = 3;
            o.RateLimitPerMinute = 60;
        });
        await anaplan.LoginAsync();

        int[] statuses = new int[5];
        string? retryAfter = null;
        for (int i = 0; i < statuses.Length; i++)
        {
            using HttpResponseMessage r = await anaplan.SendAsync(HttpMethod.Get, "/2/0/workspaces");
            statuses[i] = (int)r.StatusCode;
            retryAfter ??= r.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        Assert.Equal([200, 200, 200, 429, 429], statuses);
        Assert.Equal("1", retryAfter);
        Assert.Equal(2, anaplan.State.Counters.RateLimited);
    }

    [Fact]
    public async Task Faults_FailDropAndLockedModel_AppliedThenGone()
    {
        await using EmulatorHarness anaplan = await EmulatorHarness.StartAsync();
        await anaplan.LoginAsync();
        anaplan.State.Faults.FailNext("GET /2/0/workspaces", 1, 503, retryAfterSeconds: 7);
        anaplan.State.Faults.DropNext("/2/0/models", 1);

        using HttpResponseMessage failed = await anaplan.SendAsync(HttpMethod.Get, "/2/0/workspaces");
        await Assert.ThrowsAsync<HttpRequestException>(() => anaplan.SendAsync(HttpMethod.Get, "/2/0/models"));
        using HttpResponseMessage ok = await anaplan.SendAsync(HttpMethod.Get, "/2/0/workspaces");
        anaplan.Fpa.SetActiveState("LOCKED");
        using HttpResponseMessage locked = await anaplan.SendAsync(HttpMethod.Get, $"{EmulatorHarness.ModelPath}/imports");

        Assert.Equal(503, (int)failed.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), failed.Headers.RetryAfter?.Delta);
        Assert.Equal(200, (int)ok.StatusCode);
        Assert.Equal(423, (int)locked.StatusCode);
        Assert.Contains(anaplan.State.Requests.Snapshot(), r => r.Path == "/2/0/models" && r.StatusCode == 0);
    }

    [Fact]
    public async Task RequestLog_CallInsideAnnouncedRetryAfterWindow_IsFound_AnyRoute()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using EmulatorHarness anaplan = await EmulatorHarness.StartAsync(o => o.TimeProvider = time);
        await anaplan.LoginAsync();
        anaplan.State.Faults.FailNext("GET /2/0/workspaces", 1, 429, retryAfterSeconds: 5);

        using HttpResponseMessage refused = await anaplan.SendAsync(HttpMethod.Get, "/2/0/workspaces");
        time.Advance(TimeSpan.FromSeconds(2));
        using HttpResponseMessage early = await anaplan.SendAsync(HttpMethod.Get, "/2/0/models"); // another call, 3 s too soon
        time.Advance(TimeSpan.FromSeconds(3));
        using HttpResponseMessage onTime = await anaplan.SendAsync(HttpMethod.Get, "/2/0/workspaces");

        Assert.Equal(429, (int)refused.StatusCode);
        (EmulatorRequest window, EmulatorRequest inside) = Assert.Single(anaplan.State.Requests.CallsInsideRetryAfterWindows());
        Assert.Equal(("/2/0/workspaces", 429, "5"), (window.Path, window.StatusCode, window.RetryAfter));
        Assert.Equal("/2/0/models", inside.Path);
        Assert.Empty(anaplan.State.Requests.CallsInsideRetryAfterWindows(inFlight: TimeSpan.FromSeconds(2)));
        Assert.Empty(anaplan.State.Requests.CallsInsideRetryAfterWindows(afterSequence: window.Sequence));
    }

    [Fact]
    public async Task AdminApi_SeedApproveAndInspectOverHttp()
    {
        await using EmulatorHarness anaplan = await EmulatorHarness.StartAsync();
        string model = $"_emulator/models/{EmulatorHarness.Model}";

        using (HttpResponseMessage r = await anaplan.Http.PostAsync($"{model}/lists/Accounts/items", EmulatorHarness.Json("[{\"code\":\"6000\",\"name\":\"Travel\"}]")))
        {
            Assert.Equal(204, (int)r.StatusCode);
        }

        using (await anaplan.Http.PostAsync($"{model}/lists/Cost%20Centers/items", EmulatorHarness.Json("[{\"code\":\"CC1\"}]")))
        {
        }

        using (HttpResponseMessage r = await anaplan.Http.PostAsync($"{model}/modules/Budget/cells", EmulatorHarness.Json("[{\"members\":[\"6000\",\"CC1\",\"FY2025-P01\",\"Budget\"],\"lineItem\":\"Amount\",\"value\":42}]")))
        {
            Assert.Equal(204, (int)r.StatusCode);
        }

        using (HttpResponseMessage bad = await anaplan.Http.PostAsync($"{model}/modules/Budget/cells", EmulatorHarness.Json("[{\"members\":[\"7777\",\"CC1\",\"FY2025-P01\",\"Budget\"],\"lineItem\":\"Amount\",\"value\":1}]")))
        {
            Assert.Equal(400, (int)bad.StatusCode);
            Assert.Contains("7777", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (await anaplan.Http.PostAsync($"{model}/versions/Budget/approve", null))
        {
        }

        string cells = await anaplan.Http.GetStringAsync($"{model}/modules/Budget/cells");
        string counters = await anaplan.Http.GetStringAsync("_emulator/counters");

        Assert.Contains("\"value\":\"42\"", cells, StringComparison.Ordinal);
        Assert.Equal("true", anaplan.Fpa.GetListItems("Versions").Single(v => v.Code == "Budget").Properties["Approved"]);
        Assert.Contains("\"violations\":0", counters, StringComparison.Ordinal);
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

}
