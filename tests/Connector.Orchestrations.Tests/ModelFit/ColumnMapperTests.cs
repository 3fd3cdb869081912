using Connector.Orchestrations.Flows;
using Connector.Orchestrations.ModelFit;

namespace Connector.Orchestrations.Tests.ModelFit;

/// <summary>Mapping the connector's fields onto an import's header names: by name, by alias, by setting, with fixed values.</summary>
public sealed class ColumnMapperTests
{
    [Fact]
    public void Map_ShippedModelHeaders_EachIsItsOwnField_KeysAsBefore()
    {
        (DatasetLayout? layout, IReadOnlyList<string> problems) = ColumnMapper.Map(Datasets.GlActuals, "GL Actuals from Sage", Datasets.Header(Datasets.GlActuals), null);
        Assert.Empty(problems);
        Assert.Equal(DatasetLayout.Default(Datasets.GlActuals).Signature, layout!.Signature);
        string[] row = layout.Row(["600-01", "02", "FY2026-P03", "10", "4", "6"]);
        Assert.Equal(["600-01", "02", "FY2026-P03", "10", "4", "6"], row);
        Assert.Equal("600-01|02|FY2026-P03", layout.Key(row));
    }

    [Fact]
    public void Map_SimpleModel_ByAlias_NetIsTheAmount()
    {
        (DatasetLayout? layout, IReadOnlyList<string> problems) = ColumnMapper.Map(Datasets.GlActuals, "Load GL", ["Account", "Cost Center", "Period", "Amount"], null);
        Assert.Empty(problems);
        Assert.Equal("Account, Cost Center, Period, Amount ← Net", ColumnMapper.Describe(layout!));
        Assert.Equal(["600-01", "02", "FY26 P03", "6"], layout!.Row(["600-01", "02", "FY26 P03", "10", "4", "6"]));
    }

    [Fact]
    public void Map_OverridesAndFixedValues_FillColumnsNoAliasKnows()
    {
        var overrides = new Dictionary<string, string> { ["Month"] = "period", ["Val"] = "Debit", ["version"] = "=Actual", ["Source"] = "=Sage 100" };
        (DatasetLayout? layout, IReadOnlyList<string> problems) = ColumnMapper.Map(Datasets.GlActuals, "GL", ["Account", "Month", "Version", "Val", "Source"], overrides);
        Assert.Empty(problems);
        Assert.Equal(["600-01-02", "Jan 26", "Actual", "10", "Sage 100"], layout!.Row(["600-01-02", "02", "Jan 26", "10", "4", "6"]));
        Assert.False(layout.Has(ImportFields.CostCenter));
        Assert.Equal("600-01-02|Jan 26", layout.Key(layout.Row(["600-01-02", "02", "Jan 26", "10", "4", "6"])));
    }

    [Fact]
    public void Map_OverrideKeyWithoutSpaces_NamesTheHeaderWithThem_AsAppSettingNamesMust()
    {
        var overrides = new Dictionary<string, string> { ["DataSource"] = "=Sage 100", ["Fiscal_Month"] = "period" };
        (DatasetLayout? layout, IReadOnlyList<string> problems) = ColumnMapper.Map(Datasets.GlActuals, "GL", ["Account", "Fiscal Month", "Net", "Data Source"], overrides);
        Assert.Empty(problems);
        Assert.Equal(["600-01-02", "Jan 26", "6", "Sage 100"], layout!.Row(["600-01-02", "02", "Jan 26", "10", "4", "6"]));
    }

    [Fact]
    public void Map_AColumnNothingFills_NamesTheImportTheColumnAndTheFields()
    {
        (DatasetLayout? layout, IReadOnlyList<string> problems) = ColumnMapper.Map(Datasets.GlActuals, "Load GL", ["Account", "Cost Center", "Period", "Scenario", "Amount"], null);
        Assert.Null(layout);
        string problem = Assert.Single(problems);
        Assert.Equal(
            "Import 'Load GL' (GL actuals) has the column 'Scenario', which no field fills; the fields it could map are Account, Cost Center, Period, Debit, Credit, Net. "
            + "Set Actuals:Columns:GlActuals:Scenario to one of them, or to '=' and a fixed value (e.g. '=Actual').",
            problem);
    }

    [Fact]
    public void Map_OverrideOfAMissingColumnOrAnUnknownField_IsAProblemNamingTheSetting()
    {
        var overrides = new Dictionary<string, string> { ["Amnt"] = "Net", ["Amount"] = "Nett" };
        (_, IReadOnlyList<string> problems) = ColumnMapper.Map(Datasets.GlActuals, "Load GL", ["Account", "Period", "Amount"], overrides);
        Assert.Contains(problems, p => p.StartsWith("Actuals:Columns:GlActuals:Amnt names a column import 'Load GL' does not have", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Actuals:Columns:GlActuals:Amount is 'Nett', which is not a field of the GL actuals", StringComparison.Ordinal));
    }

    [Fact]
    public void Map_NoColumnForARequiredField_IsAProblem()
    {
        (_, IReadOnlyList<string> problems) = ColumnMapper.Map(Datasets.ApActuals, "Load AP", ["Vendor", "Period"], null);
        Assert.Equal(
            "Import 'Load AP' (AP actuals) has no column for Invoice Amount or Invoice Count (its columns are 'Vendor', 'Period'); map one with Actuals:Columns:ApActuals:<column>.",
            Assert.Single(problems));
    }

    [Theory]
    [InlineData(Datasets.Accounts, new[] { "Code", "Name" })]
    [InlineData(Datasets.CostCenters, new[] { "Cost Centre", "Description" })]
    [InlineData(Datasets.Vendors, new[] { "Supplier", "Supplier Name" })]
    [InlineData(Datasets.ApActuals, new[] { "Vendor", "Cost Center", "Month", "Spend", "Invoices" })]
    public void Map_CommonHeaderNames_MapByAlias(string dataset, string[] headers)
    {
        (DatasetLayout? layout, IReadOnlyList<string> problems) = ColumnMapper.Map(dataset, "import", headers, null);
        Assert.Empty(problems);
        Assert.Equal(headers.Length, layout!.Columns.Count);
    }

    [Fact]
    public void KeyOfADumpRow_FindsTheFieldsByTheImportsHeaders()
    {
        (DatasetLayout? layout, _) = ColumnMapper.Map(Datasets.ApActuals, "Load AP", ["Vendor", "Cost Center", "Period", "Amount"], null);
        var dump = new Dictionary<string, string> { ["Vendor"] = "01-0000001", ["Cost Center"] = "02 ", ["Period"] = "FY26 P03", ["Amount"] = "12.5" };
        Assert.Equal("01-0000001|02|FY26 P03", layout!.Key(dump));
        Assert.Equal(layout.Key(layout.Row(["01-0000001", "02", "FY26 P03", "12.5", "1"])), layout.Key(dump));
        Assert.Equal("01-0000001 / 02 / FY26 P03", layout.Describe(dump));
    }
}
