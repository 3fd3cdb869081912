// Key Vault for the third-party secrets the connector uses (Sage agent API keys, Anaplan passwords, certificates and
// private keys). RBAC permission model only: no access policies. The app reads secrets by name
// (Credentials__Store=KeyVault); operators write them with `az keyvault secret set`.
// Plain resource instead of the Azure Verified Module, which cannot be restored offline.

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

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
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
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri
