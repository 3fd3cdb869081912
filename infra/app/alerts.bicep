// Alerts on the runs the worker reports (log line "RunEnded" with the run's status, see infra/alerts/*.kql): one rule
// for failed runs, one for runs that completed with failures or differences; each fires per connection and flow, and
// notifies a new action group (e-mail) and any existing ones.

@description('Region of the alert rules.')
param location string

@description('Tags.')
param tags object = {}

@description('Application Insights component the worker sends its logs to.')
param applicationInsightsId string

@description('Name of the action group created for alertEmailAddresses.')
param actionGroupName string

@description('Name prefix of the alert rules.')
param alertNamePrefix string

@description('Name suffix of the alert rules.')
param alertNameSuffix string

@description('E-mail addresses to notify; empty: no new action group.')
param emailAddresses string[] = []

@description('Existing action groups to notify as well.')
param actionGroupIds string[] = []

var rules = [
  {
    name: 'run-failed'
    displayName: 'Connector run failed'
    description: 'A Sage 100 / Anaplan connector run failed: nothing after the failing step was done. Rewind or replay it after fixing the cause (connector runs show <run id>).'
    severity: 1
    query: loadTextContent('../alerts/run-failed.kql')
  }
  {
    name: 'run-completed-with-problems'
    displayName: 'Connector run completed with failures or differences'
    description: 'A Sage 100 / Anaplan connector run completed, but rows or entries failed, or the totals of the two sides differ. Its audit names each record.'
    severity: 2
    query: loadTextContent('../alerts/run-completed-with-problems.kql')
  }
]

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(emailAddresses)) {
  name: actionGroupName
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'connector'
    enabled: true
    emailReceivers: [
      for (address, i) in emailAddresses: {
        name: 'email-${i}'
        emailAddress: address
        useCommonAlertSchema: true
      }
    ]
  }
}

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = [
  for rule in rules: {
    name: '${alertNamePrefix}${rule.name}-${alertNameSuffix}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [applicationInsightsId]
      evaluationFrequency: 'PT15M'
      windowSize: 'PT15M'
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: 'Count'
            operator: 'GreaterThan'
            threshold: 0
            dimensions: [
              {
                name: 'ConnectionId'
                operator: 'Include'
                values: ['*']
              }
              {
                name: 'Flow'
                operator: 'Include'
                values: ['*']
              }
            ]
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      // Each run is its own event: nothing to resolve automatically.
      autoMitigate: false
      actions: {
        actionGroups: concat(empty(emailAddresses) ? [] : [actionGroup.id], actionGroupIds)
      }
    }
  }
]
