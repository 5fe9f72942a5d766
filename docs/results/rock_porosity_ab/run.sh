#!/bin/bash
# The A/B of README.md (run from the repository root; CPU; about 15 min of training + 3 min of
# evaluation per variant on 2 shared cores). Same seed, data, crop, width and steps; only the
# porosity weight and the decay differ.
export OMP_NUM_THREADS=1
for v in "mu0 0 4" "mu100 100 4" "mu100_d16 100 16"; do
  set -- $v
  rm -rf runs/ab_$1
  seqgen rock train --data ../shared/data/rocks/berea_400.tif --crop 32 --channels 8 --batch 8 --steps 700 \
     --porosity-weight $2 --decay $3 --device cpu --check-every 100 --checkpoint-every 350 --seed 21 --out runs/ab_$1 -q
  seqgen rock eval --model runs/ab_$1/last.pt --data ../shared/data/rocks/berea_400.tif --n 100 --size 32 \
     --seed 0 --no-control --device cpu --out runs/eval_ab_$1 -q
done
