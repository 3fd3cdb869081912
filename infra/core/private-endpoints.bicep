// Private endpoints of the storage account (blob, queue, table: everything the Functions host, Durable Functions and
// the connector use) and of the Key Vault, in one subnet, with their private DNS zones linked to the virtual network
// so the app resolves the accounts' usual names to private addresses.

@description('Name prefix of the private endpoints (pe-<target>-<suffix>).')
param namePrefix string

@description('Name suffix of the private endpoints.')
param nameSuffix string

@description('Region.')
param location string

@description('Tags.')
param tags object = {}

@description('Subnet the private endpoints get their addresses from.')
param subnetId string

@description('Virtual network the DNS zones are linked to.')
param vnetId string

@description('Create and link the private DNS zones; false when the customer\'s hub or policy does.')
param createDnsZones bool = true

@description('Storage account id.')
param storageAccountId string

@description('Key Vault id; empty for none (a vault of the customer\'s keeps its own network setup).')
param keyVaultId string = ''

var storageTargets = [
  for service in ['blob', 'queue', 'table']: {
    name: service
    resourceId: storageAccountId
    groupId: service
    zone: 'privatelink.${service}.${environment().suffixes.storage}'
  }
]

// privatelink.vaultcore.azure.net in the public cloud: the vault DNS suffix with "vault" replaced.
var vaultTargets = empty(keyVaultId)
  ? []
  : [
      {
        name: 'vault'
        resourceId: keyVaultId
        groupId: 'vault'
        zone: 'privatelink${replace(environment().suffixes.keyvaultDns, '.vault.', '.vaultcore.')}'
      }
    ]

var targets = concat(storageTargets, vaultTargets)

resource zones 'Microsoft.Network/privateDnsZones@2024-06-01' = [
  for target in targets: if (createDnsZones) {
    name: target.zone
    location: 'global'
    tags: tags
  }
]

resource links 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [
  for (target, i) in targets: if (createDnsZones) {
    parent: zones[i]
    name: 'connector-${uniqueString(vnetId)}'
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: {
        id: vnetId
      }
    }
  }
]

resource endpoints 'Microsoft.Network/privateEndpoints@2025-05-01' = [
  for target in targets: {
    name: '${namePrefix}${target.name}-${nameSuffix}'
    location: location
    tags: tags
    properties: {
      subnet: {
        id: subnetId
      }
      privateLinkServiceConnections: [
        {
          name: target.name
          properties: {
            privateLinkServiceId: target.resourceId
            groupIds: [target.groupId]
          }
        }
      ]
    }
  }
]

resource dnsGroups 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2025-05-01' = [
  for (target, i) in targets: if (createDnsZones) {
    parent: endpoints[i]
    name: 'default'
    properties: {
      privateDnsZoneConfigs: [
        {
          name: replace(target.zone, '.', '-')
          properties: {
            privateDnsZoneId: zones[i].id
          }
        }
      ]
    }
  }
]
