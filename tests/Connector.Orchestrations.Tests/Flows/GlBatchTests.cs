using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Storage;

namespace Connector.Orchestrations.Tests.Flows;

/// <summary>
/// Which staged GL files one import takes (<see cref="GlFiles.BatchEnd"/>): every file waiting, up to the setting, only
/// files whose header is a part of their own after the first; and, on a later attempt of the run, exactly the files an
/// earlier attempt's import took (its task is polled, or its load taken as recorded, as it was).
/// </summary>
public sealed class GlBatchTests
{
    [Fact]
    public void WaitingFiles_GoInOneImport_UpToTheLimit()
    {
        IReadOnlyList<DatasetManifest> files = Files(7);

        Assert.Equal(4, GlFiles.BatchEnd(RecordedSteps.None, files, 1, 4));
        Assert.Equal(7, GlFiles.BatchEnd(RecordedSteps.None, files, 5, 4));
        Assert.Equal(7, GlFiles.BatchEnd(RecordedSteps.None, files, 7, 4));
        Assert.Equal(3, GlFiles.BatchEnd(RecordedSteps.None, files.Take(3).ToList(), 2, 4));
        Assert.Equal(2, GlFiles.BatchEnd(RecordedSteps.None, files, 2, 1)); // one file an import: as before batches
        Assert.Equal(7, GlFiles.BatchEnd(RecordedSteps.None, files, 1, 8));
    }

    [Fact]
    public void AFileStagedWithItsHeaderAmongItsRows_StartsAnImportOfItsOwn()
    {
        // Files staged before headers had a part of their own (a run rewound across the upgrade): each is its own import.
        List<DatasetManifest> files = [.. Files(4)];
        files[2] = files[2] with { Staged = files[2].Staged with { HeaderAlone = false } };

        Assert.Equal(2, GlFiles.BatchEnd(RecordedSteps.None, files, 1, 4));
        Assert.Equal(4, GlFiles.BatchEnd(RecordedSteps.None, files, 3, 4));
    }

    [Fact]
    public void ALaterAttempt_TakesTheFilesAnEarlierAttemptsImportTook()
    {
        IReadOnlyList<DatasetManifest> files = Files(12);
        var steps = new RecordedSteps(new Dictionary<string, RecordedStep>
        {
            [StepKeys.Load(GlFiles.BatchStep(1, 1))] = new(1, "{}"),
            [StepKeys.Task(GlFiles.BatchStep(2, 3))] = new(1, "{}"),
            [StepKeys.Load(GlFiles.BatchStep(2, 3))] = new(1, "{}"),
            [StepKeys.Task(GlFiles.BatchStep(4, 5))] = new(1, "{}"),
            [StepKeys.Task(GlFiles.BatchStep(4, 6))] = new(2, "{}"), // the latest attempt's import from file 4
            [StepKeys.Load(GlFiles.BatchStep(10, 12))] = new(2, "{}"), // a later attempt than file 1's: must not read as file 1's
        });

        Assert.Equal(1, GlFiles.BatchEnd(steps, files, 1, 4)); // loaded alone: taken alone, though more files wait
        Assert.Equal(3, GlFiles.BatchEnd(steps, files, 2, 4));
        Assert.Equal(6, GlFiles.BatchEnd(steps, files, 4, 4));
        Assert.Equal(10, GlFiles.BatchEnd(steps, files, 7, 4)); // nothing recorded from file 7: what waits
        Assert.Equal(6, GlFiles.BatchEnd(steps, files, 4, 1)); // a recorded import is taken whole, whatever the setting now
        Assert.Equal(12, GlFiles.BatchEnd(steps, files, 10, 4));
        Assert.Null(GlFiles.BatchEnd(steps, files.Take(11).ToList(), 10, 4)); // file 12 is not staged again yet: wait for it
    }

    [Fact]
    public void BatchSteps_OneFileKeepsItsOwnStep_SeveralNameTheirRange()
    {
        Assert.Equal(StepKeys.File(Datasets.GlActuals, 3), GlFiles.BatchStep(3, 3));
        Assert.Equal($"{StepKeys.File(Datasets.GlActuals, 3)}-5", GlFiles.BatchStep(3, 5));
        Assert.Equal(Datasets.FileName(Datasets.GlActuals, 3), GlFiles.BatchName(3, 3));
        Assert.NotEqual(GlFiles.BatchName(1, 2), GlFiles.BatchName(1, 1));
        Assert.NotEqual(GlFiles.BatchName(1, 12), GlFiles.BatchName(11, 2));
    }

    private static List<DatasetManifest> Files(int count)
        => [.. Enumerable.Range(1, count).Select(n => new DatasetManifest(
            Datasets.GlActuals,
            new StagedCsv(Datasets.GlActuals, "staging", [.. Enumerable.Range(0, 3).Select(p => new StagedPart($"run/gl-{n}/part-{p}", p == 0 && n > 1 ? 0 : 100, 1_000, 100))], 200, 3_000, "sha")
            {
                HeaderAlone = n > 1,
            },
            200,
            0,
            [],
            [],
            null,
            null) { Resume = n == count ? null : new GlResume("2026", $"c{n}") })];
}
