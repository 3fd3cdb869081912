using Connector.Orchestrations.Storage;
using Microsoft.DurableTask;

namespace Connector.Orchestrations.Flows.Actuals;

/// <summary>
/// What became of the GL files a run staged speculatively (against the Sage side of alignment, while the lists were
/// being loaded): confirmed (the alignment found every item the run loaded, so every account's validity is the Sage
/// side's and the files stand as staged), or discarded (the files, their rejections and audit rows are gone, and GL is
/// staged again against the alignment). Recorded under <see cref="StepKeys.GlSpeculation"/>, so a rewound run takes the
/// same decision.
/// </summary>
public sealed record GlSpeculation(bool Confirmed, string Reason);

/// <summary>Input of <see cref="DiscardProvisionalGlActivity"/>: the speculative files to discard and why.</summary>
public sealed record DiscardGlInput(RunRef Run, IReadOnlyList<DatasetManifest> Files, string Reason);

/// <summary>
/// Discards GL files staged speculatively that the alignment did not confirm: deletes the run's GL rejections audit rows
/// (only speculative files have written any when this runs: GL is staged again after it), the files' staged parts and
/// rejection blobs, then records the decision, so a rewound run never loads them.
/// </summary>
public sealed class DiscardProvisionalGlActivity(ConnectorStorage storage, AuditStore audit, StepResultStore steps) : TaskActivity<DiscardGlInput, GlSpeculation>
{
    public override async Task<GlSpeculation> RunAsync(TaskActivityContext context, DiscardGlInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await audit.DeleteRecordsAsync(input.Run.RunId, Datasets.GlActuals, RecordKinds.Rejected);
        IEnumerable<string> blobs = input.Files.SelectMany(f => f.Staged.Parts.Select(p => p.BlobName).Concat([f.RejectionsBlob, f.RejectedRowsBlob]).OfType<string>());
        foreach (string[] batch in blobs.Chunk(16))
        {
            await Task.WhenAll(batch.Select(b => storage.StagingContainer.DeleteBlobIfExistsAsync(b)));
        }

        return await steps.RecordAsync(input.Run, StepKeys.GlSpeculation, new GlSpeculation(false, input.Reason));
    }
}
