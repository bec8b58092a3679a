#!/bin/sh
# Make sure Debian's Chromium is there for the browser tests (tests/e2e).
# As root (or with sudo) it is installed with apt; otherwise we say how, and the browser
# tests are skipped.
CHROMIUM="${SOCLE_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
sh "$(dirname "$0")/apt-install.sh" \
  "Chromium (paquet Debian « chromium ») pour les tests dans le navigateur" chromium
status=$?
[ "$status" = "3" ] || exit "$status"
echo "Chromium est absent : les tests dans le navigateur seront ignorés."
echo "Pour les lancer, installez-le : sudo apt-get install chromium"
exit 0
