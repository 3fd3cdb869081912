using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Connector.Agent.Backends.Simulated;
using Connector.Local.Hosting;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Flows.Anaplan;
using Connector.Orchestrations.Flows.Budgets;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Sage100;
using Connector.Orchestrations.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.DurableTask.Client;

namespace Connector.Bench;

/// <summary>
/// Runs the measurements: for each size a fresh company, agent, emulator and worker (so each peak RSS belongs to that
/// size), the agent paged alone, the pipeline run, gzip and staging alone over what it staged; budget posting on the
/// first size whose chart can hold the largest budget. Figures are read back from the system (history, request log,
/// summaries, <c>/proc</c>); what is computed says so in the report.
/// </summary>
internal static class Bench
{
    private const int AgentPageSize = 1000;
    private const int WarmUpPages = 200;
    private const int MeasuredRows = 200_000;
    private static readonly CompanyProfile Lng = CompanyProfile.BuiltIn.Single(p => p.Code == "LNG");

    public static async Task<int> RunAsync(BenchOptions options, TextWriter log)
    {
        BenchPaths paths = BenchPaths.Find();
        Directory.CreateDirectory(options.WorkDirectory);
        var pipelines = new List<PipelineResult>();
        var budgets = new List<BudgetResult>();
        DateTimeOffset started = DateTimeOffset.Now;
        string loadAtStart = Machine.Load();
        log.WriteLine($"connector-bench ({paths.Configuration}) in {options.WorkDirectory}");
        await using Azurite azurite = await Azurite.StartAsync(paths.Root);
        try
        {
            int budgetRows = options.BudgetEntries.Count == 0 ? -1 : options.GlRows.FirstOrDefault(r => EstimatedBudgetCapacity(r) >= options.BudgetEntries.Max(), options.GlRows.Max());
            foreach (int rows in options.GlRows)
            {
                string directory = Path.Combine(options.WorkDirectory, $"rows-{rows}");
                string companies = Path.Combine(directory, "companies");
                Directory.CreateDirectory(companies);
                log.WriteLine($"[{rows:N0} rows] generating the LNG company ...");
                var (scale, year) = SimulatedScale.ForFiscalYear(Lng, rows, apInvoices: 3_000, DateTime.Now);
                SimulatedCompanyGenerator.Generate(Path.Combine(companies, "LNG.db"), Lng, scale, DateTime.Now);
                SqliteConnection.ClearAllPools();

                log.WriteLine($"[{rows:N0} rows] starting the agent, the emulator and a worker ...");
                string hub = "Bench" + rows.ToString(CultureInfo.InvariantCulture) + Convert.ToHexString(BitConverter.GetBytes(Environment.TickCount64))[..6];
                await using BenchStack stack = await BenchStack.StartAsync(paths, azurite.ConnectionString, directory, companies, hub);
                PipelineResult pipeline = await PipelineAsync(stack, rows, year, options.Output, log);
                pipelines.Add(pipeline);
                log.WriteLine($"[{rows:N0} rows] {pipeline.Status}: {pipeline.GlRows:N0} GL rows in {pipeline.Run.TotalSeconds:0.0} s ({pipeline.RowsPerSecond:N0} rows/s; agent alone {pipeline.PagingRowsPerSecond:N0} rows/s)");
                if (rows == budgetRows)
                {
                    var seeded = new List<(string Account, string Period)>();
                    foreach (int entries in options.BudgetEntries)
                    {
                        log.WriteLine($"[budgets] posting {entries:N0} entries ...");
                        BudgetResult budget = await BudgetAsync(stack, entries, seeded);
                        budgets.Add(budget);
                        log.WriteLine($"[budgets] {budget.Status}: {budget.Posted:N0} of {budget.Entries:N0} posted, {budget.EntriesPerSecond:0.0} entries/s");
                    }
                }
            }

            var environment = new BenchEnvironment(started, Machine.Describe(), paths.Configuration, Machine.Commit(paths.Root), loadAtStart, Machine.Load(), ChildProcess.PeakResidentBytes(azurite.ProcessId), options.Quick);
            string report = Report.Markdown(environment, pipelines, budgets);
            Directory.CreateDirectory(Path.GetDirectoryName(options.Output)!);
            await File.WriteAllTextAsync(options.Output, report);
            log.WriteLine();
            log.WriteLine(report);
            log.WriteLine($"Written to {options.Output}");
            return 0;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            if (!options.Keep)
            {
                TryDelete(options.WorkDirectory);
            }
        }
    }

    /// <summary>Budget entries (Anaplan account × open period) a company sized for <paramref name="rows"/> can hold, estimated.</summary>
    private static int EstimatedBudgetCapacity(int rows)
    {
        int perMain = Lng.SubAccounts.Aggregate(1, (n, seg) => n * Math.Max(1, seg.Count - 1));
        return rows / 12 / perMain * 6;
    }

    private static async Task<PipelineResult> PipelineAsync(BenchStack stack, int targetRows, string year, string output, TextWriter log)
    {
        SageAgentClient sage = stack.Clients.Sage(BenchStack.ConnectionId);
        long accounts = await sage.GetAccountsAsync().CountAsync();

        // The agent alone, in the same window: the GL rows of the year, paged the way the extraction pages them. First up to
        // 200 pages unmeasured: a fresh process runs its first calls in unoptimized code until the JIT's tiering catches
        // up (seconds on a loaded machine), which is start-up, not paging.
        log.WriteLine($"[{targetRows:N0} rows] paging the agent alone ...");
        await foreach (SagePeriodBalance _ in sage.GetPeriodBalancesAsync(year, 1, 13).Take(WarmUpPages * AgentPageSize))
        {
        }

        // Measured over at least MeasuredRows rows: a small year is pulled several times (a pull of 10 pages is mostly noise).
        var pageTimes = new List<double>();
        long paged = 0;
        (TimeSpan agentCpu, TimeSpan clientCpu) = (stack.Agent.CpuTime(), Process.GetCurrentProcess().TotalProcessorTime);
        var pageWatch = Stopwatch.StartNew();
        do
        {
            pageTimes.Clear();
            double lastMark = pageWatch.Elapsed.TotalMilliseconds;
            long pass = 0;
            await foreach (SagePeriodBalance _ in sage.GetPeriodBalancesAsync(year, 1, 13))
            {
                paged++;
                if (++pass % AgentPageSize == 0)
                {
                    double now = pageWatch.Elapsed.TotalMilliseconds;
                    pageTimes.Add(now - lastMark);
                    lastMark = now;
                }
            }
        }
        while (paged < MeasuredRows);

        TimeSpan paging = pageWatch.Elapsed;
        (TimeSpan Agent, TimeSpan Client) pagingCpu = (stack.Agent.CpuTime() - agentCpu, Process.GetCurrentProcess().TotalProcessorTime - clientCpu);

        log.WriteLine($"[{targetRows:N0} rows] running the actuals pipeline (full resync of FY{year}) ...");
        await stack.Admin.DeleteAsync("requests");
        (TimeSpan Agent, TimeSpan Emulator, TimeSpan Worker) cpu = (stack.Agent.CpuTime(), stack.Emulator.CpuTime(), stack.Worker.CpuTime());
        var runWatch = Stopwatch.StartNew();
        int lastPeriod = (await sage.GetFiscalCalendarAsync()).Years.Single(y => y.FiscalYear == year).Periods.Max(p => p.Period);
        StartRunResult start = await stack.Starter.StartActualsAsync(BenchStack.ConnectionId, "bench", new ActualsRunRequest(year, 1, lastPeriod, null, FullResync: true));
        using var limit = new CancellationTokenSource(TimeSpan.FromHours(3));
        OrchestrationMetadata done = await stack.Client.WaitForInstanceCompletionAsync(start.InstanceId, getInputsAndOutputs: true, limit.Token);
        TimeSpan run = runWatch.Elapsed;
        cpu = (stack.Agent.CpuTime() - cpu.Agent, stack.Emulator.CpuTime() - cpu.Emulator, stack.Worker.CpuTime() - cpu.Worker);
        ActualsRunSummary? summary = done.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? done.ReadOutputAs<ActualsRunSummary>() : null;
        DatasetSummary? gl = summary?.Datasets.SingleOrDefault(d => d.Dataset == Datasets.GlActuals);

        IReadOnlyList<RunHistoryEvent> events = await RunHistory.ReadAsync(stack.Service, stack.Client, start.InstanceId);
        await WriteTimelineAsync(Path.Combine(Path.GetDirectoryName(output)!, Path.GetFileNameWithoutExtension(output) + $"-history-{targetRows}.csv"), events);
        var history = new HistoryStages(start.InstanceId, events);
        string glLoad = $"{start.InstanceId}|{Datasets.GlActuals}";
        JsonArray requests = (await stack.Admin.GetFromJsonAsync<JsonArray>("requests"))!;
        await File.WriteAllLinesAsync(
            Path.Combine(Path.GetDirectoryName(output)!, Path.GetFileNameWithoutExtension(output) + $"-requests-{targetRows}.csv"),
            ["method,path,status,received", .. requests.Select(r => $"{r!["method"]},{r["path"]},{r["statusCode"]},{r["receivedAt"]}")]);
        JsonArray tasks = (await stack.Admin.GetFromJsonAsync<JsonArray>($"models/{stack.ModelId}/tasks"))!;
        TimeSpan? emulatorImport = tasks.Select(t => t!.AsObject()).Where(t => t["taskId"]!.GetValue<string>() == gl?.ImportTaskId && t["finishedAt"] is not null)
            .Select(t => (TimeSpan?)(t["finishedAt"]!.GetValue<DateTimeOffset>() - t["createdAt"]!.GetValue<DateTimeOffset>())).FirstOrDefault();

        log.WriteLine($"[{targetRows:N0} rows] gzip and staging alone over the staged CSV ...");
        (TimeSpan gzip, TimeSpan staging) = summary is null ? (TimeSpan.Zero, TimeSpan.Zero) : await GzipAndStagingAloneAsync(stack.Storage, new RunRef(BenchStack.ConnectionId, start.InstanceId));

        return new PipelineResult
        {
            TargetRows = targetRows,
            GlRows = gl?.Staged ?? 0,
            Accounts = accounts,
            FiscalYear = year,
            Status = summary?.Status ?? $"{done.RuntimeStatus}: {done.FailureDetails?.ErrorMessage}",
            Run = run,
            Paging = paging,
            PagedRows = paged,
            PageMilliseconds = (pageTimes.FirstOrDefault(), pageTimes.LastOrDefault()),
            PagingCpu = pagingCpu,
            RunCpu = cpu,
            Gzip = gzip,
            StagingAlone = staging,
            Dimensions = history.Instance($"{start.InstanceId}|dimensions"),
            Extraction = history.Activity(nameof(ExtractGlActualsActivity), start.InstanceId),
            Upload = history.Between(glLoad, nameof(PrepareAnaplanImportActivity), nameof(UploadAnaplanChunkActivity)),
            ImportWait = history.After(glLoad, nameof(StartAnaplanTaskActivity), nameof(GetAnaplanTaskStatusActivity)),
            EmulatorImport = emulatorImport,
            OtherLoads = history.Instance($"{start.InstanceId}|{Datasets.Vendors}") + history.Instance($"{start.InstanceId}|{Datasets.ApActuals}"),
            Overhead = history.Overhead,
            AgentPeakBytes = stack.Agent.PeakResidentBytes(),
            EmulatorPeakBytes = stack.Emulator.PeakResidentBytes(),
            WorkerPeakBytes = stack.Worker.PeakResidentBytes(),
            Requests = requests.Count,
            MinimumRequests = MinimumRequests(requests),
            HistoryRows = history.Rows,
        };
    }

    /// <summary>The run's history as CSV next to the report (instance, event, name, timestamp, timer due), for a closer look (its requests too).</summary>
    private static async Task WriteTimelineAsync(string path, IReadOnlyList<RunHistoryEvent> events)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var csv = new StringBuilder("instance,event,name,timestamp,fireAt\n");
        foreach (RunHistoryEvent e in events.OrderBy(e => e.Timestamp))
        {
            csv.Append(CultureInfo.InvariantCulture, $"{e.InstanceId},{e.Type},{e.Name},{e.Timestamp:O},{e.FireAt:O}\n");
        }

        await File.WriteAllTextAsync(path, csv.ToString());
    }

    /// <summary>
    /// The fewest requests that do the same work: one sign-in, each distinct request once (a repeated one is a retry or a
    /// lookup a better client would not repeat) and one status check per task. Computed from the emulator's request log.
    /// </summary>
    internal static int MinimumRequests(JsonArray requests)
    {
        var paths = requests.Select(r => (Method: r!["method"]!.GetValue<string>(), Path: r["path"]!.GetValue<string>().Split('?')[0])).ToList();
        static bool IsStatus((string Method, string Path) r) => r.Method == "GET" && r.Path.Contains("/tasks/", StringComparison.Ordinal) && !r.Path.Contains("/dump", StringComparison.Ordinal);
        static bool IsSignIn((string Method, string Path) r) => r.Path.Contains("/token/", StringComparison.Ordinal);
        int distinct = paths.Where(r => !IsStatus(r) && !IsSignIn(r)).Distinct().Count();
        int tasks = paths.Where(IsStatus).Select(r => r.Path).Distinct().Count();
        return 1 + distinct + tasks;
    }

    /// <summary>gzip -6 over the staged CSV, and the connector's part writer (CSV, gzip, SHA-256, Blob) over the same rows.</summary>
    private static async Task<(TimeSpan Gzip, TimeSpan Staging)> GzipAndStagingAloneAsync(ConnectorStorage storage, RunRef run)
    {
        using var csv = new MemoryStream();
        await foreach (BlobItem part in storage.StagingContainer.GetBlobsAsync(BlobTraits.None, BlobStates.None, Datasets.StagingPrefix(run, Datasets.GlActuals) + "/", CancellationToken.None))
        {
            await using Stream blob = await storage.StagingContainer.GetBlobClient(part.Name).OpenReadAsync();
            await using var inflate = new GZipStream(blob, CompressionMode.Decompress);
            await inflate.CopyToAsync(csv);
        }

        byte[] bytes = csv.ToArray();
        var gzipWatch = Stopwatch.StartNew();
        await using (var sink = new GZipStream(Stream.Null, new ZLibCompressionOptions { CompressionLevel = 6 }))
        {
            await sink.WriteAsync(bytes);
        }

        TimeSpan gzip = gzipWatch.Elapsed;

        IReadOnlyList<string> header = Datasets.Header(Datasets.GlActuals);
        string headerLine = string.Join(',', header);
        var stagingWatch = Stopwatch.StartNew();
        await using (var writer = new CsvPartWriter(storage.StagingContainer, $"bench-staging-alone/{Guid.NewGuid():N}", Datasets.GlActuals, header, 10L * 1024 * 1024))
        {
            using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8);
            while (await reader.ReadLineAsync() is { } line)
            {
                if (line.Length > 0 && line != headerLine)
                {
                    await writer.WriteRowAsync(line.Split(','));
                }
            }

            await writer.CompleteAsync();
        }

        return (gzip, stagingWatch.Elapsed);
    }

    /// <summary>
    /// Seeds an approved budget of <paramref name="entries"/> entries (one Anaplan account × open period each, grouping
    /// VersionPeriodAccount, cost centre 010), posts it, and reads back what happened (the summary, and every entry's
    /// result from the blob it names). The cells of an earlier budget run
    /// (<paramref name="seeded"/>) are cleared first and its accounts left out, so every entry of this run is new in Sage.
    /// </summary>
    private static async Task<BudgetResult> BudgetAsync(BenchStack stack, int entries, List<(string Account, string Period)> seeded)
    {
        SageAgentClient sage = stack.Clients.Sage(BenchStack.ConnectionId);
        SageFiscalCalendar calendar = await sage.GetFiscalCalendarAsync();
        string[] periods = [.. calendar.Years.SelectMany(y => y.Periods.Where(p => p.Open).Select(p => PeriodCodes.Format("FY{year}-P{period}", y.FiscalYear, p.Period)))];
        var used = seeded.Select(c => c.Account).ToHashSet(StringComparer.Ordinal);
        List<string> mains = [.. (await sage.GetAccountsAsync().Where(a => a.IsActive && a.Account.EndsWith("-010", StringComparison.Ordinal)).ToListAsync())
            .Select(a => a.Account.Split('-')[0]).Distinct().Where(m => !used.Contains(m)).Order(StringComparer.Ordinal)];
        List<(string Account, string Period)> budget = [.. mains.SelectMany(m => periods.Select(p => (m, p))).Take(entries)];
        if (budget.Count < entries)
        {
            throw new InvalidOperationException($"The company has room for {budget.Count} more budget entries, not {entries}: benchmark budgets on a larger size.");
        }

        (await stack.Admin.PostAsJsonAsync($"models/{stack.ModelId}/modules/Budget/cells", Cells(seeded, _ => 0d))).EnsureSuccessStatusCode();
        seeded.Clear();
        seeded.AddRange(budget);
        (await stack.Admin.PostAsJsonAsync($"models/{stack.ModelId}/modules/Budget/cells", Cells(budget, i => 100 + i))).EnsureSuccessStatusCode();
        (await stack.Admin.PostAsync($"models/{stack.ModelId}/versions/Budget/approve", null)).EnsureSuccessStatusCode();

        var watch = Stopwatch.StartNew();
        StartRunResult start = await stack.Starter.StartBudgetsAsync(BenchStack.ConnectionId, "bench", new BudgetRunRequest());
        using var limit = new CancellationTokenSource(TimeSpan.FromHours(3));
        OrchestrationMetadata done = await stack.Client.WaitForInstanceCompletionAsync(start.InstanceId, getInputsAndOutputs: true, limit.Token);
        TimeSpan run = watch.Elapsed;
        var history = new HistoryStages(start.InstanceId, await RunHistory.ReadAsync(stack.Service, stack.Client, start.InstanceId));
        BudgetRunSummary? summary = null;
        IReadOnlyList<EntryResult> results = [];
        string? error = done.FailureDetails?.ErrorMessage;
        try
        {
            summary = done.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? done.ReadOutputAs<BudgetRunSummary>() : null;
            if (summary?.ResultsBlob is { } blob)
            {
                // Readable in full: every entry's result, read back from the blob the summary names.
                results = await BudgetRunResults.ReadAsync(stack.Storage.StagingContainer, blob);
            }
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or NotSupportedException)
        {
            error = "summary unreadable: " + ex.Message;
        }

        var posts = history.Activities.Where(a => a.Name == nameof(PostJournalBatchActivity)).ToList();
        return new BudgetResult
        {
            Entries = entries,
            Posted = summary is null ? 0 : results.Count(r => r.Status == JournalStatuses.Posted),
            Status = summary?.Status ?? done.RuntimeStatus.ToString(),
            Run = run,
            Posting = posts.Count == 0 ? TimeSpan.Zero : new Span(posts.Min(p => p.Span.Start), posts.Max(p => p.Span.End)).Length,
            HistoryRows = history.Rows,
            SummaryReadable = summary is not null && results.Count == entries && summary.Plan.EntryCount == entries
                && results.Select(r => r.ExternalId).Distinct().Count() == entries && summary.Posted == results.Count(r => r.Status == JournalStatuses.Posted),
            Error = error is null ? null : error.Length > 200 ? error[..200] + "…" : error,
        };

        static JsonArray Cells(List<(string Account, string Period)> cells, Func<int, double> value)
            => [.. cells.Select((c, i) => (JsonNode)new JsonObject
            {
                ["members"] = new JsonArray(c.Account, "010", c.Period, "Budget"),
                ["lineItem"] = "Amount",
                ["value"] = value(i),
            })];
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by an exiting process: the temporary folder is cleaned up by the system.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
