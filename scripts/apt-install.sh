#!/bin/sh
# Install Debian packages for the test tools: `sh scripts/apt-install.sh "what" pkg...`.
# As root, or with a sudo that asks no password, they are installed with apt and the
# exit code is apt's; otherwise nothing is done and the exit code is 3 (the caller then
# says how to install them and what will be skipped).
what="$1"
shift
command -v apt-get >/dev/null 2>&1 || exit 3
if [ "$(id -u)" = "0" ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo"
else
  exit 3
fi
echo "Installation de $what…"
$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
