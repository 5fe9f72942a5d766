#!/usr/bin/env bash
# Installs what is missing, once: system packages (as root, Debian), a virtual environment in the
# checkout (.venv) with the exact tested set (packaging/requirements-lock.txt), and the project itself
# (editable).
#   bash packaging/setup.sh app    -> what the GUI needs (Qt's xcb libraries)
#   bash packaging/setup.sh test   -> the same plus Xvfb for the GUI tests
set -euo pipefail
mode=${1:-app}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

apt_packages="libgl1 libegl1 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 \
libxcb-image0 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xfixes0 libxcb-xkb1 \
libfontconfig1 libdbus-1-3"
[ "$mode" = test ] && apt_packages="$apt_packages xvfb xauth"

PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for c in python3.11 python3.12 python3.10 python3; do command -v "$c" >/dev/null && { PY=$c; break; }; done
fi
[ -n "$PY" ] || { echo "Python 3.10+ is needed (3.11 recommended)." >&2; exit 1; }

missing=""
if command -v dpkg-query >/dev/null; then
  for p in $apt_packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  "$PY" -c "import ensurepip, venv" 2>/dev/null || missing="$missing python3-venv"
fi
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "Installing system packages:$missing"
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq $missing >/dev/null
fi

# Reinstall only when the requirements change (the stamp holds their hash).
stamp=.venv/.seqgen-installed
want=$(cat packaging/requirements-lock.txt pyproject.toml setup.py | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r packaging/requirements-lock.txt
  .venv/bin/python -m pip install -q --no-deps --no-build-isolation -e .
  echo "$want" > "$stamp"
fi
