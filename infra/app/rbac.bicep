// Role assignments in the connector's resource group. Each is named guid(scope, principal, role), so a redeployment
// finds the assignment it made before instead of failing on a duplicate, and a re-created identity (new principal id)
// gets new assignments instead of colliding with stale ones. The vault's assignments are in keyvault-access.bicep (the
// vault may be the customer's, in another resource group).

@description('Storage account holding host state, the Durable task hub, the deployment package and staging data.')
param storageAccountName string

@description('Application Insights component the app publishes telemetry to.')
param applicationInsightsName string

@description('Principal id of the Function App\'s user-assigned identity.')
param identityPrincipalId string

@description('Object ids of the operators: the data roles the connector CLI and Durable Functions Monitor need.')
param operatorPrincipalIds string[] = []

@description('Kind of operatorPrincipalIds.')
@allowed(['User', 'Group', 'ServicePrincipal'])
param operatorPrincipalType string = 'Group'

// Built-in role definition ids (the same in every tenant).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

// Durable Functions on the Azure Storage backend: blobs (leases, large payloads, deployment package; Owner because the
// host manages blob leases and containers), queues (control and work-item queues), tables (history and instances).
var storageRoles = [
  roles.storageBlobDataOwner
  roles.storageQueueDataContributor
  roles.storageTableDataContributor
]

// Operators reach the same task hub as a client (list, rewind, replay, terminate, purge: the connector CLI and Durable
// Functions Monitor with identity-based access), and the audit tables and staging blobs: contributor on each service.
var operatorRoles = [
  roles.storageBlobDataContributor
  roles.storageQueueDataContributor
  roles.storageTableDataContributor
]

var operatorAssignments = flatten(map(operatorPrincipalIds, principal => map(operatorRoles, role => { principal: principal, role: role })))

resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource storageData 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in storageRoles: {
    name: guid(storage.id, identityPrincipalId, role)
    scope: storage
    properties: {
      principalId: identityPrincipalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    }
  }
]

resource telemetryPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, identityPrincipalId, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
  }
}

resource operatorData 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for assignment in operatorAssignments: {
    name: guid(storage.id, assignment.principal, assignment.role)
    scope: storage
    properties: {
      principalId: assignment.principal
      principalType: operatorPrincipalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', assignment.role)
    }
  }
]
