"""Choose an LVT checkpoint on validation clips (training digits, own seed), never on the test set.

    python packaging/train/video_val.py CHECKPOINT [CHECKPOINT ...] [--n 32] [--out FILE.md]

For each checkpoint: bits per code of the predicted frames' true codes (teacher forcing, one window, as
the trainer's check but on ``--n`` clips instead of 4) and the training step. Clips are Moving MNIST of
the *training* digits with the seed below, which neither the trainer's stream nor its 4-clip check uses.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

VAL_SEED = 515_151  # validation clips: training digits, a seed of their own


def val_bits(path, n: int = 32, batch: int = 4) -> dict:
    """Bits per code of the predicted frames on ``n`` validation clips for the checkpoint at ``path``."""
    import numpy as np
    import torch

    from core.video.loader import load_lvt
    from core.video.mnist import moving_mnist
    from core.video.task import LVTTask

    loaded = load_lvt(path)
    task = LVTTask(loaded.model.cfg, loaded.vqvae)
    clips = moving_mnist(n, seed=VAL_SEED, split="train", frames=loaded.model.cfg.frames, size=loaded.vqvae.cfg.size)
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, n, batch):
            tokens = task.encode(torch.from_numpy(np.ascontiguousarray(clips[i:i + batch])), loaded.vqvae)
            _, pred = task.losses(loaded.model, tokens)
            total += float(pred) * len(tokens)
            count += len(tokens)
    return {"path": str(path), "step": loaded.step, "bits_per_code": total / count / math.log(2), "n": n}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoints", nargs="+")
    ap.add_argument("--n", type=int, default=32)
    ap.add_argument("--out", default=None, help="also write the table to this markdown file")
    args = ap.parse_args(argv)
    rows = []
    for p in args.checkpoints:
        t = time.perf_counter()
        r = val_bits(p, args.n)
        rows.append(f"| `{p}` | {r['step']} | {r['bits_per_code']:.4f} | {time.perf_counter() - t:.0f} s |")
        print(rows[-1], flush=True)
    if args.out:
        text = "\n".join([f"Validation bits per code of the predicted frames, {args.n} clips of training digits "
                          f"(seed {VAL_SEED}), `python packaging/train/video_val.py`:", "",
                          "| checkpoint | step | bits per code | time |", "|---|---|---|---|", *rows, ""])
        Path(args.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
