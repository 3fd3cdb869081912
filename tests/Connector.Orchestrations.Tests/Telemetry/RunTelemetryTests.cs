using System.Collections.Concurrent;
using System.Diagnostics;
using Connector.Emulators.Anaplan.Model;
using Connector.Local.Demo;
using Connector.Local.Hosting;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Telemetry;
using Connector.Testing;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Connector.Orchestrations.Tests.Telemetry;

/// <summary>
/// The worker's telemetry during real runs on the local durable host, collected by OpenTelemetry in-memory exporters
/// wired exactly as the host wires its console or OTLP exporter (<see cref="LocalTelemetry"/>): the metrics, the
/// RunEnded line the deployment's alerts read, and a trace from the run through the activity to each HTTP call.
/// Other test classes run beside this one in the process; everything is filtered by this class's connections and runs.
/// </summary>
public sealed class RunTelemetryTests(RunTelemetryTests.Fixture fixture) : IClassFixture<RunTelemetryTests.Fixture>
{
    private const string Connection = "otel";

    private const string FailingConnection = "otel-broken";

    [Fact]
    public async Task ActualsRun_EmitsRunsRowsRejectionsAnaplanCallsThrottlingRetriesAndLockWaits()
    {
        // The model lacks one department (its import adds none), so rows on it are rejected; and Anaplan answers the
        // first task start with 429 once.
        SimulatedCompanyDepartments(out string[] departments);
        EmulatedModel model = fixture.Environment.Anaplan.DefaultModel;
        foreach (string department in departments[..^1])
        {
            model.AddListItem("Cost Centers", department, $"Department {department}");
        }

        fixture.Environment.Anaplan.State.Faults.FailNext("POST /**/tasks", 1, 429, retryAfterSeconds: 0);
        ActualsRunSummary run = await fixture.RunActualsAsync(Connection);
        Assert.Equal(RunStatuses.CompletedWithRejections, run.Status);
        DatasetSummary gl = run.Datasets.Single(d => d.Dataset == Datasets.GlActuals);

        IReadOnlyList<MetricSnapshot> metrics = fixture.CollectMetrics();
        Assert.Equal(1, Sum(metrics, "connector.runs", (ConnectorTelemetry.Tags.Connection, Connection), (ConnectorTelemetry.Tags.Flow, "actuals"), (ConnectorTelemetry.Tags.Outcome, RunStatuses.CompletedWithRejections)));

        // Rows per dataset are the run's own counts, and the rejections are the rows the summary says were refused.
        Assert.Equal(gl.Accepted, Sum(metrics, "connector.dataset.rows", (ConnectorTelemetry.Tags.Connection, Connection), (ConnectorTelemetry.Tags.Dataset, Datasets.GlActuals), (ConnectorTelemetry.Tags.Stage, "accepted")));
        Assert.Equal(gl.Read, Sum(metrics, "connector.dataset.rows", (ConnectorTelemetry.Tags.Connection, Connection), (ConnectorTelemetry.Tags.Dataset, Datasets.GlActuals), (ConnectorTelemetry.Tags.Stage, "read")));
        Assert.True(gl.Rejected > 0);
        Assert.Equal(gl.Rejected, Sum(metrics, "connector.rejections", (ConnectorTelemetry.Tags.Connection, Connection), (ConnectorTelemetry.Tags.Dataset, Datasets.GlActuals)));

        // Process-wide instruments (other classes' runs count too): at least what this run did.
        Assert.True(Sum(metrics, "connector.anaplan.requests", (ConnectorTelemetry.Tags.StatusCode, 429)) >= 1);
        Assert.True(Sum(metrics, "connector.anaplan.throttled") >= 1);
        Assert.True(Sum(metrics, "connector.retries", (ConnectorTelemetry.Tags.Target, "anaplan"), ("error.type", "429")) >= 1);
        Assert.True(Sum(metrics, "connector.anaplan.requests", (ConnectorTelemetry.Tags.Method, "PUT"), (ConnectorTelemetry.Tags.StatusCode, 204)) + Sum(metrics, "connector.anaplan.requests", (ConnectorTelemetry.Tags.Method, "PUT"), (ConnectorTelemetry.Tags.StatusCode, 200)) >= gl.Parts);

        // One lock wait per action on the model: accounts and cost centres, vendors, GL and AP with their read-backs. The
        // histogram is tagged by model; other classes' runs on other models (the model shapes) have their own points.
        MetricPoint locks = Points(metrics, "connector.model_lock.wait", (ConnectorTelemetry.Tags.Model, model.Id)).Single();
        Assert.True(locks.GetHistogramCount() >= 5, $"{locks.GetHistogramCount()} lock waits");
    }

    [Fact]
    public async Task FailedRun_IsReportedAsRunEndedFailed_WithTheDimensionsTheAlertsRead()
    {
        OrchestrationMetadata done = await fixture.RunBudgetsToEndAsync(FailingConnection, new BudgetRunRequest());
        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);

        // The orchestrator's exception is reported once, from the execution that failed (never from a replay).
        await Eventually.TrueAsync(() => fixture.RunEnded.Any(e => e.RunId == done.InstanceId), TimeSpan.FromSeconds(30), "the failure is logged");
        var ended = fixture.RunEnded.Where(e => e.RunId == done.InstanceId).ToList();
        (string runId, string flow, string connection, string status) = Assert.Single(ended);
        Assert.Equal(("budgets", FailingConnection, RunStatuses.Failed), (flow, connection, status));

        Assert.Equal(1, Sum(fixture.CollectMetrics(), "connector.runs", (ConnectorTelemetry.Tags.Connection, FailingConnection), (ConnectorTelemetry.Tags.Outcome, RunStatuses.Failed)));
    }

    [Fact]
    public async Task Trace_LeadsFromTheRun_ThroughItsActivity_ToEachHttpCall()
    {
        ActualsRunSummary run = await fixture.RunActualsAsync(Connection, new ActualsRunRequest(FullResync: true));

        // The run's own span closes when the orchestration completes; wait for it rather than assume it.
        await Eventually.TrueAsync(() => fixture.RunSpan(run.RunId) is not null, TimeSpan.FromSeconds(30), "the run's span was exported");
        Activity root = fixture.RunSpan(run.RunId)!;
        var spans = fixture.Spans.Where(s => s.TraceId == root.TraceId).ToDictionary(s => s.SpanId);

        foreach (string host in new[] { fixture.Environment.Agent.BaseAddress.Authority, fixture.Environment.Anaplan.BaseAddress.Authority })
        {
            Activity call = spans.Values.First(s => s.Source.Name == "System.Net.Http" && s.Kind == ActivityKind.Client
                && (s.GetTagItem("url.full") as string ?? string.Empty).Contains(host, StringComparison.Ordinal));
            List<Activity> chain = Ancestors(call, spans).ToList();

            // HTTP call ← the connector's span for the activity (tagged with the run) ← Durable Task's activity span ← …
            // ← the run's orchestration span.
            Activity connectorSpan = chain.First(s => s.Source.Name == ConnectorTelemetry.Name);
            Assert.Equal(run.RunId, connectorSpan.GetTagItem(ConnectorTelemetry.Tags.RunId));
            Assert.Equal(Connection, connectorSpan.GetTagItem(ConnectorTelemetry.Tags.Connection));
            Assert.Contains(chain, s => s.Source.Name == "DurableTask.Core" && s.DisplayName == $"activity:{connectorSpan.DisplayName}");
            Assert.Contains(root, chain);
        }
    }

    private static IEnumerable<Activity> Ancestors(Activity span, Dictionary<ActivitySpanId, Activity> spans)
    {
        for (Activity? current = span; current is not null; current = spans.GetValueOrDefault(current.ParentSpanId))
        {
            yield return current;
        }
    }

    private static IEnumerable<MetricPoint> Points(IReadOnlyList<MetricSnapshot> metrics, string name, params (string Key, object Value)[] tags)
        => metrics.Where(m => m.Name == name).SelectMany(m => m.MetricPoints).Where(p =>
        {
            var values = new Dictionary<string, object?>();
            foreach (KeyValuePair<string, object?> tag in p.Tags)
            {
                values[tag.Key] = tag.Value;
            }

            return tags.All(t => values.TryGetValue(t.Key, out object? v) && Equals(v?.ToString(), t.Value.ToString()));
        });

    private static long Sum(IReadOnlyList<MetricSnapshot> metrics, string name, params (string Key, object Value)[] tags)
        => Points(metrics, name, tags).Sum(p => p.GetSumLong());

    private void SimulatedCompanyDepartments(out string[] departments)
        => departments = [.. fixture.Environment.Sage.Company("ABC").GetSubAccounts(3, null, int.MaxValue).Select(s => s.Code.Trim()).Distinct()];

    public sealed class Fixture : ConnectorFlowFixture
    {
        private readonly List<MetricSnapshot> metrics = [];

        private readonly LockedList<Activity> spans = new();

        /// <summary>Gets every span ended in this process since the host started.</summary>
        public IReadOnlyList<Activity> Spans => this.spans.Snapshot();

        /// <summary>Gets the RunEnded lines logged in this process.</summary>
        public ConcurrentQueue<(string RunId, string Flow, string Connection, string Status)> RunEnded { get; } = new();

        /// <summary>Exports the metrics now and returns their cumulative values.</summary>
        public IReadOnlyList<MetricSnapshot> CollectMetrics()
        {
            lock (this.metrics)
            {
                this.metrics.Clear();
                Assert.True(this.Services.GetRequiredService<MeterProvider>().ForceFlush(10_000));
                return [.. this.metrics];
            }
        }

        /// <summary>The orchestration span of a run, once it has ended.</summary>
        public Activity? RunSpan(string runId)
            => this.Spans.FirstOrDefault(s => s.Source.Name == "DurableTask.Core" && s.Kind == ActivityKind.Server
                && s.DisplayName == "orchestration:ActualsSyncOrchestrator" && Equals(s.GetTagItem("durabletask.task.instance_id"), runId));

        protected override LocalEnvironmentOptions EnvironmentOptions(string storage)
            => new()
            {
                StorageConnectionString = storage,
                ConfigureAnaplan = ImportsCreatingNoItems("Cost Centers from Sage"),
            };

        protected override IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment)
        {
            ConnectionOptions broken = environment.Connection(FailingConnection, "ABC", "Department");
            broken.Budgets = new BudgetsFlowOptions { Enabled = true, OffsetAccount = "300-00-00", Export = "No Such Export" };
            return [environment.Connection(Connection, "ABC", "Department"), broken];
        }

        protected override void ConfigureServices(IServiceCollection services)
        {
            services.AddConnectorOpenTelemetry(
                new LocalTelemetryOptions(),
                tracing => tracing.AddInMemoryExporter(this.spans),
                meters => meters.AddInMemoryExporter(this.metrics));
            // The host logs Warning and above; the capture sees the connector's Information lines, as an exporter would.
            services.AddLogging(logging => logging
                .AddProvider(new RunEndedCapture(this.RunEnded))
                .AddFilter<RunEndedCapture>("Connector", LogLevel.Information));
        }
    }

    /// <summary>A collection the exporter adds to while the test reads it.</summary>
    private sealed class LockedList<T> : ICollection<T>
    {
        private readonly List<T> items = [];

        public int Count
        {
            get
            {
                lock (this.items)
                {
                    return this.items.Count;
                }
            }
        }

        public bool IsReadOnly => false;

        public List<T> Snapshot()
        {
            lock (this.items)
            {
                return [.. this.items];
            }
        }

        public void Add(T item)
        {
            lock (this.items)
            {
                this.items.Add(item);
            }
        }

        public void Clear()
        {
            lock (this.items)
            {
                this.items.Clear();
            }
        }

        public bool Contains(T item) => this.Snapshot().Contains(item);

        public void CopyTo(T[] array, int arrayIndex) => this.Snapshot().CopyTo(array, arrayIndex);

        public bool Remove(T item)
        {
            lock (this.items)
            {
                return this.items.Remove(item);
            }
        }

        public IEnumerator<T> GetEnumerator() => this.Snapshot().GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => this.GetEnumerator();
    }

    /// <summary>Keeps the RunEnded lines (event 5000) with their structured values.</summary>
    private sealed class RunEndedCapture(ConcurrentQueue<(string, string, string, string)> lines) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Name == "RunEnded" && state is IReadOnlyList<KeyValuePair<string, object?>> values)
            {
                string Value(string key) => values.Single(v => v.Key == key).Value?.ToString() ?? string.Empty;
                lines.Enqueue((Value("RunId"), Value("Flow"), Value("ConnectionId"), Value("RunStatus")));
            }
        }

        public void Dispose()
        {
        }
    }
}
