#!/usr/bin/env bash
# Sets up what is missing (Xvfb included), then runs the whole test suite under Xvfb.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/packaging/setup.sh" test
cd "$root"
# Tests never touch the user's settings or a real display; pytest-xvfb starts a virtual X server.
unset DISPLAY WAYLAND_DISPLAY
export QT_API=pyside6 MPLBACKEND=Agg PYTHONDONTWRITEBYTECODE=1
exec .venv/bin/python -m pytest "$@"
