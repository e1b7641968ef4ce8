#!/usr/bin/env bash
# Set up spindle on a fresh Debian/Ubuntu machine and build every edition of
# the sample book into build/. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# apt_install WHY PACKAGE...: install Debian packages (as root, with sudo, or
# name them and stop).
apt_install() {
  local why="$1"; shift
  [ "$#" -gt 0 ] || return 0
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "spindle setup: please install these Debian packages first ($why): $*" >&2; exit 1
    fi
  fi
  echo "spindle setup: installing $* ($why)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# System packages: Pango/HarfBuzz for WeasyPrint, a JRE for epubcheck,
# poppler-utils for inspecting PDFs, python3-venv for the virtualenv, libgs-common for the
# CMYK ICC profiles the print edition's PDF/X tests use (/usr/share/color/icc/ghostscript/), and
# chromium, the browser tests/cli/test_serve.py drives through Playwright (which never downloads one),
# and the Noto faces the theme falls back to for every script the book's own faces lack (Greek and
# Cyrillic beyond Libertine, CJK, Korean, Thai, Arabic, Hebrew, Indic scripts, emoji, code).
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 poppler-utils libgs-common chromium
          fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji fonts-noto-mono)
missing=()
command -v java >/dev/null 2>&1 || packages+=(default-jre-headless)
"${PYTHON:-python3}" -c 'import venv, ensurepip' 2>/dev/null || packages+=(python3-venv)
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
apt_install "spindle and its tests" ${missing[@]+"${missing[@]}"}

PYTHON="${PYTHON:-python3}"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "spindle needs Python 3.11 or newer")'
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'

# --- Ace by DAISY (EPUB accessibility checker) for tests/editions/test_ace.py -------------------------------
# Optional: SPINDLE_SKIP_ACE=1 skips it (the Ace test then skips, saying why). Debian's chromium and
# nodejs/npm; ace-cli into .tools/ without Puppeteer's own browser download (it runs Debian's
# chromium through PUPPETEER_EXECUTABLE_PATH; ace-cli itself launches it with --no-sandbox).
if [ "${SPINDLE_SKIP_ACE:-0}" != 1 ]; then
  ace_missing=()
  command -v chromium >/dev/null 2>&1 || ace_missing+=(chromium)
  command -v node >/dev/null 2>&1 || ace_missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || ace_missing+=(npm)
  apt_install "Ace; or set SPINDLE_SKIP_ACE=1" ${ace_missing[@]+"${ace_missing[@]}"}
  if [ ! -x .tools/node_modules/.bin/ace-cli ]; then
    echo "spindle setup: installing @daisy/ace-cli into .tools/"
    PUPPETEER_SKIP_DOWNLOAD=1 PUPPETEER_SKIP_CHROMIUM_DOWNLOAD=1 \
      npm install --prefix .tools --no-audit --no-fund --loglevel=error @daisy/ace-cli@1.4.6 >/dev/null
  fi
fi
# --- end of Ace ----------------------------------------------------------------------------------------

.venv/bin/spindle build all
