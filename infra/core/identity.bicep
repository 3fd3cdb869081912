// User-assigned managed identity of the Function App: the one principal that reaches storage, Key Vault and
// Application Insights. Plain resource instead of the Azure Verified Module: registry modules (br/public:...) need
// network access to restore, and this template must compile offline.

@description('Identity name.')
param name string

@description('Region.')
param location string

@description('Tags.')
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
