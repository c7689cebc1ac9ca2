#!/usr/bin/env bash
# Install the Debian packages given that are not installed yet (as root, else through sudo),
# without starting their services: nginx's package would otherwise start Debian's default site
# on port 80. Used by run-tests.sh, setup.sh and deploy/run.sh, so no caller repeats the recipe.
# Usage: scripts/apt-install.sh PACKAGE...
set -euo pipefail
missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
[ "${#missing[@]}" = 0 ] && exit 0
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }
made_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  # Debian's hook for "may a package start its service now?": 101 means no.
  printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
  as_root chmod +x /usr/sbin/policy-rc.d
  made_policy=1
fi
trap '[ "$made_policy" = 0 ] || as_root rm -f /usr/sbin/policy-rc.d' EXIT
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
