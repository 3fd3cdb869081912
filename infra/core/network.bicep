// A virtual network of the connector's own: a subnet for the Function App (delegated to Microsoft.App/environments,
// as Flex Consumption requires) with a NAT gateway, so every call the app makes to the Sage agent leaves from one
// static public IP the customer's firewall can admit; and a subnet for the private endpoints of storage and Key Vault.
// Plain resources instead of the Azure Verified Module, which cannot be restored offline.

@description('Virtual network name.')
param vnetName string

@description('NAT gateway name.')
param natGatewayName string

@description('Name of the NAT gateway\'s public IP.')
param publicIpName string

@description('Region.')
param location string

@description('Tags.')
param tags object = {}

@description('Address space.')
param addressPrefix string

@description('App subnet (one address per instance, plus the five Azure keeps).')
param appSubnetPrefix string

@description('Private endpoint subnet.')
param privateEndpointSubnetPrefix string

@description('Route the app subnet\'s outbound traffic through a NAT gateway with a static public IP.')
param natGatewayEnabled bool = true

resource publicIp 'Microsoft.Network/publicIPAddresses@2025-05-01' = if (natGatewayEnabled) {
  name: publicIpName
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Regional'
  }
  properties: {
    publicIPAllocationMethod: 'Static'
    publicIPAddressVersion: 'IPv4'
  }
}

resource natGateway 'Microsoft.Network/natGateways@2025-05-01' = if (natGatewayEnabled) {
  name: natGatewayName
  location: location
  tags: tags
  sku: {
    name: 'Standard'
  }
  properties: {
    idleTimeoutInMinutes: 4
    publicIpAddresses: [
      {
        id: publicIp.id
      }
    ]
  }
}

resource vnet 'Microsoft.Network/virtualNetworks@2025-05-01' = {
  name: vnetName
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [addressPrefix]
    }
    // Subnets inline: declared as child resources they would be removed and re-added on every deployment.
    subnets: [
      {
        name: 'app'
        properties: {
          addressPrefix: appSubnetPrefix
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
          natGateway: natGatewayEnabled ? { id: natGateway.id } : null
          // Without a NAT gateway nothing leaves this subnet for the internet but through the VNet's own routes.
          defaultOutboundAccess: false
        }
      }
      {
        name: 'private-endpoints'
        properties: {
          addressPrefix: privateEndpointSubnetPrefix
          privateEndpointNetworkPolicies: 'Disabled'
          defaultOutboundAccess: false
        }
      }
    ]
  }
}

output vnetId string = vnet.id
output appSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, 'app')
output privateEndpointSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, 'private-endpoints')
output natPublicIp string = natGatewayEnabled ? publicIp!.properties.ipAddress : ''
