// Diagnostic settings of the Function App and the storage account, to Log Analytics (the vault's are in
// keyvault-access.bicep). Storage logs writes and deletes only: Durable Functions polls its queues and tables every few
// seconds, and read logs of that polling would cost more than they tell.

@description('Function App name.')
param functionAppName string

@description('Storage account name.')
param storageAccountName string

@description('Log Analytics workspace the logs and metrics go to.')
param logAnalyticsWorkspaceId string

var storageLogs = [
  {
    category: 'StorageWrite'
    enabled: true
  }
  {
    category: 'StorageDelete'
    enabled: true
  }
]

var transactions = [
  {
    category: 'Transaction'
    enabled: true
  }
]

resource app 'Microsoft.Web/sites@2025-03-01' existing = {
  name: functionAppName
}

resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' existing = {
  name: storageAccountName

  resource blob 'blobServices' existing = {
    name: 'default'
  }

  resource queue 'queueServices' existing = {
    name: 'default'
  }

  resource table 'tableServices' existing = {
    name: 'default'
  }
}

// 2021-05-01-preview: see keyvault-access.bicep.
#disable-next-line use-recent-api-versions
resource appDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'connector-diagnostics'
  scope: app
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logAnalyticsDestinationType: 'Dedicated'
    logs: [
      {
        category: 'FunctionAppLogs'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'AllMetrics'
        enabled: true
      }
    ]
  }
}

#disable-next-line use-recent-api-versions
resource accountDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'connector-diagnostics'
  scope: storage
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    metrics: transactions
  }
}

#disable-next-line use-recent-api-versions
resource blobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'connector-diagnostics'
  scope: storage::blob
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: storageLogs
    metrics: transactions
  }
}

#disable-next-line use-recent-api-versions
resource queueDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'connector-diagnostics'
  scope: storage::queue
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: storageLogs
    metrics: transactions
  }
}

#disable-next-line use-recent-api-versions
resource tableDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'connector-diagnostics'
  scope: storage::table
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: storageLogs
    metrics: transactions
  }
}
