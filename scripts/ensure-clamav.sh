#!/bin/sh
# Make sure Debian's clamd is there, for the antivirus step of the archives' ingest
# (socle/archives/antivirus.py) and its test against the real daemon. Its official
# signature database is not needed: the test gives clamd a one-line database of its own.
# As root (or with sudo) it is installed with apt; otherwise we say how, and the test
# against the real clamd is skipped (the protocol is still tested with a stand-in).
if command -v clamd >/dev/null 2>&1 || [ -x /usr/sbin/clamd ]; then
  exit 0
fi
sh "$(dirname "$0")/apt-install.sh" "l'antivirus ClamAV (paquet Debian « clamav-daemon »)" \
  clamav-daemon
status=$?
[ "$status" = "3" ] || exit "$status"
echo "clamd (ClamAV) est absent : le test de l'antivirus réel sera ignoré."
echo "Pour l'installer : sudo apt-get install clamav-daemon"
exit 0
