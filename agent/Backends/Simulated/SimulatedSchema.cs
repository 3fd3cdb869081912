namespace Connector.Agent.Backends.Simulated;

/// <summary>
/// The SQLite layout of a simulated company. Table and column names are Sage 100's own where they are published
/// (GL_Account, GL_SubAccount, GL_MainAccount, GL_PeriodPostingHistory, GL_DetailPosting, AP_Vendor,
/// AP_OpenInvoice, AP_InvoiceHistoryHeader, SY_Company). Where Sage's layout is unconfirmed (GL_AccountStructure,
/// GL_FiscalYear/GL_FiscalYearDetail columns, GL_GeneralJournalHeader/Detail, GL_JournalBatch, GL_SourceJournal,
/// GL_Options, the distribution columns of AP_InvoiceHistoryDetail) the names are plausible stand-ins and the agent reads
/// them in one place only.
/// Every value is TEXT, as Sage keeps it: padded strings, zero-filled keys, YYYYMMDD dates, decimal-hour times and
/// amounts as exact decimal text (SQLite has no decimal type, so amounts are never stored as REAL).
/// </summary>
internal static class SimulatedSchema
{
    public const int Version = 1;

    public const string Create = """
        PRAGMA journal_mode = WAL;
        CREATE TABLE SY_Company (CompanyCode TEXT PRIMARY KEY, CompanyName TEXT NOT NULL, AllowExternalAccess TEXT NOT NULL);
        CREATE TABLE GL_Options (OptionKey TEXT PRIMARY KEY, EnableBatchEntry TEXT NOT NULL, NextBatchNo TEXT NOT NULL, SchemaVersion TEXT NOT NULL);
        CREATE TABLE GL_AccountStructure (SegmentNo TEXT PRIMARY KEY, SegmentDesc TEXT NOT NULL, SegmentLength TEXT NOT NULL, Separator TEXT NOT NULL);
        CREATE TABLE GL_MainAccount (MainAccountCode TEXT PRIMARY KEY, AccountDesc TEXT NOT NULL, AccountType TEXT NOT NULL,
            DateCreated TEXT, TimeCreated TEXT, UserCreatedKey TEXT, DateUpdated TEXT, TimeUpdated TEXT, UserUpdatedKey TEXT);
        CREATE TABLE GL_SubAccount (SegmentNo TEXT NOT NULL, SubAccountCode TEXT NOT NULL, SubAccountDesc TEXT NOT NULL,
            DateCreated TEXT, TimeCreated TEXT, UserCreatedKey TEXT, DateUpdated TEXT, TimeUpdated TEXT, UserUpdatedKey TEXT,
            PRIMARY KEY (SegmentNo, SubAccountCode)) WITHOUT ROWID;
        CREATE TABLE GL_Account (AccountKey TEXT PRIMARY KEY, Account TEXT NOT NULL UNIQUE, RawAccount TEXT NOT NULL, AccountDesc TEXT NOT NULL,
            MainAccountCode TEXT NOT NULL, AccountType TEXT NOT NULL, AccountGroup TEXT NOT NULL, AccountCategory TEXT NOT NULL,
            Status TEXT NOT NULL, ClearBalance TEXT NOT NULL,
            DateCreated TEXT, TimeCreated TEXT, UserCreatedKey TEXT, DateUpdated TEXT, TimeUpdated TEXT, UserUpdatedKey TEXT) WITHOUT ROWID;
        CREATE TABLE GL_AccountSegment (AccountKey TEXT NOT NULL, SegmentNo TEXT NOT NULL, SubAccountCode TEXT NOT NULL,
            PRIMARY KEY (AccountKey, SegmentNo)) WITHOUT ROWID;
        CREATE TABLE GL_FiscalYear (FiscalYear TEXT PRIMARY KEY, BeginningDate TEXT NOT NULL, EndingDate TEXT NOT NULL, NumberOfPeriods TEXT NOT NULL);
        CREATE TABLE GL_FiscalYearDetail (FiscalYear TEXT NOT NULL, FiscalPeriod TEXT NOT NULL, PeriodBeginningDate TEXT NOT NULL, PeriodEndingDate TEXT NOT NULL,
            PRIMARY KEY (FiscalYear, FiscalPeriod)) WITHOUT ROWID;
        CREATE TABLE GL_PeriodPostingHistory (AccountKey TEXT NOT NULL, FiscalYear TEXT NOT NULL, FiscalPeriod TEXT NOT NULL,
            BeginningBalance TEXT NOT NULL, DebitAmount TEXT NOT NULL, CreditAmount TEXT NOT NULL,
            DateCreated TEXT, TimeCreated TEXT, UserCreatedKey TEXT, DateUpdated TEXT, TimeUpdated TEXT, UserUpdatedKey TEXT,
            PRIMARY KEY (AccountKey, FiscalYear, FiscalPeriod)) WITHOUT ROWID;
        CREATE TABLE GL_SourceJournal (SourceJournal TEXT PRIMARY KEY, SourceJournalDesc TEXT NOT NULL, NextEntryNo TEXT NOT NULL, NextJournalRegisterNo TEXT NOT NULL);
        CREATE TABLE GL_JournalBatch (BatchNo TEXT PRIMARY KEY, PrivateBatch TEXT NOT NULL, BatchComment TEXT NOT NULL, BatchStatus TEXT NOT NULL,
            DateCreated TEXT, TimeCreated TEXT, UserCreatedKey TEXT);
        CREATE TABLE GL_GeneralJournalHeader (BatchNo TEXT NOT NULL, SourceJournal TEXT NOT NULL, EntryNo TEXT NOT NULL, PostingDate TEXT NOT NULL,
            FiscalYear TEXT NOT NULL, FiscalPeriod TEXT NOT NULL, JournalComment TEXT NOT NULL,
            DateCreated TEXT, TimeCreated TEXT, UserCreatedKey TEXT, DateUpdated TEXT, TimeUpdated TEXT, UserUpdatedKey TEXT,
            PRIMARY KEY (BatchNo, SourceJournal, EntryNo)) WITHOUT ROWID;
        CREATE INDEX IX_GL_GeneralJournalHeader_Comment ON GL_GeneralJournalHeader (JournalComment);
        CREATE TABLE GL_GeneralJournalDetail (BatchNo TEXT NOT NULL, SourceJournal TEXT NOT NULL, EntryNo TEXT NOT NULL, LineKey TEXT NOT NULL,
            AccountKey TEXT NOT NULL, DebitAmount TEXT NOT NULL, CreditAmount TEXT NOT NULL, PostingComment TEXT NOT NULL,
            PRIMARY KEY (BatchNo, SourceJournal, EntryNo, LineKey)) WITHOUT ROWID;
        CREATE INDEX IX_GL_GeneralJournalDetail_Comment ON GL_GeneralJournalDetail (PostingComment);
        CREATE TABLE GL_DetailPosting (AccountKey TEXT NOT NULL, PostingDate TEXT NOT NULL, SourceJournal TEXT NOT NULL, JournalRegisterNo TEXT NOT NULL,
            SequenceNo TEXT NOT NULL, FiscalYear TEXT NOT NULL, FiscalPeriod TEXT NOT NULL, DebitAmount TEXT NOT NULL, CreditAmount TEXT NOT NULL,
            PostingComment TEXT NOT NULL, SourceModule TEXT NOT NULL, DocumentNo TEXT NOT NULL,
            DateCreated TEXT, TimeCreated TEXT, UserCreatedKey TEXT,
            PRIMARY KEY (AccountKey, PostingDate, SourceJournal, JournalRegisterNo, SequenceNo)) WITHOUT ROWID;
        CREATE INDEX IX_GL_DetailPosting_Comment ON GL_DetailPosting (PostingComment);
        CREATE TABLE AP_Division (APDivisionNo TEXT PRIMARY KEY, DivisionDesc TEXT NOT NULL);
        CREATE TABLE AP_Vendor (APDivisionNo TEXT NOT NULL, VendorNo TEXT NOT NULL, VendorName TEXT NOT NULL, AddressLine1 TEXT, City TEXT, State TEXT,
            ZipCode TEXT, TermsCode TEXT, TemporaryVendor TEXT NOT NULL, HoldPayment TEXT NOT NULL,
            DateCreated TEXT, TimeCreated TEXT, UserCreatedKey TEXT, DateUpdated TEXT, TimeUpdated TEXT, UserUpdatedKey TEXT,
            PRIMARY KEY (APDivisionNo, VendorNo)) WITHOUT ROWID;
        CREATE TABLE AP_OpenInvoice (APDivisionNo TEXT NOT NULL, VendorNo TEXT NOT NULL, InvoiceNo TEXT NOT NULL, HeaderSeqNo TEXT NOT NULL,
            InvoiceDate TEXT NOT NULL, InvoiceDueDate TEXT NOT NULL, InvoiceAmt TEXT NOT NULL, DiscountAmt TEXT NOT NULL, Balance TEXT NOT NULL,
            DateCreated TEXT, TimeCreated TEXT, UserCreatedKey TEXT, DateUpdated TEXT, TimeUpdated TEXT, UserUpdatedKey TEXT,
            PRIMARY KEY (APDivisionNo, VendorNo, InvoiceNo, HeaderSeqNo)) WITHOUT ROWID;
        CREATE TABLE AP_InvoiceHistoryHeader (APDivisionNo TEXT NOT NULL, VendorNo TEXT NOT NULL, InvoiceNo TEXT NOT NULL, HeaderSeqNo TEXT NOT NULL,
            SourceJournal TEXT NOT NULL, InvoiceDate TEXT NOT NULL, TransactionDate TEXT NOT NULL, InvoiceAmt TEXT NOT NULL, FreightAmt TEXT NOT NULL, Comment TEXT NOT NULL,
            DateCreated TEXT, TimeCreated TEXT, UserCreatedKey TEXT, DateUpdated TEXT, TimeUpdated TEXT, UserUpdatedKey TEXT,
            PRIMARY KEY (APDivisionNo, VendorNo, InvoiceNo, HeaderSeqNo)) WITHOUT ROWID;
        CREATE TABLE AP_InvoiceHistoryDetail (APDivisionNo TEXT NOT NULL, VendorNo TEXT NOT NULL, InvoiceNo TEXT NOT NULL, HeaderSeqNo TEXT NOT NULL,
            DetailSeqNo TEXT NOT NULL, AccountKey TEXT NOT NULL, DistributionAmt TEXT NOT NULL,
            PRIMARY KEY (APDivisionNo, VendorNo, InvoiceNo, HeaderSeqNo, DetailSeqNo)) WITHOUT ROWID;
        """;

    /// <summary>Indexes built after the bulk load (faster than maintaining them row by row).</summary>
    public const string Indexes = """
        CREATE INDEX IX_GL_PeriodPostingHistory_Year ON GL_PeriodPostingHistory (FiscalYear, AccountKey, FiscalPeriod);
        CREATE INDEX IX_AP_Vendor_Updated ON AP_Vendor (DateUpdated);
        CREATE INDEX IX_AP_OpenInvoice_Updated ON AP_OpenInvoice (DateUpdated);
        CREATE INDEX IX_AP_InvoiceHistoryHeader_Updated ON AP_InvoiceHistoryHeader (DateUpdated);
        ANALYZE;
        """;

    /// <summary>Column widths of the padded text columns (Sage's fixed widths).</summary>
    public static class Width
    {
        public const int AccountKey = 9;
        public const int AccountDesc = 50;
        public const int SubAccountDesc = 30;
        public const int CompanyName = 30;
        public const int VendorNo = 7;
        public const int VendorName = 30;
        public const int AddressLine = 30;
        public const int City = 20;
        public const int InvoiceNo = 10;
        public const int Comment = 30;
        public const int JournalComment = 2048;
        public const int EntryNo = 6;
        public const int BatchNo = 5;
        public const int JournalRegisterNo = 6;
        public const int SequenceNo = 6;
        public const int LineKey = 6;
        public const int UserKey = 10;
    }
}
