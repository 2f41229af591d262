#!/usr/bin/env bash
# Installs the Debian packages the portal runs beside it (redis-server, packer) when absent, and
# says what it did. Pass extra package names (postgresql, chromium) as arguments.
set -euo pipefail
wanted=(redis-server packer "$@")
missing=()
for pkg in "${wanted[@]}"; do
  if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    echo "system: $pkg already installed"
  else
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
else
  sudo_cmd=()
fi
echo "system: installing ${missing[*]} from Debian packages"
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system: installed ${missing[*]}"
