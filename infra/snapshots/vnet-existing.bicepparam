// Into the customer's landing zone: their subnets (routed to on-premises by their hub), their Key Vault and Log
// Analytics workspace, their DNS zones (a policy registers the private endpoints), their naming prefix, and an
// operators' range still admitted to storage.
using '../main.bicep'

import { connections as sampleConnections, deployerPrincipalId, operatorsGroupId, tags as sampleTags } from 'samples.bicep'

var hub = '/subscriptions/00000000-0000-0000-0000-0000000000cc/resourceGroups/rg-hub-network/providers'

param environmentName = 'infratest'
param location = 'westeurope'
param principalId = deployerPrincipalId
param tags = sampleTags
param namePrefix = 'ctso'
param operatorPrincipalIds = [operatorsGroupId]
param alertActionGroupIds = ['/subscriptions/00000000-0000-0000-0000-0000000000cc/resourceGroups/rg-ops/providers/Microsoft.Insights/actionGroups/ag-finance-oncall']
param connections = sampleConnections
param vnetEnabled = true
param existingAppSubnetId = '${hub}/Microsoft.Network/virtualNetworks/vnet-spoke-finance/subnets/snet-connector-app'
param existingPrivateEndpointSubnetId = '${hub}/Microsoft.Network/virtualNetworks/vnet-spoke-finance/subnets/snet-private-endpoints'
param createPrivateDnsZones = false
param operatorIpRules = ['203.0.113.0/28']
param existingKeyVaultId = '/subscriptions/00000000-0000-0000-0000-0000000000cc/resourceGroups/rg-finance-secrets/providers/Microsoft.KeyVault/vaults/kv-finance-shared'
param existingLogAnalyticsWorkspaceId = '/subscriptions/00000000-0000-0000-0000-0000000000cc/resourceGroups/rg-ops/providers/Microsoft.OperationalInsights/workspaces/log-central'
// Extra settings are merged; the connector's and the platform's own win (these two are ignored).
param additionalAppSettings = {
  Logging__LogLevel__Default: 'Information'
  Credentials__Store: 'Configuration'
  AzureWebJobsStorage__credential: 'connectionstring'
}
