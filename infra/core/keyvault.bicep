// Key Vault for the third-party secrets the connector uses (Sage agent API keys, Anaplan passwords, certificates and
// private keys). RBAC permission model only: no access policies. The app reads secrets by name
// (Credentials__Store=KeyVault); operators write them with `az keyvault secret set`.
// In a virtual network it refuses public traffic (a private endpoint carries the app's), except from the operators'
// addresses. Plain resource instead of the Azure Verified Module, which cannot be restored offline.

@description('Key Vault name (3-24 letters, digits and hyphens).')
@minLength(3)
@maxLength(24)
param name string

@description('Region.')
param location string

@description('Tags.')
param tags object = {}

@description('Turn on purge protection (cannot be turned off again; recommended for production).')
param enablePurgeProtection bool = true

@description('Refuse public network traffic (the app comes through a private endpoint).')
param privateOnly bool = false

@description('With privateOnly: public addresses or CIDR ranges still admitted (operators writing secrets). Empty: public access disabled.')
param ipRules string[] = []

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // The service refuses an explicit false: leave it unset when not wanted.
    enablePurgeProtection: enablePurgeProtection ? true : null
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: privateOnly && empty(ipRules) ? 'Disabled' : 'Enabled'
    networkAcls: privateOnly
      ? {
          bypass: 'None'
          defaultAction: 'Deny'
          ipRules: map(ipRules, ip => { value: ip })
        }
      : {
          bypass: 'AzureServices'
          defaultAction: 'Allow'
        }
  }
}

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri
