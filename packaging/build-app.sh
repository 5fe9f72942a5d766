#!/usr/bin/env bash
# Builds the desktop bundle: dist/seqgen-studio/ (PyInstaller onedir, Linux x86_64) with the
# executables seqgen-studio (the window) and seqgen (the command line), the CPU build of torch,
# Qt, VTK/pyvista, the shipped models and the sample. Copy the folder anywhere and run
# dist/seqgen-studio/seqgen-studio; no Python or venv is needed there.
#   bash packaging/build-app.sh            -> dist/seqgen-studio/
#   bash packaging/build-app.sh --tar      -> also dist/seqgen-studio-linux-x86_64.tar.gz
# The packages are the exact tested set (.venv from packaging/requirements-lock.txt, made by
# setup.sh); PyInstaller itself (packaging/requirements-bundle.txt) goes into build/bundle/tools,
# not into .venv. BUILD_NICE (default 10) is the build's nice level.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash packaging/setup.sh app

tools=build/bundle/tools
stamp=$tools/.installed
want=$(sha256sum packaging/requirements-bundle.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  rm -rf "$tools"
  .venv/bin/python -m pip install -q --no-deps --target "$tools" -r packaging/requirements-bundle.txt
  echo "$want" > "$stamp"
fi

start=$(date +%s)
rm -rf dist/seqgen-studio
PYTHONPATH="$root/$tools" PYTHONDONTWRITEBYTECODE=1 OMP_NUM_THREADS=1 \
  nice -n "${BUILD_NICE:-10}" .venv/bin/python -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/bundle/work packaging/bundle/seqgen-studio.spec
ln -s seqgen-studio dist/seqgen-studio/seqgen
secs=$(( $(date +%s) - start ))
size=$(du -sh dist/seqgen-studio | cut -f1)
echo "Built dist/seqgen-studio/ ($size, $(find dist/seqgen-studio -type f | wc -l) files) in ${secs} s."
if [ "${1:-}" = --tar ]; then
  tar -C dist -czf dist/seqgen-studio-linux-x86_64.tar.gz seqgen-studio
  echo "Archive: dist/seqgen-studio-linux-x86_64.tar.gz ($(du -sh dist/seqgen-studio-linux-x86_64.tar.gz | cut -f1))"
fi
