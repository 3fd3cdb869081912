using System.Globalization;
using Connector.Emulators.Anaplan.Engine;
using Microsoft.Extensions.Logging;

namespace Connector.Emulators.Anaplan.Model;

/// <summary>
/// One Anaplan model: its lists, modules, files, actions and tasks, plus the seeding and inspection methods tests use.
/// Runs at most one action at a time; further tasks wait in NOT_STARTED.
/// </summary>
public sealed class EmulatedModel
{
    private readonly EmulatorState tenant;
    private readonly Lock sync = new();          // tasks, queue, files, state
    private readonly Lock dataSync = new();      // lists and modules
    private readonly Dictionary<string, ListData> lists = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, ModuleData> modules = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<EmulatedFile> fileOrder = [];
    private readonly Dictionary<string, EmulatedFile> files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, EmulatedTask> tasks = new(StringComparer.Ordinal);
    private readonly Queue<EmulatedTask> pending = new();
    private readonly List<ModelViolation> violations = [];
    private EmulatedTask? running;
    private TaskCompletionSource? idle;
    private TaskHold? hold;
    private int busyWaiters;
    private string activeState;

    internal EmulatedModel(EmulatorState tenant, WorkspaceDefinition workspace, ModelDefinition definition)
    {
        this.tenant = tenant;
        this.Id = definition.Id;
        this.Name = definition.Name;
        this.WorkspaceId = workspace.Id;
        this.WorkspaceName = workspace.Name;
        this.activeState = definition.ActiveState;
        this.Definition = definition;
        foreach (ListDefinition list in definition.Lists)
        {
            var data = new ListData(list.Id, list.Name, list.Properties);
            foreach (ListItemDefinition item in list.Items)
            {
                data.Upsert(item.Code, item.Name, item.Properties);
            }

            this.lists[list.Name] = data;
        }

        foreach (ModuleDefinition module in definition.Modules)
        {
            foreach (string dimension in module.Dimensions)
            {
                if (!this.lists.ContainsKey(dimension))
                {
                    throw new InvalidDataException($"Model '{definition.Name}', module '{module.Name}': dimension '{dimension}' is not a list of the model.");
                }
            }

            this.modules[module.Name] = new ModuleData(module.Id, module.Name, module.Dimensions, module.LineItems, [.. module.Dimensions.Select(d => this.lists[d])]);
        }

        foreach (ImportDefinition import in definition.Imports)
        {
            ModelValidation.CheckImport(this, import);
            this.AddFileLocked(new EmulatedFile(import.ImportDataSourceId, import.ImportDataSourceName ?? import.Name + ".csv") { ChunkCount = 0 });
        }

        foreach (ExportDefinition export in definition.Exports)
        {
            ModelValidation.CheckExport(this, export);
        }
    }

    public string Id { get; }

    public string Name { get; }

    public string WorkspaceId { get; }

    public string WorkspaceName { get; }

    /// <summary>UNLOCKED, ACTIVE, PRODUCTION, MAINTENANCE, PRODUCTION_MAINTENANCE, LOCKED, ARCHIVED or anything else.</summary>
    public string ActiveState
    {
        get
        {
            lock (this.sync)
            {
                return this.activeState;
            }
        }
    }

    /// <summary>Whether an action is running or waiting.</summary>
    public bool IsBusy
    {
        get
        {
            lock (this.sync)
            {
                return this.running is not null || this.pending.Count > 0;
            }
        }
    }

    /// <summary>How many calls are waiting right now for this model to be free.</summary>
    public int BusyWaiters
    {
        get
        {
            lock (this.sync)
            {
                return this.busyWaiters;
            }
        }
    }

    /// <summary>Tasks started while another action was running or waiting.</summary>
    public IReadOnlyList<ModelViolation> Violations
    {
        get
        {
            lock (this.sync)
            {
                return [.. this.violations];
            }
        }
    }

    internal ModelDefinition Definition { get; }

    internal EmulatorState Tenant => this.tenant;

    // ---------------------------------------------------------------- seeding and inspection

    /// <summary>Sets the model's state (e.g. LOCKED makes every call answer 423, ARCHIVED 422, MAINTENANCE 424).</summary>
    public void SetActiveState(string state)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(state);
        lock (this.sync)
        {
            this.activeState = state;
        }
    }

    /// <summary>Adds or updates a list item.</summary>
    /// <exception cref="KeyNotFoundException">No list has that name.</exception>
    public void AddListItem(string list, string code, string? name = null, IReadOnlyDictionary<string, string>? properties = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(code);
        lock (this.dataSync)
        {
            this.List(list).Upsert(code, name, properties);
        }
    }

    /// <summary>The items of a list, in order.</summary>
    public IReadOnlyList<ListItemSnapshot> GetListItems(string list)
    {
        lock (this.dataSync)
        {
            return [.. this.List(list).Items.Select(i => new ListItemSnapshot(i.Code, i.Name, new Dictionary<string, string>(i.Properties, StringComparer.OrdinalIgnoreCase)))];
        }
    }

    /// <summary>A list's items as the list read answers them: code, name and the named properties' values (blank when unset).</summary>
    internal IReadOnlyList<(string Code, string Name, string[] Properties)> ReadListItems(string list, IReadOnlyList<string> properties)
    {
        lock (this.dataSync)
        {
            IReadOnlyList<ListItem> items = this.List(list).Items;
            var read = new (string Code, string Name, string[] Properties)[items.Count];
            for (int i = 0; i < read.Length; i++)
            {
                ListItem item = items[i];
                string[] values = properties.Count == 0 ? [] : new string[properties.Count];
                for (int p = 0; p < values.Length; p++)
                {
                    values[p] = item.Property(properties[p]) ?? string.Empty;
                }

                read[i] = (item.Code, item.Name, values);
            }

            return read;
        }
    }

    /// <summary>Names of the model's lists.</summary>
    public IReadOnlyList<string> ListNames
    {
        get
        {
            lock (this.dataSync)
            {
                return [.. this.lists.Keys];
            }
        }
    }

    /// <summary>Names of the model's modules.</summary>
    public IReadOnlyList<string> ModuleNames
    {
        get
        {
            lock (this.dataSync)
            {
                return [.. this.modules.Keys];
            }
        }
    }

    /// <summary>Sets a cell (null clears it). <paramref name="members"/> holds one item code per dimension, in order.</summary>
    /// <exception cref="ArgumentException">A member is not in its list, or the value does not fit the line item; the message names it.</exception>
    public void SetCell(string module, IReadOnlyList<string> members, string lineItem, object? value)
    {
        lock (this.dataSync)
        {
            ModuleData data = this.Module(module);
            CellKey key = this.CheckMembers(data, members);
            if (!data.LineItems.TryGetValue(lineItem, out string? type))
            {
                throw new ArgumentException($"Module '{module}' has no line item '{lineItem}'.", nameof(lineItem));
            }

            if (value is string text && !Values.TryParse(type, text, out value, out string? error))
            {
                throw new ArgumentException($"Module '{module}', line item '{lineItem}': {error}: '{text}'.", nameof(value));
            }

            if (value is int or long or decimal or float)
            {
                value = Convert.ToDouble(value, CultureInfo.InvariantCulture);
            }

            data.Set(key, data.LineItemIndex(lineItem), value);
        }
    }

    /// <summary>Reads a cell; null when blank.</summary>
    public object? GetCell(string module, IReadOnlyList<string> members, string lineItem)
    {
        lock (this.dataSync)
        {
            ModuleData data = this.Module(module);
            int index = data.LineItemIndex(lineItem);
            return index >= 0 && data.TryKey(members, out CellKey key) ? data.Get(key, index) : null;
        }
    }

    /// <summary>Every non-blank cell of a module.</summary>
    public IReadOnlyList<CellSnapshot> GetCells(string module)
    {
        lock (this.dataSync)
        {
            ModuleData data = this.Module(module);
            var cells = new List<CellSnapshot>();
            foreach ((CellKey key, int slot) in data.Rows)
            {
                string[] members = data.Members(key);
                for (int i = 0; i < data.LineItemNames.Count; i++)
                {
                    if (data.Column(i).Get(slot) is { } value)
                    {
                        cells.Add(new CellSnapshot(members, data.LineItemNames[i], value));
                    }
                }
            }

            return cells;
        }
    }

    /// <summary>Marks a version approved (or not): sets the boolean property <c>Approved</c> of the item in <c>Versions</c>.</summary>
    public void SetVersionApproved(string version, bool approved = true, string versionsList = "Versions")
    {
        lock (this.dataSync)
        {
            ListData list = this.List(versionsList);
            if (list.Find(version) is null)
            {
                throw new ArgumentException($"List '{versionsList}' has no item '{version}'.", nameof(version));
            }

            list.Upsert(version, null, new Dictionary<string, string> { ["Approved"] = approved ? "true" : "false" });
        }
    }

    /// <summary>Adds an empty file (e.g. to have more than one page of files).</summary>
    public void AddFile(string id, string name)
    {
        lock (this.sync)
        {
            this.AddFileLocked(new EmulatedFile(id, name));
        }
    }

    /// <summary>The files of the model.</summary>
    public IReadOnlyList<FileSnapshot> GetFiles()
    {
        lock (this.sync)
        {
            return [.. this.fileOrder.Select(f => f.Snapshot())];
        }
    }

    /// <summary>The whole content of a file as uploaded (chunks in order, inflated); null when there is no such file.</summary>
    public byte[]? ReadFile(string fileId)
    {
        EmulatedFile? file;
        lock (this.sync)
        {
            file = this.files.GetValueOrDefault(fileId);
            if (file is null)
            {
                return null;
            }

            using Stream content = file.OpenContent();
            using var copy = new MemoryStream();
            content.CopyTo(copy);
            return copy.ToArray();
        }
    }

    /// <summary>A stream of a file's content as uploaded (chunks in order, inflated on the fly); null when there is no such file.</summary>
    public Stream? OpenFile(string fileId)
    {
        EmulatedFile? file = this.FindFile(fileId);
        return file is null ? null : new ConcatenatedStream(this.ChunksOf(file).Chunks);
    }

    /// <summary>The tasks of the model, oldest first.</summary>
    public IReadOnlyList<TaskSnapshot> GetTasks()
    {
        lock (this.sync)
        {
            return [.. this.tasks.Values.OrderBy(t => t.CreatedAt).Select(t => t.Snapshot())];
        }
    }

    /// <summary>Makes a task report <paramref name="state"/> (e.g. a state a future Anaplan may add) instead of its own.</summary>
    public void OverrideTaskState(string taskId, string? state)
    {
        lock (this.sync)
        {
            this.tasks[taskId].ReportedState = state;
        }
    }

    /// <summary>
    /// Keeps tasks that start from now on IN_PROGRESS (the model busy) until the returned handle is disposed; with
    /// <paramref name="actionName"/>, only tasks of that action are held and the others run as usual.
    /// </summary>
    public IDisposable HoldTasks(string? actionName = null)
    {
        var created = new TaskHold(this, actionName);
        lock (this.sync)
        {
            this.hold = created;
        }

        return created;
    }

    /// <summary>
    /// Deletes the import named <paramref name="name"/> and creates it again with the same name, source file and mapping:
    /// what a model builder's rebuild of an import does. Anaplan gives the new action a new id (<paramref name="newId"/>,
    /// 12 digits starting 112); the old id is unknown from then on. Returns the old id.
    /// </summary>
    public string RecreateImport(string name, string newId)
    {
        if (newId is not { Length: 12 } || !newId.StartsWith("112", StringComparison.Ordinal) || !newId.All(char.IsAsciiDigit))
        {
            throw new ArgumentException($"An import id is 12 digits starting 112, not '{newId}'.", nameof(newId));
        }

        lock (this.sync)
        {
            if (this.Definition.Imports.Any(i => i.Id == newId))
            {
                throw new ArgumentException($"Model '{this.Name}' already has an import with the id {newId}.", nameof(newId));
            }

            ImportDefinition import = this.Definition.Imports.Single(i => i.Name == name);
            string old = import.Id;
            import.Id = newId;
            return old;
        }
    }

    // ---------------------------------------------------------------- used by the HTTP layer and the engines

    internal ListData List(string name) => this.lists.TryGetValue(name, out ListData? list)
        ? list
        : throw new KeyNotFoundException($"Model '{this.Name}' has no list '{name}'.");

    internal ModuleData Module(string name) => this.modules.TryGetValue(name, out ModuleData? module)
        ? module
        : throw new KeyNotFoundException($"Model '{this.Name}' has no module '{name}'.");

    internal bool HasList(string name) => this.lists.ContainsKey(name);

    internal bool HasModule(string name) => this.modules.ContainsKey(name);

    internal Lock DataSync => this.dataSync;

    internal IReadOnlyList<EmulatedFile> FilesLocked()
    {
        lock (this.sync)
        {
            return [.. this.fileOrder];
        }
    }

    internal EmulatedFile? FindFile(string fileId)
    {
        lock (this.sync)
        {
            return this.files.GetValueOrDefault(fileId);
        }
    }

    /// <summary>Sets the chunk count of a file, creating a private file when the id is unknown (as Anaplan does).</summary>
    internal EmulatedFile SetChunkCount(string fileId, int chunkCount)
    {
        lock (this.sync)
        {
            if (!this.files.TryGetValue(fileId, out EmulatedFile? file))
            {
                file = new EmulatedFile(fileId, fileId) { IsPrivate = true };
                this.AddFileLocked(file);
                this.tenant.Counters.PrivateFileCreated();
            }

            file.ChunkCount = chunkCount;
            file.Chunks.Clear();
            return file;
        }
    }

    internal void PutChunk(EmulatedFile file, int index, StoredChunk chunk)
    {
        lock (this.sync)
        {
            file.Chunks[index] = chunk;
        }
    }

    internal void CompleteFile(EmulatedFile file)
    {
        lock (this.sync)
        {
            file.ChunkCount = file.Chunks.Count == 0 ? 0 : file.Chunks.Keys.Max() + 1;
        }
    }

    internal void ReplaceFileContent(string fileId, string name, IReadOnlyList<byte[]> chunks)
    {
        lock (this.sync)
        {
            if (!this.files.TryGetValue(fileId, out EmulatedFile? file))
            {
                file = new EmulatedFile(fileId, name);
                this.AddFileLocked(file);
            }

            file.Chunks.Clear();
            for (int i = 0; i < chunks.Count; i++)
            {
                file.Chunks[i] = new StoredChunk(chunks[i], false, chunks[i].Length);
            }

            file.ChunkCount = chunks.Count;
        }
    }

    /// <summary>The chunks of a file in index order and its declared chunk count, read consistently.</summary>
    internal (IReadOnlyList<StoredChunk> Chunks, int Declared) ChunksOf(EmulatedFile file)
    {
        lock (this.sync)
        {
            return ([.. file.Chunks.Values], file.ChunkCount);
        }
    }

    internal EmulatedTask? FindTask(string actionType, string actionId, string taskId)
    {
        lock (this.sync)
        {
            return this.tasks.TryGetValue(taskId, out EmulatedTask? task) && task.ActionId == actionId && task.ActionType == actionType ? task : null;
        }
    }

    internal IReadOnlyList<EmulatedTask> TasksOf(string actionType, string actionId)
    {
        lock (this.sync)
        {
            return [.. this.tasks.Values.Where(t => t.ActionType == actionType && t.ActionId == actionId).OrderBy(t => t.CreatedAt)];
        }
    }

    /// <summary>Snapshot of a task's reportable fields, consistent under the lock.</summary>
    internal T ReadTask<T>(EmulatedTask task, Func<EmulatedTask, T> read)
    {
        lock (this.sync)
        {
            return read(task);
        }
    }

    internal (string Step, double Progress, string? Tooltip) Status()
    {
        lock (this.sync)
        {
            return this.running is null
                ? ("Open", -1, null)
                : ($"Processing {this.running.ActionName}...", this.running.Progress, $"{Singular(this.running.ActionType)}: {this.running.ActionName}");
        }
    }

    internal EmulatedTask StartTask(string actionType, string actionId, string actionName)
    {
        EmulatedTask task;
        ModelViolation? violation = null;
        lock (this.sync)
        {
            task = new EmulatedTask(Guid.NewGuid().ToString("N").ToUpperInvariant(), actionType, actionId, actionName, this.tenant.Time.GetUtcNow());
            EmulatedTask? busyWith = this.running ?? this.pending.FirstOrDefault();
            if (busyWith is not null)
            {
                violation = new ModelViolation(task.CreatedAt, this.Id, actionId, busyWith.ActionId);
                this.violations.Add(violation);
            }

            this.tasks[task.TaskId] = task;
            this.pending.Enqueue(task);
        }

        this.tenant.Counters.TaskStarted();
        if (violation is not null)
        {
            this.tenant.Counters.Violation();
            Logs.ParallelActionViolation(this.tenant.Logger, this.Id, actionId, violation.BusyWithActionId);
        }

        this.tenant.Notify();
        this.TryRunNext();
        return task;
    }

    /// <summary>Asks a task to stop: NOT_STARTED becomes CANCELLED at once, IN_PROGRESS becomes CANCELLING and then
    /// CANCELLED with its changes rolled back; final tasks stay as they are.</summary>
    internal void Cancel(EmulatedTask task)
    {
        lock (this.sync)
        {
            if (task.State == TaskStates.NotStarted)
            {
                task.State = TaskStates.Cancelled;
                task.CurrentStep = "Cancelled.";
            }
            else if (task.State == TaskStates.InProgress)
            {
                task.State = TaskStates.Cancelling;
                task.CurrentStep = "Cancelling.";
                task.RequestCancel();
            }
        }

        this.tenant.Notify();
        this.TryRunNext();
    }

    /// <summary>Waits (bounded) until no action runs or waits on the model. Returns whether the call had to wait.</summary>
    internal async Task<bool> WaitUntilIdleAsync(CancellationToken cancellationToken)
    {
        Task waitFor;
        lock (this.sync)
        {
            if (this.running is null && this.pending.Count == 0)
            {
                return false;
            }

            this.idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waitFor = this.idle.Task;
            this.busyWaiters++;
        }

        this.tenant.Counters.BusyWait();
        this.tenant.Notify();
        try
        {
            await waitFor.WaitAsync(this.tenant.Options.BusyWaitLimit, this.tenant.Time, cancellationToken);
        }
        catch (TimeoutException)
        {
            // Anaplan answers eventually even when the model stays busy.
        }
        finally
        {
            lock (this.sync)
            {
                this.busyWaiters--;
            }

            this.tenant.Notify();
        }

        return true;
    }

    private void TryRunNext()
    {
        EmulatedTask? next = null;
        TaskHold? currentHold;
        TaskCompletionSource? nowIdle = null;
        lock (this.sync)
        {
            if (this.running is not null)
            {
                return;
            }

            while (this.pending.TryDequeue(out EmulatedTask? candidate))
            {
                if (candidate.State == TaskStates.NotStarted)
                {
                    next = candidate;
                    break;
                }
            }

            if (next is null)
            {
                nowIdle = this.idle;
                this.idle = null;
            }
            else
            {
                this.running = next;
                next.State = TaskStates.InProgress;
                next.CurrentStep = "Running.";
            }

            currentHold = next is not null && this.hold is { } h && (h.ActionName is null || string.Equals(h.ActionName, next.ActionName, StringComparison.Ordinal))
                ? h
                : null;
        }

        nowIdle?.TrySetResult();
        this.tenant.Notify();
        if (next is not null)
        {
            _ = Task.Run(() => this.RunAsync(next, currentHold));
        }
    }

    private async Task RunAsync(EmulatedTask task, TaskHold? taskHold)
    {
        TaskOutcome? outcome = null;
        try
        {
            if (taskHold is not null)
            {
                await Task.WhenAny(taskHold.Released, task.CancelRequested);
            }

            if (this.tenant.Options.TaskDuration > TimeSpan.Zero && !task.IsCancelRequested)
            {
                using var stop = new CancellationTokenSource();
                Task delay = Task.Delay(this.tenant.Options.TaskDuration, this.tenant.Time, stop.Token);
                await Task.WhenAny(delay, task.CancelRequested);
                await stop.CancelAsync();
            }

            if (!task.IsCancelRequested)
            {
                outcome = ActionRunner.Run(this, task);
            }
        }
        catch (Exception ex)
        {
            Logs.TaskFailed(this.tenant.Logger, ex, task.TaskId);
            outcome = TaskOutcome.Failed(task.ActionId, "Internal error: " + ex.GetType().Name);
        }

        lock (this.sync)
        {
            if (outcome is null)
            {
                task.State = TaskStates.Cancelled;
                task.CurrentStep = "Cancelled.";
            }
            else
            {
                task.State = TaskStates.Complete;
                task.CurrentStep = "Complete.";
                task.Progress = 1;
                task.Result = outcome.Result;
                foreach ((string objectId, byte[] dump) in outcome.Dumps)
                {
                    task.Dumps[objectId] = dump;
                }
            }

            task.FinishedAt = this.tenant.Time.GetUtcNow();
            this.running = null;
        }

        this.tenant.Notify();
        this.TryRunNext();
    }

    private CellKey CheckMembers(ModuleData data, IReadOnlyList<string> members)
    {
        if (members.Count != data.Dimensions.Count)
        {
            throw new ArgumentException(
                $"Module '{data.Name}' has {data.Dimensions.Count} dimensions ({string.Join(", ", data.Dimensions)}); {members.Count} members were given.",
                nameof(members));
        }

        for (int i = 0; i < members.Count; i++)
        {
            if (this.List(data.Dimensions[i]).Find(members[i]) is null)
            {
                throw new ArgumentException($"Module '{data.Name}': '{members[i]}' is not an item of list '{data.Dimensions[i]}'.", nameof(members));
            }
        }

        return data.TryKey(members, out CellKey key) ? key : throw new InvalidOperationException("Unreachable: every member was found.");
    }

    private void AddFileLocked(EmulatedFile file)
    {
        if (this.files.TryAdd(file.Id, file))
        {
            this.fileOrder.Add(file);
        }
    }

    private static string Singular(string actionType) => actionType switch
    {
        "imports" => "Import",
        "exports" => "Export",
        "processes" => "Process",
        _ => actionType,
    };

    private sealed class TaskHold(EmulatedModel model, string? actionName) : IDisposable
    {
        private readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string? ActionName => actionName;

        public Task Released => this.released.Task;

        public void Dispose()
        {
            lock (model.sync)
            {
                if (ReferenceEquals(model.hold, this))
                {
                    model.hold = null;
                }
            }

            this.released.TrySetResult();
        }
    }
}
