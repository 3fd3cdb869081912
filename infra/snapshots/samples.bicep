// Sample parameter values shared by the snapshot parameter files beside this one (the tests' fixtures, and examples of
// every parameter). Secret fields hold Key Vault secret names, as in production.

import { connection } from '../app/connections.bicep'

@export()
@description('Two connections: the first sets every field of the parameter type, the second only the required ones (Certificate authentication).')
var connections connection[] = [
  {
    id: 'abc'
    sage: {
      baseUrl: 'https://sage-agent.example.com:8443'
      company: 'ABC'
      apiKeySecretName: 'sage-abc-apikey'
      tlsMode: 'Pinned'
      pinnedFingerprints: [
        'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89'
        '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'
      ]
      timeout: '00:02:00'
      maxRetryAttempts: 8
      retryBaseDelay: '00:00:02'
      pageSize: 1000
    }
    anaplan: {
      authUrl: 'https://auth.anaplan.com'
      apiUrl: 'https://api.anaplan.com/2/0'
      workspaceId: '8a81b09d5e8c6f27015ece3402487d33'
      modelId: 'F1D5C6C1E2C64E5AA2D4A5E8D8E5B9A1'
      authMode: 'Basic'
      userName: 'integration@example.com'
      passwordSecretName: 'anaplan-abc-password'
      certificateSecretName: 'anaplan-abc-certificate'
      privateKeySecretName: 'anaplan-abc-private-key'
      chunkSizeMb: 25
      requestsPerMinute: 300
      pollInterval: '00:00:10'
      taskTimeout: '02:00:00'
    }
    costCenterSegment: 'Department'
    periodFormat: 'FY{yy} P{pp}'
    periodYear: 'Calendar'
    period13: 'Fold'
    period13Format: 'FY{yy} Adj'
    accountFormat: '{account}-{costcenter}'
    actuals: {
      enabled: true
      schedule: '0 15 2 * * *'
      timeZone: 'America/New_York'
      priorPeriods: 0
      glRowsPerFile: 250000
      glFilesPerImport: 4
      incrementalOverlap: '00:20:00'
      imports: {
        accounts: 'Accounts (Sage)'
        costCenters: ''
        vendors: 'Vendors (Sage)'
        glActuals: 'GL Actuals (Sage)'
        apActuals: 'AP Actuals (Sage)'
      }
      exports: {
        accounts: 'Accounts Export'
        costCenters: ''
      }
      lists: {
        accounts: 'GL Accounts'
        costCenters: ''
      }
      columns: {
        accounts: { Description: 'name' }
        costCenters: { Department: 'code' }
        vendors: { Supplier: 'code' }
        glActuals: { Version: '=Actual', DataSource: '=Sage 100' }
        apActuals: { Spend: 'invoice amount' }
      }
      readBack: {
        glExport: 'GL Actuals Read-back (Sage)'
        apExport: 'AP Actuals Read-back (Sage)'
        glColumns: {
          account: 'GL Account'
          costCenter: 'Department'
          period: 'Fiscal Period'
          debit: 'Debit Amount'
          credit: 'Credit Amount'
          net: 'Net Amount'
        }
        apColumns: {
          vendor: 'Supplier'
          costCenter: 'Department'
          period: 'Fiscal Period'
          invoiceAmount: 'Invoiced'
          invoiceCount: 'Invoices'
        }
      }
    }
    budgets: {
      enabled: true
      schedule: '0 0 6 * * 1-5'
      timeZone: 'UTC'
      export: 'Approved Budget'
      layout: 'PeriodColumns'
      columns: {
        account: 'GL Account'
        costCenter: 'Department'
        period: ''
        version: ''
        amount: ''
      }
      version: 'Forecast'
      offsetAccount: '9999-00'
      sourceJournal: 'BU'
      grouping: 'VersionPeriod'
      maxParallelPosts: 4
      postBatchSize: 50
    }
  }
  {
    id: 'def-2'
    sage: {
      baseUrl: 'https://sage-def.example.com'
      company: 'DEF'
      apiKeySecretName: 'sage-def-apikey'
    }
    anaplan: {
      workspaceId: '8a81b09d5e8c6f27015ece3402487d34'
      modelId: 'F1D5C6C1E2C64E5AA2D4A5E8D8E5B9A2'
      authMode: 'Certificate'
      certificateSecretName: 'anaplan-def-certificate'
      privateKeySecretName: 'anaplan-def-private-key'
    }
    costCenterSegment: '3'
  }
]

@export()
@description('Object id of the deploying principal.')
var deployerPrincipalId = '6c1f0f0e-5a4b-4c3d-8e2f-000000000001'

@export()
@description('Object id of the operators\' group.')
var operatorsGroupId = '6c1f0f0e-5a4b-4c3d-8e2f-000000000002'

@export()
@description('Tags a subscription policy might require.')
var tags = {
  CostCenter: 'FIN-42'
  Owner: 'finance-systems@example.com'
}
