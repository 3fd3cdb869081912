// The same deployment inside a new virtual network: NAT gateway with a static IP, private endpoints and DNS zones,
// storage and Key Vault closed to public traffic.
using '../main.bicep'

import { connections as sampleConnections, deployerPrincipalId, operatorsGroupId, tags as sampleTags } from 'samples.bicep'

param environmentName = 'infratest'
param location = 'westeurope'
param principalId = deployerPrincipalId
param tags = sampleTags
param operatorPrincipalIds = [operatorsGroupId]
param alertEmailAddresses = ['finance-ops@example.com', 'it-oncall@example.com']
param additionalAppSettings = {
  Logging__LogLevel__Connector: 'Debug'
}
param connections = sampleConnections
param vnetEnabled = true
