using Connector.Local.Hosting;
using DurableTask.Core.History;

namespace Connector.Bench;

/// <summary>A stretch of time between two history timestamps.</summary>
internal readonly record struct Span(DateTime Start, DateTime End)
{
    public TimeSpan Length => this.End > this.Start ? this.End - this.Start : TimeSpan.Zero;

    /// <summary>The time covered by at least one of <paramref name="spans"/> (overlaps counted once).</summary>
    public static TimeSpan Union(IEnumerable<Span> spans)
    {
        TimeSpan total = TimeSpan.Zero;
        DateTime? start = null, end = null;
        foreach (Span s in spans.OrderBy(s => s.Start))
        {
            if (end is null || s.Start > end)
            {
                total += end is null ? TimeSpan.Zero : end.Value - start!.Value;
                (start, end) = (s.Start, s.End);
            }
            else if (s.End > end)
            {
                end = s.End;
            }
        }

        return total + (end is null ? TimeSpan.Zero : end.Value - start!.Value);
    }
}

/// <summary>An activity of a run: scheduled (history timestamp of the episode that scheduled it) to completed.</summary>
internal sealed record ActivitySpan(string InstanceId, string Name, Span Span);

/// <summary>Where a run's time went, read from its durable history (the run and every sub-orchestration).</summary>
internal sealed class HistoryStages
{
    private readonly IReadOnlyList<RunHistoryEvent> events;

    public HistoryStages(string runId, IReadOnlyList<RunHistoryEvent> events)
    {
        this.RunId = runId;
        this.events = events;
        var scheduled = events.Where(e => e.Type == EventType.TaskScheduled).ToDictionary(e => (e.InstanceId, e.EventId));
        this.Activities = [.. events
            .Where(e => e.Type is EventType.TaskCompleted or EventType.TaskFailed && e.ScheduledId is not null)
            .Select(e => scheduled.TryGetValue((e.InstanceId, e.ScheduledId!.Value), out RunHistoryEvent? s) ? new ActivitySpan(e.InstanceId, s.Name ?? "?", new Span(s.Timestamp, e.Timestamp)) : null)
            .OfType<ActivitySpan>()];
        // A fired timer's event carries the time it was created, not when it fired: a timer is counted from its creation
        // to when it was due.
        this.Timers = [.. events.Where(e => e.Type == EventType.TimerCreated && e.FireAt is not null).Select(e => new Span(e.Timestamp, e.FireAt!.Value))];
    }

    public string RunId { get; }

    /// <summary>Gets the number of history events (rows of the History table) of the run and its sub-orchestrations.</summary>
    public int Rows => this.events.Count;

    public IReadOnlyList<ActivitySpan> Activities { get; }

    /// <summary>Gets the durable timers, from creation to when they were due.</summary>
    public IReadOnlyList<Span> Timers { get; }

    /// <summary>From the run's start to its completion.</summary>
    public TimeSpan Total => this.Instance(this.RunId);

    /// <summary>From a sub-orchestration's start to its completion (zero when it did not run).</summary>
    public TimeSpan Instance(string instanceId)
        => this.Started(instanceId) is { } start && this.Completed(instanceId) is { } end ? end - start : TimeSpan.Zero;

    /// <summary>The union of the spans of the named activities (in one instance, or in any when null).</summary>
    public TimeSpan Activity(string name, string? instanceId = null)
        => Span.Union(this.Activities.Where(a => a.Name == name && (instanceId is null || a.InstanceId == instanceId)).Select(a => a.Span));

    /// <summary>From the first of <paramref name="first"/> scheduled to the last of <paramref name="last"/> completed, in one instance.</summary>
    public TimeSpan Between(string instanceId, string first, string last)
    {
        var own = this.Activities.Where(a => a.InstanceId == instanceId).ToList();
        ActivitySpan? from = own.FirstOrDefault(a => a.Name == first);
        ActivitySpan? to = own.LastOrDefault(a => a.Name == last);
        return from is null || to is null ? TimeSpan.Zero : new Span(from.Span.Start, to.Span.End).Length;
    }

    /// <summary>From the completion of <paramref name="after"/> to the last completion of <paramref name="last"/>, in one instance.</summary>
    public TimeSpan After(string instanceId, string after, string last)
    {
        var own = this.Activities.Where(a => a.InstanceId == instanceId).ToList();
        ActivitySpan? from = own.FirstOrDefault(a => a.Name == after);
        ActivitySpan? to = own.LastOrDefault(a => a.Name == last);
        return from is null || to is null ? TimeSpan.Zero : new Span(from.Span.End, to.Span.End).Length;
    }

    /// <summary>From the run's start (the start request) to the first activity it scheduled: how long the run waited for a worker to pick it up.</summary>
    public TimeSpan Pickup => this.Before(null);

    /// <summary>From the run's start to the first <paramref name="name"/> (any activity when null) scheduled in the run itself (zero when none ran).</summary>
    public TimeSpan Before(string? name)
        => this.Started(this.RunId) is { } start && this.Activities.Where(a => a.InstanceId == this.RunId && (name is null || a.Name == name)).MinBy(a => a.Span.Start) is { } first
            ? new Span(start, first.Span.Start).Length
            : TimeSpan.Zero;

    /// <summary>From the last <paramref name="name"/> completed in the run itself to the run's completion (zero when it did not run).</summary>
    public TimeSpan AfterLast(string name)
        => this.Completed(this.RunId) is { } end && this.Activities.Where(a => a.InstanceId == this.RunId && a.Name == name).MaxBy(a => a.Span.End) is { } last
            ? new Span(last.Span.End, end).Length
            : TimeSpan.Zero;

    private DateTime? Started(string instanceId) => this.events.FirstOrDefault(e => e.InstanceId == instanceId && e.Type == EventType.ExecutionStarted)?.Timestamp;

    private DateTime? Completed(string instanceId) => this.events.LastOrDefault(e => e.InstanceId == instanceId && e.Type == EventType.ExecutionCompleted)?.Timestamp;

    /// <summary>
    /// The time in which no activity ran and no timer was waited on: dispatch and queue latency, replays, lock hand-offs
    /// between sub-orchestrations. What the orchestration itself costs.
    /// </summary>
    public TimeSpan Overhead => this.Total - Span.Union(this.Activities.Select(a => a.Span).Concat(this.Timers));
}
