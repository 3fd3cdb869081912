// Public endpoints (no virtual network): a deploying principal, operators, alert e-mails, tags and two connections.
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
