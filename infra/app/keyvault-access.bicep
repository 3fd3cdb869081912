// Everything the connector needs on its Key Vault, deployed in the vault's own resource group (a vault of the
// customer's may live anywhere in the tenant): the app's identity reads secrets, the deploying principal writes them,
// and every access is audited to Log Analytics (AuditEvent).

@description('Key Vault holding the connector secrets.')
param keyVaultName string

@description('Principal id of the Function App\'s user-assigned identity.')
param identityPrincipalId string

@description('Principal id of the deploying user or pipeline; empty for none.')
param deployerPrincipalId string = ''

@description('Kind of the deploying principal.')
@allowed(['User', 'Group', 'ServicePrincipal'])
param deployerPrincipalType string = 'User'

@description('Log Analytics workspace the audit log goes to.')
param logAnalyticsWorkspaceId string

var roles = {
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
}

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' existing = {
  name: keyVaultName
}

resource secretsReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identityPrincipalId, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
  }
}

// Lets the deploying principal write the connector secrets (`az keyvault secret set`); never read by the app.
resource secretsWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(vault.id, deployerPrincipalId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
  }
}

// 2021-05-01-preview is the newest version with categoryGroup and the logAnalyticsDestinationType the portal uses; the
// only GA version (2016-09-01) predates both.
#disable-next-line use-recent-api-versions
resource audit 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'connector-audit'
  scope: vault
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logAnalyticsDestinationType: 'Dedicated'
    logs: [
      {
        category: 'AuditEvent'
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
