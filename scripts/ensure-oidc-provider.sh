#!/bin/sh
# Install the certified OpenID provider that the FranceConnect tests start (panva's
# oidc-provider, tests/support/oidc_node), from its lock file, with the machine's Node.js.
# Without Node.js we say so, and those tests are skipped.
DIR="$(dirname "$0")/../tests/support/oidc_node"
if [ -d "$DIR/node_modules/oidc-provider" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "Node.js (npm) est absent : les tests FranceConnect contre un fournisseur OpenID certifié seront ignorés."
  echo "Pour les lancer, installez-le : sudo apt-get install nodejs npm"
  exit 0
fi
npm ci --prefix "$DIR" --no-audit --no-fund --loglevel=error || {
  echo "Installation d'oidc-provider impossible : les tests qui en ont besoin seront ignorés."
  exit 0
}
