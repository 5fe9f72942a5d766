#!/usr/bin/env bash
# One training round on a lent GPU machine (16 cores, one GPU): every shipped model of the project
# trains at once, each as its own process with the project's own training commands, stopped by
# --max-minutes (the GPU is shared between them, so the step counts are what the time allowed).
#
#   MIN=6.5 OUT=/some/dir bash packaging/train/gpu_round.sh        # on the GPU machine
#   MIN=0.1 DEVICE=cpu OUT=/tmp/x bash packaging/train/gpu_round.sh  # dry run of the script here
#
# Results: $OUT/round.tar.part-* (exported models, logs, resumable run folders of the small models)
# and $OUT/round.log. The shared data folder must lie at ../shared/data (or in .gpu/data, copied there).
set -u
MIN=${MIN:-6.5}
DEVICE=${DEVICE:-cuda}
OUT=${OUT:?set OUT}
PY=${PY:-python3}
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=2 MKL_NUM_THREADS=2
[ -d ../shared/data ] || { mkdir -p ../shared && cp -r .gpu/data ../shared/data; }
D=../shared/data/rocks
R=$(mktemp -d)/runs
mkdir -p "$R/logs"
start=$(date +%s)
{ echo "date $(date -u '+%Y-%m-%d %H:%M UTC')  MIN=$MIN DEVICE=$DEVICE"; nvidia-smi -L 2>/dev/null
  $PY -c "import torch, numpy; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'numpy', numpy.__version__)"
  nproc; } > "$R/logs/machine.txt" 2>&1
cat "$R/logs/machine.txt"

# Each group through its own module entry (same parsers as seqgen), so one group's import problem
# cannot stop the others.
seqgen() { local group=$1; case $group in clean) m=cleanup;; *) m=$group;; esac; $PY -m core.$m.cli "$@"; }
common="--device $DEVICE --no-amp --max-minutes $MIN -q"
run() {  # name, command...  (background, log to $R/logs/name.log)
  local name=$1; shift
  ( "$@" > "$R/logs/$name.log" 2>&1; echo "exit $? after $(( $(date +%s) - start )) s" >> "$R/logs/$name.log" ) &
}
# Rock GAN (ours) and the DCGAN baseline, same data/crop/batch/time, Berea and Ketton. ROCK_EXTRA adds
# options to ours, e.g. ROCK_EXTRA="--porosity-weight 100" (docs/results/rock_porosity_ab/).
for rock in ${ROCKS-berea_400 ketton_256}; do
  r=${rock%%_*}
  run "rock_$r" seqgen rock train --data $D/$rock.tif --crop 64 --channels 16 --batch 8 --steps 200000 \
      --checkpoint-every 1000 --check-every 500 --seed 11 --out "$R/rock_$r" ${ROCK_EXTRA:-} $common
  run "dcgan_$r" seqgen rock train-baseline --data $D/$rock.tif --crop 64 --channels 32 --nz 128 --batch 8 --steps 200000 \
      --checkpoint-every 1000 --check-every 500 --seed 11 --out "$R/dcgan_$r" $common
done
# Drawing cleanup U-Net: samples drawn by 8 worker processes (synthesis, not the GPU, sets the pace).
run cleanup seqgen clean train --steps ${CLEAN_STEPS:-5000} --batch 16 --workers ${CLEAN_WORKERS:-8} \
    --checkpoint-every 1000 --check-every 500 --seed 5 --out "$R/cleanup" $common
# Video: VQ-VAE (split codebook, n_c 2) for a quarter of the time, then the transformer on it.
vmin=$($PY -c "print(round($MIN * 0.25, 3))"); lmin=$($PY -c "print(round($MIN * 0.73, 3))")
run video bash -c "$PY -m core.video.cli video train-vqvae --parts 2 --channels 64 --embed-dim 64 --steps 200000 --batch 64 \
      --checkpoint-every 1000 --check-every 500 --seed 7 --out $R/vqvae --device $DEVICE --no-amp --max-minutes $vmin -q && \
    $PY -m core.video.cli video train-lvt --vqvae $R/vqvae --dim 128 --heads 4 --layers 4 --steps 200000 --batch 16 \
      --checkpoint-every 1000 --check-every 500 --seed 7 --out $R/lvt --device $DEVICE --no-amp --max-minutes $lmin -q"
if [ -n "${EXTRA:-}" ]; then run extra bash -c "$EXTRA"; fi
wait
echo "training done after $(( $(date +%s) - start )) s"
nvidia-smi --query-gpu=memory.used,utilization.gpu --format=csv 2>/dev/null

# Small model files from the runs (the exports check that the file loads), then one archive.
mkdir -p "$R/models"
for r in ${ROCK_NAMES-berea ketton}; do
  seqgen rock export "$R/rock_$r" "$R/models/rock_$r.pt" >> "$R/logs/export.log" 2>&1
  seqgen rock export "$R/dcgan_$r" "$R/models/dcgan_$r.pt" --half >> "$R/logs/export.log" 2>&1
done
seqgen clean export "$R/cleanup/last.pt" "$R/models/cleanup_unet.pt" >> "$R/logs/export.log" 2>&1
seqgen video export "$R/lvt/last.pt" "$R/models/video_mnist.pt" >> "$R/logs/export.log" 2>&1
# What comes back is limited (64 MiB): the exported models, logs and the rock runs' last checkpoints.
rm -f "$R"/dcgan_*/last.pt "$R"/cleanup/last.pt "$R"/vqvae/last.pt "$R"/lvt/last.pt
find "$R" -name 'step_*.pt' -delete
tail -n 3 "$R"/logs/*.log
( cd "$(dirname "$R")" && tar czf "$OUT/round.tar.gz" runs )
ls -la "$OUT" "$R/models"
( cd "$OUT" && split -b 15M round.tar.gz round.tar.part- && rm round.tar.gz )
echo "all done after $(( $(date +%s) - start )) s"
