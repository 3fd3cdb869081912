using System.Globalization;
using System.Text.RegularExpressions;
using Cronos;
using Microsoft.Extensions.Options;

namespace Connector.Orchestrations.Configuration;

/// <summary>
/// Validates <see cref="ConnectorOptions"/> at start-up. Every error names the setting as it is written in configuration
/// (<c>Connector:Connections:0:Anaplan:WorkspaceId</c>) and the connection it belongs to, so a misconfiguration is
/// fixed from the message alone.
/// </summary>
public sealed partial class ConnectorOptionsValidator : IValidateOptions<ConnectorOptions>
{
    private static readonly string[] TlsModes = ["System", "Pinned", "InsecureSkipVerify"];
    private static readonly string[] AuthModes = ["Basic", "Certificate"];
    private static readonly string[] Groupings = ["VersionPeriodCostCenter", "VersionPeriod", "VersionPeriodAccount"];
    private static readonly string[] BudgetLayouts = ["Rows", "PeriodColumns"];

    /// <summary>The most GL files one import can take: the extraction stays at most this many files ahead of the loads.</summary>
    private const int GlFilesPerImportMost = Flows.Actuals.GlFiles.StagedAhead;

    /// <summary>Validates and throws <see cref="OptionsValidationException"/> listing every problem.</summary>
    public static void ThrowIfInvalid(ConnectorOptions options)
    {
        ValidateOptionsResult result = new ConnectorOptionsValidator().Validate(null, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(ConnectorOptions.SectionName, typeof(ConnectorOptions), result.Failures);
        }
    }

    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, ConnectorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < options.Connections.Count; i++)
        {
            ConnectionOptions c = options.Connections[i];
            string at = $"{ConnectorOptions.SectionName}:Connections:{i}";
            string who = string.IsNullOrWhiteSpace(c.Id) ? string.Empty : $" (connection '{c.Id}')";
            void Error(string setting, string problem) => errors.Add($"{at}:{setting}{who}: {problem}");

            if (!ConnectionId().IsMatch(c.Id ?? string.Empty))
            {
                Error("Id", $"must be 1 to 40 lower-case letters, digits or '-', starting with a letter or digit; got '{c.Id}'.");
            }
            else if (!ids.Add(c.Id!))
            {
                Error("Id", $"'{c.Id}' is used by another connection.");
            }

            ValidateSage(c.Sage, Error);
            ValidateAnaplan(c.Anaplan, Error);

            if (string.IsNullOrWhiteSpace(c.CostCenterSegment))
            {
                Error("CostCenterSegment", "is required: the number (2-10) or the description of the account segment that is the cost centre.");
            }
            else if (int.TryParse(c.CostCenterSegment, NumberStyles.None, CultureInfo.InvariantCulture, out int segment) && segment is < 2 or > 10)
            {
                Error("CostCenterSegment", $"segment {segment} cannot be a cost centre: segment 1 is the main account and there are at most 10.");
            }

            if (ModelFit.PeriodCodec.Problem(ModelFit.PeriodSettings.Of(c)) is { } periods)
            {
                Error(periods.Setting, periods.Message);
            }

            if (ModelFit.AccountItems.Problem(c.AccountFormat) is { } accountFormat)
            {
                Error("AccountFormat", accountFormat);
            }

            bool combined = ModelFit.AccountItems.CarriesCostCenter(c.AccountFormat);

            if (c.Actuals.Enabled)
            {
                ValidateSchedule("Actuals", c.Actuals.Schedule, c.Actuals.TimeZone, Error);
                if (c.Actuals.PriorPeriods is < 0 or > 12)
                {
                    Error("Actuals:PriorPeriods", $"must be between 0 and 12; got {c.Actuals.PriorPeriods}.");
                }

                if (c.Actuals.IncrementalOverlap < TimeSpan.Zero || c.Actuals.IncrementalOverlap > TimeSpan.FromDays(1))
                {
                    Error("Actuals:IncrementalOverlap", $"must be between 0 and one day; got {c.Actuals.IncrementalOverlap}.");
                }

                if (c.Actuals.GlRowsPerFile is < 0 or > 1_000_000_000)
                {
                    Error("Actuals:GlRowsPerFile", $"must be 0 (GL in one file) or a number of rows up to 1,000,000,000; got {c.Actuals.GlRowsPerFile}.");
                }

                if (c.Actuals.GlFilesPerImport is < 1 or > GlFilesPerImportMost)
                {
                    Error("Actuals:GlFilesPerImport", $"must be between 1 (each GL file its own import) and {GlFilesPerImportMost}; got {c.Actuals.GlFilesPerImport}.");
                }

                RequireNames("Actuals:Imports", Error, ("Accounts", c.Actuals.Imports.Accounts), ("Vendors", c.Actuals.Imports.Vendors), ("GlActuals", c.Actuals.Imports.GlActuals), ("ApActuals", c.Actuals.Imports.ApActuals));
                RequireNames("Actuals:Lists", Error, ("Accounts", c.Actuals.Lists.Accounts));
                bool costCenterImport = !string.IsNullOrWhiteSpace(c.Actuals.Imports.CostCenters), costCenterList = !string.IsNullOrWhiteSpace(c.Actuals.Lists.CostCenters);
                if (!combined && !costCenterImport)
                {
                    Error("Actuals:Imports:CostCenters", $"is required: AccountFormat '{c.AccountFormat}' keeps the cost centre out of the account item, so the model needs its own cost-centre list.");
                }

                if (costCenterImport != costCenterList)
                {
                    Error(costCenterImport ? "Actuals:Lists:CostCenters" : "Actuals:Imports:CostCenters", "must be set together with " + (costCenterImport ? "Actuals:Imports:CostCenters" : "Actuals:Lists:CostCenters") + ": the cost-centre list is loaded by the one and read back from the other.");
                }

                foreach ((string dataset, IReadOnlyDictionary<string, string> overrides) in new (string, IReadOnlyDictionary<string, string>)[]
                {
                    ("Accounts", c.Actuals.Columns.Accounts), ("CostCenters", c.Actuals.Columns.CostCenters), ("Vendors", c.Actuals.Columns.Vendors),
                    ("GlActuals", c.Actuals.Columns.GlActuals), ("ApActuals", c.Actuals.Columns.ApActuals),
                })
                {
                    foreach ((string header, string source) in overrides.Where(o => string.IsNullOrWhiteSpace(o.Value)))
                    {
                        Error($"Actuals:Columns:{dataset}:{header}", "is empty: name the field that fills the column, or '=' and a fixed value.");
                    }
                }

                ReadBackOptions readBack = c.Actuals.ReadBack;
                if (!string.IsNullOrWhiteSpace(readBack.GlExport))
                {
                    GlReadBackColumns gl = readBack.GlColumns;
                    RequireNames("Actuals:ReadBack:GlColumns", Error, ("Account", gl.Account), ("Period", gl.Period));
                    RequireOne("Actuals:ReadBack:GlColumns", Error, ("Debit", gl.Debit), ("Credit", gl.Credit), ("Net", gl.Net));
                }

                if (!string.IsNullOrWhiteSpace(readBack.ApExport))
                {
                    ApReadBackColumns ap = readBack.ApColumns;
                    RequireNames("Actuals:ReadBack:ApColumns", Error, ("Vendor", ap.Vendor), ("Period", ap.Period));
                    RequireOne("Actuals:ReadBack:ApColumns", Error, ("InvoiceAmount", ap.InvoiceAmount), ("InvoiceCount", ap.InvoiceCount));
                }
            }

            if (c.Budgets.Enabled)
            {
                ValidateSchedule("Budgets", c.Budgets.Schedule, c.Budgets.TimeZone, Error);
                RequireNames("Budgets", Error, ("Export", c.Budgets.Export), ("Version", c.Budgets.Version), ("OffsetAccount", c.Budgets.OffsetAccount));
                if (!SourceJournal().IsMatch(c.Budgets.SourceJournal ?? string.Empty))
                {
                    Error("Budgets:SourceJournal", $"must be a two-character Sage source journal such as GJ; got '{c.Budgets.SourceJournal}'.");
                }

                if (!BudgetLayouts.Contains(c.Budgets.Layout, StringComparer.Ordinal))
                {
                    Error("Budgets:Layout", $"must be one of {string.Join(", ", BudgetLayouts)}; got '{c.Budgets.Layout}'.");
                }

                RequireNames("Budgets:Columns", Error, ("Account", c.Budgets.Columns.Account));
                if (c.Budgets.Layout == "Rows")
                {
                    RequireNames("Budgets:Columns", Error, ("Period", c.Budgets.Columns.Period ?? string.Empty), ("Amount", c.Budgets.Columns.Amount ?? string.Empty));
                }

                if (!combined && string.IsNullOrWhiteSpace(c.Budgets.Columns.CostCenter))
                {
                    Error("Budgets:Columns:CostCenter", $"is required: AccountFormat '{c.AccountFormat}' keeps the cost centre out of the account item, so the view must show it.");
                }

                if (!Groupings.Contains(c.Budgets.Grouping, StringComparer.OrdinalIgnoreCase))
                {
                    Error("Budgets:Grouping", $"must be one of {string.Join(", ", Groupings)}; got '{c.Budgets.Grouping}'.");
                }

                if (c.Budgets.MaxParallelPosts is < 1 or > 16)
                {
                    Error("Budgets:MaxParallelPosts", $"must be between 1 and 16; got {c.Budgets.MaxParallelPosts}.");
                }

                if (c.Budgets.PostBatchSize is < 1 or > 1000)
                {
                    Error("Budgets:PostBatchSize", $"must be between 1 and 1000; got {c.Budgets.PostBatchSize}.");
                }
            }
        }

        if (!TableName().IsMatch(options.Storage.TablePrefix ?? string.Empty))
        {
            errors.Add($"{ConnectorOptions.SectionName}:Storage:TablePrefix: must be 1 to 30 letters and digits starting with a letter; got '{options.Storage.TablePrefix}'.");
        }

        if (options.Retention.Days is < 0 or > 36_500)
        {
            errors.Add($"{ConnectorOptions.SectionName}:Retention:Days: must be 0 (keep runs forever) to 36500 days; got {options.Retention.Days}.");
        }

        if (!ContainerName().IsMatch(options.Storage.StagingContainer ?? string.Empty))
        {
            errors.Add($"{ConnectorOptions.SectionName}:Storage:StagingContainer: must be 3 to 63 lower-case letters, digits or '-'; got '{options.Storage.StagingContainer}'.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Parses a six-field (seconds) cron expression.</summary>
    public static CronExpression ParseCron(string expression) => CronExpression.Parse(expression, CronFormat.IncludeSeconds);

    private static void ValidateSage(SageSideOptions sage, Action<string, string> error)
    {
        if (sage.BaseUrl is null || !sage.BaseUrl.IsAbsoluteUri || sage.BaseUrl.Scheme != Uri.UriSchemeHttps)
        {
            error("Sage:BaseUrl", $"must be the agent's https:// address; got '{sage.BaseUrl}'.");
        }

        if (!CompanyCode().IsMatch(sage.Company ?? string.Empty))
        {
            error("Sage:Company", $"must be a Sage company code (3 letters or digits, e.g. ABC); got '{sage.Company}'.");
        }

        if (string.IsNullOrWhiteSpace(sage.ApiKeyReference))
        {
            error("Sage:ApiKeyReference", "is required: the credential-store reference of the agent API key (never the key itself).");
        }

        if (!TlsModes.Contains(sage.TlsMode, StringComparer.OrdinalIgnoreCase))
        {
            error("Sage:TlsMode", $"must be one of {string.Join(", ", TlsModes)}; got '{sage.TlsMode}'.");
        }
        else if (string.Equals(sage.TlsMode, "Pinned", StringComparison.OrdinalIgnoreCase))
        {
            if (sage.PinnedFingerprints.Count == 0)
            {
                error("Sage:PinnedFingerprints", "Pinned mode needs at least one SHA-256 certificate fingerprint (the agent prints it at first start).");
            }

            for (int f = 0; f < sage.PinnedFingerprints.Count; f++)
            {
                string hex = sage.PinnedFingerprints[f].Replace(":", string.Empty, StringComparison.Ordinal).Replace(" ", string.Empty, StringComparison.Ordinal);
                if (hex.Length != 64 || !hex.All(char.IsAsciiHexDigit))
                {
                    error($"Sage:PinnedFingerprints:{f}", "is not a SHA-256 fingerprint (64 hexadecimal characters, colons allowed).");
                }
            }
        }

        if (sage.MaxRetryAttempts is < 0 or > 20)
        {
            error("Sage:MaxRetryAttempts", $"must be between 0 and 20; got {sage.MaxRetryAttempts}.");
        }

        if (sage.RetryBaseDelay < TimeSpan.Zero || sage.RetryBaseDelay > TimeSpan.FromMinutes(1))
        {
            error("Sage:RetryBaseDelay", $"must be between 0 and one minute; got {sage.RetryBaseDelay}.");
        }

        if (sage.Timeout <= TimeSpan.Zero || sage.Timeout > TimeSpan.FromMinutes(30))
        {
            error("Sage:Timeout", $"must be between 0 and 30 minutes; got {sage.Timeout}.");
        }

        if (sage.PageSize is < 1 or > 5000)
        {
            error("Sage:PageSize", $"must be between 1 and 5000; got {sage.PageSize}.");
        }
    }

    private static void ValidateAnaplan(AnaplanSideOptions anaplan, Action<string, string> error)
    {
        RequireHttps("Anaplan:AuthUrl", anaplan.AuthUrl, error);
        RequireHttps("Anaplan:ApiUrl", anaplan.ApiUrl, error);
        if (anaplan.WorkspaceId is not { Length: 32 } ws || !ws.All(char.IsAsciiHexDigit))
        {
            error("Anaplan:WorkspaceId", $"must be the 32-character hexadecimal workspace id; got '{anaplan.WorkspaceId}'.");
        }

        if (anaplan.ModelId is not { Length: 32 } model || !model.All(char.IsAsciiHexDigit))
        {
            error("Anaplan:ModelId", $"must be the 32-character hexadecimal model id; got '{anaplan.ModelId}'.");
        }

        if (!AuthModes.Contains(anaplan.AuthMode, StringComparer.OrdinalIgnoreCase))
        {
            error("Anaplan:AuthMode", $"must be Basic or Certificate; got '{anaplan.AuthMode}'.");
        }
        else if (string.Equals(anaplan.AuthMode, "Basic", StringComparison.OrdinalIgnoreCase))
        {
            if (string.IsNullOrWhiteSpace(anaplan.UserName))
            {
                error("Anaplan:UserName", "is required for Basic authentication.");
            }

            if (string.IsNullOrWhiteSpace(anaplan.PasswordReference))
            {
                error("Anaplan:PasswordReference", "is required for Basic authentication (a credential-store reference, never the password).");
            }
        }
        else
        {
            if (string.IsNullOrWhiteSpace(anaplan.CertificateReference))
            {
                error("Anaplan:CertificateReference", "is required for Certificate authentication.");
            }

            if (string.IsNullOrWhiteSpace(anaplan.PrivateKeyReference))
            {
                error("Anaplan:PrivateKeyReference", "is required for Certificate authentication.");
            }
        }

        if (anaplan.ChunkSizeMb is < 1 or > 50)
        {
            error("Anaplan:ChunkSizeMb", $"must be between 1 and 50 (Anaplan's limit per chunk); got {anaplan.ChunkSizeMb}.");
        }

        // Durable timers are whole seconds, so even an emulator on loopback is polled at most every second.
        TimeSpan minimumPoll = anaplan.ApiUrl is { IsLoopback: true } ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(5);
        if (anaplan.PollInterval < minimumPoll || anaplan.PollInterval > TimeSpan.FromMinutes(5))
        {
            error("Anaplan:PollInterval", $"must be between {minimumPoll.TotalSeconds} s (Anaplan asks for at least 5 s between polls; durable timers are whole seconds) and 5 minutes; got {anaplan.PollInterval}.");
        }

        if (anaplan.TaskTimeout < TimeSpan.FromMinutes(1))
        {
            error("Anaplan:TaskTimeout", $"must be at least one minute; got {anaplan.TaskTimeout}.");
        }

        if (anaplan.RequestsPerMinute is < 1 or > 600)
        {
            error("Anaplan:RequestsPerMinute", $"must be between 1 and the tenant's 600; got {anaplan.RequestsPerMinute}.");
        }
    }

    private static void RequireHttps(string setting, Uri? uri, Action<string, string> error)
    {
        bool ok = uri is { IsAbsoluteUri: true }
            && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback));
        if (!ok)
        {
            error(setting, $"must be an https:// address (plain http only on loopback, for the emulator); got '{uri}'.");
        }
    }

    private static void ValidateSchedule(string flow, string schedule, string timeZone, Action<string, string> error)
    {
        try
        {
            ParseCron(schedule);
        }
        catch (CronFormatException ex)
        {
            error($"{flow}:Schedule", $"is not a six-field cron expression (seconds minutes hours day month weekday): {ex.Message}");
        }

        try
        {
            TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            error($"{flow}:TimeZone", $"'{timeZone}' is not a known time zone id.");
        }
    }

    private static void RequireNames(string prefix, Action<string, string> error, params (string Key, string? Value)[] names)
    {
        foreach ((string key, string? value) in names)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                error($"{prefix}:{key}", "is required.");
            }
        }
    }

    private static void RequireOne(string prefix, Action<string, string> error, params (string Key, string? Value)[] names)
    {
        if (names.All(n => string.IsNullOrWhiteSpace(n.Value)))
        {
            error($"{prefix}:{names[0].Key}", $"or one of {string.Join(", ", names.Skip(1).Select(n => n.Key))} is required: the read-back must show at least one value to compare.");
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,39}$")]
    private static partial Regex ConnectionId();

    [GeneratedRegex("^[A-Za-z0-9]{3}$")]
    private static partial Regex CompanyCode();

    [GeneratedRegex("^[A-Za-z0-9]{2}$")]
    private static partial Regex SourceJournal();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]{0,29}$")]
    private static partial Regex TableName();

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$")]
    private static partial Regex ContainerName();
}
