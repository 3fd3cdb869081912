using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Connector.Orchestrations.Anaplan;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Credentials;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Budgets;
using Connector.Orchestrations.Flows.Dimensions;
using Connector.Orchestrations.Sage100;

namespace Connector.Orchestrations.ModelFit;

/// <summary>The outcome of one line of a check.</summary>
public static class CheckStatuses
{
    public const string Pass = "pass";
    public const string Fail = "fail";

    /// <summary>Not checked: an earlier line it depends on failed.</summary>
    public const string Skip = "skip";
}

/// <summary>One line of a check: what was checked, how it went, what was seen, and (when it failed) the fix to make.</summary>
public sealed record CheckLine(string Name, string Status, string Detail, string? Fix = null);

/// <summary>A connection checked against the real systems: every line, and whether all passed.</summary>
public sealed record ConnectionCheckReport(string ConnectionId, bool Passed, IReadOnlyList<CheckLine> Lines, DateTimeOffset CheckedAt);

/// <summary>
/// "Ping your real systems": checks a connection against the Sage agent and the Anaplan model it names, line by line,
/// and writes nothing anywhere (no upload, no task, no storage): the agent is reachable; its TLS certificate is trusted
/// as configured (the presented SHA-256 fingerprint is shown when it is not pinned); the API key is accepted; the company
/// exists; its account structure is read and has the cost-centre segment; its calendar gives distinct period codes;
/// Anaplan authenticates; the workspace and model exist and are online; each configured action and list exists; each
/// import's headers are mapped (the mapping is shown); each export's columns are understood. A failed line says the fix.
/// </summary>
public sealed class ConnectionChecker(ConnectionClients clients, TimeProvider time)
{
    /// <summary>How long the agent may take to accept a connection and a TLS handshake.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Checks a connection.</summary>
    /// <exception cref="Operations.ConnectionNotFoundException">No connection has that id.</exception>
    public async Task<ConnectionCheckReport> CheckAsync(string connectionId, CancellationToken cancellationToken = default)
    {
        ConnectionOptions connection = clients.Connection(connectionId);
        var lines = new List<CheckLine>();
        SageFacts? sage = await this.CheckSageAsync(connection, lines, cancellationToken);
        await this.CheckAnaplanAsync(connection, sage, lines, cancellationToken);
        return new ConnectionCheckReport(connection.Id, lines.All(l => l.Status != CheckStatuses.Fail), lines, time.GetUtcNow());
    }

    private static CheckLine Pass(string name, string detail) => new(name, CheckStatuses.Pass, detail);

    private static CheckLine Fail(string name, string detail, string fix) => new(name, CheckStatuses.Fail, detail, fix);

    private static CheckLine Skip(string name, string because) => new(name, CheckStatuses.Skip, $"not checked: {because}");

    private static string Normalize(string fingerprint) => fingerprint.Replace(":", string.Empty, StringComparison.Ordinal).Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant();

    // ------------------------------------------------------------------ Sage

    private async Task<SageFacts?> CheckSageAsync(ConnectionOptions connection, List<CheckLine> lines, CancellationToken cancellationToken)
    {
        const string Reachable = "Sage agent reachable", Tls = "Sage agent TLS certificate", Key = "Sage agent API key accepted",
            Company = "Sage company exists", Structure = "Sage account structure read", Periods = "Sage fiscal calendar and period codes";
        string[] later = [Key, Company, Structure, Periods];
        Uri agent = connection.Sage.BaseUrl!;

        TlsProbe probe = await TlsProbe.RunAsync(agent, ProbeTimeout, cancellationToken);
        if (!probe.Connected)
        {
            lines.Add(Fail(Reachable, $"could not connect to {agent.Host}:{agent.Port}: {probe.Problem}",
                $"Start the Sage agent on the Sage server, check Sage:BaseUrl ({agent}) and that the server's firewall lets this machine reach port {agent.Port}."));
            lines.AddRange([Skip(Tls, "the agent is not reachable"), .. later.Select(n => Skip(n, "the agent is not reachable"))]);
            return null;
        }

        lines.Add(Pass(Reachable, $"connected to {agent.Host}:{agent.Port}"));
        CheckLine tls = CheckTls(connection.Sage, probe);
        lines.Add(tls);
        if (tls.Status == CheckStatuses.Fail)
        {
            lines.AddRange(later.Select(n => Skip(n, "the TLS connection is refused")));
            return null;
        }

        SageAgentClient client = clients.Sage(connection.Id);
        SageCapabilities capabilities;
        try
        {
            capabilities = await client.GetCapabilitiesAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is SageAgentException or CredentialNotFoundException or CredentialUnavailableException)
        {
            string reference = connection.Sage.ApiKeyReference;
            lines.Add(ex is SageAgentException { Code: SageAgentErrorCode.Unauthorized } or CredentialNotFoundException or CredentialUnavailableException
                ? Fail(Key, ex.Message, $"Store the key the agent was given (its --api-key setting) under the reference '{reference}' (Sage:ApiKeyReference), e.g. with 'connector secrets set {reference}'.")
                : Fail(Key, ex.Message, "Check the agent's log on the Sage server; the agent answered, but not as expected."));
            lines.AddRange(later.Skip(1).Select(n => Skip(n, "the API key was not accepted")));
            return null;
        }

        lines.Add(Pass(Key, $"agent {capabilities.AgentVersion} ({capabilities.Backend}, {capabilities.SageVersion}) answered with the key under '{connection.Sage.ApiKeyReference}'"));
        if (!capabilities.Companies.Any(c => string.Equals(c.Code, connection.Sage.Company, StringComparison.OrdinalIgnoreCase)))
        {
            lines.Add(Fail(Company, $"the agent serves {string.Join(", ", capabilities.Companies.Select(c => c.Code))}, not {connection.Sage.Company}",
                $"Set Sage:Company to one of {string.Join(", ", capabilities.Companies.Select(c => c.Code))}, or add {connection.Sage.Company} to the agent's companies (and allow it external access in Sage)."));
            lines.AddRange(later.Skip(2).Select(n => Skip(n, "the company does not exist")));
            return null;
        }

        SageCompanyCapabilities company = capabilities.Companies.First(c => string.Equals(c.Code, connection.Sage.Company, StringComparison.OrdinalIgnoreCase));
        lines.Add(Pass(Company, $"{company.Code}: {company.Name.Trim()}"));

        var facts = new SageFacts();
        try
        {
            AccountStructure structure = await client.GetAccountStructureAsync(cancellationToken);
            AccountSegment segment = CostCenters.Resolve(connection, structure);
            facts.Structure = structure;
            lines.Add(Pass(Structure, $"{structure.Describe()}; the cost centre is segment {segment.Number} ({segment.Description.Trim()})"));
        }
        catch (Exception ex) when (ex is SageAgentException or ConnectorConfigurationException)
        {
            lines.Add(Fail(Structure, ex.Message, ex is ConnectorConfigurationException
                ? "Set CostCenterSegment to the number (2-10) or the description of the segment that is the cost centre."
                : "Check the agent's log on the Sage server: it could not read the company's account structure."));
        }

        try
        {
            SageFiscalCalendar calendar = await client.GetFiscalCalendarAsync(cancellationToken);
            var codec = new PeriodCodec(PeriodSettings.Of(connection), calendar);
            facts.Periods = codec;
            string current = codec.CodeOrNull(calendar.CurrentFiscalYear, calendar.CurrentPeriod) ?? "(skipped)";
            lines.Add(Pass(Periods, $"fiscal years {string.Join(", ", calendar.Years.Select(y => $"{y.FiscalYear} ({y.Periods.Count} periods)"))}; the current period {calendar.CurrentFiscalYear}-{calendar.CurrentPeriod:D2} is '{current}'; codes look like {codec.Examples}"));
        }
        catch (Exception ex) when (ex is SageAgentException or ConnectorConfigurationException)
        {
            lines.Add(Fail(Periods, ex.Message, ex is ConnectorConfigurationException
                ? "Change PeriodFormat (and PeriodYear, Period13) so each fiscal period has its own code, as the model's period or time items are named."
                : "Check the agent's log on the Sage server: it could not read the fiscal calendar."));
        }

        return facts;
    }

    private static CheckLine CheckTls(SageSideOptions sage, TlsProbe probe)
    {
        const string Name = "Sage agent TLS certificate";
        if (probe.Problem is not null)
        {
            return Fail(Name, $"the TLS handshake failed: {probe.Problem}", "Sage:BaseUrl must be the agent's https:// address; the agent serves HTTPS only.");
        }

        string fingerprint = probe.Fingerprint!;
        string subject = probe.Subject ?? "(no subject)";
        switch (sage.TlsMode.ToUpperInvariant())
        {
            case "PINNED":
                return sage.PinnedFingerprints.Select(Normalize).Contains(fingerprint, StringComparer.Ordinal)
                    ? Pass(Name, $"pinned: the agent presented {subject}, SHA-256 {fingerprint}")
                    : Fail(Name, $"the agent presented {subject} with SHA-256 fingerprint {fingerprint}, which is not pinned (pinned: {string.Join(", ", sage.PinnedFingerprints)})",
                        $"If this is your agent's certificate (compare with the fingerprint the agent prints at start), put {fingerprint} in Sage:PinnedFingerprints.");
            case "INSECURESKIPVERIFY":
                return Pass(Name, $"not verified (TlsMode InsecureSkipVerify): the agent presented {subject}, SHA-256 {fingerprint}; pin it with TlsMode Pinned");
            default:
                return probe.PolicyErrors == SslPolicyErrors.None
                    ? Pass(Name, $"trusted by this machine: {subject}, SHA-256 {fingerprint}")
                    : Fail(Name, $"the agent's certificate {subject} (SHA-256 {fingerprint}) is not trusted by this machine ({probe.PolicyErrors})",
                        $"Agents usually have a self-signed certificate: set Sage:TlsMode to Pinned and Sage:PinnedFingerprints to {fingerprint} (if it is the fingerprint the agent prints at start), or give the agent a certificate this machine trusts.");
        }
    }

    // ------------------------------------------------------------------ Anaplan

    private async Task CheckAnaplanAsync(ConnectionOptions connection, SageFacts? sage, List<CheckLine> lines, CancellationToken cancellationToken)
    {
        const string Auth = "Anaplan authenticates", Model = "Anaplan workspace and model exist and are online";
        AnaplanSideOptions options = connection.Anaplan;
        AnaplanClient anaplan = clients.Anaplan(connection.Id);
        IReadOnlyList<AnaplanWorkspace> workspaces;
        try
        {
            workspaces = await anaplan.ListWorkspacesAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is AnaplanException or CredentialNotFoundException or CredentialUnavailableException or HttpRequestException)
        {
            string fix = ex is AnaplanAuthenticationException or CredentialNotFoundException or CredentialUnavailableException
                ? string.Equals(options.AuthMode, "Certificate", StringComparison.OrdinalIgnoreCase)
                    ? $"Check the certificate and key stored under '{options.CertificateReference}' and '{options.PrivateKeyReference}', and that the certificate is registered to the Anaplan user."
                    : $"Check Anaplan:UserName ({options.UserName}) and the password stored under '{options.PasswordReference}' (connector secrets set {options.PasswordReference})."
                : $"Check Anaplan:AuthUrl ({options.AuthUrl}) and Anaplan:ApiUrl ({options.ApiUrl}), and that this machine reaches them.";
            lines.Add(Fail(Auth, ex.Message, fix));
            lines.Add(Skip(Model, "Anaplan did not authenticate"));
            return;
        }

        lines.Add(Pass(Auth, $"signed in ({options.AuthMode}); {workspaces.Count} workspace(s) visible"));
        AnaplanWorkspace? workspace = workspaces.FirstOrDefault(w => string.Equals(w.Id, options.WorkspaceId, StringComparison.OrdinalIgnoreCase));
        AnaplanModelInfo? model = null;
        string? problem = workspace is null
            ? $"no visible workspace has the id {options.WorkspaceId} (visible: {string.Join(", ", workspaces.Select(w => $"'{w.Name}' {w.Id}"))})"
            : null;
        if (problem is null)
        {
            try
            {
                model = await anaplan.GetModelAsync(details: true, cancellationToken);
                problem = !string.Equals(model.CurrentWorkspaceId, options.WorkspaceId, StringComparison.OrdinalIgnoreCase)
                    ? $"model {model.Id} '{model.Name}' is in workspace {model.CurrentWorkspaceId}, not {options.WorkspaceId}"
                    : model.ActiveState?.ToUpperInvariant() is "ARCHIVED" or "LOCKED" or "MAINTENANCE" or "PRODUCTION_MAINTENANCE" or "OFFLINE"
                        ? $"model '{model.Name}' is {model.ActiveState}"
                        : null;
            }
            catch (AnaplanNotFoundException)
            {
                IReadOnlyList<AnaplanModelInfo> models = await anaplan.ListModelsAsync(options.WorkspaceId, cancellationToken);
                problem = $"workspace '{workspace!.Name}' has no model {options.ModelId} visible to this user (its models: {string.Join(", ", models.Select(m => $"'{m.Name}' {m.Id}"))})";
            }
            catch (AnaplanException ex)
            {
                problem = $"the model did not answer: {ex.Message}";
            }
        }

        if (problem is not null || model is null)
        {
            lines.Add(Fail(Model, problem ?? "the model did not answer", model?.ActiveState is { } state && problem!.EndsWith(state, StringComparison.Ordinal)
                ? $"A model that is {state} cannot be loaded: ask the model's owner to bring it online (or to unlock or restore it)."
                : "Set Anaplan:WorkspaceId and Anaplan:ModelId to the model's ids ('connector discover' lists them), and give the integration user access to it."));
            return;
        }

        lines.Add(Pass(Model, $"'{model.Name}' ({model.Id}) in '{workspace!.Name}', {model.ActiveState}"));
        try
        {
            await CheckModelAsync(connection, anaplan, sage, lines, cancellationToken);
        }
        catch (Exception ex) when (ex is AnaplanException or HttpRequestException)
        {
            lines.Add(Fail("Anaplan model's actions and lists readable", ex.Message, "Give the integration user access to the model's actions and lists (or ask Anaplan support if the error persists)."));
        }
    }

    private static async Task CheckModelAsync(ConnectionOptions connection, AnaplanClient anaplan, SageFacts? sage, List<CheckLine> lines, CancellationToken cancellationToken)
    {
        IReadOnlyList<AnaplanExport> exports = await anaplan.ListExportsAsync(cancellationToken);
        ImportLayouts? layouts = null;
        if (connection.Actuals.Enabled)
        {
            layouts = await CheckImportsAsync(connection, anaplan, lines, cancellationToken);
            await CheckListsAsync(connection, anaplan, exports, lines, cancellationToken);
            await CheckReadBacksAsync(connection, anaplan, exports, layouts, lines, cancellationToken);
        }

        if (connection.Budgets.Enabled)
        {
            await CheckBudgetExportAsync(connection, anaplan, exports, sage, lines, cancellationToken);
        }
    }

    private static async Task<ImportLayouts> CheckImportsAsync(ConnectionOptions connection, AnaplanClient anaplan, List<CheckLine> lines, CancellationToken cancellationToken)
    {
        var layouts = new List<DatasetLayout>();
        foreach (ImportLayoutResult result in await ImportLayoutResolver.ResolveAsync(connection, anaplan, cancellationToken))
        {
            string exists = $"Import '{result.ImportName}' exists ({result.Setting})";
            string mapped = $"Import '{result.ImportName}' columns mapped";
            if (result.Headers.Count == 0 && result.Layout is null)
            {
                lines.Add(Fail(exists, result.Problems[0], $"Set {result.Setting} to the import that loads the {ImportFields.Describe(result.Dataset)}."));
                lines.Add(Skip(mapped, "the import does not exist"));
                continue;
            }

            lines.Add(Pass(exists, $"its columns are {string.Join(", ", result.Headers.Select(h => $"'{h}'"))}"));
            if (result.Layout is { } layout)
            {
                layouts.Add(layout);
                lines.Add(Pass(mapped, ColumnMapper.Describe(layout)));
            }
            else
            {
                lines.Add(Fail(mapped, string.Join(" ", result.Problems), $"Map the columns with {ImportFields.Setting(result.Dataset)}:<column> = <field> (or '=' and a fixed value)."));
            }
        }

        return new ImportLayouts(layouts);
    }

    private static async Task CheckListsAsync(ConnectionOptions connection, AnaplanClient anaplan, IReadOnlyList<AnaplanExport> exports, List<CheckLine> lines, CancellationToken cancellationToken)
    {
        IReadOnlyList<AnaplanList> lists = await anaplan.ListListsAsync(cancellationToken);
        var wanted = new List<(string Name, string Setting, string? Export, string ExportSetting)> { (connection.Actuals.Lists.Accounts, "Actuals:Lists:Accounts", connection.Actuals.Exports.Accounts, "Actuals:Exports:Accounts") };
        if (!string.IsNullOrWhiteSpace(connection.Actuals.Lists.CostCenters))
        {
            wanted.Add((connection.Actuals.Lists.CostCenters, "Actuals:Lists:CostCenters", connection.Actuals.Exports.CostCenters, "Actuals:Exports:CostCenters"));
        }

        foreach ((string name, string setting, string? export, string exportSetting) in wanted)
        {
            string line = $"List '{name}' readable ({setting})";
            AnaplanList? list = lists.FirstOrDefault(l => string.Equals(l.Name, name, StringComparison.OrdinalIgnoreCase));
            string? refused = null;
            if (list is null)
            {
                refused = $"the model has no list '{name}' (its lists are {string.Join(", ", lists.Select(l => $"'{l.Name}'"))})";
            }
            else
            {
                try
                {
                    IReadOnlyList<AnaplanListItem> items = await anaplan.GetListItemsAsync(list.Id, includeAll: false, cancellationToken);
                    lines.Add(Pass(line, $"{items.Count} item(s), read through the list API"));
                    continue;
                }
                catch (AnaplanException ex) when (ex.StatusCode is 403 or 400)
                {
                    refused = ex.StatusCode == 403 ? "Anaplan refused the list read (403): it needs a workspace administrator" : "Anaplan refused the list read (400: more than 1,000,000 items)";
                }
            }

            AnaplanExport? fallback = string.IsNullOrWhiteSpace(export) ? null : exports.FirstOrDefault(e => string.Equals(e.Name, export, StringComparison.OrdinalIgnoreCase));
            if (fallback is not null && list is not null
                && (await anaplan.GetExportMetadataAsync(fallback.Id, cancellationToken)).HeaderNames.Any(h => string.Equals(h.Trim(), "Code", StringComparison.OrdinalIgnoreCase)))
            {
                lines.Add(Pass(line, $"{refused}; read through the export '{fallback.Name}' ({exportSetting}) instead"));
                continue;
            }

            lines.Add(Fail(line, refused + (string.IsNullOrWhiteSpace(export) ? string.Empty : $"; the fallback export '{export}' does not exist or has no 'Code' column"),
                list is null
                    ? $"Set {setting} to the list the {(setting.EndsWith("Accounts", StringComparison.Ordinal) ? "account" : "cost-centre")} import loads."
                    : $"Make the integration user a workspace administrator, or set {exportSetting} to an export of the list with a 'Code' column."));
        }
    }

    private static async Task CheckReadBacksAsync(
        ConnectionOptions connection, AnaplanClient anaplan, IReadOnlyList<AnaplanExport> exports, ImportLayouts layouts, List<CheckLine> lines, CancellationToken cancellationToken)
    {
        ReadBackOptions readBack = connection.Actuals.ReadBack;
        foreach ((string dataset, string? name, string setting, IReadOnlyList<string> columns) in new (string, string?, string, IReadOnlyList<string>)[]
        {
            (Datasets.GlActuals, readBack.GlExport, "Actuals:ReadBack:GlExport", readBack.GlColumns.All()),
            (Datasets.ApActuals, readBack.ApExport, "Actuals:ReadBack:ApExport", readBack.ApColumns.All()),
        })
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                continue;
            }

            string line = $"Read-back export '{name}' columns understood ({setting})";
            AnaplanExport? export = exports.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase));
            if (export is null)
            {
                lines.Add(Fail(line, $"the model has no export '{name}' (its exports are {string.Join(", ", exports.Select(e => $"'{e.Name}'"))})", $"Set {setting} to the export over the {ImportFields.Describe(dataset)} module, or leave it empty (the run then says 'not reconciled')."));
                continue;
            }

            // Only the fields the import sends are compared.
            DatasetLayout? layout = layouts.Find(dataset);
            IReadOnlyList<string> fields = ImportFields.Of(dataset);
            string[] wanted = [.. fields.Select((f, i) => layout is null || layout.Has(f) ? columns[i] : string.Empty).Where(c => c.Length > 0)];
            IReadOnlyList<string> header = (await anaplan.GetExportMetadataAsync(export.Id, cancellationToken)).HeaderNames;
            string[] missing = [.. wanted.Where(c => !header.Any(h => string.Equals(h.Trim(), c, StringComparison.OrdinalIgnoreCase)))];
            string settingColumns = setting.Replace("Export", "Columns", StringComparison.Ordinal);
            lines.Add(missing.Length == 0
                ? Pass(line, $"compares {string.Join(", ", wanted.Select(w => $"'{w}'"))}")
                : Fail(line, $"the export has no column {string.Join(", ", missing.Select(m => $"'{m}'"))} (its columns are {string.Join(", ", header.Select(h => $"'{h}'"))})",
                    $"Set the column names under {settingColumns} (an empty one is not compared)."));
        }
    }

    private static async Task CheckBudgetExportAsync(
        ConnectionOptions connection, AnaplanClient anaplan, IReadOnlyList<AnaplanExport> exports, SageFacts? sage, List<CheckLine> lines, CancellationToken cancellationToken)
    {
        BudgetsFlowOptions budgets = connection.Budgets;
        string exists = $"Export '{budgets.Export}' exists (Budgets:Export)";
        string understood = $"Export '{budgets.Export}' columns understood";
        AnaplanExport? export = exports.FirstOrDefault(e => string.Equals(e.Name, budgets.Export, StringComparison.OrdinalIgnoreCase));
        if (export is null)
        {
            lines.Add(Fail(exists, $"the model has no export '{budgets.Export}' (its exports are {string.Join(", ", exports.Select(e => $"'{e.Name}'"))})", "Set Budgets:Export to the export action on the saved view of approved values."));
            lines.Add(Skip(understood, "the export does not exist"));
            return;
        }

        IReadOnlyList<string> header = (await anaplan.GetExportMetadataAsync(export.Id, cancellationToken)).HeaderNames;
        lines.Add(Pass(exists, $"its columns are {string.Join(", ", header.Select(h => $"'{h}'"))}"));
        if (budgets.Layout == BudgetExportColumns.PeriodColumnsLayout && sage?.Periods is null)
        {
            lines.Add(Skip(understood, "the period codes need the company's fiscal calendar, which was not read"));
            return;
        }

        try
        {
            BudgetExportColumns columns = BudgetExportColumns.Resolve(header, budgets, sage?.Periods);
            lines.Add(Pass(understood, columns.Describe(header)));
        }
        catch (ConnectorConfigurationException ex)
        {
            lines.Add(Fail(understood, ex.Message, "Set Budgets:Layout and the column names under Budgets:Columns to the view's (an empty Version: the view fixes it; an empty CostCenter: the account column holds a combined code)."));
        }
    }

    /// <summary>What the Sage lines learned that the Anaplan lines use.</summary>
    private sealed class SageFacts
    {
        public AccountStructure? Structure { get; set; }

        public PeriodCodec? Periods { get; set; }
    }

    /// <summary>
    /// A TCP connection and a TLS handshake with the agent that only looks at the certificate presented, then closes:
    /// nothing is sent, so accepting any certificate here trusts nothing.
    /// </summary>
    private sealed record TlsProbe(bool Connected, string? Problem, string? Fingerprint, string? Subject, SslPolicyErrors PolicyErrors)
    {
        public static async Task<TlsProbe> RunAsync(Uri address, TimeSpan timeout, CancellationToken cancellationToken)
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(timeout);
            using var tcp = new TcpClient();
            try
            {
                await tcp.ConnectAsync(address.Host, address.Port, limit.Token);
            }
            catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                return new TlsProbe(false, ex is OperationCanceledException ? $"no answer within {timeout.TotalSeconds:0} s" : ex.Message, null, null, SslPolicyErrors.None);
            }

            X509Certificate2? presented = null;
            SslPolicyErrors errors = SslPolicyErrors.None;
#pragma warning disable CA5359 // the probe sends nothing: it only reads the certificate the agent presents, for the check to judge
            await using var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, certificate, _, policy) =>
            {
                presented = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                errors = policy;
                return true;
            });
#pragma warning restore CA5359
            try
            {
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = address.Host }, limit.Token);
            }
            catch (Exception ex) when (ex is AuthenticationException or IOException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                return new TlsProbe(true, ex.Message, null, null, errors);
            }

            using (presented)
            {
                return presented is null
                    ? new TlsProbe(true, "the agent presented no certificate", null, null, errors)
                    : new TlsProbe(true, null, presented.GetCertHashString(HashAlgorithmName.SHA256), presented.Subject, errors);
            }
        }
    }
}
