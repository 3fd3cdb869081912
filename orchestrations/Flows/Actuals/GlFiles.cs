using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows.Anaplan;
using Connector.Orchestrations.Flows.Dimensions;
using Connector.Orchestrations.Sage100;
using Connector.Orchestrations.Storage;
using Microsoft.DurableTask;

namespace Connector.Orchestrations.Flows.Actuals;

/// <summary>Where a GL extraction stopped: the fiscal year it was reading and the agent's cursor in it (null: that year from its start).</summary>
public sealed record GlResume(string FiscalYear, string? Cursor);

/// <summary>
/// One GL file of a run staged in several: its number (1, 2, ...), where its extraction starts (null: the run's first
/// period) and how many rows the earlier files rejected (its audit rows are numbered after theirs).
/// </summary>
public sealed record GlFile(int Number, GlResume? From, long RejectedBefore);

/// <summary>
/// GL in several files when it is large: the extraction stops at the first page boundary after
/// <c>Actuals:GlRowsPerFile</c> rows and returns where it stopped; the orchestrator loads that file (inside the model lock,
/// as every load) while the next extraction goes on from there, and so on. Files that are waiting when the lock comes free
/// go in one import (<c>Actuals:GlFilesPerImport</c>): every file after the first stages its header in a part of its own,
/// so its data parts can follow another file's in one upload. Each file's extraction and each import are steps of their
/// own (<see cref="StepKeys.File"/>, <see cref="BatchStep"/>), so a rewound run takes every file an earlier attempt
/// extracted, and every import it started or loaded, as recorded. GL is committed as sent by period once, after every file's load, with the worst outcome; the read-back export
/// runs once, after the last file's import (inside that lock section), and reconciles every file's rows; the summary shows
/// GL as one dataset. A run under the budget, or whose rows are summed into cells (two rows of one cell in two files would
/// overwrite each other), is one file and one extraction, as before.
/// </summary>
internal static class GlFiles
{
    /// <summary>The step an extraction records its manifest under: the dataset's when it is the run's only file.</summary>
    internal static string ExtractStep(GlFile? file, DatasetManifest manifest)
        => file is null && manifest.Resume is null
            ? StepKeys.Extract(Datasets.GlActuals)
            : StepKeys.Extract(StepKeys.File(Datasets.GlActuals, file?.Number ?? 1));

    /// <summary>
    /// At most this many GL files are staged and not yet loaded: the extraction runs ahead of the loads by as much, so
    /// staging does not grow without limit when the imports are slower than the extraction. 8 (2 M rows at the default
    /// 250 k rows a file): the loads start only once the lists, vendors and AP are loaded, and with 3 a 2 M-row run's
    /// extraction stood still 1.3 s waiting for the first GL load (bench history); staged files are blobs, not memory.
    /// </summary>
    internal const int StagedAhead = 8;

    /// <summary>
    /// Extracts GL (or takes what earlier attempts staged) and loads it, file by file. The extractions go one after
    /// another as fast as they can, at most <see cref="StagedAhead"/> files ahead of the loads; the loads follow in file
    /// order, each once <paramref name="loadsBefore"/> is done (the model lock's sections go in the orchestrator's order).
    /// <para>
    /// The extraction starts speculatively, before <paramref name="alignment"/> is built: <paramref name="extract"/> stages
    /// against the Sage side of alignment, where every item the run loads into Anaplan's lists counts as existing. When the
    /// alignment is built, it confirms the speculative files (no account valid on the Sage side was refused by Anaplan:
    /// every account's validity and items are what the files were staged with) or they are discarded, with their
    /// rejections' audit rows, and GL is staged again against the alignment. Nothing is loaded before the decision, which
    /// is recorded (<see cref="StepKeys.GlSpeculation"/>): a rewound run loads speculative files only once confirmed.
    /// </para>
    /// <para>
    /// Not when the connection's last alignment refused accounts (<paramref name="refusedLastRun"/>): a model that refuses an
    /// item refuses it run after run, and the speculative files would be discarded and staged again every time. GL then
    /// waits for the alignment, as before speculation.
    /// </para>
    /// Orchestrator code.
    /// </summary>
    internal static async Task<DatasetSummary> ExtractAndLoadAsync(
        TaskOrchestrationContext context,
        RunRef run,
        ConnectionOptions connection,
        RecordedSteps steps,
        ExtractInput extract,
        Task<AlignmentResult> alignment,
        ResolvedPeriods periods,
        ModelFit.ImportLayouts layouts,
        ModelTargets model,
        Task loadsBefore,
        int? refusedLastRun = null)
    {
        string importName = connection.Actuals.Imports.GlActuals;
        ModelFit.DatasetLayout layout = layouts.For(Datasets.GlActuals);
        ImportTarget? target = model.For(Datasets.GlActuals);
        DatasetManifest? whole = steps.Get<DatasetManifest>(StepKeys.Extract(Datasets.GlActuals));
        if (whole is { Files: null })
        {
            // One file (staged by an earlier attempt, or now): loaded as every dataset is.
            await alignment;
            await loadsBefore;
            return await DatasetLoads.LoadAsync(context, run, connection, whole, importName, false, periods, steps, layout, target: target);
        }

        GlSpeculation? decided = steps.Get<GlSpeculation>(StepKeys.GlSpeculation);

        // Speculative unless an earlier attempt decided, or staged GL against the alignment (a run started before speculation).
        bool unstaged = whole is null && decided is null && steps.Get<DatasetManifest>(StepKeys.Extract(StepKeys.File(Datasets.GlActuals, 1))) is null;
        bool speculative = unstaged && refusedLastRun is not > 0;
        if (unstaged && !speculative)
        {
            context.SetCustomStatus(new RunProgress(
                "aligning dimensions", Datasets.GlActuals, $"GL is staged once the alignment is built: the connection's last alignment refused {refusedLastRun} account(s) Anaplan holds no item for"));
        }

        bool provisionalStand = speculative || decided?.Confirmed == true; // what a speculative extraction recorded may be taken
        bool final = !speculative; // the staged files are what is loaded
        var files = new List<DatasetManifest>(whole?.Files ?? []);
        bool allStaged = whole is not null;
        var loads = new List<Batch>();
        Task<DatasetManifest>? extracting = null;
        Task<Batch>? loading = null;
        Task confirming = Task.CompletedTask;
        while (true)
        {
            if (alignment.IsFaulted)
            {
                // The lists could not be aligned: the run fails once the extraction under way has ended (no activity left behind).
                await DrainAsync(extracting);
                await alignment;
            }

            if (!final && alignment.IsCompleted)
            {
                AlignmentResult aligned = await alignment;
                if (aligned.RefusedByAnaplan == 0)
                {
                    confirming = RecordStepActivity.RecordAsync(
                        context, run, StepKeys.GlSpeculation, new GlSpeculation(true, "every item the run loaded into the lists is in Anaplan: the GL staged against the Sage side stands"));
                }
                else
                {
                    if (await DrainAsync(extracting) is { } inFlight)
                    {
                        files.Add(inFlight);
                    }

                    extracting = null;
                    string reason = aligned.RefusedByAnaplan is { } refused
                        ? $"{refused} account(s) valid in Sage have an account or cost-centre item Anaplan does not hold: GL is staged again against the alignment"
                        : "the alignment does not say which accounts Anaplan refused: GL is staged again against it";
                    context.SetCustomStatus(new RunProgress("extracting", Datasets.GlActuals, reason));
                    await context.CallActivityAsync<GlSpeculation>(nameof(DiscardProvisionalGlActivity), new DiscardGlInput(run, files, reason), AnaplanPolling.Retry);
                    files.Clear();
                    allStaged = false;
                    provisionalStand = false;
                }

                final = true;
            }

            if (extracting is null && !allStaged && files.Count - Loaded(loads) < StagedAhead && (!final || alignment.IsCompleted))
            {
                ExtractInput input = final ? extract with { AlignmentBlob = (await alignment).AlignmentBlob } : extract with { Provisional = true };
                extracting = ExtractFile(context, steps, input, files, provisionalStand);
            }

            if (final && allStaged && whole is null && files is [{ Resume: null }])
            {
                // Under the budget: one file, loaded as every dataset is. A speculative file is now the run's GL, as
                // replays, recovery and later attempts read it.
                if (provisionalStand)
                {
                    await RecordStepActivity.RecordAsync(context, run, StepKeys.Extract(Datasets.GlActuals), files[0]);
                }

                await confirming;
                await loadsBefore;
                return await DatasetLoads.LoadAsync(context, run, connection, files[0], importName, false, periods, steps, layout, target: target);
            }

            if (final && allStaged && whole is null)
            {
                // Every file is staged: the whole GL of the run, as a single file's manifest reads, is what replays,
                // recovery and later attempts take.
                whole = Combine(files);
                await RecordStepActivity.RecordAsync(context, run, StepKeys.Extract(Datasets.GlActuals), whole);
            }

            if (loading is null && final && Loaded(loads) < files.Count && loadsBefore.IsCompleted && alignment.IsCompleted
                && BatchEnd(steps, files, Loaded(loads) + 1, connection.Actuals.GlFilesPerImport) is { } batchEnd)
            {
                // Every staged file that waits goes in one import; the read-back follows the last file's import only.
                await loadsBefore;
                loading = LoadBatchAsync(context, run, connection, files, Loaded(loads) + 1, batchEnd, importName, layout, target, steps, loads);
            }

            if (final && allStaged && loading is null && Loaded(loads) == files.Count)
            {
                break;
            }

            List<Task> pending = [.. new Task?[] { extracting, loading }.OfType<Task>()];
            pending.AddRange(new[] { alignment, loadsBefore }.Where(t => !t.IsCompleted));
            await Task.WhenAny(pending);
            if (extracting is { IsCompleted: true })
            {
                if (extracting.IsFaulted && loading is not null)
                {
                    await loading; // the run fails once the load under way has ended (it reports, never throws)
                }

                DatasetManifest file = await extracting;
                extracting = null;
                files.Add(file);
                allStaged = file.Resume is null;
            }

            if (loading is { IsCompleted: true })
            {
                loads.Add(await loading);
                loading = null;
            }
        }

        await confirming;
        return await DatasetLoads.FinishAsync(
            context, run, connection, whole!, importName, false, periods, steps, layout, false, DatasetLoads.ReadBackFor(connection, run, Datasets.GlActuals, layout)?.Checked(target), Combine(loads, files.Count, importName));
    }

    /// <summary>
    /// Loads GL staged in several files (a replay of such a run): the files in imports of up to
    /// <c>Actuals:GlFilesPerImport</c>, then what follows the load once (commit, reconciliation against the read-back taken
    /// after the last import). Orchestrator code.
    /// </summary>
    internal static async Task<DatasetSummary> LoadAsync(
        TaskOrchestrationContext context, RunRef run, ConnectionOptions connection, DatasetManifest whole, string importName, ResolvedPeriods periods, RecordedSteps steps, ModelFit.DatasetLayout layout)
    {
        IReadOnlyList<DatasetManifest> files = whole.Files ?? [whole];
        var loads = new List<Batch>();
        while (Loaded(loads) < files.Count)
        {
            int first = Loaded(loads) + 1;
            int last = BatchEnd(steps, files, first, connection.Actuals.GlFilesPerImport) ?? files.Count;
            loads.Add(await LoadBatchAsync(context, run, connection, files, first, last, importName, layout, null, steps, loads));
        }

        return await DatasetLoads.FinishAsync(
            context, run, connection, whole, importName, false, periods, steps, layout, false, DatasetLoads.ReadBackFor(connection, run, Datasets.GlActuals, layout), Combine(loads, files.Count, importName));
    }

    /// <summary>An import of files <c>First</c> to <c>Last</c> (1-based) and how it ended (with the chunks it uploads).</summary>
    internal sealed record Batch(int First, int Last, DatasetLoads.FileLoad Load);

    /// <summary>How many files the imports so far took.</summary>
    private static int Loaded(IReadOnlyList<Batch> loads) => loads.Count == 0 ? 0 : loads[^1].Last;

    /// <summary>The step of the import of files <paramref name="first"/> to <paramref name="last"/>: a single file's is that file's, as before batches.</summary>
    internal static string BatchStep(int first, int last)
        => first == last ? StepKeys.File(Datasets.GlActuals, first) : $"{StepKeys.File(Datasets.GlActuals, first)}-{last.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>The sub-run name of the import of files <paramref name="first"/> to <paramref name="last"/>.</summary>
    internal static string BatchName(int first, int last)
        => first == last ? Datasets.FileName(Datasets.GlActuals, first) : $"{Datasets.GlActuals}-files{first.ToString(System.Globalization.CultureInfo.InvariantCulture)}-{last.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>
    /// The last file of the import that starts at file <paramref name="first"/>: the one an earlier attempt of the run
    /// started or loaded from there (its task is polled, or its load taken as recorded, as it was; null while that file is
    /// not staged yet), otherwise every staged file after it that can follow it in one upload (its header in a part of its
    /// own: <see cref="StagedCsv.HeaderAlone"/>), up to <paramref name="most"/> files and Anaplan's chunks per file.
    /// </summary>
    internal static int? BatchEnd(RecordedSteps steps, IReadOnlyList<DatasetManifest> files, int first, int most)
    {
        if (RecordedBatchEnd(steps, first) is { } recorded)
        {
            return recorded <= files.Count ? recorded : null;
        }

        int last = first, chunks = files[first - 1].Staged.Parts.Count;
        while (last < files.Count && last - first + 1 < most && files[last].Staged.HeaderAlone
            && chunks + files[last].Staged.Parts.Count - 1 <= Connector.Orchestrations.Anaplan.AnaplanClientOptions.MaxChunkCount)
        {
            chunks += files[last].Staged.Parts.Count - 1;
            last++;
        }

        return last;
    }

    /// <summary>The last file of an import an earlier attempt started or loaded from file <paramref name="first"/> (the latest attempt's), or null.</summary>
    private static int? RecordedBatchEnd(RecordedSteps steps, int first)
    {
        string single = StepKeys.File(Datasets.GlActuals, first);
        (int Attempt, int Last)? found = null;
        foreach (string key in steps.All.Keys)
        {
            foreach (string prefix in (string[])[StepKeys.Load(single), StepKeys.Task(single)])
            {
                int? last = key == prefix ? first
                    : key.StartsWith(prefix + "-", StringComparison.Ordinal) && int.TryParse(key.AsSpan(prefix.Length + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int end) && end > first ? end
                    : null;
                if (last is { } l && (found is null || steps.AttemptOf(key) > found.Value.Attempt))
                {
                    found = (steps.AttemptOf(key), l);
                }
            }
        }

        return found?.Last;
    }

    /// <summary>
    /// What files <paramref name="first"/> to <paramref name="last"/> upload as one file: the first's parts, then each
    /// later file's data parts (its header part left out).
    /// </summary>
    internal static StagedCsv Merge(IReadOnlyList<DatasetManifest> files, int first, int last)
    {
        StagedCsv head = files[first - 1].Staged;
        if (first == last)
        {
            return head;
        }

        var parts = new List<StagedPart>(head.Parts);
        var batch = new List<StagedCsv> { head };
        for (int i = first; i < last; i++)
        {
            StagedCsv next = files[i].Staged;
            if (!next.HeaderAlone)
            {
                throw new InvalidOperationException($"GL file {i + 1} was staged with its header among its rows; it cannot follow file {i} in one import.");
            }

            parts.AddRange(next.Parts.Skip(1));
            batch.Add(next);
        }

        return new StagedCsv(head.Dataset, head.Container, parts, batch.Sum(b => b.Rows), parts.Sum(p => p.UncompressedBytes), string.Join(",", batch.Select(b => b.Sha256)))
        {
            HeaderAlone = head.HeaderAlone,
        };
    }

    /// <summary>
    /// Loads files <paramref name="first"/> to <paramref name="last"/> of several as one import, under its own steps; the
    /// read-back export runs after the last file's import only (and again when an earlier import was done again in this
    /// attempt, after the read-back an earlier attempt took).
    /// </summary>
    private static async Task<Batch> LoadBatchAsync(
        TaskOrchestrationContext context,
        RunRef run,
        ConnectionOptions connection,
        IReadOnlyList<DatasetManifest> files,
        int first,
        int last,
        string importName,
        ModelFit.DatasetLayout layout,
        ImportTarget? target,
        RecordedSteps steps,
        IReadOnlyList<Batch> before)
    {
        bool final = files[last - 1].Resume is null;
        ReadBackRequest? readBack = final ? DatasetLoads.ReadBackFor(connection, run, Datasets.GlActuals, layout)?.Checked(target) : null;
        StagedCsv staged = Merge(files, first, last);
        context.SetCustomStatus(new RunProgress("loading", Datasets.GlActuals, $"{Files(first, last)}: {staged.Rows} row(s) in {staged.Parts.Count} chunk(s)"));
        DatasetLoads.FileLoad load = await DatasetLoads.LoadFileAsync(
            context,
            connection,
            new LoadDatasetInput(run, Datasets.GlActuals, importName, staged, readBack, layout, target)
            {
                Step = BatchStep(first, last),
                FailedBefore = before.Sum(b => b.Load.Result?.Failed ?? 0),
            },
            steps,
            BatchName(first, last),
            readBackAgain: final && before.Any(b => b.Load.Redone));
        return new Batch(first, last, load with { Chunks = staged.Parts.Count });
    }

    private static string Files(int first, int last)
        => first == last ? $"file {first}" : $"files {first}-{last}";

    /// <summary>The manifest of several files read as one: their parts in order (each file's first part with its header), their counts and totals added up.</summary>
    internal static DatasetManifest Combine(IReadOnlyList<DatasetManifest> files)
    {
        if (files.Count == 1)
        {
            return files[0];
        }

        var starts = new List<int>(files.Count);
        var parts = new List<StagedPart>();
        foreach (DatasetManifest file in files)
        {
            starts.Add(parts.Count);
            parts.AddRange(file.Staged.Parts);
        }

        StagedCsv first = files[0].Staged;
        var staged = new StagedCsv(
            first.Dataset, first.Container, parts, files.Sum(f => f.Staged.Rows), files.Sum(f => f.Staged.UncompressedBytes), string.Join(",", files.Select(f => f.Staged.Sha256)))
        {
            FileStarts = starts,
        };
        string[] rejections = [.. files.Select(f => f.RejectionsBlob).OfType<string>()];
        return new DatasetManifest(
            Datasets.GlActuals,
            staged,
            files.Sum(f => f.Read),
            files.Sum(f => f.Rejected),
            AddUp(files.SelectMany(f => f.SageTotals)),
            AddUp(files.SelectMany(f => f.StagedTotals)),
            null,
            rejections.Length == 0 ? null : string.Join(", ", rejections),
            RejectedRowsBlob: files.Select(f => f.RejectedRowsBlob).FirstOrDefault(b => b is not null))
        {
            Files = files,
        };
    }

    /// <summary>The blobs of the GL rows the extraction rejected, every file's.</summary>
    internal static IEnumerable<string> RejectedRowsBlobs(DatasetManifest manifest)
        => (manifest.Files ?? [manifest]).Select(f => f.RejectedRowsBlob).OfType<string>();

    /// <summary>
    /// The imports of every file as one load: the worst state, successful only if every file was, the counts added up, the
    /// refused rows' totals of every import, each import's task id, the read-back of the last. Null with the reason when an
    /// import failed outright (every period is then owed to the next run).
    /// </summary>
    internal static DatasetLoads.FileLoad Combine(IReadOnlyList<Batch> batches, int files, string importName)
    {
        DatasetLoads.FileLoad[] loads = [.. batches.Select(b => b.Load)];
        bool redone = loads.Any(l => l.Redone);
        string[] failures = [.. batches.Select(b => b.Load.Result is null ? $"{Files(b.First, b.Last)} of {files}: {b.Load.Failure}" : null).OfType<string>()];
        if (failures.Length > 0)
        {
            return new DatasetLoads.FileLoad(null, string.Join("; ", failures), redone);
        }

        LoadDatasetResult[] results = [.. loads.Select(l => l.Result!)];
        LoadDatasetResult last = results[^1];
        string[] messages = [.. results.Select(r => r.Message).Where(m => !string.IsNullOrWhiteSpace(m)).Distinct(StringComparer.Ordinal).OfType<string>()];
        return new DatasetLoads.FileLoad(
            new LoadDatasetResult(
                Datasets.GlActuals,
                importName,
                string.Join(", ", results.Select(r => r.TaskId ?? "?")),
                results.FirstOrDefault(r => r.State != "COMPLETE")?.State ?? "COMPLETE",
                results.All(r => r.Successful),
                results.Sum(r => r.Success),
                results.Sum(r => r.Failed),
                results.Sum(r => r.Ignored),
                results.Sum(r => r.Total),
                [.. results.SelectMany(r => r.FailedTotals)],
                messages.Length == 0 ? null : string.Join("; ", messages),
                null,
                results.All(r => r.RefusedRowsNamed),
                last.ReadBackBlob,
                last.ReadBackError),
            null,
            redone,
            batches.Sum(b => b.Load.Chunks ?? 0));
    }

    /// <summary>
    /// Reads the run's GL balances for one file: the run's fiscal years in turn (each paged separately), from where the
    /// previous file stopped, until the rows read reach the budget at a page boundary (0: to the end). Then
    /// <see cref="Resume"/> says where the next file starts (null: nothing is left).
    /// </summary>
    internal sealed class Reader(SageAgentClient sage, IReadOnlyList<FiscalPeriodRef> periods, GlResume? from, long rowsPerFile)
    {
        /// <summary>Gets where the next file starts; known once <see cref="Years"/> has been enumerated to its end (null: nothing left).</summary>
        public GlResume? Resume { get; private set; }

        /// <summary>The reads, one a fiscal year, each enumerated before the next is asked for.</summary>
        public IEnumerable<SagePageFeed<SagePeriodBalance>> Years()
        {
            List<IGrouping<string, FiscalPeriodRef>> years = [.. periods.GroupBy(p => p.FiscalYear)];
            int first = from is null ? 0 : years.FindIndex(y => y.Key == from.FiscalYear);
            if (first < 0)
            {
                throw new InvalidOperationException($"The GL extraction was to go on in fiscal year {from!.FiscalYear}, which is not among the run's periods.");
            }

            long rows = 0;
            this.Resume = null;
            for (int i = first; i < years.Count; i++)
            {
                if (rowsPerFile > 0 && rows >= rowsPerFile)
                {
                    this.Resume = new GlResume(years[i].Key, null);
                    yield break;
                }

                SagePageFeed<SagePeriodBalance> year = sage.GetPeriodBalancePagesAsync(
                    years[i].Key, years[i].Min(p => p.Period), years[i].Max(p => p.Period), i == first ? from?.Cursor : null, rowsPerFile > 0 ? rowsPerFile - rows : 0);
                yield return year;
                rows += year.Rows;
                if (year.NextCursor is { } cursor)
                {
                    this.Resume = new GlResume(years[i].Key, cursor);
                    yield break;
                }
            }
        }
    }

    /// <summary>
    /// The extraction of the file after <paramref name="before"/>, or what an earlier attempt staged of it: against the
    /// alignment, or speculatively when <paramref name="provisionalStand"/> (not yet decided, or confirmed).
    /// </summary>
    private static Task<DatasetManifest> ExtractFile(
        TaskOrchestrationContext context, RecordedSteps steps, ExtractInput input, IReadOnlyList<DatasetManifest> before, bool provisionalStand)
    {
        int number = before.Count + 1;
        GlFile? file = number == 1 ? null : new GlFile(number, before[^1].Resume, before.Sum(f => f.Rejected));
        string step = StepKeys.Extract(StepKeys.File(Datasets.GlActuals, number));
        DatasetManifest? staged = steps.Get<DatasetManifest>(step);
        if (staged is null && provisionalStand)
        {
            staged = steps.Get<DatasetManifest>(StepKeys.Provisional(step))
                ?? (number == 1 ? steps.Get<DatasetManifest>(StepKeys.Provisional(StepKeys.Extract(Datasets.GlActuals))) : null);
        }

        if (staged is null)
        {
            context.SetCustomStatus(new RunProgress("extracting", Datasets.GlActuals, input.Provisional ? $"file {number}, before the alignment is built" : $"file {number}"));
        }

        return staged is not null
            ? Task.FromResult(staged)
            : context.CallActivityAsync<DatasetManifest>(nameof(ExtractGlActualsActivity), input with { File = file }, AnaplanPolling.Retry);
    }

    /// <summary>Waits for an extraction under way to end; its manifest, or null when it failed (the run fails, or what it staged is discarded, anyway).</summary>
    internal static async Task<DatasetManifest?> DrainAsync(Task<DatasetManifest>? extracting)
    {
        if (extracting is null)
        {
            return null;
        }

        try
        {
            return await extracting;
        }
        catch (TaskFailedException)
        {
            return null;
        }
    }

    private static List<PeriodTotals> AddUp(IEnumerable<PeriodTotals> totals)
        => [.. totals.GroupBy(t => t.Period, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new PeriodTotals(g.Key, g.Sum(t => t.Rows), g.Sum(t => t.Debit), g.Sum(t => t.Credit), g.Sum(t => t.Amount), g.Sum(t => t.Count)))];
}
