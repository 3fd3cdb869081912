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
using Connector.Orchestrations.ModelFit;
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
    /// <summary>
    /// Pages paged before measuring, the same at every size (a small year is pulled again to reach them): a fresh agent
    /// runs its request path in unoptimized, then instrumented code until the JIT's tiering has recompiled it, which took
    /// 500 to 1,000 pages of 1,000 rows on this machine under load (the agent's processor time per page falls from about
    /// 12 ms to about 4 ms, then stays there at every table size). The warm-up is reported on its own.
    /// </summary>
    private const int WarmUpPages = 1_500;
    private const int MeasuredRows = 200_000;

    /// <summary>The waits for a quiet machine before each measured step of this benchmark, in turn.</summary>
    private static readonly List<QuietWait> QuietWaits = [];
    private static readonly CompanyProfile Lng = CompanyProfile.BuiltIn.Single(p => p.Code == "LNG");

    public static async Task<int> RunAsync(BenchOptions options, TextWriter log)
    {
        BenchPaths paths = BenchPaths.Find();
        Directory.CreateDirectory(options.WorkDirectory);
        QuietWaits.Clear(); // this benchmark's waits only
        var pipelines = new List<PipelineResult>();
        var budgets = new List<BudgetResult>();
        DateTimeOffset started = DateTimeOffset.Now;
        string loadAtStart = Machine.Load();
        log.WriteLine($"connector-bench ({paths.Configuration}) in {options.WorkDirectory}");
        await using Azurite azurite = await Azurite.StartAsync(paths.Root);
        try
        {
            int budgetRows = options.BudgetEntries.Count == 0 || options.GlRows.Count == 0 ? -1 : options.GlRows.FirstOrDefault(r => EstimatedBudgetCapacity(r) >= options.BudgetEntries.Max(), options.GlRows.Max());
            foreach (BenchSize size in options.Sizes)
            {
                int rows = size.Rows;
                string directory = Path.Combine(options.WorkDirectory, $"rows-{size.Label}");
                string companies = Path.Combine(directory, "companies");
                Directory.CreateDirectory(companies);
                log.WriteLine($"[{size.Label}] generating the LNG company ...");
                (CompanyProfile profile, SimulatedScale scale, IReadOnlyList<PeriodRange> ranges) = Company(size);
                SimulatedCompanyGenerator.Generate(Path.Combine(companies, "LNG.db"), profile, scale, DateTime.Now);
                SqliteConnection.ClearAllPools();

                log.WriteLine($"[{size.Label}] starting the agent, the emulator and a worker ...");
                string hub = "Bench" + size.Label.Replace("-chart", "C", StringComparison.Ordinal) + Convert.ToHexString(BitConverter.GetBytes(Environment.TickCount64))[..6];
                await using BenchStack stack = await BenchStack.StartAsync(paths, azurite.ConnectionString, directory, companies, hub, options.GlRowsPerFile);
                PipelineResult pipeline = await PipelineAsync(stack, size, ranges, options.Output, options.ColdWorker ? 0 : options.WarmUpRuns, azurite.ProcessId, options.Quick, log);
                pipelines.Add(pipeline);
                log.WriteLine($"[{size.Label}] {pipeline.Status}: {pipeline.GlRows:N0} GL rows in {pipeline.Runs} run(s), {pipeline.Run.TotalSeconds:0.0} s ({pipeline.RowsPerSecond:N0} rows/s; agent alone {pipeline.PagingRowsPerSecond:N0} rows/s); worker peak {pipeline.WorkerPeakBytes / 1024 / 1024} MB");
                if (size.Accounts is null && rows == budgetRows)
                {
                    var seeded = new List<(string Account, string Period)>();
                    foreach (int entries in options.BudgetEntries)
                    {
                        log.WriteLine($"[budgets] posting {entries:N0} entries ...");
                        await QuietAsync(log, size, options.Quick, $"the budget of {entries:N0} entries");
                        BudgetResult budget = await BudgetAsync(stack, entries, seeded);
                        budgets.Add(budget);
                        log.WriteLine($"[budgets] {budget.Status}: {budget.Posted:N0} of {budget.Entries:N0} posted, {budget.EntriesPerSecond:0.0} entries/s");
                    }
                }
            }

            var environment = new BenchEnvironment(started, Machine.Describe(), paths.Configuration, Machine.Commit(paths.Root), loadAtStart, Machine.Load(), ChildProcess.PeakResidentBytes(azurite.ProcessId), options.Quick, options.GlRowsPerFile, [.. QuietWaits]);
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

    /// <summary>
    /// Waits for a quiet machine before a measured step (<see cref="Machine.WaitForQuietAsync"/>): what the step before
    /// left running in its processes (the benchmark's own too: its paging alone leaves hot methods to compile at tier 1)
    /// is not measured as the step's. Every wait is kept for the report.
    /// </summary>
    private static async Task QuietAsync(TextWriter log, BenchSize size, bool quick, string step)
    {
        (TimeSpan waited, double? busy) = await Machine.WaitForQuietAsync(Machine.QuietLimitFor(quick));
        QuietWaits.Add(new QuietWait(waited, busy));
        if (busy is { } b)
        {
            log.WriteLine(Inv($"[{size.Label}] machine {(b < Machine.QuietBusy ? "quiet" : "still busy")} ({b:P0} of all cores) after {waited.TotalSeconds:0.0} s, before {step}"));
        }
    }

    /// <summary>
    /// The company of one size and the period ranges its runs resync: one full fiscal year on a chart sized to hold the
    /// rows, or, on a fixed chart, as many periods as the rows need, ending with the last complete fiscal year, one range per year.
    /// </summary>
    private static (CompanyProfile Profile, SimulatedScale Scale, IReadOnlyList<PeriodRange> Ranges) Company(BenchSize size)
    {
        if (size.Accounts is { } accounts)
        {
            var (scale, profile, _, periods) = SimulatedScale.ForChart(Lng, accounts, size.Rows, apInvoices: 3_000, DateTime.Now);
            return (profile, scale, [.. periods.Select(p => new PeriodRange(p.FiscalYear, p.FromPeriod, p.ToPeriod))]);
        }

        var (grown, year) = SimulatedScale.ForFiscalYear(Lng, size.Rows, apInvoices: 3_000, DateTime.Now);
        return (Lng, grown, [new PeriodRange(year, 1, 13)]);
    }

    /// <summary>Budget entries (Anaplan account × open period) a company sized for <paramref name="rows"/> can hold, estimated.</summary>
    private static int EstimatedBudgetCapacity(int rows)
    {
        int perMain = Lng.SubAccounts.Aggregate(1, (n, seg) => n * Math.Max(1, seg.Count - 1));
        return rows / 12 / perMain * 6;
    }

    private static async Task<PipelineResult> PipelineAsync(BenchStack stack, BenchSize size, IReadOnlyList<PeriodRange> requested, string output, int warmUpRuns, int azurite, bool quick, TextWriter log)
    {
        SageAgentClient sage = stack.Clients.Sage(BenchStack.ConnectionId);
        long accounts = await sage.GetAccountsAsync().CountAsync();
        SageFiscalCalendar calendar = await sage.GetFiscalCalendarAsync();
        List<PeriodRange> ranges = [.. requested.Select(r => r with { To = Math.Min(r.To, calendar.Years.Single(y => y.FiscalYear == r.FiscalYear).Periods.Max(p => p.Period)) })];
        await EnsureModelPeriodsAsync(stack, calendar);
        WorkerWarmUp? workerWarmUp = warmUpRuns > 0 ? await WarmUpWorkerAsync(stack, size, ranges[^1], warmUpRuns, log) : null;

        // The agent alone, in the same window: the GL rows of the runs, paged the way the extraction pages them. First the
        // same warm-up at every size (see WarmUpPages), timed on its own: a fresh process's start-up, not paging.
        log.WriteLine($"[{size.Label}] paging the agent alone ...");
        await QuietAsync(log, size, quick, "the agent's warm-up");
        (TimeSpan agentCpu, TimeSpan clientCpu) = (stack.Agent.CpuTime(), Process.GetCurrentProcess().TotalProcessorTime);
        var warmWatch = Stopwatch.StartNew();
        long warmed = 0;
        while (warmed < WarmUpPages * AgentPageSize)
        {
            foreach (PeriodRange range in ranges)
            {
                await foreach (SagePeriodBalance _ in sage.GetPeriodBalancesAsync(range.FiscalYear, range.From, range.To).Take((int)Math.Min(int.MaxValue, (WarmUpPages * AgentPageSize) - warmed)))
                {
                    warmed++;
                }
            }
        }

        var warmUp = new PagingWarmUp(warmed, warmWatch.Elapsed, stack.Agent.CpuTime() - agentCpu);

        // Measured over at least MeasuredRows rows and every range once: a small year is pulled several times (a pull of 10 pages is mostly noise).
        var pageTimes = new List<double>();
        long paged = 0;
        await QuietAsync(log, size, quick, "paging alone");
        (agentCpu, clientCpu) = (stack.Agent.CpuTime(), Process.GetCurrentProcess().TotalProcessorTime);
        var pageWatch = Stopwatch.StartNew();
        do
        {
            pageTimes.Clear();
            foreach (PeriodRange range in ranges)
            {
                double lastMark = pageWatch.Elapsed.TotalMilliseconds;
                long pass = 0;
                await foreach (SagePeriodBalance _ in sage.GetPeriodBalancesAsync(range.FiscalYear, range.From, range.To))
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
        }
        while (paged < MeasuredRows);

        TimeSpan paging = pageWatch.Elapsed;
        (TimeSpan Agent, TimeSpan Client) pagingCpu = (stack.Agent.CpuTime() - agentCpu, Process.GetCurrentProcess().TotalProcessorTime - clientCpu);

        // The runs: one full resync of each range (one fiscal year each), in turn, against the same worker. Every figure is
        // that of the runs together: times, requests, minima and history rows added up, the worker's peak over all of them.
        var total = new RunTotals();
        var events = new List<RunHistoryEvent>();
        var requestLines = new List<string> { "method,path,status,received" };
        foreach (PeriodRange range in ranges)
        {
            log.WriteLine($"[{size.Label}] running the actuals pipeline (full resync of FY{range.FiscalYear} periods {range.From}-{range.To}) ...");
            await stack.Admin.DeleteAsync("requests");
            await QuietAsync(log, size, quick, "the run");
            (TimeSpan Agent, TimeSpan Emulator, TimeSpan Worker) cpu = (stack.Agent.CpuTime(), stack.Emulator.CpuTime(), stack.Worker.CpuTime());
            TimeSpan azuriteCpu = ChildProcess.CpuTime(azurite);
            (IReadOnlyDictionary<int, long>? Emulator, IReadOnlyDictionary<int, long>? Worker) tiering = (stack.Emulator.TieringThreads(), stack.Worker.TieringThreads());
            (StartRunResult start, TimeSpan elapsed, ActualsRunSummary? summary, string status) = await RunActualsAsync(stack, "bench", range.FiscalYear, range.From, range.To, TimeSpan.FromHours(3));
            total.Run += elapsed;
            total.AzuriteCpu += ChildProcess.CpuTime(azurite) - azuriteCpu;
            total.Cpu = (total.Cpu.Agent + stack.Agent.CpuTime() - cpu.Agent, total.Cpu.Emulator + stack.Emulator.CpuTime() - cpu.Emulator, total.Cpu.Worker + stack.Worker.CpuTime() - cpu.Worker);
            total.Tiering = (total.Tiering.Emulator + stack.Emulator.TieringCpuTimeSince(tiering.Emulator), total.Tiering.Worker + stack.Worker.TieringCpuTimeSince(tiering.Worker));
            DatasetSummary? gl = summary?.Datasets.SingleOrDefault(d => d.Dataset == Datasets.GlActuals);
            total.Status ??= status == "Completed" ? null : $"{status} (FY{range.FiscalYear})";
            total.GlRows += gl?.Staged ?? 0;

            IReadOnlyList<RunHistoryEvent> runEvents = await RunHistory.ReadAsync(stack.Service, stack.Client, start.InstanceId);
            events.AddRange(runEvents);
            var history = new HistoryStages(start.InstanceId, runEvents);
            // GL may have gone in several files, each loaded by its own sub-run (gl-actuals, gl-actuals-file2, ...).
            int glFiles = gl?.Files ?? 1;
            string[] glLoads = [.. Enumerable.Range(1, glFiles).Select(f => $"{start.InstanceId}|{Datasets.FileName(Datasets.GlActuals, f)}")];
            HashSet<string> glTasks = [.. (gl?.ImportTaskId ?? string.Empty).Split(", ", StringSplitOptions.RemoveEmptyEntries)];
            JsonArray requests = (await stack.Admin.GetFromJsonAsync<JsonArray>("requests"))!;
            requestLines.AddRange(requests.Select(r => $"{r!["method"]},{r["path"]},{r["statusCode"]},{r["receivedAt"]}"));
            JsonArray tasks = (await stack.Admin.GetFromJsonAsync<JsonArray>($"models/{stack.ModelId}/tasks"))!;
            TimeSpan[] emulatorImports = [.. tasks.Select(t => t!.AsObject()).Where(t => glTasks.Contains(t["taskId"]!.GetValue<string>()) && t["finishedAt"] is not null)
                .Select(t => t["finishedAt"]!.GetValue<DateTimeOffset>() - t["createdAt"]!.GetValue<DateTimeOffset>())];
            TimeSpan? emulatorImport = emulatorImports.Length == glTasks.Count && glTasks.Count > 0 ? emulatorImports.Aggregate(TimeSpan.Zero, (a, b) => a + b) : null;

            log.WriteLine($"[{size.Label}] gzip and staging alone over the staged CSV ...");
            await QuietAsync(log, size, quick, "gzip and staging alone");
            (TimeSpan gzip, TimeSpan staging) = summary is null ? (TimeSpan.Zero, TimeSpan.Zero) : await GzipAndStagingAloneAsync(stack.Storage, new RunRef(BenchStack.ConnectionId, start.InstanceId));
            total.Gzip += gzip;
            total.StagingAlone += staging;
            // The Sage side is read by the run itself, then the lists are loaded and read back by the dimensions sub-run
            // while GL is staged (speculatively) against the Sage side.
            total.Dimensions += history.Activity(nameof(Orchestrations.Flows.Dimensions.ReadSageDimensionsActivity), start.InstanceId) + history.Instance($"{start.InstanceId}|dimensions");
            total.Extraction += history.Activity(nameof(ExtractGlActualsActivity), start.InstanceId); // the files' extractions, one after another
            total.GlFiles += glFiles;
            foreach (string glLoad in glLoads)
            {
                total.Upload += history.Between(glLoad, nameof(UploadAnaplanChunksActivity), nameof(UploadAnaplanChunksActivity));
                total.ImportWait += history.After(glLoad, nameof(StartAnaplanTaskActivity), nameof(GetAnaplanTaskStatusActivity));
            }

            total.EmulatorImport = total.EmulatorImport is { } sum && emulatorImport is { } one ? sum + one : null;
            total.OtherLoads += history.Instance($"{start.InstanceId}|{Datasets.Vendors}") + history.Instance($"{start.InstanceId}|{Datasets.ApActuals}");
            total.Overhead += history.Overhead;
            total.Pickup += history.Pickup;
            total.BeforeExtraction += history.Before(nameof(ExtractGlActualsActivity));
            total.AfterExtraction += history.AfterLast(nameof(ExtractGlActualsActivity));
            total.Requests += requests.Count;
            total.MinimumRequests += MinimumRequests(requests, summary);
            total.HistoryRows += history.Rows;
            log.WriteLine(Inv($"[{size.Label}] {status}: {gl?.Staged ?? 0:N0} GL rows in {elapsed.TotalSeconds:0.0} s; worker peak so far {stack.Worker.PeakResidentBytes() / 1024 / 1024} MB"));
        }

        string prefix = Path.Combine(Path.GetDirectoryName(output)!, Path.GetFileNameWithoutExtension(output));
        await WriteTimelineAsync($"{prefix}-history-{size.Label}.csv", events);
        await File.WriteAllLinesAsync($"{prefix}-requests-{size.Label}.csv", requestLines);

        return new PipelineResult
        {
            TargetRows = size.Rows,
            GlRows = total.GlRows,
            Accounts = accounts,
            FixedChart = size.Accounts is not null,
            Periods = ranges.Sum(r => r.To - r.From + 1),
            Runs = ranges.Count,
            FiscalYear = string.Join(",", ranges.Select(r => r.FiscalYear)),
            Status = total.Status ?? "Completed",
            Run = total.Run,
            WarmUp = warmUp,
            WorkerWarmUp = workerWarmUp,
            Paging = paging,
            PagedRows = paged,
            PageMilliseconds = (pageTimes.FirstOrDefault(), pageTimes.LastOrDefault()),
            PagingCpu = pagingCpu,
            RunCpu = total.Cpu,
            AzuriteRunCpu = total.AzuriteCpu,
            RunTieringCpu = total.Tiering,
            Gzip = total.Gzip,
            StagingAlone = total.StagingAlone,
            Dimensions = total.Dimensions,
            Extraction = total.Extraction,
            GlFiles = total.GlFiles,
            Upload = total.Upload,
            ImportWait = total.ImportWait,
            EmulatorImport = total.EmulatorImport,
            OtherLoads = total.OtherLoads,
            Overhead = total.Overhead,
            Pickup = total.Pickup,
            BeforeExtraction = total.BeforeExtraction,
            AfterExtraction = total.AfterExtraction,
            AgentPeakBytes = stack.Agent.PeakResidentBytes(),
            EmulatorPeakBytes = stack.Emulator.PeakResidentBytes(),
            WorkerPeakBytes = stack.Worker.PeakResidentBytes(),
            Requests = total.Requests,
            MinimumRequests = total.MinimumRequests,
            HistoryRows = total.HistoryRows,
        };
    }

    /// <summary>
    /// The worker's warm-up, the counterpart of the agent's (<see cref="WarmUpPages"/>): a fresh worker runs its first run
    /// in unoptimized code and spends several processor-seconds recompiling it (about 24,000 methods compiled, 9,500 of
    /// them again at tier 1, in a fresh worker's run of 1 M rows), while a worker that has run before, as a deployed
    /// worker has, does not. So before anything is measured the worker makes one full-resync run of the last period of
    /// <paramref name="range"/> on the same company (dimensions, GL, AP, vendors: every step the measured runs take), timed
    /// and shown on its own (<c>--warm-up-runs</c> makes more, the first shown). It runs before the agent is paged alone, so the worker then sits idle as long as before.
    /// The measured runs are full resyncs: they send every row again whatever this run sent. <c>--cold-worker</c> skips it.
    /// </summary>
    private static async Task<WorkerWarmUp> WarmUpWorkerAsync(BenchStack stack, BenchSize size, PeriodRange range, int runs, TextWriter log)
    {
        WorkerWarmUp? first = null;
        for (int run = 1; run <= runs; run++)
        {
            log.WriteLine($"[{size.Label}] warming the worker up ({run} of {runs}): one full-resync run of FY{range.FiscalYear} period {range.To} ...");
            (TimeSpan Emulator, TimeSpan Worker) cpu = (stack.Emulator.CpuTime(), stack.Worker.CpuTime());
            IReadOnlyDictionary<int, long>? tiering = stack.Worker.TieringThreads();
            (_, TimeSpan elapsed, ActualsRunSummary? summary, string status) = await RunActualsAsync(stack, $"bench-warm-up-{run}", range.FiscalYear, range.To, range.To, TimeSpan.FromHours(1));
            long glRows = summary?.Datasets.SingleOrDefault(d => d.Dataset == Datasets.GlActuals)?.Staged ?? 0;
            var warmUp = new WorkerWarmUp(status, glRows, elapsed, stack.Worker.CpuTime() - cpu.Worker, stack.Emulator.CpuTime() - cpu.Emulator, runs);
            log.WriteLine(Inv($"[{size.Label}] warm-up run {run} {status}: {glRows:N0} GL rows in {elapsed.TotalSeconds:0.0} s, worker {warmUp.WorkerCpu.TotalSeconds:0.0} CPU-s, of it the JIT's tiering {stack.Worker.TieringCpuTimeSince(tiering)?.TotalSeconds:0.0}"));
            first ??= warmUp;
        }

        return first!;
    }

    /// <summary>
    /// One full-resync actuals run of <paramref name="fiscalYear"/>'s periods <paramref name="from"/>–<paramref name="to"/>,
    /// started on demand and waited for: its start, its time as the durable store recorded it (created to completed), its summary (null unless it completed)
    /// and how it ended.
    /// </summary>
    private static async Task<(StartRunResult Start, TimeSpan Elapsed, ActualsRunSummary? Summary, string Status)> RunActualsAsync(
        BenchStack stack, string trigger, string fiscalYear, int from, int to, TimeSpan timeout)
    {
        StartRunResult start = await stack.Starter.StartActualsAsync(BenchStack.ConnectionId, trigger, new ActualsRunRequest(fiscalYear, from, to, null, FullResync: true));
        using var limit = new CancellationTokenSource(timeout);
        OrchestrationMetadata done = await stack.Client.WaitForInstanceCompletionAsync(start.InstanceId, getInputsAndOutputs: true, limit.Token);

        // The run's time as the durable store recorded it: created (the start request) to completed. The client polls at the
        // host's interval; polling faster to see the end sooner only loaded Azurite, which the run shares the 2 cores with.
        TimeSpan elapsed = done.LastUpdatedAt - done.CreatedAt;
        ActualsRunSummary? summary = done.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? done.ReadOutputAs<ActualsRunSummary>() : null;
        return (start, elapsed, summary, summary?.Status ?? $"{done.RuntimeStatus}: {done.FailureDetails?.ErrorMessage}");
    }

    /// <summary>
    /// Adds to the model's Periods list the codes of the company's periods it lacks (the connector's own codes for them,
    /// from the connection's period settings), as a model builder adds earlier years to a time list before loading them:
    /// every period on file, since a run's AP loads send the periods its invoices fall in, whatever GL periods it resyncs.
    /// </summary>
    private static async Task EnsureModelPeriodsAsync(BenchStack stack, SageFiscalCalendar calendar)
    {
        IReadOnlyList<PeriodRange> ranges = [.. calendar.Years.Select(y => new PeriodRange(y.FiscalYear, 1, y.Periods.Max(p => p.Period)))];
        var codec = new PeriodCodec(PeriodSettings.Of(stack.Clients.Connection(BenchStack.ConnectionId)), calendar);
        string list = $"models/{stack.ModelId}/lists/Periods/items";
        JsonArray items = (await stack.Admin.GetFromJsonAsync<JsonArray>(list))!;
        var have = items.Select(i => i!["code"]!.GetValue<string>()).ToHashSet(StringComparer.OrdinalIgnoreCase);
        JsonArray missing = [.. ranges.SelectMany(r => Enumerable.Range(r.From, r.To - r.From + 1).Select(p => codec.Code(r.FiscalYear, p)))
            .OfType<string>().Where(c => !have.Contains(c)).Distinct(StringComparer.OrdinalIgnoreCase)
            .Select(c => (JsonNode)new JsonObject { ["code"] = c, ["name"] = c })];
        if (missing.Count > 0)
        {
            using HttpResponseMessage added = await stack.Admin.PostAsJsonAsync(list, missing);
            added.EnsureSuccessStatusCode();
        }
    }

    /// <summary>What the runs of one size add up to.</summary>
    private sealed class RunTotals
    {
        public string? Status { get; set; }

        public long GlRows { get; set; }

        public TimeSpan Run { get; set; }

        public (TimeSpan Agent, TimeSpan Emulator, TimeSpan Worker) Cpu { get; set; }

        public TimeSpan AzuriteCpu { get; set; }

        /// <summary>Of <see cref="Cpu"/>, the tiered-compilation threads' (null where <c>/proc</c> does not exist).</summary>
        public (TimeSpan? Emulator, TimeSpan? Worker) Tiering { get; set; } = (TimeSpan.Zero, TimeSpan.Zero);

        public TimeSpan Gzip { get; set; }

        public TimeSpan StagingAlone { get; set; }

        public TimeSpan Dimensions { get; set; }

        public TimeSpan Pickup { get; set; }

        public TimeSpan BeforeExtraction { get; set; }

        public TimeSpan AfterExtraction { get; set; }

        public TimeSpan Extraction { get; set; }

        public int GlFiles { get; set; }

        public TimeSpan Upload { get; set; }

        public TimeSpan ImportWait { get; set; }

        public TimeSpan? EmulatorImport { get; set; } = TimeSpan.Zero;

        public TimeSpan OtherLoads { get; set; }

        public TimeSpan Overhead { get; set; }

        public int Requests { get; set; }

        public int MinimumRequests { get; set; }

        public int HistoryRows { get; set; }
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
    internal static int MinimumRequests(JsonArray requests, ActualsRunSummary? summary = null)
    {
        var paths = requests.Select(r => (Method: r!["method"]!.GetValue<string>(), Path: r["path"]!.GetValue<string>().Split('?')[0])).ToList();
        static bool IsStatus((string Method, string Path) r) => r.Method == "GET" && r.Path.Contains("/tasks/", StringComparison.Ordinal) && !r.Path.Contains("/dump", StringComparison.Ordinal);
        static bool IsSignIn((string Method, string Path) r) => r.Path.Contains("/token/", StringComparison.Ordinal);

        // An upload (the file's chunk count, each chunk, the import's start) is needed once per import: GL in several
        // files sends the same requests to the same file once per import (files waiting for the lock go in one). Counted
        // from the run's summary (each loaded dataset's imports and chunks) when there is one, else as distinct requests.
        static bool IsUpload((string Method, string Path) r)
            => (r.Method == "POST" && (r.Path.Contains("/files/", StringComparison.Ordinal) || (r.Path.Contains("/imports/", StringComparison.Ordinal) && r.Path.EndsWith("/tasks", StringComparison.Ordinal))))
                || (r.Method == "PUT" && r.Path.Contains("/chunks/", StringComparison.Ordinal));
        int uploads = summary is null ? 0 : summary.Datasets.Where(d => d.ImportTaskId is not null).Sum(d => (2 * d.ImportTaskId!.Split(", ").Length) + d.Parts);
        int distinct = paths.Where(r => !IsStatus(r) && !IsSignIn(r) && (summary is null || !IsUpload(r))).Distinct().Count();
        int tasks = paths.Where(IsStatus).Select(r => r.Path).Distinct().Count();
        return 1 + distinct + uploads + tasks;
    }

    /// <summary>gzip -6 over the staged CSV, and the connector's part writer (CSV, gzip, SHA-256, Blob) over the same rows.</summary>
    private static async Task<(TimeSpan Gzip, TimeSpan Staging)> GzipAndStagingAloneAsync(ConnectorStorage storage, RunRef run)
    {
        using var csv = new MemoryStream();
        // Every GL file's parts (gl-actuals/, gl-actuals-file2/, ...; each file's header is skipped below).
        await foreach (BlobItem part in storage.StagingContainer.GetBlobsAsync(BlobTraits.None, BlobStates.None, Datasets.StagingPrefix(run, Datasets.GlActuals), CancellationToken.None))
        {
            if (!part.Name.EndsWith(".csv.gz", StringComparison.Ordinal))
            {
                continue;
            }

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

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

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
