// Sage 100 ⇄ Anaplan connector: the Azure Functions app (Flex Consumption, dotnet-isolated) with its storage account,
// Key Vault, monitoring, alerts and managed identity, optionally inside a virtual network with a static outbound
// address for the customer's firewall in front of the Sage agent. Deploy with `azd up`, or `az deployment sub create`
// (see README.md).
//
// Commodity resources are plain resources in core/ rather than Azure Verified Modules (br/public:avm/...): registry
// modules need network access to restore, and this template is compiled and checked offline.

targetScope = 'subscription'

import { connection, allConnectionSettings, secretNames } from 'app/connections.bicep'

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

@description('Tags of every resource (the subscription\'s tag policies usually require some); azd-env-name is added.')
param tags object = {}

@description('Prefix of every generated name: up to 8 lower-case letters and digits (a company or cost-centre code). Empty for none.')
@maxLength(8)
param namePrefix string = ''

// Name overrides: empty means [prefix] + abbreviation (abbreviations.json) + a token unique to subscription,
// environment and region.
@description('Resource group name override.')
param resourceGroupName string = ''

@description('Function App name override.')
param functionAppName string = ''

@description('Flex Consumption plan name override.')
param appServicePlanName string = ''

@description('Storage account name override.')
param storageAccountName string = ''

@description('Key Vault name override (ignored with existingKeyVaultId).')
param keyVaultName string = ''

@description('User-assigned identity name override.')
param identityName string = ''

@description('Log Analytics workspace name override (ignored with existingLogAnalyticsWorkspaceId).')
param logAnalyticsName string = ''

@description('Application Insights name override.')
param applicationInsightsName string = ''

// The customer's own resources, used instead of new ones.
@description('Resource id of an existing Key Vault in RBAC mode for the connector secrets (any resource group of the tenant). Empty: a new vault.')
param existingKeyVaultId string = ''

@description('Resource id of an existing Log Analytics workspace for Application Insights and every diagnostic setting. Empty: a new workspace.')
param existingLogAnalyticsWorkspaceId string = ''

@description('Days a new Log Analytics workspace keeps data.')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

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

@description('Most instances the Function App scales out to (with vnetEnabled, each one takes an address of the app subnet).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

// Network: see README.md, "Network".
@description('Integrate the Function App into a virtual network (all outbound traffic through it); storage and Key Vault get private endpoints and refuse public access.')
param vnetEnabled bool = false

@description('Resource id of an existing subnet for the app, delegated to Microsoft.App/environments, /27 or larger. Empty: a new virtual network. Its outbound route (NAT gateway, firewall, VPN or ExpressRoute to on-premises) is the customer\'s.')
param existingAppSubnetId string = ''

@description('Resource id of an existing subnet for the private endpoints; required with existingAppSubnetId.')
param existingPrivateEndpointSubnetId string = ''

@description('Address space of a new virtual network.')
param vnetAddressPrefix string = '10.90.0.0/23'

@description('App subnet of a new virtual network (one address per instance, plus Azure\'s five).')
param appSubnetPrefix string = '10.90.0.0/24'

@description('Private endpoint subnet of a new virtual network.')
param privateEndpointSubnetPrefix string = '10.90.1.0/26'

@description('With a new virtual network: send outbound traffic through a NAT gateway with one static public IP, the only address the agent\'s firewall admits (output OUTBOUND_PUBLIC_IP).')
param natGatewayEnabled bool = true

@description('Create the private DNS zones of the private endpoints and link them to the virtual network. false when a hub\'s zones or an Azure Policy (DeployIfNotExists) register private endpoints.')
param createPrivateDnsZones bool = true

@description('With vnetEnabled: public addresses or CIDR ranges still admitted to storage and Key Vault (operators running azd deploy, the connector CLI or Durable Functions Monitor from outside the network). Empty: public access disabled.')
param operatorIpRules string[] = []

// Operations
@description('Object ids of the operators (a group, preferably): storage data roles for the connector CLI and Durable Functions Monitor.')
param operatorPrincipalIds string[] = []

@description('Kind of operatorPrincipalIds.')
@allowed(['User', 'Group', 'ServicePrincipal'])
param operatorPrincipalType string = 'Group'

@description('E-mail addresses told when a run fails or completes with failures or differences (a new action group). Empty: none.')
param alertEmailAddresses string[] = []

@description('Resource ids of existing action groups the run alerts notify as well.')
param alertActionGroupIds string[] = []

// Settings the app reads.
@description('Durable Functions task hub (TASKHUB_NAME): 3-45 letters and digits, starting with a letter. Empty: "Connector" + the resource token, one hub per environment.')
@maxLength(45)
param taskHubName string = ''

@description('Six-field cron of the daily durable self-test (SELFTEST_SCHEDULE).')
param selfTestSchedule string = '0 30 1 * * *'

@description('Six-field cron of the daily retention purge (RETENTION_SCHEDULE; what it purges: retentionDays).')
param retentionSchedule string = '0 15 3 * * *'

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

@description('Days after which a finished run is purged with its audit and staging (Connector__Retention__Days; 0 keeps runs forever). The staging container\'s lifecycle rule deletes run staging (runs/) a week later still, as a backstop.')
@minValue(0)
param retentionDays int = 90

@description('First interval of the connector\'s durable retries (Durable__RetryFirstInterval, hh:mm:ss, more than 0 and at most 00:02:00): each next wait is twice the last, the number of attempts does not change. Runs in flight keep working when it changes.')
param durableRetryFirstInterval string = '00:00:05'

@description('Prefix of the connector\'s audit, mapping and watermark tables (Connector__Storage__TablePrefix).')
param tablePrefix string = 'Connector'

@description('The connections (Connector__Connections__{i}__...): each a Sage 100 company paired with an Anaplan model. Secret fields are Key Vault secret names, never values.')
param connections connection[] = []

@description('More app settings (name: value). The app settings are replaced as a whole on every provision: a setting added in the portal is lost, put it here. Values only, never secrets.')
param additionalAppSettings object = {}

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var allTags = union(tags, { 'azd-env-name': environmentName })
// Hyphenated names get "<prefix>-"; storage accounts (letters and digits only) get the bare prefix.
var dash = empty(namePrefix) ? '' : '${namePrefix}-'

var names = {
  resourceGroup: !empty(resourceGroupName) ? resourceGroupName : '${dash}${abbrs.resourcesResourceGroups}${environmentName}'
  functionApp: !empty(functionAppName) ? functionAppName : '${dash}${abbrs.webSitesFunctions}connector-${resourceToken}'
  plan: !empty(appServicePlanName) ? appServicePlanName : '${dash}${abbrs.webServerFarms}${resourceToken}'
  storage: !empty(storageAccountName) ? storageAccountName : '${namePrefix}${abbrs.storageStorageAccounts}${resourceToken}'
  keyVault: !empty(keyVaultName) ? keyVaultName : '${dash}${abbrs.keyVaultVaults}${resourceToken}'
  identity: !empty(identityName) ? identityName : '${dash}${abbrs.managedIdentityUserAssignedIdentities}connector-${resourceToken}'
  logAnalytics: !empty(logAnalyticsName) ? logAnalyticsName : '${dash}${abbrs.operationalInsightsWorkspaces}${resourceToken}'
  applicationInsights: !empty(applicationInsightsName) ? applicationInsightsName : '${dash}${abbrs.insightsComponents}${resourceToken}'
  vnet: '${dash}${abbrs.networkVirtualNetworks}${resourceToken}'
  natGateway: '${dash}${abbrs.networkNatGateways}${resourceToken}'
  publicIp: '${dash}${abbrs.networkPublicIPAddresses}${abbrs.networkNatGateways}${resourceToken}'
  privateEndpointPrefix: '${dash}${abbrs.networkPrivateEndpoints}'
  actionGroup: '${dash}${abbrs.insightsActionGroups}connector-${resourceToken}'
  alertPrefix: '${dash}${abbrs.insightsScheduledQueryRules}connector-'
  taskHub: !empty(taskHubName) ? taskHubName : 'Connector${resourceToken}'
}

// Flex Consumption pulls the app package from this container with the app's identity.
var deploymentContainerName = take('app-package-${toLower(names.functionApp)}', 63)

// Network layout: a new VNet (with a NAT gateway unless turned off), or the customer's subnets.
var newNetwork = vnetEnabled && empty(existingAppSubnetId)
// /subscriptions/<s>/resourceGroups/<g>/providers/Microsoft.Network/virtualNetworks/<v>/subnets/<n> → the VNet's id.
var existingVnetId = empty(existingAppSubnetId) ? '' : join(take(split(existingAppSubnetId, '/'), 9), '/')

// The vault: new in the resource group, or the customer's (its resource group may be anywhere in the tenant).
var useExistingVault = !empty(existingKeyVaultId)
var vaultSubscriptionId = useExistingVault ? split(existingKeyVaultId, '/')[2] : subscription().subscriptionId
var vaultResourceGroup = useExistingVault ? split(existingKeyVaultId, '/')[4] : names.resourceGroup
var vaultName = useExistingVault ? last(split(existingKeyVaultId, '/')) : names.keyVault

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: names.resourceGroup
  location: location
  tags: allTags
}

module identity 'core/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: names.identity
    location: location
    tags: allTags
  }
}

module network 'core/network.bicep' = if (newNetwork) {
  name: 'network'
  scope: rg
  params: {
    vnetName: names.vnet
    natGatewayName: names.natGateway
    publicIpName: names.publicIp
    location: location
    tags: allTags
    addressPrefix: vnetAddressPrefix
    appSubnetPrefix: appSubnetPrefix
    privateEndpointSubnetPrefix: privateEndpointSubnetPrefix
    natGatewayEnabled: natGatewayEnabled
  }
}

var appSubnetId = !vnetEnabled ? '' : (newNetwork ? network!.outputs.appSubnetId : existingAppSubnetId)
var privateEndpointSubnetId = !vnetEnabled ? '' : (newNetwork ? network!.outputs.privateEndpointSubnetId : existingPrivateEndpointSubnetId)
var vnetId = !vnetEnabled ? '' : (newNetwork ? network!.outputs.vnetId : existingVnetId)

module storage 'core/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: names.storage
    location: location
    tags: allTags
    skuName: storageSkuName
    containerNames: [deploymentContainerName, stagingContainerName]
    expirePrefixes: retentionDays > 0 ? ['${stagingContainerName}/runs/'] : []
    expireAfterDays: retentionDays + 7
    privateOnly: vnetEnabled
    ipRules: operatorIpRules
  }
}

module monitoring 'core/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.applicationInsights
    existingLogAnalyticsWorkspaceId: existingLogAnalyticsWorkspaceId
    retentionInDays: logRetentionInDays
    location: location
    tags: allTags
  }
}

module keyVault 'core/keyvault.bicep' = if (!useExistingVault) {
  name: 'keyvault'
  scope: rg
  params: {
    name: names.keyVault
    location: location
    tags: allTags
    enablePurgeProtection: keyVaultPurgeProtection
    privateOnly: vnetEnabled
    ipRules: operatorIpRules
  }
}

// Roles and the audit log of the vault, wherever it lives.
module keyVaultAccess 'app/keyvault-access.bicep' = {
  name: 'keyvault-access'
  scope: resourceGroup(vaultSubscriptionId, vaultResourceGroup)
  params: {
    keyVaultName: vaultName
    identityPrincipalId: identity.outputs.principalId
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsId
  }
  dependsOn: [keyVault]
}

module privateEndpoints 'core/private-endpoints.bicep' = if (vnetEnabled) {
  name: 'private-endpoints'
  scope: rg
  params: {
    namePrefix: names.privateEndpointPrefix
    nameSuffix: resourceToken
    location: location
    tags: allTags
    subnetId: privateEndpointSubnetId
    vnetId: vnetId
    createDnsZones: createPrivateDnsZones
    storageAccountId: storage.outputs.id
    // A vault of the customer's keeps its own network setup (see README.md).
    keyVaultId: useExistingVault ? '' : keyVault!.outputs.id
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    identityPrincipalId: identity.outputs.principalId
    operatorPrincipalIds: operatorPrincipalIds
    operatorPrincipalType: operatorPrincipalType
  }
}

// Values only: every secret stays in Key Vault and is read there by name (Credentials__Store=KeyVault).
var connectorSettings = union(
  additionalAppSettings,
  {
    TASKHUB_NAME: names.taskHub
    SELFTEST_SCHEDULE: selfTestSchedule
    RETENTION_SCHEDULE: retentionSchedule
    SelfTest__WorkspaceId: selfTestWorkspaceId
    SelfTest__ModelId: selfTestModelId
    SCHEDULE_TICK: scheduleTick
    Ops__ReadOnly: opsReadOnly ? 'true' : 'false'
    Ops__AppServiceAuthentication: appServiceAuthentication ? 'true' : 'false'
    Credentials__Store: 'KeyVault'
    Credentials__KeyVaultUri: useExistingVault ? 'https://${vaultName}${environment().suffixes.keyvaultDns}/' : keyVault!.outputs.uri
    Connector__Storage__BlobServiceUri: storage.outputs.blobEndpoint
    Connector__Storage__TableServiceUri: storage.outputs.tableEndpoint
    Connector__Storage__ManagedIdentityClientId: identity.outputs.clientId
    Connector__Storage__StagingContainer: stagingContainerName
    Connector__Storage__TablePrefix: tablePrefix
    Connector__Retention__Days: string(retentionDays)
    Durable__RetryFirstInterval: durableRetryFirstInterval
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
    tags: allTags
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
    subnetId: appSubnetId
  }
  // The host reaches storage and Key Vault with the identity from its first start (through the private endpoints
  // when in a VNet): grant the roles and open the paths first.
  dependsOn: [rbac, keyVaultAccess, privateEndpoints]
}

module diagnostics 'app/diagnostics.bicep' = {
  name: 'diagnostics'
  scope: rg
  params: {
    functionAppName: api.outputs.name
    storageAccountName: storage.outputs.name
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsId
  }
}

module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    location: location
    tags: allTags
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    actionGroupName: names.actionGroup
    alertNamePrefix: names.alertPrefix
    alertNameSuffix: resourceToken
    emailAddresses: alertEmailAddresses
    actionGroupIds: alertActionGroupIds
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = 'https://${api.outputs.defaultHostName}'
output AZURE_KEY_VAULT_NAME string = vaultName
output AZURE_KEY_VAULT_URI string = connectorSettings.Credentials__KeyVaultUri
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_USER_ASSIGNED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_LOG_ANALYTICS_WORKSPACE_ID string = monitoring.outputs.logAnalyticsId
output TASKHUB_NAME string = names.taskHub
@description('The Key Vault secrets the connections name, space-separated: the postprovision hook asks for each.')
output CONNECTOR_SECRET_NAMES string = join(secretNames(connections), ' ')
@description('The static public IP of the NAT gateway: the only address the firewall in front of the Sage agent must admit. Empty without one.')
output OUTBOUND_PUBLIC_IP string = newNetwork && natGatewayEnabled ? network!.outputs.natPublicIp : ''
