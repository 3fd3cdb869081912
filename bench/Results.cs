namespace Connector.Bench;

/// <summary>One actuals pipeline run of the benchmark and what was measured around it, in the same window.</summary>
internal sealed record PipelineResult
{
    public required int TargetRows { get; init; }

    /// <summary>GL rows the run staged (read back from its summary).</summary>
    public required long GlRows { get; init; }

    /// <summary>Accounts in the company's chart (read back from the agent).</summary>
    public required long Accounts { get; init; }

    /// <summary>Gets a value indicating whether the chart stayed fixed and the rows came from more periods (the fixed-chart series).</summary>
    public bool FixedChart { get; init; }

    /// <summary>Fiscal periods resynced.</summary>
    public int Periods { get; init; }

    /// <summary>Full-resync runs made, one per fiscal year, in turn against the same worker; every run figure below adds them up.</summary>
    public int Runs { get; init; } = 1;

    /// <summary>The fiscal years resynced, comma-separated.</summary>
    public required string FiscalYear { get; init; }

    public required string Status { get; init; }

    /// <summary>From the start request to the run's completion, as the client saw it.</summary>
    public required TimeSpan Run { get; init; }

    /// <summary>The fresh agent's warm-up, paged before <see cref="Paging"/> and not part of it.</summary>
    public required PagingWarmUp WarmUp { get; init; }

    /// <summary>The fresh worker's warm-up run, made before anything is measured and not part of any figure but its own (null: <c>--cold-worker</c>).</summary>
    public WorkerWarmUp? WorkerWarmUp { get; init; }

    /// <summary>The same GL rows paged from the agent alone just before the run, after the warm-up (pulled again until at least 200 k rows).</summary>
    public required TimeSpan Paging { get; init; }

    /// <summary>The rows paged alone (the year's rows times the pulls).</summary>
    public required long PagedRows { get; init; }

    /// <summary>Milliseconds of the first and last page of the last pull (the agent's cost at both ends of the cursor).</summary>
    public required (double First, double Last) PageMilliseconds { get; init; }

    /// <summary>Processor time of the agent and of this client while paging alone.</summary>
    public required (TimeSpan Agent, TimeSpan Client) PagingCpu { get; init; }

    /// <summary>Processor time of the agent, the emulator and the worker during the run.</summary>
    public required (TimeSpan Agent, TimeSpan Emulator, TimeSpan Worker) RunCpu { get; init; }

    /// <summary>Processor time of Azurite (the Azure Storage emulator: staging blobs, the durable backend's queues and tables) during the runs.</summary>
    public TimeSpan AzuriteRunCpu { get; init; }

    /// <summary>
    /// Of <see cref="RunCpu"/>, the emulator's and the worker's tiered-compilation threads (the JIT recompiling hot methods
    /// in the background): what the warm-up left for the measured runs to do. Null where <c>/proc</c> does not exist.
    /// </summary>
    public (TimeSpan? Emulator, TimeSpan? Worker) RunTieringCpu { get; init; }

    /// <summary>gzip level 6 over the CSV the run staged, after the run.</summary>
    public required TimeSpan Gzip { get; init; }

    /// <summary>Staging alone: the same rows through the connector's CSV part writer (CSV, gzip, SHA-256, Blob) after the run.</summary>
    public required TimeSpan StagingAlone { get; init; }

    public required TimeSpan Dimensions { get; init; }

    public required TimeSpan Extraction { get; init; }

    /// <summary>The GL files the runs staged and imported (each imported while the next was extracted), added up over the runs.</summary>
    public int GlFiles { get; init; } = 1;

    public required TimeSpan Upload { get; init; }

    public required TimeSpan ImportWait { get; init; }

    /// <summary>The emulator's own time on the GL import (task created to final).</summary>
    public required TimeSpan? EmulatorImport { get; init; }

    public required TimeSpan OtherLoads { get; init; }

    public required TimeSpan Overhead { get; init; }

    /// <summary>From each run's start to its first step (the durable backend handing it to a worker), added up over the runs.</summary>
    public TimeSpan Pickup { get; init; }

    /// <summary>From each run's start to its first GL extraction (the pickup, then the Sage read), added up over the runs.</summary>
    public TimeSpan BeforeExtraction { get; init; }

    /// <summary>From each run's last GL file staged to its end (that file's load, then the run's last records), added up over the runs.</summary>
    public TimeSpan AfterExtraction { get; init; }

    public required long? AgentPeakBytes { get; init; }

    public required long? EmulatorPeakBytes { get; init; }

    public required long? WorkerPeakBytes { get; init; }

    public required int Requests { get; init; }

    public required int MinimumRequests { get; init; }

    public required int HistoryRows { get; init; }

    public double RowsPerSecond => this.GlRows / Math.Max(0.001, this.Run.TotalSeconds);

    public double PagingRowsPerSecond => this.PagedRows / Math.Max(0.001, this.Paging.TotalSeconds);

    /// <summary>The pipeline's rate over the agent's paging alone (computed): the pipeline target.</summary>
    public double PipelineRatio => this.RowsPerSecond / this.PagingRowsPerSecond;

    /// <summary>The time one pull of the run's rows takes at the rate paged alone (computed).</summary>
    public TimeSpan PagingOnePull => TimeSpan.FromSeconds(this.GlRows / Math.Max(1, this.PagingRowsPerSecond));

    /// <summary>
    /// The run as it went, but with the GL extraction as fast as the agent's paging alone (computed): what came before the
    /// extraction and after it, plus <see cref="PagingOnePull"/>. The extraction pages the same agent on cores it shares
    /// with the worker, Azurite and the emulator, so it cannot be faster than that.
    /// </summary>
    public TimeSpan CeilingRun => this.BeforeExtraction + this.PagingOnePull + this.AfterExtraction;

    /// <summary>The pipeline ÷ paging ratio of <see cref="CeilingRun"/> (computed).</summary>
    public double CeilingRatio => this.PagingOnePull / (this.CeilingRun > TimeSpan.Zero ? this.CeilingRun : TimeSpan.FromMilliseconds(1));

    public double GzipRowsPerSecond => this.GlRows / Math.Max(0.001, this.Gzip.TotalSeconds);
}

/// <summary>The pages a fresh agent serves before the measurement: rows, time, the agent's processor time.</summary>
internal sealed record PagingWarmUp(long Rows, TimeSpan Elapsed, TimeSpan AgentCpu)
{
    public double RowsPerSecond => this.Rows / Math.Max(0.001, this.Elapsed.TotalSeconds);
}

/// <summary>
/// The fresh worker's warm-up: one full-resync run of one period of the same company (dimension alignment, GL, AP and
/// vendors), its time and the processor time of the worker and the emulator in it, and how it ended.
/// </summary>
internal sealed record WorkerWarmUp(string Status, long GlRows, TimeSpan Elapsed, TimeSpan WorkerCpu, TimeSpan EmulatorCpu, int Runs = 1);

/// <summary>A range of periods of one fiscal year, resynced by one run.</summary>
internal sealed record PeriodRange(string FiscalYear, int From, int To);

/// <summary>One budgets run of the benchmark.</summary>
internal sealed record BudgetResult
{
    public required int Entries { get; init; }

    public required int Posted { get; init; }

    public required string Status { get; init; }

    public required TimeSpan Run { get; init; }

    /// <summary>From the first post scheduled to the last one completed.</summary>
    public required TimeSpan Posting { get; init; }

    public required int HistoryRows { get; init; }

    /// <summary>Whether the run's summary (its output) could be read back with a result for every entry.</summary>
    public required bool SummaryReadable { get; init; }

    public string? Error { get; init; }

    public double EntriesPerSecond => this.Posted / Math.Max(0.001, this.Posting.TotalSeconds);
}

/// <summary>The machine and build the numbers come from.</summary>
internal sealed record BenchEnvironment(DateTimeOffset Started, string Machine, string Build, string Commit, string LoadAtStart, string LoadAtEnd, long? AzuritePeakBytes, bool Quick, int? GlRowsPerFile = null, IReadOnlyList<QuietWait>? QuietWaits = null);

/// <summary>One wait for a quiet machine before a measured step: how long, and how busy the machine was at its end (null: not known).</summary>
internal sealed record QuietWait(TimeSpan Waited, double? Busy);
