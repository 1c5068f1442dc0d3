#!/usr/bin/env bash
# What a fresh machine of this kind lacks, installed before anything else runs (`make bootstrap`,
# which `make up`, `make test` and `make lint` call first). Idempotent and quiet when all is there.
#
# - uv at the pinned version, into the shared tools cache (no root needed); the Makefile finds it
#   there when it is not on PATH.
# - Debian packages for the local stack and its tests: nginx (the public base URL), chromium (the
#   console's browser tests), kamailio and sip-tester (the reference SIP edge), openssl (the
#   certificates of `make k8s-check`'s API server). Installed with
#   apt-get when we are root or have password-less sudo; otherwise one line says the command.
set -euo pipefail

UV_VERSION="${UV_VERSION:-0.13.8}"
tools="${CALLPLANE_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/callplane/tools}"
uv_home="$tools/uv-$UV_VERSION"

if ! command -v uv >/dev/null 2>&1 && [ ! -x "$uv_home/bin/uv" ]; then
  echo "bootstrap: installing uv $UV_VERSION into $uv_home"
  rm -rf "$uv_home.partial"
  python3 -m venv "$uv_home.partial"
  "$uv_home.partial/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
  # The venv's scripts carry its path in their shebang; uv itself is a static binary, so moving
  # the folder is safe for the binary we call.
  mv "$uv_home.partial" "$uv_home"
fi

# Debian package -> a file that proves it is installed.
declare -A wanted=(
  [nginx-light]=/usr/sbin/nginx
  [chromium]=/usr/bin/chromium
  [kamailio]=/usr/sbin/kamailio
  [sip-tester]=/usr/bin/sipp
  # evapi and jansson: how Kamailio talks to the sip-edge adapter (edges/sip-edge).
  [kamailio-extra-modules]=/usr/share/doc/kamailio-extra-modules
  [openssl]=/usr/bin/openssl
)
missing=()
for package in "${!wanted[@]}"; do
  [ -x "${wanted[$package]}" ] || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "bootstrap: missing Debian packages; run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "bootstrap: installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  # Kamailio's package would start a system-wide server on :5060; the local stack runs its own.
  # Only our own policy file is removed afterwards: a machine's existing one is left alone.
  own_policy=false
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${as_root[@]}" chmod +x /usr/sbin/policy-rc.d
    own_policy=true
  fi
  if ! "${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    "${as_root[@]}" apt-get update -q >/dev/null
    "${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  fi
  if [ "$own_policy" = true ]; then "${as_root[@]}" rm -f /usr/sbin/policy-rc.d; fi
fi

# axe-core, which the console's browser tests inject into each page: exactly the versions of the
# committed lock file (npm ci), once; the npm cache makes a reinstall offline.
browser_tools=tests/e2e/console
if [ -f "$browser_tools/package-lock.json" ] && [ ! -f "$browser_tools/node_modules/axe-core/axe.min.js" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "bootstrap: npm is missing (the console's browser tests need axe-core): install Node.js" >&2
    exit 1
  fi
  echo "bootstrap: installing axe-core (npm ci in $browser_tools)"
  npm ci --prefix "$browser_tools" --no-audit --no-fund --prefer-offline --loglevel=error >/dev/null
fi
