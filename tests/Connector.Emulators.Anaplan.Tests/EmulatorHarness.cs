using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Connector.Emulators.Anaplan;
using Connector.Emulators.Anaplan.Model;

namespace Connector.Emulators.Anaplan.Tests;

/// <summary>An emulator plus a raw HttpClient: these tests speak the wire protocol directly.</summary>
internal sealed class EmulatorHarness : IAsyncDisposable
{
    public const string User = "planner@example.com";
    public const string Password = "correct-horse";
    public const string Model = "75A40874E6B64FA3AE0743278996850F";
    public const string ModelPath = "/2/0/workspaces/8a81b09d5e8c6f27015ea0b3c5d80001/models/" + Model;

    private EmulatorHarness(AnaplanEmulator emulator)
    {
        this.Emulator = emulator;
        this.Http = new HttpClient { BaseAddress = emulator.BaseAddress };
    }

    public AnaplanEmulator Emulator { get; }

    public EmulatorState State => this.Emulator.State;

    public EmulatedModel Fpa => this.Emulator.DefaultModel;

    public HttpClient Http { get; }

    public string? Token { get; private set; }

    public static async Task<EmulatorHarness> StartAsync(Action<AnaplanEmulatorOptions>? configure = null)
    {
        var options = new AnaplanEmulatorOptions();
        configure?.Invoke(options);
        var harness = new EmulatorHarness(await AnaplanEmulator.StartAsync(options));
        harness.State.AddUser(User, Password);
        return harness;
    }

    public async Task<JsonElement> LoginAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "token/authenticate");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}")));
        using HttpResponseMessage response = await this.Http.SendAsync(request);
        Assert.Equal(201, (int)response.StatusCode);
        JsonElement body = await JsonAsync(response);
        this.Token = body.GetProperty("tokenInfo").GetProperty("tokenValue").GetString();
        return body;
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content = null, string? token = null)
    {
        var request = new HttpRequestMessage(method, path.TrimStart('/')) { Content = content };
        request.Headers.TryAddWithoutValidation("Authorization", "AnaplanAuthToken " + (token ?? this.Token));
        return this.Http.SendAsync(request);
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using HttpResponseMessage response = await this.SendAsync(HttpMethod.Get, path);
        Assert.Equal(200, (int)response.StatusCode);
        return await JsonAsync(response);
    }

    public async Task<string> RunImportAsync(string importId, string fileId, string csv)
    {
        using (HttpResponseMessage count = await this.SendAsync(HttpMethod.Post, $"{ModelPath}/files/{fileId}", Json("{\"chunkCount\":1}")))
        {
            Assert.Equal(200, (int)count.StatusCode);
        }

        using (HttpResponseMessage put = await this.SendAsync(HttpMethod.Put, $"{ModelPath}/files/{fileId}/chunks/0", Raw(Encoding.UTF8.GetBytes(csv))))
        {
            Assert.Equal(204, (int)put.StatusCode);
        }

        string taskId = await this.StartTaskAsync("imports", importId);
        await this.State.WaitUntilAsync(() => this.Fpa.GetTasks().All(t => t.State is "COMPLETE" or "CANCELLED"), Bounded());
        return taskId;
    }

    public async Task<string> StartTaskAsync(string type, string id)
    {
        using HttpResponseMessage response = await this.SendAsync(HttpMethod.Post, $"{ModelPath}/{type}/{id}/tasks", Json("{\"localeName\":\"en_US\"}"));
        Assert.Equal(200, (int)response.StatusCode);
        JsonElement task = (await JsonAsync(response)).GetProperty("task");
        Assert.Equal("NOT_STARTED", task.GetProperty("taskState").GetString());
        return task.GetProperty("taskId").GetString()!;
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static ByteArrayContent Raw(byte[] bytes, string type = "application/octet-stream")
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        return content;
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
        => JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    public static CancellationToken Bounded() => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    public async ValueTask DisposeAsync()
    {
        this.Http.Dispose();
        await this.Emulator.DisposeAsync();
    }
}
