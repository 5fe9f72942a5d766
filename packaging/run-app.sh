#!/usr/bin/env bash
# Sets up what is missing, then starts SeqGen Studio on the bundled sample.
# With no display it says so and runs a headless demo (measure the sample, write a 3D render PNG).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/packaging/setup.sh" app
cd "$root"
exec .venv/bin/seqgen-studio resources/sample/berea_crop_100.tif "$@"
