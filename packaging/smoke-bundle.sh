#!/usr/bin/env bash
# Smoke test of the desktop bundle as a user gets it: a copy of dist/seqgen-studio/ in a temporary
# folder, run from there with a bare environment (no PYTHONPATH, no venv, a fresh HOME), so nothing
# of the checkout or its .venv is reachable. It checks that the command line reports the bundle's own
# resources, generates a small rock volume from the shipped sample slice with the shipped Berea model
# and measures it (porosity, permeability: torch, porespy, OpenPNM, numba), cleans a small drawn scan
# with the shipped U-Net, and that the window starts under Xvfb, renders the bundled sample and saves
# a screenshot. Exit 0 when all of that worked.
#   bash packaging/smoke-bundle.sh [BUNDLE_DIR]     (default dist/seqgen-studio)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
src=${1:-$root/dist/seqgen-studio}
[ -x "$src/seqgen-studio" ] || { echo "No bundle at $src (build it with packaging/build-app.sh)." >&2; exit 2; }
command -v xvfb-run >/dev/null || { echo "xvfb-run is needed (apt-get install xvfb xauth)." >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/seqgen-bundle-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -a "$src" "$work/SeqGen Studio"          # a space in the path, as a user's folder may have
app="$work/SeqGen Studio"
mkdir -p "$work/home" "$work/run"
cd "$work/run"
bare() { env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$work/home" LANG=C.UTF-8 TMPDIR="$work" \
  OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" "$@"; }
fail() { echo "smoke-bundle: FAILED: $*" >&2; exit 1; }
step() { echo "== $*"; }
start=$(date +%s)

step "seqgen info"
info=$(bare "$app/seqgen" info) || fail "seqgen info"
echo "$info"
grep -qF "resources: $app/_internal/resources" <<<"$info" || fail "resources are not the bundle's own"

step "seqgen rock generate (shipped Berea model, 20 x 100 x 100)"
bare "$app/seqgen" rock generate --model berea --slice "$app/_internal/resources/sample/berea_slice_100.png" \
  --depth 20 --seed 5 -o out/rock.tif || fail "rock generate"
[ -s out/rock.tif ] || fail "no out/rock.tif"

step "seqgen props (the generated volume)"
bare "$app/seqgen" props out/rock.tif --json -q > out/rock_props.json || fail "props"
porosity=$(sed -n 's/^  "porosity": \([0-9.eE+-]*\),$/\1/p' out/rock_props.json)
shape=$(tr -d ' \n' < out/rock_props.json | sed -n 's/.*"shape":\[\([0-9,]*\)\].*/\1/p')
echo "porosity $porosity, shape $shape"
[ "$shape" = "20,100,100" ] || fail "volume shape '$shape', expected 20,100,100"
awk -v p="$porosity" 'BEGIN { exit !(p > 0.02 && p < 0.6) }' || fail "porosity '$porosity' out of range"
grep -q '"permeability_mD"' out/rock_props.json || fail "no permeability"

step "seqgen clean (a drawn 128 x 128 scan, shipped U-Net)"
# A 24-bit BMP written byte by byte: light grey paper with noise-free dark strokes (two rows, one column).
le() { local v=$1 n=$2 i; for ((i = 0; i < n; i++)); do printf "\\$(printf %03o $(((v >> (8 * i)) & 255)))"; done; }
w=128; h=128; rowbytes=$((w * 3))
paper=$(printf '\\%03o' 235); ink=$(printf '\\%03o' 30)
{
  printf 'BM'; le $((54 + rowbytes * h)) 4; le 0 4; le 54 4
  le 40 4; le $w 4; le $h 4; le 1 2; le 24 2; le 0 4; le $((rowbytes * h)) 4; le 2835 4; le 2835 4; le 0 4; le 0 4
  for ((y = 0; y < h; y++)); do
    row=""
    for ((x = 0; x < w; x++)); do
      if (( (y >= 40 && y < 43) || (y >= 90 && y < 93) || (x >= 60 && x < 63 && y > 20 && y < 110) )); then
        row+="$ink$ink$ink"; else row+="$paper$paper$paper"; fi
    done
    printf "$row"
  done
} > scan.bmp
bare "$app/seqgen" clean scan.bmp -o out/clean --views 1 || fail "clean"
[ "$(head -c 8 out/clean/scan.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "out/clean/scan.png is not a PNG"

step "seqgen-studio --smoke-test (the window under Xvfb, the bundled sample)"
bare xvfb-run -a "$app/seqgen-studio" --smoke-test shots/smoke.png > studio.log 2>&1 || { cat studio.log; fail "seqgen-studio"; }
cat studio.log
grep -q "smoke test: wrote" studio.log || fail "no screenshot reported"
[ "$(head -c 8 shots/smoke.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "shots/smoke.png is not a PNG"

echo "smoke-bundle: OK ($(du -sh "$app" | cut -f1) bundle, $(( $(date +%s) - start )) s)"
