#!/bin/sh
# azd postprovision hook: lists the Key Vault secrets the connections name, says which ones the vault already holds,
# and how to load the others; then the firewall step for the Sage agent. It never reads or writes a secret value, and
# never fails the provision. Inputs are the deployment's outputs, which azd puts in the environment:
# AZURE_KEY_VAULT_NAME, CONNECTOR_SECRET_NAMES (space-separated), OUTBOUND_PUBLIC_IP.
set -u

vault="${AZURE_KEY_VAULT_NAME:-}"
names="${CONNECTOR_SECRET_NAMES:-}"
outbound="${OUTBOUND_PUBLIC_IP:-}"

echo ""
echo "== Connector secrets (Key Vault ${vault:-?}) =="
if [ -z "$names" ]; then
  echo "No connection names a secret yet (the connections parameter is empty)."
else
  # Names only: the list never returns values.
  present=""
  reachable=no
  if command -v az >/dev/null 2>&1 && present=$(az keyvault secret list --vault-name "$vault" --query "[].name" -o tsv 2>/dev/null); then
    reachable=yes
  fi

  missing=0
  for name in $names; do
    if [ "$reachable" = yes ] && printf '%s\n' "$present" | grep -qx "$name"; then
      status="present"
    elif [ "$reachable" = yes ]; then
      status="MISSING"
      missing=$((missing + 1))
    else
      status="not checked"
    fi
    printf '  %-40s %s\n' "$name" "$status"
  done

  if [ "$reachable" = no ]; then
    echo "The vault could not be listed from here (az missing or not signed in, no 'Key Vault Secrets Officer' role yet,"
    echo "or public access is off: run from inside the network, or add your address to operatorIpRules)."
  elif [ "$missing" -eq 0 ]; then
    echo "Every secret is in the vault."
  fi

  echo ""
  echo "Load a secret from a file, so the value stays out of your shell history (run again with the same name to rotate):"
  echo "  az keyvault secret set --vault-name $vault --name <name> --file ./<name>.txt"
  echo "PEM certificates and private keys (Anaplan Certificate authentication) keep their line breaks with:"
  echo "  az keyvault secret set --vault-name $vault --name <name> --file ./<name>.pem --encoding utf-8"
  echo "The app reads them within five minutes; no restart needed."
fi

echo ""
echo "== Firewall in front of the Sage agent =="
if [ -n "$outbound" ]; then
  echo "The connector reaches the agent from $outbound only (the NAT gateway's static IP)."
  echo "Admit $outbound, and nothing else, to the agent's HTTPS port."
else
  echo "No NAT gateway: the app reaches the agent through your own route (or, without vnetEnabled, from Azure's shared"
  echo "outbound addresses, which no firewall rule can pin). See infra/README.md, 'Network'."
fi

exit 0
