using System.Globalization;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Connector.Emulators.Anaplan.Model;

namespace Connector.Emulators.Anaplan.Tests;

/// <summary>
/// A module import read over the wire exactly as before the import path was made cheaper per row: gzip chunks cut
/// mid-row, quoted fields (commas, doubled quotes, line breaks) anywhere, CRLF and LF, blank lines, rows naming items
/// a list lacks, bad numbers, duplicate rows (the last one wins), a row that clears cells, codes in another case, and a
/// negative zero. The check is what a client sees: the task's counts, the failure dump byte for byte, and the cells.
/// </summary>
public sealed class ImportFidelityTests
{
    private const string GlImport = "112000000004";
    private const string GlFile = "113000000004";

    [Fact]
    public async Task ModuleImport_TrickyCsvInGzipChunksCutMidRow_CountsDumpAndCellsExact()
    {
        await using EmulatorHarness anaplan = await EmulatorHarness.StartAsync();
        await anaplan.LoginAsync();
        for (int a = 0; a < 50; a++)
        {
            anaplan.Fpa.AddListItem("Accounts", $"A{a}", $"Account {a}");
        }

        for (int c = 0; c < 7; c++)
        {
            anaplan.Fpa.AddListItem("Cost Centers", $"CC{c}", $"Centre {c}");
        }

        anaplan.Fpa.SetCell("GL Actuals", ["A2", "CC1", "FY2024-P04"], "Net", 7);
        anaplan.Fpa.SetCell("GL Actuals", ["A3", "CC1", "FY2024-P04"], "Credit", 8);

        // Filler rows long enough to cross the reader's buffer and the chunk cuts many times; keys repeat after 2,100
        // rows, so later rows replace earlier ones.
        var text = new StringBuilder("Account,Cost Center,Period,Debit,Credit,Net\n");
        var expected = new Dictionary<(string, string, string), (double, double, double)>();
        for (int i = 0; i < 3000; i++)
        {
            var key = ($"A{i % 50}", $"CC{i % 7}", $"FY2024-P{(i % 12) + 1:00}");
            double debit = i + 0.25;
            text.Append(CultureInfo.InvariantCulture, $"{key.Item1},\"{key.Item2}\",{key.Item3},{debit.ToString(CultureInfo.InvariantCulture)},0,{debit.ToString(CultureInfo.InvariantCulture)}")
                .Append(i % 3 == 0 ? "\r\n" : "\n");
            expected[key] = (debit, 0, debit);
        }

        text.Append("A1,CC1,FY2024-P05,\"1,000.5\",0,1000.5\r\n");        // a quoted number with a thousands separator
        text.Append("a1,cc1,FY2024-P06,1,2,3\n");                            // codes in another case name the same items
        text.Append("A1,CC1,FY2024-P06,4,5,6\n");                            // the same cell again: this row wins
        text.Append('\n');                                                   // blank: ignored
        text.Append("A99,CC1,FY2024-P01,1,1,1\n");                           // no such account
        text.Append("\"A1 \"\"x\"\"\",CC1,FY2024-P01,1,1,1\n");               // doubled quotes, no such account
        text.Append("\"A\n1\",CC1,FY2024-P01,1,1,1\n");                        // a line break inside quotes
        text.Append("A1,CC9,FY2024-P01,1,1,1\n");                            // no such cost centre
        text.Append("A1,CC1,FY2031-P01,1,1,1\n");                            // no such period
        text.Append("A1,CC1,FY2024-P07,abc,0,0\n");                          // not a number
        text.Append("A1,CC1,FY2024-P07,1,0,\"1e999\"\n");                    // not finite
        text.Append("A2,CC1,FY2024-P04,,,\n");                               // blank values clear the cells
        text.Append("A3,CC1,FY2024-P04,1,,\n");                              // clears Credit, sets Debit
        text.Append("A4,CC2,FY2024-P08,-0,0,0\n");                           // a negative zero stays negative
        text.Append("A5,CC3,FY2024-P09,\" 2 \",0,2");                        // no line end at the end of the file
        int firstTricky = 3000 + 2;
        expected[("A1", "CC1", "FY2024-P05")] = (1000.5, 0, 1000.5);
        expected[("A1", "CC1", "FY2024-P06")] = (4, 5, 6);
        expected[("A4", "CC2", "FY2024-P08")] = (-0d, 0, 0);
        expected[("A5", "CC3", "FY2024-P09")] = (2, 0, 2);
        Assert.True(expected.Remove(("A3", "CC1", "FY2024-P04"))); // a filler row set it; checked on its own below

        byte[] csv = Encoding.UTF8.GetBytes(text.ToString());
        string taskId = await RunChunkedImportAsync(anaplan, csv, [1, 17_001, 40_000, csv.Length - 3]);

        JsonElement result = (await anaplan.GetJsonAsync($"{EmulatorHarness.ModelPath}/imports/{GlImport}/tasks/{taskId}")).GetProperty("task").GetProperty("result");
        string[] values = [.. result.GetProperty("details")[0].GetProperty("values").EnumerateArray().Select(v => v.GetString()!)];
        string Count(string name) => values[Array.IndexOf(values, name) + 1];
        Assert.True(result.GetProperty("failureDumpAvailable").GetBoolean());
        Assert.Equal(("3007", "7", "1", "3015"), (Count("successRowCount"), Count("failedCount"), Count("ignoredCount"), Count("totalRowCount")));

        using HttpResponseMessage dump = await anaplan.SendAsync(HttpMethod.Get, $"{EmulatorHarness.ModelPath}/imports/{GlImport}/tasks/{taskId}/dump");
        string line(int offset) => (firstTricky + offset).ToString(CultureInfo.InvariantCulture);
        Assert.Equal(
            "_Status_,Account,Cost Center,Period,Debit,Credit,Net,_Line_,_Error_1_\n"
            + $"E,A99,CC1,FY2024-P01,1,1,1,{line(4)},Item not located in Accounts list: A99\n"
            + $"E,\"A1 \"\"x\"\"\",CC1,FY2024-P01,1,1,1,{line(5)},\"Item not located in Accounts list: A1 \"\"x\"\"\"\n"
            + $"E,\"A\n1\",CC1,FY2024-P01,1,1,1,{line(6)},\"Item not located in Accounts list: A\n1\"\n"
            + $"E,A1,CC9,FY2024-P01,1,1,1,{line(8)},Item not located in Cost Centers list: CC9\n"
            + $"E,A1,CC1,FY2031-P01,1,1,1,{line(9)},Item not located in Periods list: FY2031-P01\n"
            + $"E,A1,CC1,FY2024-P07,abc,0,0,{line(10)},Debit: Invalid number 'abc'\n"
            + $"E,A1,CC1,FY2024-P07,1,0,1e999,{line(11)},Net: Invalid number '1e999'\n",
            await dump.Content.ReadAsStringAsync());

        IReadOnlyList<CellSnapshot> cells = anaplan.Fpa.GetCells("GL Actuals");
        var actual = cells.GroupBy(c => (c.Members[0], c.Members[1], c.Members[2]))
            .ToDictionary(g => g.Key, g => g.ToDictionary(c => c.LineItem, c => c.Value));
        foreach (((string a, string c, string p), (double debit, double credit, double net)) in expected)
        {
            Assert.Equal(new Dictionary<string, object> { ["Debit"] = debit, ["Credit"] = credit, ["Net"] = net }, actual[(a, c, p)]);
        }

        Assert.False(actual.ContainsKey(("A2", "CC1", "FY2024-P04")));
        Assert.Equal(new Dictionary<string, object> { ["Debit"] = 1d }, actual[("A3", "CC1", "FY2024-P04")]);
        Assert.True(double.IsNegative((double)anaplan.Fpa.GetCell("GL Actuals", ["A4", "CC2", "FY2024-P08"], "Debit")!));
        Assert.Equal(0d, anaplan.Fpa.GetCell("GL Actuals", ["a4", "cc2", "fy2024-p08"], "credit"));
        Assert.Null(anaplan.Fpa.GetCell("GL Actuals", ["A3", "CC1", "FY2024-P04"], "Net"));
        Assert.Null(anaplan.Fpa.GetCell("GL Actuals", ["A99", "CC1", "FY2024-P01"], "Net"));
        Assert.Equal(expected.Count + 1, actual.Count);
        Assert.Equal((3 * expected.Count) + 1, cells.Count);
    }

    [Fact]
    public async Task ListImport_QuotedFieldsBlankCodesDuplicatesAndCase_CountsDumpAndItemsExact()
    {
        await using EmulatorHarness anaplan = await EmulatorHarness.StartAsync();
        await anaplan.LoginAsync();
        anaplan.Fpa.AddListItem("Vendors", "V1", "Acme");
        string csv = "Code,Name,Division,Status\r\n"
            + "v1,\"Acme, Inc.\",East,Active\r\n"           // another case: updates V1, whose code stays
            + "V2,\"Globex \"\"Two\"\"\", West ,Active\n"     // doubled quotes; padded property trimmed
            + "\n"                                            // blank: ignored
            + " ,Nobody,East,Active\n"                        // blank code
            + "V3,\"Line\nBreak\",East,\n"                    // a line break in a name, a blank property
            + "V2,Globex,,Inactive\n"                         // the same code again: an update
            + "V4";                                           // no line end, missing columns
        string taskId = await anaplan.RunImportAsync("112000000003", "113000000003", csv);

        JsonElement result = (await anaplan.GetJsonAsync($"{EmulatorHarness.ModelPath}/imports/112000000003/tasks/{taskId}")).GetProperty("task").GetProperty("result");
        string[] values = [.. result.GetProperty("details")[0].GetProperty("values").EnumerateArray().Select(v => v.GetString()!)];
        string Count(string name) => values[Array.IndexOf(values, name) + 1];
        Assert.Equal(("5", "3", "2", "1", "1", "7"), (Count("successRowCount"), Count("successCreateCount"), Count("successUpdateCount"), Count("failedCount"), Count("ignoredCount"), Count("totalRowCount")));
        using HttpResponseMessage dump = await anaplan.SendAsync(HttpMethod.Get, $"{EmulatorHarness.ModelPath}/imports/112000000003/tasks/{taskId}/dump");
        Assert.Equal("_Status_,Code,Name,Division,Status,_Line_,_Error_1_\nE,\" \",Nobody,East,Active,5,Code: code is blank\n", await dump.Content.ReadAsStringAsync());
        Assert.Equal(
            [
                ("V1", "Acme, Inc.", "East", "Active"),
                ("V2", "Globex", string.Empty, "Inactive"),
                ("V3", "Line\nBreak", "East", string.Empty),
                ("V4", "V4", string.Empty, string.Empty),
            ],
            anaplan.Fpa.GetListItems("Vendors").Select(i => (i.Code, i.Name, i.Properties.GetValueOrDefault("Division", "-"), i.Properties.GetValueOrDefault("Status", "-"))));
    }

    [Fact]
    public async Task ModuleImport_EveryAcceptedNumberForm_StoresTheValueItWrites_ExportsItAndFailsTheRest()
    {
        await using EmulatorHarness anaplan = await EmulatorHarness.StartAsync();
        await anaplan.LoginAsync();
        anaplan.Fpa.AddListItem("Cost Centers", "CC1");
        (string Text, double Value, string Exported)[] accepted =
        [
            ("1234.5", 1234.5, "1234.5"), ("1234.50", 1234.5, "1234.5"), ("+1234.5", 1234.5, "1234.5"), ("\"1,234.5\"", 1234.5, "1234.5"),
            ("\" 1234.5 \"", 1234.5, "1234.5"), ("1.2345E3", 1234.5, "1234.5"), ("1.2345e+3", 1234.5, "1234.5"), ("12345e-1", 1234.5, "1234.5"),
            ("001234.5", 1234.5, "1234.5"), ("0.1", 0.1, "0.1"), ("-12.34", -12.34, "-12.34"), (".5", 0.5, "0.5"), ("5.", 5, "5"),
            ("123456789012345", 123456789012345, "123456789012345"), ("123456789012345.6", 123456789012345.6, "123456789012345.6"),
            ("9007199254740993", 9007199254740992, "9007199254740992"), ("0.30000000000000004", 0.30000000000000004, "0.30000000000000004"),
            ("0.000000000000001", 1e-15, "1E-15"), ("1E+23", 1e23, "1E+23"), ("-0.0", -0d, "-0"),
        ];
        string[] rejected = ["1.2.3", "--1", "1-", "12a", "NaN", "Infinity", "1e999", "0x10"];
        var text = new StringBuilder("Account,Cost Center,Period,Debit,Credit,Net\n");
        for (int i = 0; i < accepted.Length + rejected.Length; i++)
        {
            anaplan.Fpa.AddListItem("Accounts", $"A{i:00}");
            string debit = i < accepted.Length ? accepted[i].Text : rejected[i - accepted.Length];
            text.Append(CultureInfo.InvariantCulture, $"A{i:00},CC1,FY2025-P01,{debit},,1\n");
        }

        string taskId = await anaplan.RunImportAsync(GlImport, GlFile, text.ToString());

        for (int i = 0; i < accepted.Length; i++)
        {
            object? cell = anaplan.Fpa.GetCell("GL Actuals", [$"A{i:00}", "CC1", "FY2025-P01"], "Debit");
            Assert.True(cell is double d && BitConverter.DoubleToInt64Bits(d) == BitConverter.DoubleToInt64Bits(accepted[i].Value), $"{accepted[i].Text}: {cell}");
        }

        using HttpResponseMessage dump = await anaplan.SendAsync(HttpMethod.Get, $"{EmulatorHarness.ModelPath}/imports/{GlImport}/tasks/{taskId}/dump");
        Assert.Equal(
            "_Status_,Account,Cost Center,Period,Debit,Credit,Net,_Line_,_Error_1_\n"
            + string.Concat(rejected.Select((r, i) => $"E,A{accepted.Length + i:00},CC1,FY2025-P01,{r},,1,{accepted.Length + i + 2},Debit: Invalid number '{r}'\n")),
            await dump.Content.ReadAsStringAsync());

        string exportTask = await anaplan.StartTaskAsync("exports", "116000000004");
        await anaplan.State.WaitUntilAsync(() => anaplan.Fpa.GetTasks().All(t => t.State is "COMPLETE" or "CANCELLED"), EmulatorHarness.Bounded());
        Assert.NotEmpty(exportTask);
        Assert.Equal(
            "Account,Cost Center,Period,Debit,Credit,Net\n"
            + string.Concat(accepted.Select((a, i) => $"A{i:00},CC1,FY2025-P01,{a.Exported},,1\n")),
            Encoding.UTF8.GetString(anaplan.Fpa.ReadFile("116000000004")!));
    }

    [Fact]
    public async Task ModuleCells_ARowClearedThenANewRow_TheNewRowHoldsOnlyItsOwnValues()
    {
        await using EmulatorHarness anaplan = await EmulatorHarness.StartAsync();
        await anaplan.LoginAsync();
        foreach (string account in (string[])["A1", "A2", "A3"])
        {
            anaplan.Fpa.AddListItem("Accounts", account);
        }

        anaplan.Fpa.AddListItem("Cost Centers", "CC1");
        anaplan.Fpa.SetCell("GL Actuals", ["A1", "CC1", "FY2025-P01"], "Debit", 1);
        anaplan.Fpa.SetCell("GL Actuals", ["A1", "CC1", "FY2025-P01"], "Credit", 2);
        await anaplan.RunImportAsync(GlImport, GlFile, "Account,Cost Center,Period,Debit,Credit,Net\nA1,CC1,FY2025-P01,,,\n");
        Assert.Empty(anaplan.Fpa.GetCells("GL Actuals"));

        anaplan.Fpa.SetCell("GL Actuals", ["A2", "CC1", "FY2025-P01"], "Net", 3);
        await anaplan.RunImportAsync(GlImport, GlFile, "Account,Cost Center,Period,Debit,Credit,Net\nA3,CC1,FY2025-P02,5,,\nA2,CC1,FY2025-P01,,4,\n");

        Assert.Equal(
            [("A2", "Credit", (object)4d), ("A3", "Debit", 5d)],
            anaplan.Fpa.GetCells("GL Actuals").Select(c => (c.Members[0], c.LineItem, c.Value)).Order());
    }

    [Fact]
    public async Task ListImport_RowsRenameAnItemAndBack_TheLastRowWinsAndABlankNameKeepsTheName()
    {
        await using EmulatorHarness anaplan = await EmulatorHarness.StartAsync();
        await anaplan.LoginAsync();
        anaplan.Fpa.AddListItem("Vendors", "V1", "Acme", new Dictionary<string, string> { ["Division"] = "East", ["Status"] = "Active" });
        string csv = "Code,Name,Division,Status\n"
            + "V1,Acme Two,West,Active\n"       // renames V1 and moves it
            + "v1,Acme,East,Active\n"           // and back, as it was before the import
            + "V5,New,North,Active\n"           // a new item
            + "V5,,South,\n";                   // a blank name keeps the name; a blank property is set blank
        string taskId = await anaplan.RunImportAsync("112000000003", "113000000003", csv);

        JsonElement result = (await anaplan.GetJsonAsync($"{EmulatorHarness.ModelPath}/imports/112000000003/tasks/{taskId}")).GetProperty("task").GetProperty("result");
        string[] values = [.. result.GetProperty("details")[0].GetProperty("values").EnumerateArray().Select(v => v.GetString()!)];
        string Count(string name) => values[Array.IndexOf(values, name) + 1];
        Assert.Equal(("4", "1", "3", "0", "0", "4"), (Count("successRowCount"), Count("successCreateCount"), Count("successUpdateCount"), Count("failedCount"), Count("ignoredCount"), Count("totalRowCount")));
        Assert.Equal(
            [("V1", "Acme", "East", "Active"), ("V5", "New", "South", string.Empty)],
            anaplan.Fpa.GetListItems("Vendors").Select(i => (i.Code, i.Name, i.Properties["Division"], i.Properties["Status"])));
    }

    private static async Task<string> RunChunkedImportAsync(EmulatorHarness anaplan, byte[] csv, int[] cuts)
    {
        int[] bounds = [0, .. cuts, csv.Length];
        using (HttpResponseMessage count = await anaplan.SendAsync(HttpMethod.Post, $"{EmulatorHarness.ModelPath}/files/{GlFile}", EmulatorHarness.Json($"{{\"chunkCount\":{bounds.Length - 1}}}")))
        {
            Assert.Equal(200, (int)count.StatusCode);
        }

        for (int i = 0; i + 1 < bounds.Length; i++)
        {
            using var gzip = new MemoryStream();
            using (var deflate = new GZipStream(gzip, CompressionLevel.Fastest, leaveOpen: true))
            {
                deflate.Write(csv, bounds[i], bounds[i + 1] - bounds[i]);
            }

            var content = new ByteArrayContent(gzip.ToArray());
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-gzip");
            using HttpResponseMessage put = await anaplan.SendAsync(HttpMethod.Put, $"{EmulatorHarness.ModelPath}/files/{GlFile}/chunks/{i}", content);
            Assert.Equal(204, (int)put.StatusCode);
        }

        string taskId = await anaplan.StartTaskAsync("imports", GlImport);
        await anaplan.State.WaitUntilAsync(() => anaplan.Fpa.GetTasks().All(t => t.State is "COMPLETE" or "CANCELLED"), EmulatorHarness.Bounded());
        return taskId;
    }
}
