using System.Text;
using Connector.Emulators.Anaplan.Model;
using Connector.Orchestrations.Anaplan;
using Microsoft.Extensions.DependencyInjection;

namespace Connector.Orchestrations.Tests.Anaplan;

public sealed class AnaplanClientTaskTests
{
    [Fact]
    public async Task Import_RowsWithUnknownMembersAndBadNumbers_FailedRowsComeBackFromTheDump()
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();
        AnaplanClient client = host.Client();
        host.Model.AddListItem("Accounts", "4000", "Revenue");
        host.Model.AddListItem("Cost Centers", "CC1", "Head office");
        string csv = "Account,Cost Center,Period,Debit,Credit,Net\n"
            + "4000,CC1,FY2024-P01,100,0,100\n"
            + "9999,CC1,FY2024-P01,5,0,5\n"
            + "4000,CC1,FY2024-P02,\"1,2x\",0,1\n"
            + "4000,CC1,FY2024-P03,7,0,7\n";
        await client.UploadImportFileAsync(AnaplanTestHost.GlImport, new MemoryStream(Encoding.UTF8.GetBytes(csv)));

        AnaplanTaskInfo started = await client.StartImportAsync(AnaplanTestHost.GlImport);
        await host.TasksFinishedAsync();
        AnaplanTaskInfo done = await client.GetTaskStatusAsync(AnaplanActionType.Import, AnaplanTestHost.GlImport, started.TaskId);
        AnaplanFailureDump? dump = await client.GetImportFailuresAsync(AnaplanTestHost.GlImport, started.TaskId);

        Assert.Equal(AnaplanTaskState.Complete, done.State);
        Assert.True(done.Result!.Successful);
        Assert.True(done.Result.FailureDumpAvailable);
        Assert.Equal(new AnaplanRowCounts(2, 2, 0, 4), done.Result.Counts);
        Assert.NotNull(dump);
        Assert.Equal(["Account", "Cost Center", "Period", "Debit", "Credit", "Net"], dump.Columns);
        Assert.Collection(
            dump.Rows,
            row =>
            {
                Assert.Equal(3, row.Line);
                Assert.Contains("9999", row.Error, StringComparison.Ordinal);
                Assert.Equal("9999", row.Values["Account"]);
            },
            row =>
            {
                Assert.Equal(4, row.Line);
                Assert.Contains("Debit", row.Error, StringComparison.Ordinal);
                Assert.Equal("1,2x", row.Values["Debit"]);
            });
        Assert.Equal(100.0, host.Model.GetCell("GL Actuals", ["4000", "CC1", "FY2024-P01"], "Debit"));
        Assert.Equal(7.0, host.Model.GetCell("GL Actuals", ["4000", "CC1", "FY2024-P03"], "Net"));
    }

    [Fact]
    public async Task Import_CleanRun_HasNoDump()
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();
        AnaplanClient client = host.Client();
        await client.UploadImportFileAsync(AnaplanTestHost.AccountsImport, new MemoryStream(Encoding.UTF8.GetBytes("Code,Name,Type,Group\n4000,Revenue,Income,P&L\n")));

        AnaplanTaskInfo started = await client.StartImportAsync(AnaplanTestHost.AccountsImport);
        await host.TasksFinishedAsync();

        Assert.Null(await client.GetImportFailuresAsync(AnaplanTestHost.AccountsImport, started.TaskId));
        Assert.Equal("Revenue", Assert.Single(host.Model.GetListItems("Accounts")).Name);
    }

    [Fact]
    public async Task Import_ForcedServerFailure_CompleteButNotSuccessful()
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();
        AnaplanClient client = host.Client();
        await client.UploadImportFileAsync(AnaplanTestHost.AccountsImport, new MemoryStream(Encoding.UTF8.GetBytes("Code,Name,Type,Group\n4000,Revenue,Income,P&L\n")));
        host.State.Faults.FailNextImportRun(AnaplanTestHost.AccountsImport);

        AnaplanTaskInfo started = await client.StartImportAsync(AnaplanTestHost.AccountsImport);
        await host.TasksFinishedAsync();
        AnaplanTaskInfo done = await client.GetTaskStatusAsync(AnaplanActionType.Import, AnaplanTestHost.AccountsImport, started.TaskId);

        Assert.Equal(AnaplanTaskState.Complete, done.State);
        Assert.False(done.Result!.Successful);
        Assert.Empty(host.Model.GetListItems("Accounts"));
    }

    [Fact]
    public async Task CancelTask_RunningImport_EndsCancelledAndRolledBack()
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();
        AnaplanClient client = host.Client();
        await client.UploadImportFileAsync(AnaplanTestHost.AccountsImport, new MemoryStream(Encoding.UTF8.GetBytes("Code,Name,Type,Group\n4000,Revenue,Income,P&L\n")));
        AnaplanTaskInfo started;
        using (host.Model.HoldTasks())
        {
            started = await client.StartImportAsync(AnaplanTestHost.AccountsImport);
            await host.State.WaitUntilAsync(() => host.Model.GetTasks().Single().State == "IN_PROGRESS", AnaplanTestHost.Bounded());

            AnaplanTaskInfo cancelling = await client.CancelTaskAsync(AnaplanActionType.Import, AnaplanTestHost.AccountsImport, started.TaskId);
            Assert.Equal(AnaplanTaskState.Cancelling, cancelling.State);
            Assert.Equal(AnaplanPollAction.PollAgain, AnaplanPollSchedule.Decide(cancelling.State, TimeSpan.Zero).Action);
        }

        await host.TasksFinishedAsync();
        AnaplanTaskInfo done = await client.GetTaskStatusAsync(AnaplanActionType.Import, AnaplanTestHost.AccountsImport, started.TaskId);

        Assert.Equal(AnaplanTaskState.Cancelled, done.State);
        Assert.True(done.State.IsFinal);
        Assert.Equal(AnaplanPollAction.Done, AnaplanPollSchedule.Decide(done.State, TimeSpan.FromSeconds(30)).Action);
        Assert.Empty(host.Model.GetListItems("Accounts"));
    }

    [Fact]
    public async Task GetTaskStatus_UnknownFutureState_KeptAsDataAndPolledWithoutSpinning()
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();
        AnaplanClient client = host.Client();
        host.Model.AddListItem("Versions", "Plan B");
        AnaplanTaskInfo started = await client.StartExportAsync("116000000002");
        await host.TasksFinishedAsync();
        host.Model.OverrideTaskState(started.TaskId, "AWAITING_APPROVAL");

        AnaplanTaskInfo status = await client.GetTaskStatusAsync(AnaplanActionType.Export, "116000000002", started.TaskId);
        AnaplanPollDecision early = AnaplanPollSchedule.Decide(status.State, TimeSpan.FromSeconds(1));
        AnaplanPollDecision late = AnaplanPollSchedule.Decide(status.State, TimeSpan.FromHours(7));

        Assert.Equal("AWAITING_APPROVAL", status.State.Value);
        Assert.False(status.State.IsKnown);
        Assert.False(status.State.IsFinal);
        Assert.Equal(AnaplanPollAction.PollAgain, early.Action);
        Assert.True(early.Delay >= TimeSpan.FromSeconds(5));
        Assert.Equal(AnaplanPollAction.GiveUp, late.Action);
        Assert.Single(host.State.Requests.Find("GET", "/tasks/" + started.TaskId)); // one look, no loop inside the client
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(59, 5)]
    [InlineData(60, 10)]
    [InlineData(600, 30)]
    [InlineData(7200, 60)]
    public void PollSchedule_NextDelay_NeverUnderFiveSecondsAndGrowing(int elapsedSeconds, int expectedSeconds)
        => Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), AnaplanPollSchedule.NextDelay(TimeSpan.FromSeconds(elapsedSeconds)));

    [Fact]
    public async Task Export_ApprovedBudget_DownloadsOnlyApprovedNonZeroCellsAcrossChunks()
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync(o => o.DownloadChunkSize = 64);
        AnaplanClient client = host.Client();
        host.Model.AddListItem("Accounts", "6000", "Travel");
        host.Model.AddListItem("Cost Centers", "CC1", "Head office");
        host.Model.SetCell("Budget", ["6000", "CC1", "FY2025-P01", "Budget"], "Amount", 1250.5);
        host.Model.SetCell("Budget", ["6000", "CC1", "FY2025-P02", "Budget"], "Amount", 0);
        host.Model.SetCell("Budget", ["6000", "CC1", "FY2025-P03", "Budget"], "Amount", 980);
        host.Model.SetCell("Budget", ["6000", "CC1", "FY2025-P01", "Forecast"], "Amount", 777);
        host.Model.SetVersionApproved("Budget");

        AnaplanTaskInfo started = await client.StartExportAsync(AnaplanTestHost.ApprovedBudgetExport);
        await host.TasksFinishedAsync();
        AnaplanTaskInfo done = await client.GetTaskStatusAsync(AnaplanActionType.Export, AnaplanTestHost.ApprovedBudgetExport, started.TaskId);
        IReadOnlyList<string> chunks = await client.ListFileChunksAsync(AnaplanTestHost.ApprovedBudgetExport);
        await using Stream download = await client.OpenFileDownloadAsync(AnaplanTestHost.ApprovedBudgetExport);
        string text = await new StreamReader(download).ReadToEndAsync();

        Assert.True(done.Result!.Successful);
        Assert.True(chunks.Count > 1);
        Assert.Equal(
            "Account,Cost Center,Period,Version,Amount\n6000,CC1,FY2025-P01,Budget,1250.5\n6000,CC1,FY2025-P03,Budget,980\n",
            text);
    }

    [Fact]
    public async Task ListFiles_MoreThan5000_EveryPageIsRead()
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();
        AnaplanClient client = host.Client();
        for (int i = 0; i < 12_001; i++)
        {
            host.Model.AddFile((113_100_000_000L + i).ToString(System.Globalization.CultureInfo.InvariantCulture), $"extract-{i}.csv");
        }

        IReadOnlyList<AnaplanFile> files = await client.ListFilesAsync();

        Assert.Equal(12_001 + 5, files.Count);
        Assert.Equal(files.Count, files.Select(f => f.Id).Distinct().Count());
        // The message lists the requests seen. It once showed 2 of 3: the emulator logged a request after its answer had
        // gone out, so the client could finish first; it now logs when the answer starts.
        IReadOnlyList<EmulatorRequest> pages = host.State.Requests.Find("GET", "/files?");
        Assert.True(pages.Count == 3, $"expected 3 page requests, got {pages.Count}: {string.Join("; ", pages.Select(r => $"{r.Path} -> {r.StatusCode} {r.RetryAfter}"))}");
    }

    [Fact]
    public async Task ModelCalls_DetailsStatusAndLists_ReturnTypedValues()
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();
        AnaplanClient client = host.Client();

        AnaplanModelInfo model = await client.GetModelAsync();
        AnaplanModelStatus status = await client.GetModelStatusAsync();
        IReadOnlyList<AnaplanModelInfo> models = await client.ListModelsAsync(AnaplanTestHost.WorkspaceId);
        AnaplanImportMetadata metadata = await client.GetImportMetadataAsync(AnaplanTestHost.GlImport);
        AnaplanExportMetadata export = await client.GetExportMetadataAsync(AnaplanTestHost.ApprovedBudgetExport);
        IReadOnlyList<AnaplanProcess> processes = await client.ListProcessesAsync();

        Assert.Equal("UNLOCKED", model.ActiveState);
        Assert.False(model.ModelTransactionRunning);
        Assert.False(status.IsBusy);
        Assert.Equal(AnaplanTestHost.ModelId, Assert.Single(models).Id);
        Assert.Equal(["Account", "Cost Center", "Period", "Debit", "Credit", "Net"], metadata.HeaderNames);
        Assert.Equal(["Account", "Cost Center", "Period", "Version", "Amount"], export.HeaderNames);
        Assert.Equal(2, processes.Count);
    }

    [Fact]
    public async Task ModelStatus_WhileImportRuns_ReportsBusy()
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();
        AnaplanClient client = host.Client();
        await client.UploadImportFileAsync(AnaplanTestHost.AccountsImport, new MemoryStream(Encoding.UTF8.GetBytes("Code,Name,Type,Group\n4000,Revenue,Income,P&L\n")));
        using (host.Model.HoldTasks())
        {
            await client.StartImportAsync(AnaplanTestHost.AccountsImport);
            await host.State.WaitUntilAsync(() => host.Model.GetTasks().Single().State == "IN_PROGRESS", AnaplanTestHost.Bounded());

            AnaplanModelStatus status = await client.GetModelStatusAsync();
            AnaplanModelInfo model = await client.GetModelAsync();

            Assert.True(status.IsBusy);
            Assert.Contains("Accounts from Sage", status.Tooltip, StringComparison.Ordinal);
            Assert.True(model.ModelTransactionRunning);
        }
    }

    [Fact]
    public async Task Process_RunsItsImports_NestedResultsAndDumpPerImport()
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();
        AnaplanClient client = host.Client();
        await client.UploadImportFileAsync(AnaplanTestHost.AccountsImport, new MemoryStream(Encoding.UTF8.GetBytes("Code,Name,Type,Group\n4000,Revenue,Income,P&L\n,Blank,Income,P&L\n")));
        await client.UploadImportFileAsync("112000000002", new MemoryStream(Encoding.UTF8.GetBytes("Code,Name\nCC1,Head office\n")));
        await client.UploadImportFileAsync("112000000003", new MemoryStream(Encoding.UTF8.GetBytes("Code,Name,Division,Status\nV1,Acme,East,Active\n")));

        AnaplanTaskInfo started = await client.StartProcessAsync("118000000001");
        await host.TasksFinishedAsync();
        AnaplanTaskInfo done = await client.GetTaskStatusAsync(AnaplanActionType.Process, "118000000001", started.TaskId);
        AnaplanFailureDump? dump = await client.GetProcessFailuresAsync("118000000001", started.TaskId, AnaplanTestHost.AccountsImport);

        Assert.Equal(3, done.Result!.NestedResults.Count);
        Assert.True(done.Result.FailureDumpAvailable);
        Assert.Equal(3, Assert.Single(dump!.Rows).Line);
        Assert.Equal("Acme", Assert.Single(host.Model.GetListItems("Vendors")).Name);
    }

    [Fact]
    public async Task AddAnaplanClient_CalledTwice_ResolvesClientsSharingOneToken()
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();
        var services = new ServiceCollection();
        services.AddSingleton<Connector.Orchestrations.Credentials.ICredentialStore>(host.Credentials);
        services.AddAnaplanClient(o => Copy(host.Options(), o));
        services.AddAnaplanClient(o => Copy(host.Options(), o));
        await using ServiceProvider provider = services.BuildServiceProvider();

        await provider.GetRequiredService<AnaplanClient>().ListImportsAsync();
        await provider.GetRequiredService<AnaplanClient>().ListExportsAsync();

        Assert.Same(provider.GetRequiredService<AnaplanTokenProvider>(), provider.GetRequiredService<AnaplanTokenProvider>());
        Assert.Equal(1, host.State.Counters.Authentications);
    }

    private static void Copy(AnaplanClientOptions from, AnaplanClientOptions to)
    {
        to.AuthBaseUri = from.AuthBaseUri;
        to.ApiBaseUri = from.ApiBaseUri;
        to.WorkspaceId = from.WorkspaceId;
        to.ModelId = from.ModelId;
        to.Credential = from.Credential;
    }
}
