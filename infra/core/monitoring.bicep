// Log Analytics workspace (new, or the customer's) and workspace-based Application Insights with local
// (instrumentation-key) authentication disabled: telemetry is accepted only from Entra ID principals holding
// "Monitoring Metrics Publisher". Plain resources instead of the Azure Verified Module, which cannot be restored offline.

@description('Name of a new Log Analytics workspace.')
param logAnalyticsName string

@description('Application Insights name.')
param applicationInsightsName string

@description('Resource id of an existing workspace to use instead of a new one; empty for a new one.')
param existingLogAnalyticsWorkspaceId string = ''

@description('Region.')
param location string

@description('Tags.')
param tags object = {}

@description('Days a new Log Analytics workspace keeps data.')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2025-07-01' = if (empty(existingLogAnalyticsWorkspaceId)) {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    retentionInDays: retentionInDays
    sku: {
      name: 'PerGB2018'
    }
  }
}

var workspaceId = empty(existingLogAnalyticsWorkspaceId) ? logAnalytics.id : existingLogAnalyticsWorkspaceId

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspaceId
    DisableLocalAuth: true
  }
}

output applicationInsightsName string = applicationInsights.name
output applicationInsightsId string = applicationInsights.id
output connectionString string = applicationInsights.properties.ConnectionString
output logAnalyticsId string = workspaceId
