#!/bin/bash
# 2026-12-04 (first use): the dim-256 LVT trained from scratch (seed 42, no --init) beside a dim-128 one from
# the old snapshot; both rock runs' checkpoints were lost to an export bug fixed since (a newline in the list).
# Now: the dim-256 LVT goes on from its snapshot (--init), the rock runs start afresh.
# One lent-GPU session's training (issue 16 video LVT, issue 18 rock models), run by the device tool:
#   run(command="bash packaging/device/gpu_train.sh", carry=[".devdata"])
# .devdata holds copies of ../shared/data files (the shared folder does not travel). The runs share
# the one GPU at once (each is small and launch-bound); a 2-step smoke test of each comes first so a
# broken setup fails within a minute. Results come back as tars in $OUT (at most 8 files).
set -u
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=3
MIN=${MIN:-7}; DEV=${DEV:-cuda}; PY=${PY:-python3}
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
W=/tmp/w; rm -rf $W; mkdir -p $W/smoke $W/x
mkdir -p ../shared/data/rocks ../shared/data/digits
cp .devdata/mnist_5k.npz ../shared/data/digits/ && cp .devdata/*.tif ../shared/data/rocks/ || exit 3
{ date -u; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv; nproc --all
  $PY -c "import torch, numpy; print('torch', torch.__version__, 'numpy', numpy.__version__, 'cuda', torch.cuda.is_available())"; } 2>&1 | tee "$OUT/log.txt"

VQ=packaging/train/snapshots/video_vqvae_8x2x256.pt
LVT_B="video train-lvt --vqvae $VQ --init packaging/train/snapshots/video_lvt256_gpu.pt --prev-frames 2 --prev-radius 1 --frames 20 --context 10 --dim 256 --heads 8 --layers 4 --batch 32 --lr 5e-4 --seed ${LVT_SEED:-45}"
ROCK="rock train --crop 48 --channels 8 --batch 16 --norm pixel --decay 6 --porosity-weight 100 --profile-weight 100"
BENT="$ROCK --data ../shared/data/rocks/bentheimer_500.tif --seed 43"
KETT="$ROCK --data ../shared/data/rocks/ketton_256.tif --seed 44"
declare -A JOBS=([lvtB]="$LVT_B" [bent]="$BENT" [kett]="$KETT")

# smoke: 2 steps of each, all at once
for j in "${!JOBS[@]}"; do
  $PY -m core ${JOBS[$j]} --device $DEV --steps 2 --check-every 2 --checkpoint-every 2 --out $W/smoke/$j -q \
    > $W/smoke/$j.log 2>&1 & done
wait
for j in "${!JOBS[@]}"; do
  if [ -f $W/smoke/$j/last.pt ]; then echo "smoke $j ok"; else echo "smoke $j FAILED"; tail -20 $W/smoke/$j.log; fi
done 2>&1 | tee -a "$OUT/log.txt"
grep -q FAILED "$OUT/log.txt" && exit 2

# the real runs, all at once, each stopping cleanly after $MIN minutes
for j in "${!JOBS[@]}"; do
  case $j in lvt*) every="--checkpoint-every 500 --check-every 500";; *) every="--checkpoint-every 500 --check-every 250";; esac
  $PY -m core ${JOBS[$j]} --device $DEV --steps 200000 $every --keep-checkpoints 0 --max-minutes $MIN \
    --out $W/$j -q > $W/$j.log 2>&1 &
done
for i in $(seq 1 120); do sleep 10; echo "$(date -u +%T) $(nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader) | $(for j in "${!JOBS[@]}"; do echo -n "$j $(tail -1 $W/$j/log.csv 2>/dev/null | cut -d, -f1) "; done)" | tee -a "$OUT/log.txt"
  jobs -r | grep -q . || break; done
wait
for j in "${!JOBS[@]}"; do echo "== $j"; tail -3 $W/$j.log; done 2>&1 | tee -a "$OUT/log.txt"

# small exports of the kept checkpoints, in one process (full checkpoints are too big to bring back)
for j in "${!JOBS[@]}"; do
  mkdir -p $W/x/$j; cp $W/$j/log.csv $W/$j.log $W/x/$j/ 2>/dev/null
  case $j in lvtB) keep=0;; *) keep=1000;; esac  # LVT exports are MBs each: the newest only
  echo "${JOBS[$j]%% *} $W/x/$j $(ls $W/$j/step_*.pt | tail -n $keep | tr "\n" " ") $W/$j/last.pt"
done > $W/exports.txt
$PY - $W/exports.txt <<'PYEOF' 2>&1 | tee -a "$OUT/log.txt"
import sys, os
from core.cli import main
for line in open(sys.argv[1]):
    kind, dst, *ckpts = line.split()
    for c in ckpts:
        if os.path.exists(c):
            rc = main([kind, "export", c, os.path.join(dst, os.path.basename(c)), "--half"])
            print("export", c, "rc", rc)
PYEOF
for j in "${!JOBS[@]}"; do (cd $W/x && tar cf "$OUT/$j.tar" $j); done
ls -la "$OUT" | tee -a "$OUT/log.txt"
