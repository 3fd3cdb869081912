// Sage 100 ⇄ Anaplan connector: the Azure Functions app (Flex Consumption, dotnet-isolated) with its storage account,
// Key Vault, monitoring and managed identity. Deploy with `azd up`, or `az deployment sub create` (see README.md).
//
// Commodity resources are plain resources in core/ rather than Azure Verified Modules (br/public:avm/...): registry
// modules need network access to restore, and this template is compiled and checked offline.

targetScope = 'subscription'

import { connection, allConnectionSettings } from 'app/connections.bicep'

@minLength(1)
@maxLength(64)
@description('Name of the environment (azd environment); seeds the unique resource names and the default task hub.')
param environmentName string

@minLength(1)
@description('Region of every resource; must offer the Flex Consumption plan.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Principal id of the deploying user or pipeline: gets "Key Vault Secrets Officer" to write the connector secrets. Empty for none.')
param principalId string = ''

@description('Kind of principalId.')
@allowed(['User', 'Group', 'ServicePrincipal'])
param principalType string = 'User'

// Name overrides: empty means prefix (abbreviations.json) + a token unique to subscription, environment and region.
@description('Resource group name override.')
param resourceGroupName string = ''

@description('Function App name override.')
param functionAppName string = ''

@description('Flex Consumption plan name override.')
param appServicePlanName string = ''

@description('Storage account name override.')
param storageAccountName string = ''

@description('Key Vault name override.')
param keyVaultName string = ''

@description('User-assigned identity name override.')
param identityName string = ''

@description('Log Analytics workspace name override.')
param logAnalyticsName string = ''

@description('Application Insights name override.')
param applicationInsightsName string = ''

@description('Storage replication SKU.')
@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_GZRS'])
param storageSkuName string = 'Standard_LRS'

@description('Turn on Key Vault purge protection (irreversible; recommended for production).')
param keyVaultPurgeProtection bool = true

@description('.NET version of the dotnet-isolated Flex Consumption runtime.')
param functionsRuntimeVersion string = '10.0'

@description('Memory of each Function App instance in MB.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Most instances the Function App scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

// Settings the app reads.
@description('Durable Functions task hub (TASKHUB_NAME): 3-45 letters and digits, starting with a letter. Empty: "Connector" + the resource token, one hub per environment.')
@maxLength(45)
param taskHubName string = ''

@description('Six-field cron of the daily durable self-test (SELFTEST_SCHEDULE).')
param selfTestSchedule string = '0 30 1 * * *'

@description('Anaplan workspace id the self-test locks (SelfTest__WorkspaceId).')
param selfTestWorkspaceId string = 'selftest'

@description('Anaplan model id the self-test locks (SelfTest__ModelId).')
param selfTestModelId string = 'selftest'

@description('Six-field cron of the scheduler tick that starts due connection flows (SCHEDULE_TICK).')
param scheduleTick string = '0 */5 * * * *'

@description('Refuse the operator API\'s write actions (Ops__ReadOnly).')
param opsReadOnly bool = false

@description('Set true only together with App Service authentication (Easy Auth) on the app: then the platform\'s principal is recorded as who changed a mapping (Ops__AppServiceAuthentication); otherwise "function key".')
param appServiceAuthentication bool = false

@description('Blob container of the connector staging data (Connector__Storage__StagingContainer).')
param stagingContainerName string = 'connector-staging'

@description('The connections (Connector__Connections__{i}__...): each a Sage 100 company paired with an Anaplan model. Secret fields are Key Vault secret names, never values.')
param connections connection[] = []

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }

var names = {
  resourceGroup: !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourcesResourceGroups}${environmentName}'
  functionApp: !empty(functionAppName) ? functionAppName : '${abbrs.webSitesFunctions}connector-${resourceToken}'
  plan: !empty(appServicePlanName) ? appServicePlanName : '${abbrs.webServerFarms}${resourceToken}'
  storage: !empty(storageAccountName) ? storageAccountName : '${abbrs.storageStorageAccounts}${resourceToken}'
  keyVault: !empty(keyVaultName) ? keyVaultName : '${abbrs.keyVaultVaults}${resourceToken}'
  identity: !empty(identityName) ? identityName : '${abbrs.managedIdentityUserAssignedIdentities}connector-${resourceToken}'
  logAnalytics: !empty(logAnalyticsName) ? logAnalyticsName : '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
  applicationInsights: !empty(applicationInsightsName) ? applicationInsightsName : '${abbrs.insightsComponents}${resourceToken}'
  taskHub: !empty(taskHubName) ? taskHubName : 'Connector${resourceToken}'
}

// Flex Consumption pulls the app package from this container with the app's identity.
var deploymentContainerName = take('app-package-${toLower(names.functionApp)}', 63)

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: names.resourceGroup
  location: location
  tags: tags
}

module identity 'core/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module storage 'core/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: names.storage
    location: location
    tags: tags
    skuName: storageSkuName
    containerNames: [deploymentContainerName, stagingContainerName]
  }
}

module monitoring 'core/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.applicationInsights
    location: location
    tags: tags
  }
}

module keyVault 'core/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: names.keyVault
    location: location
    tags: tags
    enablePurgeProtection: keyVaultPurgeProtection
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    identityPrincipalId: identity.outputs.principalId
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
  }
}

// Values only: every secret stays in Key Vault and is read there by name (Credentials__Store=KeyVault).
var connectorSettings = union(
  {
    TASKHUB_NAME: names.taskHub
    SELFTEST_SCHEDULE: selfTestSchedule
    SelfTest__WorkspaceId: selfTestWorkspaceId
    SelfTest__ModelId: selfTestModelId
    SCHEDULE_TICK: scheduleTick
    Ops__ReadOnly: opsReadOnly ? 'true' : 'false'
    Ops__AppServiceAuthentication: appServiceAuthentication ? 'true' : 'false'
    Credentials__Store: 'KeyVault'
    Credentials__KeyVaultUri: keyVault.outputs.uri
    Connector__Storage__BlobServiceUri: storage.outputs.blobEndpoint
    Connector__Storage__TableServiceUri: storage.outputs.tableEndpoint
    Connector__Storage__ManagedIdentityClientId: identity.outputs.clientId
    Connector__Storage__StagingContainer: stagingContainerName
  },
  allConnectionSettings(connections)
)

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: names.functionApp
    planName: names.plan
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    appSettings: connectorSettings
    runtimeVersion: functionsRuntimeVersion
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
  }
  // The host reaches storage with the identity from its first start: grant the roles first.
  dependsOn: [rbac]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = 'https://${api.outputs.defaultHostName}'
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_URI string = keyVault.outputs.uri
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_USER_ASSIGNED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output TASKHUB_NAME string = names.taskHub
