// The Function App on a Flex Consumption plan (Linux, dotnet-isolated) with every connection identity-based:
// AzureWebJobsStorage through the user-assigned identity, the deployment package pulled with the same identity,
// Application Insights through Entra ID, Key Vault references resolved with the same identity. With a subnet, all its
// outbound traffic goes through the virtual network (to the private endpoints, and out by the NAT gateway or the
// customer's own route to the Sage agent).

@description('Function App name.')
param name string

@description('Flex Consumption plan name.')
param planName string

@description('Region.')
param location string

@description('Tags of the plan; the app also gets the azd service tag.')
param tags object = {}

@description('azd service name (azure.yaml) the app is deployed as.')
param serviceName string = 'api'

@description('Resource id of the user-assigned identity.')
param identityId string

@description('Client id of the user-assigned identity.')
param identityClientId string

@description('Blob endpoint of the storage account (https://<account>.blob.core.windows.net/).')
param blobEndpoint string

@description('Queue endpoint of the storage account.')
param queueEndpoint string

@description('Table endpoint of the storage account.')
param tableEndpoint string

@description('Blob container the Flex Consumption platform deploys the app package from.')
param deploymentContainerName string

@description('Application Insights connection string (not a secret: with local auth disabled it cannot ingest without Entra ID).')
param applicationInsightsConnectionString string

@description('Settings the app itself reads (TASKHUB_NAME, Connector__..., ...).')
param appSettings object

@description('.NET version of the dotnet-isolated runtime. Flex Consumption lists dotnet-isolated 8.0, 9.0 and 10.0.')
param runtimeVersion string = '10.0'

@description('Subnet the app is integrated into (delegated to Microsoft.App/environments); empty for none.')
param subnetId string = ''

@description('Memory of each instance in MB.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Most instances the app scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true // Linux
  }
}

resource app 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    virtualNetworkSubnetId: empty(subnetId) ? null : subnetId
    // Everything, not only private address ranges: the agent's address is public, and must be reached from the NAT
    // gateway's IP (or through the customer's route to on-premises).
    outboundVnetRouting: empty(subnetId) ? null : {
      allTraffic: true
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'dotnet-isolated'
        version: runtimeVersion
      }
    }
  }
}

// Flex Consumption takes the worker runtime and version from functionAppConfig.runtime, and refuses
// FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE and the WEBSITE_CONTENT* settings.
var platformSettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: blobEndpoint
  AzureWebJobsStorage__queueServiceUri: queueEndpoint
  AzureWebJobsStorage__tableServiceUri: tableEndpoint
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // DefaultAzureCredential in the worker picks the user-assigned identity from this.
  AZURE_CLIENT_ID: identityClientId
}

resource settings 'Microsoft.Web/sites/config@2025-03-01' = {
  parent: app
  name: 'appsettings'
  properties: union(appSettings, platformSettings)
}

output name string = app.name
output defaultHostName string = app.properties.defaultHostName
