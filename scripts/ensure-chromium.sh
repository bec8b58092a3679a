#!/bin/sh
# Make sure Debian's Chromium is there for the browser tests (tests/e2e).
# As root it is installed with apt; otherwise we say how, and the browser tests are skipped.
CHROMIUM="${SOCLE_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installation de Chromium (paquet Debian « chromium ») pour les tests dans le navigateur…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit $?
fi
echo "Chromium est absent : les tests dans le navigateur seront ignorés."
echo "Pour les lancer, installez-le : sudo apt-get install chromium"
exit 0
