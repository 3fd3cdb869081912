using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Connector.Orchestrations.Anaplan;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Credentials;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Budgets;
using Connector.Orchestrations.Sage100;

namespace Connector.Orchestrations.ModelFit;

/// <summary>An import as discovery saw it: its header names, and the dataset it looks like it loads.</summary>
public sealed record DiscoveredImport(string Id, string Name, string? ImportType, IReadOnlyList<string> Headers);

/// <summary>An export as discovery saw it.</summary>
public sealed record DiscoveredExport(string Id, string Name, string? ExportType, IReadOnlyList<string> Headers);

/// <summary>A list as discovery saw it, with a few of its codes.</summary>
public sealed record DiscoveredList(string Id, string Name, int? ItemCount, IReadOnlyList<string> SampleCodes, string? Problem = null);

/// <summary>A model and what it holds (or why it could not be read).</summary>
public sealed record DiscoveredModel(
    string WorkspaceId, string WorkspaceName, string Id, string Name, string? ActiveState,
    IReadOnlyList<DiscoveredImport> Imports, IReadOnlyList<DiscoveredExport> Exports, IReadOnlyList<DiscoveredList> Lists, string? Problem = null);

/// <summary>What the credentials can see: every workspace and model, each model's actions and lists.</summary>
public sealed record DiscoveryReport(IReadOnlyList<AnaplanWorkspace> Workspaces, IReadOnlyList<DiscoveredModel> Models);

/// <summary>A starter connection for a chosen model, and the notes a person should read before using it.</summary>
public sealed record ConnectionProposal(ConnectionOptions Connection, IReadOnlyList<string> Notes);

/// <summary>What <c>connector discover</c> found, and (when a model was chosen) the connection it proposes for it.</summary>
public sealed record DiscoveryResult(DiscoveryReport Report, DiscoveredModel? Chosen, ConnectionProposal? Proposal);

/// <summary>
/// <c>connector discover</c>: signs in to Anaplan, lists what the credentials can see (workspaces, models, each model's
/// imports with their header names, exports with theirs, lists), and proposes a starter connection for a chosen model:
/// which import loads which dataset (by name and by whether the connector's fields map onto its headers), the column
/// overrides a header needs, the lists alignment reads, the period format (tried against the model's period list and,
/// when the Sage side is known, the company's calendar), the budget export's shape and the read-back exports. It reads
/// only: nothing is uploaded and no action runs.
/// </summary>
public static class ModelDiscovery
{
    private static readonly string[] PeriodFormats =
        ["FY{year}-P{period}", "FY{yy} P{pp}", "FY{yy}-P{pp}", "FY{yyyy} P{pp}", "FY{yy} P{p}", "P{pp} FY{yy}", "{yyyy}-P{pp}", "{yyyy}-{pp}", "{mon} {yy}", "{mon} {yyyy}", "{yyyy}-{mm}"];

    /// <summary>Lists the workspaces, their models and each model's imports, exports and lists.</summary>
    /// <param name="anaplan">A signed-in client (any of its models: each model is read through <see cref="AnaplanClient.ForModel"/>).</param>
    /// <param name="workspaceId">Only this workspace (id or name), or all when null.</param>
    public static async Task<DiscoveryReport> DiscoverAsync(AnaplanClient anaplan, string? workspaceId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(anaplan);
        IReadOnlyList<AnaplanWorkspace> workspaces = await anaplan.ListWorkspacesAsync(cancellationToken);
        var models = new List<DiscoveredModel>();
        foreach (AnaplanWorkspace workspace in workspaces.Where(w => workspaceId is null || Same(w.Id, workspaceId) || Same(w.Name, workspaceId)))
        {
            foreach (AnaplanModelInfo model in await anaplan.ListModelsAsync(workspace.Id, cancellationToken))
            {
                models.Add(await DescribeAsync(anaplan.ForModel(workspace.Id, model.Id), workspace, model, cancellationToken));
            }
        }

        return new DiscoveryReport(workspaces, models);
    }

    /// <summary>
    /// Proposes a connection for <paramref name="model"/>. <paramref name="template"/> gives the Sage side and the Anaplan
    /// credentials (a connection the person already has, or placeholders); <paramref name="calendar"/>, when known, lets
    /// the period format be checked against the company's own periods.
    /// </summary>
    public static ConnectionProposal Propose(DiscoveredModel model, ConnectionOptions template, string connectionId, SageFiscalCalendar? calendar)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(template);
        var notes = new List<string>();
        var c = new ConnectionOptions
        {
            Id = connectionId,
            Sage = template.Sage,
            CostCenterSegment = template.CostCenterSegment,
            Anaplan = template.Anaplan,
        };
        c.Anaplan = new AnaplanSideOptions
        {
            AuthUrl = template.Anaplan.AuthUrl,
            ApiUrl = template.Anaplan.ApiUrl,
            AuthMode = template.Anaplan.AuthMode,
            UserName = template.Anaplan.UserName,
            PasswordReference = template.Anaplan.PasswordReference,
            CertificateReference = template.Anaplan.CertificateReference,
            PrivateKeyReference = template.Anaplan.PrivateKeyReference,
            ChunkSizeMb = template.Anaplan.ChunkSizeMb,
            RequestsPerMinute = template.Anaplan.RequestsPerMinute,
            PollInterval = template.Anaplan.PollInterval,
            TaskTimeout = template.Anaplan.TaskTimeout,
            WorkspaceId = model.WorkspaceId,
            ModelId = model.Id,
        };

        // Periods first: the budget view's period columns are recognized by their codes.
        (c.PeriodFormat, c.PeriodYear) = ProposePeriods(model, calendar, notes);

        // Imports: each dataset gets the import its name suggests and whose headers the fields map onto.
        var taken = new HashSet<string>(StringComparer.Ordinal);
        var layouts = new Dictionary<string, DatasetLayout>(StringComparer.Ordinal);
        foreach (string dataset in ImportLayoutResolver.Datasets)
        {
            (DiscoveredImport? import, DatasetLayout? layout, Dictionary<string, string> overrides) = ChooseImport(model.Imports, dataset, taken);
            if (import is null)
            {
                if (dataset != Datasets.CostCenters)
                {
                    notes.Add($"No import looks like it loads the {ImportFields.Describe(dataset)}: set {ImportFields.Setting(dataset).Replace("Columns", "Imports", StringComparison.Ordinal)}.");
                }

                continue;
            }

            taken.Add(import.Id);
            layouts[dataset] = layout!;
            SetImport(c, dataset, import.Name);
            foreach ((string header, string source) in overrides)
            {
                ColumnsOf(c, dataset)[header] = source;
                notes.Add($"{ImportFields.Setting(dataset)}:{header} = '{source}' is a guess for the import '{import.Name}': check it.");
            }
        }

        // Lists alignment reads back, and whether the model has a cost-centre dimension at all.
        DiscoveredList? accounts = FindList(model.Lists, ["account", "gl"]);
        DiscoveredList? costCenters = FindList(model.Lists, ["cost cent", "costcent", "department", "cost centre"]);
        c.Actuals.Lists.Accounts = accounts?.Name ?? c.Actuals.Lists.Accounts;
        if (accounts is null)
        {
            notes.Add("No list looks like the accounts list: set Actuals:Lists:Accounts.");
        }

        if (!layouts.ContainsKey(Datasets.CostCenters))
        {
            c.Actuals.Imports.CostCenters = null;
            c.Actuals.Lists.CostCenters = null;
            c.AccountFormat = "{sage}";
            c.Budgets.Columns.CostCenter = null;
            notes.Add("The model has no cost-centre import: the account item is taken to be the whole Sage account (AccountFormat {sage}); use {account}-{costcenter} or another format if its codes differ.");
        }
        else
        {
            c.Actuals.Lists.CostCenters = costCenters?.Name ?? c.Actuals.Lists.CostCenters;
        }

        ProposeBudget(model, c, notes);
        ProposeReadBacks(model, c, layouts);
        return new ConnectionProposal(c, notes);
    }

    /// <summary>
    /// Discovery as <c>connector discover</c> runs it: signs in with the Anaplan credentials of the connection
    /// <paramref name="templateId"/>, lists what they can see and, when <paramref name="model"/> (an id or a name) is
    /// given, proposes a connection <paramref name="newId"/> for it, the company's calendar read through the template's
    /// Sage agent when it answers (the period format is then checked against the company's own periods).
    /// </summary>
    /// <exception cref="ConnectorConfigurationException">No visible model has that id or name.</exception>
    public static async Task<DiscoveryResult> RunAsync(
        ConnectionClients clients, string templateId, string? workspace, string? model, string? newId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(clients);
        ConnectionOptions template = clients.Connection(templateId);
        DiscoveryReport report = await DiscoverAsync(clients.Anaplan(template.Id), workspace, cancellationToken);
        if (string.IsNullOrWhiteSpace(model))
        {
            return new DiscoveryResult(report, null, null);
        }

        DiscoveredModel chosen = report.Models.FirstOrDefault(m => Same(m.Id, model)) ?? report.Models.FirstOrDefault(m => Same(m.Name, model))
            ?? throw new ConnectorConfigurationException(
                $"No model visible to {template.Anaplan.UserName ?? "these credentials"} has the id or name '{model}' (visible: {string.Join(", ", report.Models.Select(m => $"'{m.Name}' {m.Id}"))}).");
        if (chosen.Problem is not null)
        {
            throw new ConnectorConfigurationException($"The model '{chosen.Name}' could not be read: {chosen.Problem}");
        }

        SageFiscalCalendar? calendar = null;
        string? calendarProblem = null;
        try
        {
            calendar = await clients.Sage(template.Id).GetFiscalCalendarAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is SageAgentException or HttpRequestException or CredentialNotFoundException or CredentialUnavailableException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            calendarProblem = $"The Sage agent of '{template.Id}' did not give the company's fiscal calendar ({ex.Message}): the period format was guessed from the model's period codes alone.";
        }

        ConnectionProposal proposal = Propose(chosen, template, string.IsNullOrWhiteSpace(newId) ? template.Id : newId, calendar);
        return new DiscoveryResult(report, chosen, calendarProblem is null ? proposal : proposal with { Notes = [calendarProblem, .. proposal.Notes] });
    }

    /// <summary>
    /// The starter settings file of a proposal: <c>{"Connector":{"Connections":[...]}}</c> with every setting of the
    /// connection (so nothing is inherited from another file by position), a setting the proposal clears written as an
    /// empty string (the configuration binder keeps a default for a null), and the notes under <c>DiscoveryNotes</c>.
    /// </summary>
    public static string SettingsJson(ConnectionProposal proposal)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        var options = new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        JsonObject connection = JsonSerializer.SerializeToNode(proposal.Connection, options)!.AsObject();
        ClearedAsEmpty(connection, JsonSerializer.SerializeToNode(new ConnectionOptions(), options)!.AsObject());
        var settings = new JsonObject
        {
            ["DiscoveryNotes"] = new JsonArray([.. proposal.Notes.Select(n => JsonValue.Create(n))]),
            ["Connector"] = new JsonObject { ["Connections"] = new JsonArray(connection) },
        };
        return settings.ToJsonString(options);
    }

    private static void ClearedAsEmpty(JsonObject proposed, JsonObject? defaults)
    {
        foreach (string name in proposed.Select(p => p.Key).ToList())
        {
            JsonNode? value = proposed[name];
            JsonNode? fallback = defaults?[name];
            if (value is null)
            {
                if (fallback is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                {
                    proposed[name] = string.Empty;
                }
                else
                {
                    proposed.Remove(name);
                }
            }
            else if (value is JsonObject child)
            {
                ClearedAsEmpty(child, fallback as JsonObject);
            }
        }
    }

    private static bool Same(string? a, string? b) => string.Equals(a?.Trim(), b?.Trim(), StringComparison.OrdinalIgnoreCase);

    private static async Task<DiscoveredModel> DescribeAsync(AnaplanClient anaplan, AnaplanWorkspace workspace, AnaplanModelInfo model, CancellationToken cancellationToken)
    {
        try
        {
            var imports = new List<DiscoveredImport>();
            foreach (AnaplanImport import in await anaplan.ListImportsAsync(cancellationToken))
            {
                imports.Add(new DiscoveredImport(import.Id, import.Name, import.ImportType, (await anaplan.GetImportMetadataAsync(import.Id, cancellationToken)).HeaderNames));
            }

            var exports = new List<DiscoveredExport>();
            foreach (AnaplanExport export in await anaplan.ListExportsAsync(cancellationToken))
            {
                exports.Add(new DiscoveredExport(export.Id, export.Name, export.ExportType, (await anaplan.GetExportMetadataAsync(export.Id, cancellationToken)).HeaderNames));
            }

            var lists = new List<DiscoveredList>();
            foreach (AnaplanList list in await anaplan.ListListsAsync(cancellationToken))
            {
                try
                {
                    IReadOnlyList<AnaplanListItem> items = await anaplan.GetListItemsAsync(list.Id, includeAll: false, cancellationToken);
                    lists.Add(new DiscoveredList(list.Id, list.Name, items.Count, [.. items.Select(i => i.Code ?? i.Name)]));
                }
                catch (AnaplanException ex) when (ex.StatusCode is 403 or 400)
                {
                    lists.Add(new DiscoveredList(list.Id, list.Name, null, [], ex.StatusCode == 403 ? "the list read needs a workspace administrator" : "more than 1,000,000 items"));
                }
            }

            return new DiscoveredModel(workspace.Id, workspace.Name, model.Id, model.Name, model.ActiveState, imports, exports, lists);
        }
        catch (AnaplanException ex)
        {
            return new DiscoveredModel(workspace.Id, workspace.Name, model.Id, model.Name, model.ActiveState, [], [], [], ex.Message);
        }
    }

    private static (string Format, string YearBasis) ProposePeriods(DiscoveredModel model, SageFiscalCalendar? calendar, List<string> notes)
    {
        DiscoveredList? periods = FindList(model.Lists, ["period", "month", "time"]);
        if (periods is null || periods.SampleCodes.Count == 0)
        {
            notes.Add("No period list was found (native time is not a list): PeriodFormat is left as FY{year}-P{period}; for native time set it to '{mon} {yy}' with PeriodYear Calendar.");
            return ("FY{year}-P{period}", PeriodSettings.Fiscal);
        }

        var codes = new HashSet<string>(periods.SampleCodes, StringComparer.OrdinalIgnoreCase);
        foreach (string format in PeriodFormats)
        {
            foreach (string basis in PeriodSettings.YearBases)
            {
                bool fits = calendar is not null
                    ? calendar.Years.SelectMany(y => y.Periods.Where(p => p.Period <= 12).Select(p => PeriodCodec.Apply(format, y.FiscalYear, p.Period, p.BeginDate, p.EndDate, basis))).All(codes.Contains)
                    : basis == PeriodSettings.Fiscal && periods.SampleCodes.All(code => Pattern(format).IsMatch(code));
                if (fits)
                {
                    return (format, basis);
                }
            }
        }

        notes.Add($"The period list '{periods.Name}' has codes like {string.Join(", ", periods.SampleCodes.Take(3))}, which no known format gives{(calendar is null ? string.Empty : " for the company's calendar")}: set PeriodFormat.");
        return ("FY{year}-P{period}", PeriodSettings.Fiscal);
    }

    private static Regex Pattern(string format)
        => new(
            "^" + Regex.Escape(format).Replace(@"\{yyyy}", "[0-9]{4}", StringComparison.Ordinal).Replace(@"\{year}", "[0-9]{4}", StringComparison.Ordinal)
                .Replace(@"\{yy}", "[0-9]{2}", StringComparison.Ordinal).Replace(@"\{pp}", "[0-9]{2}", StringComparison.Ordinal).Replace(@"\{period}", "[0-9]{2}", StringComparison.Ordinal)
                .Replace(@"\{p}", "[0-9]{1,2}", StringComparison.Ordinal).Replace(@"\{mm}", "[0-9]{2}", StringComparison.Ordinal)
                .Replace(@"\{mon}", "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)", StringComparison.Ordinal) + "$",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant,
            TimeSpan.FromSeconds(1));

    private static (DiscoveredImport? Import, DatasetLayout? Layout, Dictionary<string, string> Overrides) ChooseImport(
        IReadOnlyList<DiscoveredImport> imports, string dataset, HashSet<string> taken)
    {
        string[] words = dataset switch
        {
            Datasets.Accounts => ["account"],
            Datasets.CostCenters => ["cost cent", "costcent", "department", "cost centre"],
            Datasets.Vendors => ["vendor", "supplier"],
            Datasets.GlActuals => ["gl", "actual", "ledger", "trial"],
            _ => ["ap", "payable", "spend", "invoice", "purchas"],
        };
        bool list = dataset is Datasets.Accounts or Datasets.CostCenters or Datasets.Vendors;
        var candidates = imports
            .Where(i => !taken.Contains(i.Id))
            .Where(i => i.ImportType is null || (list ? i.ImportType.Contains("HIERARCHY", StringComparison.OrdinalIgnoreCase) : !i.ImportType.Contains("HIERARCHY", StringComparison.OrdinalIgnoreCase)))
            .Where(i => NameMatches(i.Name, words, dataset))
            .ToList();
        foreach (DiscoveredImport import in candidates)
        {
            // Headers no field or alias fills get a guess only for the usual fixed columns (a version, a source tag).
            var overrides = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            (DatasetLayout? layout, IReadOnlyList<string> problems) = ColumnMapper.Map(dataset, import.Name, import.Headers, overrides);
            if (layout is null)
            {
                foreach (string header in import.Headers)
                {
                    string h = ImportFields.Normalize(header);
                    if (h is "version" or "versions" or "scenario")
                    {
                        overrides[header] = "=Actual";
                    }
                    else if (h is "source" or "sourcesystem" or "datasource")
                    {
                        overrides[header] = "=Sage 100";
                    }
                }

                (layout, problems) = ColumnMapper.Map(dataset, import.Name, import.Headers, overrides);
            }

            if (layout is not null && problems.Count == 0)
            {
                return (import, layout, overrides);
            }
        }

        return (null, null, []);
    }

    private static bool NameMatches(string name, string[] words, string dataset)
    {
        string lower = name.ToLowerInvariant();

        // "AP" and "GL" must be whole words ("Load GL", "AP from Sage"), not parts of other words.
        bool Word(string w) => w.Length <= 2
            ? Regex.IsMatch(lower, $@"\b{w}\b", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1))
            : lower.Contains(w, StringComparison.Ordinal);
        return dataset switch
        {
            // An accounts import is not a GL actuals import that names accounts.
            Datasets.Accounts => words.Any(Word) && !lower.Contains("actual", StringComparison.Ordinal),
            Datasets.GlActuals => words.Any(Word) && !Word("ap"),
            _ => words.Any(Word),
        };
    }

    private static DiscoveredList? FindList(IReadOnlyList<DiscoveredList> lists, string[] words)
        => lists.FirstOrDefault(l => words.Any(w => l.Name.Contains(w, StringComparison.OrdinalIgnoreCase)));

    private static void ProposeBudget(DiscoveredModel model, ConnectionOptions c, List<string> notes)
    {
        DiscoveredExport? export = model.Exports.Where(e => e.Name.Contains("budget", StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(e => e.Name.Contains("approved", StringComparison.OrdinalIgnoreCase)).FirstOrDefault();
        if (export is null)
        {
            notes.Add("No export looks like a budget view: the budgets flow stays disabled (set Budgets:Export, then enable it).");
            return;
        }

        c.Budgets.Export = export.Name;
        string? Header(params string[] names) => export.Headers.FirstOrDefault(h => names.Contains(ImportFields.Normalize(h), StringComparer.Ordinal))?.Trim();
        c.Budgets.Columns.Account = Header("account", "accountcode", "glaccount") ?? c.Budgets.Columns.Account;
        c.Budgets.Columns.CostCenter = c.Budgets.Columns.CostCenter is null ? null : Header("costcenter", "costcentre", "department", "cc");
        c.Budgets.Columns.Version = Header("version", "versions", "scenario");
        Regex period = Pattern(c.PeriodFormat);
        if (export.Headers.Any(h => period.IsMatch(h.Trim())))
        {
            c.Budgets.Layout = BudgetExportColumns.PeriodColumnsLayout;
            c.Budgets.Columns.Period = null;
            c.Budgets.Columns.Amount = null;
        }
        else
        {
            c.Budgets.Columns.Period = Header("period", "month", "time", "fiscalperiod") ?? c.Budgets.Columns.Period;
            c.Budgets.Columns.Amount = Header("amount", "value", "budget") ?? c.Budgets.Columns.Amount;
        }

        notes.Add(c.Budgets.Columns.Version is null
            ? $"The budget view '{export.Name}' has no version column: its page selector fixes the version, taken to be Budgets:Version ('{c.Budgets.Version}'); check it."
            : $"The budget view '{export.Name}' shows the version in '{c.Budgets.Columns.Version}'.");
        notes.Add("Budgets stay disabled until Budgets:OffsetAccount (the account every entry balances against) is set and Budgets:Enabled is true.");
    }

    private static void ProposeReadBacks(DiscoveredModel model, ConnectionOptions c, Dictionary<string, DatasetLayout> imports)
    {
        foreach (string dataset in new[] { Datasets.GlActuals, Datasets.ApActuals })
        {
            if (!imports.TryGetValue(dataset, out DatasetLayout? import))
            {
                continue;
            }

            foreach (DiscoveredExport export in model.Exports.Where(e => !e.Name.Contains("budget", StringComparison.OrdinalIgnoreCase)))
            {
                // A read-back shows the cells the import loads: every member the import sends, and one of its values.
                (DatasetLayout? layout, _) = ColumnMapper.Map(dataset, export.Name, export.Headers, null);
                IEnumerable<string> values = ImportFields.Of(dataset).Except(ImportFields.KeyOf(dataset));
                if (layout is null || !ImportFields.KeyOf(dataset).Where(import.Has).All(layout.Has) || !values.Any(f => import.Has(f) && layout.Has(f)))
                {
                    continue;
                }

                string? Column(string field) => layout.Columns.FirstOrDefault(col => !col.IsFixed && col.Source == field)?.Header;
                if (dataset == Datasets.GlActuals)
                {
                    c.Actuals.ReadBack.GlExport = export.Name;
                    c.Actuals.ReadBack.GlColumns = new GlReadBackColumns
                    {
                        Account = Column(ImportFields.Account) ?? "Account",
                        CostCenter = Column(ImportFields.CostCenter),
                        Period = Column(ImportFields.Period) ?? "Period",
                        Debit = Column(ImportFields.Debit),
                        Credit = Column(ImportFields.Credit),
                        Net = Column(ImportFields.Net),
                    };
                }
                else
                {
                    c.Actuals.ReadBack.ApExport = export.Name;
                    c.Actuals.ReadBack.ApColumns = new ApReadBackColumns
                    {
                        Vendor = Column(ImportFields.Vendor) ?? "Vendor",
                        CostCenter = Column(ImportFields.CostCenter),
                        Period = Column(ImportFields.Period) ?? "Period",
                        InvoiceAmount = Column(ImportFields.InvoiceAmount),
                        InvoiceCount = Column(ImportFields.InvoiceCount),
                    };
                }

                break;
            }
        }
    }

    private static void SetImport(ConnectionOptions c, string dataset, string name)
    {
        switch (dataset)
        {
            case Datasets.Accounts: c.Actuals.Imports.Accounts = name; break;
            case Datasets.CostCenters: c.Actuals.Imports.CostCenters = name; break;
            case Datasets.Vendors: c.Actuals.Imports.Vendors = name; break;
            case Datasets.GlActuals: c.Actuals.Imports.GlActuals = name; break;
            default: c.Actuals.Imports.ApActuals = name; break;
        }
    }

    private static Dictionary<string, string> ColumnsOf(ConnectionOptions c, string dataset) => dataset switch
    {
        Datasets.Accounts => c.Actuals.Columns.Accounts,
        Datasets.CostCenters => c.Actuals.Columns.CostCenters,
        Datasets.Vendors => c.Actuals.Columns.Vendors,
        Datasets.GlActuals => c.Actuals.Columns.GlActuals,
        _ => c.Actuals.Columns.ApActuals,
    };
}
