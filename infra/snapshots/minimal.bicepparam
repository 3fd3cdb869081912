// Only the required parameters: every default.
using '../main.bicep'

param environmentName = 'infratest'
param location = 'westeurope'
