using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Azure.Storage.Blobs.Models;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Storage;
using Connector.Testing;

namespace Connector.Orchestrations.Tests.Storage;

public sealed class CsvPartWriterTests(StorageFixture fixture) : IClassFixture<StorageFixture>
{
    private static readonly string[] Header = ["Account", "Cost Center", "Period", "Net"];

    [Fact]
    public async Task Write_ManyRows_PartsStayUnderTheLimitAndJoinIntoOneCsv()
    {
        const long max = 4_096;
        string prefix = $"conn/run-{Guid.NewGuid():N}/gl";
        var expected = new StringBuilder("Account,Cost Center,Period,Net\r\n");
        StagedCsv staged;
        await using (var writer = new CsvPartWriter(fixture.Storage.StagingContainer, prefix, "gl", Header, max))
        {
            for (int i = 0; i < 1_000; i++)
            {
                string[] row = [$"{4000 + i}", "01", "FY2026-P03", (i * 1.25m).ToString(System.Globalization.CultureInfo.InvariantCulture)];
                await writer.WriteRowAsync(row);
                expected.Append(string.Join(',', row)).Append("\r\n");
            }

            staged = await writer.CompleteAsync();
        }

        Assert.True(staged.Parts.Count > 5, $"expected several parts, got {staged.Parts.Count}");
        Assert.Equal(1_000, staged.Rows);
        Assert.Equal(1_000, staged.Parts.Sum(p => p.Rows));
        Assert.All(staged.Parts, p => Assert.True(p.UncompressedBytes <= max, $"{p.BlobName} holds {p.UncompressedBytes} bytes"));

        byte[] joined = await this.ReadAllAsync(staged);
        Assert.Equal(expected.ToString(), Encoding.UTF8.GetString(joined));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(joined)), staged.Sha256);
        Assert.Equal(joined.Length, staged.UncompressedBytes);

        // Only the first part starts with the header: Anaplan joins the chunks into one file.
        foreach ((StagedPart part, int index) in staged.Parts.Select((p, i) => (p, i)))
        {
            string text = Encoding.UTF8.GetString(await this.ReadPartAsync(part.BlobName));
            Assert.Equal(index == 0, text.StartsWith("Account,Cost Center", StringComparison.Ordinal));
            BlobProperties props = await fixture.Storage.StagingContainer.GetBlobClient(part.BlobName).GetPropertiesAsync();
            Assert.Equal(part.Rows.ToString(System.Globalization.CultureInfo.InvariantCulture), props.Metadata[CsvPartWriter.RowsMetadata]);
            Assert.Equal("gzip", props.ContentEncoding);
        }
    }

    [Fact]
    public async Task Write_FieldsWithSeparatorsQuotesAndNewlines_AreQuoted()
    {
        string prefix = $"conn/run-{Guid.NewGuid():N}/vendors";
        await using var writer = new CsvPartWriter(fixture.Storage.StagingContainer, prefix, "vendors", ["Code", "Name"], 1 << 20);
        await writer.WriteRowAsync(["01-0000001", "Acme, \"The\" Company\nWest"]);
        StagedCsv staged = await writer.CompleteAsync();

        string text = Encoding.UTF8.GetString(await this.ReadAllAsync(staged));
        Assert.Equal("Code,Name\r\n01-0000001,\"Acme, \"\"The\"\" Company\nWest\"\r\n", text);
    }

    [Fact]
    public async Task Write_AnyFields_GivesTheBytesCsvHelperWritesWhateverThePartAndBlockBoundaries()
    {
        // Plain rows are encoded directly and gathered into blocks; any other row goes through CsvHelper. Anaplan must
        // receive the same bytes as when every row went through CsvHelper, in parts and blocks of any size.
        string[][] special =
        [
            ["600-01", "01", "FY2026-P03", "1234.50"],
            ["=1+2", "-5", "+3", "@SUM(A1)"],
            [" lead", "trail ", "in side", string.Empty],
            ["tab\there", "cr\rhere", "quote\"d", "comma,d"],
            ["Café", "日本", "x~y", "a|b;c"],
            ["0", "-0.00", "1E+23", "'apostrophe"],
            ["\"", ",", " ", "\n"],
        ];
        var rows = new List<string[]>();
        for (int i = 0; i < 12_000; i++)
        {
            rows.Add(i % 997 < special.Length ? special[i % 997] : [$"{4000 + i}-{i % 7:D2}", $"{i % 13:D2}", $"Jan {i % 30:D2}", (i * -1.25m).ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        using var expected = new MemoryStream();
        using (CsvHelper.CsvWriter csv = CsvHelper.CsvWriter.Create(expected, new CsvHelper.CsvWriterOptions { NewLine = "\r\n", FormatProvider = System.Globalization.CultureInfo.InvariantCulture, WriteByteOrderMark = false, ValidateFieldCount = false }, leaveOpen: true))
        {
            foreach (string[] row in rows.Prepend(Header))
            {
                foreach (string field in row)
                {
                    csv.WriteField(field);
                }

                csv.EndRecord();
            }

            csv.Flush();
        }

        foreach (long max in new long[] { 3_000, 200_000, 1 << 24 })
        {
            await using var writer = new CsvPartWriter(fixture.Storage.StagingContainer, $"conn/run-{Guid.NewGuid():N}/gl", "gl", Header, max);
            foreach (string[] row in rows)
            {
                await writer.WriteRowAsync(row);
            }

            StagedCsv staged = await writer.CompleteAsync();
            byte[] joined = await this.ReadAllAsync(staged);
            Assert.Equal(expected.ToArray(), joined);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(joined)), staged.Sha256);
            Assert.Equal(rows.Count, staged.Parts.Sum(p => p.Rows));
            Assert.All(staged.Parts, p => Assert.True(p.UncompressedBytes <= max, $"{p.BlobName} holds {p.UncompressedBytes} bytes"));
            foreach (StagedPart part in staged.Parts)
            {
                Assert.Equal(part.UncompressedBytes, (await this.ReadPartAsync(part.BlobName)).Length);
            }
        }
    }

    [Fact]
    public async Task WriteCells_TextAndAmounts_SameBytesAsTheFormattedStringsWhateverThePartAndBlockBoundaries()
    {
        // The GL extraction writes amounts as cells (formatted into the row, no string each): the staged bytes must be those
        // of the same row written as strings (decimal.ToString, invariant), which the test above holds to CsvHelper's.
        decimal[] amounts = [0m, -0.00m, 1234.50m, -12.34m, 0.0000000000000000000000000001m, -0.1234567890123456789012345678m, decimal.MaxValue, decimal.MinValue, 1.5e3m, 100m];
        string[] texts = ["600-01", "01", "FY2026-P03", "Café", "quote\"d", "comma,d", " lead", string.Empty, "=1+2", "日本"];
        var rows = new List<CsvCell[]>();
        for (int i = 0; i < 12_000; i++)
        {
            rows.Add(i % 101 < texts.Length
                ? [CsvCell.Of(texts[i % 101]), CsvCell.Of(amounts[i % amounts.Length]), CsvCell.Of((string?)null), CsvCell.Of(amounts[(i + 3) % amounts.Length])]
                : [CsvCell.Of($"{4000 + i}-{i % 7:D2}"), CsvCell.Of($"{i % 13:D2}"), CsvCell.Of(i * -1.25m), CsvCell.Of(i / 3m)]);
        }

        foreach (long max in new long[] { 3_000, 200_000, 1 << 24 })
        {
            await using var asStrings = new CsvPartWriter(fixture.Storage.StagingContainer, $"conn/run-{Guid.NewGuid():N}/gl", "gl", Header, max);
            await using var asCells = new CsvPartWriter(fixture.Storage.StagingContainer, $"conn/run-{Guid.NewGuid():N}/gl", "gl", Header, max);
            for (int i = 0; i < rows.Count; i++)
            {
                await asStrings.WriteRowAsync([.. rows[i].Select(c => c.ToString())]);

                // Both kinds of write in one writer: a row of strings now and then among the cells.
                await (i % 500 == 0 ? new ValueTask(asCells.WriteRowAsync([.. rows[i].Select(c => c.ToString())])) : asCells.WriteCellsAsync(rows[i]));
            }

            StagedCsv expected = await asStrings.CompleteAsync();
            StagedCsv staged = await asCells.CompleteAsync();
            Assert.Equal(await this.ReadAllAsync(expected), await this.ReadAllAsync(staged));
            Assert.Equal(expected.Sha256, staged.Sha256);
            Assert.Equal(expected.Parts.Select(p => (p.Rows, p.UncompressedBytes)), staged.Parts.Select(p => (p.Rows, p.UncompressedBytes)));
            Assert.Equal(rows.Count, staged.Rows);
        }

        Assert.Equal("-0.1234567890123456789012345678", CsvCell.Of(-0.1234567890123456789012345678m).ToString());
    }

    [Fact]
    public void PutAmount_AnyDecimal_WritesWhatDecimalToStringWrites()
    {
        // Amounts are written from their integer and scale, not through decimal.ToString: every sign, scale (0-28) and size
        // of digits, the 64-bit edge and what lies beyond it (handed to decimal's own formatting), must come out the same.
        var random = new Random(15);
        var amounts = new List<decimal>
        {
            0m, -0m, 0.00m, -0.00m, 1m, -1m, 0.5m, -0.005m, 10m, 1.50m, 123.450m, 0.0000000000000000000000000001m,
            -0.1234567890123456789012345678m, decimal.MaxValue, decimal.MinValue, ulong.MaxValue, -(decimal)ulong.MaxValue,
            (decimal)ulong.MaxValue + 1, new decimal(-1, -1, 0, false, 28), new decimal(0, 0, 0, true, 5), 1.5e3m, 100m,
        };
        for (int i = 0; i < 200_000; i++)
        {
            int hi = i % 5 == 0 ? random.Next() : 0;
            amounts.Add(new decimal(random.Next(int.MinValue, int.MaxValue), i % 3 == 0 ? 0 : random.Next(int.MinValue, int.MaxValue), hi, random.Next(2) == 0, (byte)random.Next(29)));
            amounts.Add(Math.Round((decimal)(random.NextDouble() * 2_000_000 - 1_000_000), random.Next(5)));
        }

        Span<byte> target = stackalloc byte[64];
        foreach (decimal amount in amounts)
        {
            int length = CsvPartWriter.PutAmount(target, amount);
            Assert.Equal(amount.ToString(System.Globalization.CultureInfo.InvariantCulture), Encoding.ASCII.GetString(target[..length]));
        }
    }

    [Fact]
    public async Task Complete_NoRows_StagesTheHeaderOnly()
    {
        await using var writer = new CsvPartWriter(fixture.Storage.StagingContainer, $"conn/{Guid.NewGuid():N}/ap", "ap", Header, 1 << 20);
        StagedCsv staged = await writer.CompleteAsync();

        Assert.Single(staged.Parts);
        Assert.Equal(0, staged.Rows);
        Assert.Equal("Account,Cost Center,Period,Net\r\n", Encoding.UTF8.GetString(await this.ReadAllAsync(staged)));
    }

    [Fact]
    public async Task HeaderAlone_FirstPartIsTheHeader_TheRestDataOnly_AndTwoFilesJoinIntoOneCsvWithOneHeader()
    {
        // A GL file after the run's first stages its header in a part of its own, so a batch import can upload the first
        // file's parts and then this file's data parts: one CSV, one header, every row once.
        const long max = 2_048;
        var expected = new StringBuilder("Account,Cost Center,Period,Net\r\n");
        var files = new List<DatasetManifest>();
        for (int file = 1; file <= 2; file++)
        {
            await using var writer = new CsvPartWriter(fixture.Storage.StagingContainer, $"conn/run-{Guid.NewGuid():N}/gl-{file}", "gl", Header, max, headerAlone: file > 1);
            for (int i = 0; i < 300; i++)
            {
                string[] row = [$"{file}{4000 + i}", "01", "FY2026-P03", (i * 1.25m).ToString(System.Globalization.CultureInfo.InvariantCulture)];
                await writer.WriteRowAsync(row);
                expected.Append(string.Join(',', row)).Append("\r\n");
            }

            StagedCsv staged = await writer.CompleteAsync();
            Assert.Equal(file > 1, staged.HeaderAlone);
            files.Add(new DatasetManifest("gl", staged, 300, 0, [], [], null, null) { Resume = file == 1 ? new Connector.Orchestrations.Flows.Actuals.GlResume("2026", "c") : null });
        }

        StagedCsv second = files[1].Staged;
        Assert.Equal("Account,Cost Center,Period,Net\r\n", Encoding.UTF8.GetString(await this.ReadPartAsync(second.Parts[0].BlobName)));
        Assert.Equal(0, second.Parts[0].Rows);
        Assert.True(second.Parts.Count > 2, $"expected several data parts, got {second.Parts.Count}");
        foreach (StagedPart part in second.Parts.Skip(1))
        {
            Assert.False(Encoding.UTF8.GetString(await this.ReadPartAsync(part.BlobName)).StartsWith("Account", StringComparison.Ordinal), part.BlobName);
        }

        // What one import of both files uploads: the bytes of one CSV.
        StagedCsv merged = Connector.Orchestrations.Flows.Actuals.GlFiles.Merge(files, 1, 2);
        Assert.Equal(600, merged.Rows);
        Assert.Equal(files[0].Staged.Parts.Count + second.Parts.Count - 1, merged.Parts.Count);
        byte[] joined = await this.ReadAllAsync(merged);
        Assert.Equal(expected.ToString(), Encoding.UTF8.GetString(joined));
        Assert.Equal(joined.Length, merged.UncompressedBytes);

        // The staged files read back as one dataset (reconciliation, replays): every row once, no header as a row.
        var rows = new List<string[]>();
        await foreach (string[] row in StagedCsvReader.ReadAsync(fixture.Storage, Connector.Orchestrations.Flows.Actuals.GlFiles.Combine(files).Staged))
        {
            rows.Add(row);
        }

        Assert.Equal(600, rows.Count);
        Assert.DoesNotContain(rows, r => r[0] == "Account");
    }

    [Fact]
    public async Task HeaderAlone_NoRows_StagesTheHeaderPartOnly()
    {
        await using var writer = new CsvPartWriter(fixture.Storage.StagingContainer, $"conn/{Guid.NewGuid():N}/gl", "gl", Header, 1 << 20, headerAlone: true);
        StagedCsv staged = await writer.CompleteAsync();

        Assert.Single(staged.Parts);
        Assert.True(staged.HeaderAlone);
        Assert.Equal("Account,Cost Center,Period,Net\r\n", Encoding.UTF8.GetString(await this.ReadAllAsync(staged)));
    }

    [Fact]
    public async Task Write_RowLargerThanAPart_IsRefusedNamingTheRow()
    {
        await using var writer = new CsvPartWriter(fixture.Storage.StagingContainer, $"conn/{Guid.NewGuid():N}/x", "vendors", ["Code", "Name"], 200);
        await writer.WriteRowAsync(["1", "short"]);
        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => writer.WriteRowAsync(["2", new string('x', 300)]));
        Assert.Contains("vendors row 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Write_WrongFieldCount_IsRefusedNamingTheRow()
    {
        await using var writer = new CsvPartWriter(fixture.Storage.StagingContainer, $"conn/{Guid.NewGuid():N}/x", "gl", Header, 1 << 20);
        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => writer.WriteRowAsync(["only", "two"]));
        Assert.Contains("gl row 1 has 2 fields", ex.Message, StringComparison.Ordinal);
    }

    private async Task<byte[]> ReadAllAsync(StagedCsv staged)
    {
        using var all = new MemoryStream();
        foreach (StagedPart part in staged.Parts)
        {
            await all.WriteAsync(await this.ReadPartAsync(part.BlobName));
        }

        return all.ToArray();
    }

    private async Task<byte[]> ReadPartAsync(string blobName)
    {
        await using Stream blob = await fixture.Storage.StagingContainer.GetBlobClient(blobName).OpenReadAsync();
        await using var gzip = new GZipStream(blob, CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        await gzip.CopyToAsync(buffer);
        return buffer.ToArray();
    }
}
