// The storage account of the Function App: Functions host state (AzureWebJobsStorage), the Durable Functions task hub
// (Azure Storage backend: queues, tables, blobs), the Flex Consumption deployment package and the connector's own
// staging blobs and tables. Entra ID only: shared keys are disabled, so no connection string with a key exists. In a
// virtual network it refuses public traffic (private endpoints carry the app's), except from the operators' addresses.
// Plain resources instead of the Azure Verified Module, which cannot be restored offline.

@description('Storage account name (3-24 lower-case letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Region.')
param location string

@description('Tags.')
param tags object = {}

@description('Replication SKU.')
@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_GZRS'])
param skuName string = 'Standard_LRS'

@description('Blob containers to create (the Flex Consumption deployment container, the connector staging container).')
param containerNames string[]

@description('Blob name prefixes ("<container>/<folder>/") whose blobs a lifecycle rule deletes after expireAfterDays days without change. Empty: no rule.')
param expirePrefixes string[] = []

@description('With expirePrefixes: days since a blob last changed before the lifecycle rule deletes it.')
@minValue(1)
param expireAfterDays int = 97

@description('Refuse public network traffic (the app comes through private endpoints).')
param privateOnly bool = false

@description('With privateOnly: public addresses or CIDR ranges still admitted (operators). Empty: public access disabled.')
param ipRules string[] = []

resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: privateOnly && empty(ipRules) ? 'Disabled' : 'Enabled'
    networkAcls: privateOnly
      ? {
          bypass: 'None'
          defaultAction: 'Deny'
          ipRules: map(ipRules, ip => { value: ip, action: 'Allow' })
        }
      : {
          bypass: 'AzureServices'
          defaultAction: 'Allow'
        }
  }

  resource blobServices 'blobServices' = {
    name: 'default'
    properties: {
      deleteRetentionPolicy: {
        enabled: true
        days: 7
      }
    }

    resource containers 'containers' = [
      for containerName in containerNames: {
        name: containerName
        properties: {
          publicAccess: 'None'
        }
      }
    ]
  }
}

// The backstop of the connector's retention job: staged run files (never what later runs still read, kept under
// state/) are deleted some days after the job should have purged their run, should the job not have run.
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2025-06-01' = if (!empty(expirePrefixes)) {
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'expire-run-staging'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: ['blockBlob']
              prefixMatch: expirePrefixes
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterModificationGreaterThan: expireAfterDays
                }
              }
            }
          }
        }
      ]
    }
  }
}

output id string = storage.id
output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
output tableEndpoint string = storage.properties.primaryEndpoints.table
