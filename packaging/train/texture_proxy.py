"""Training-data proxy for choosing a texture checkpoint (docs/results/texture_cpu_runs/README.md).

    python packaging/train/texture_proxy.py real [N]         # the training crops' figures
    python packaging/train/texture_proxy.py CHECKPOINT [N]   # a checkpoint's: classes fitted in a temp copy

Per class: porosity 5/50/95 % quantiles of N (default 30) 64³ volumes (seed 0) and the share with a pore
cluster spanning z; for a checkpoint also the spatial std of G's logits on one 32³ batch (near 0: G sits on
the threshold). Uses the training parts of the shared rocks only, never held-out data.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from core.texture.data import load_class_volumes, parse_data_specs  # noqa: E402
from core.texture.generate import generate  # noqa: E402
from core.texture.load import load_model  # noqa: E402
from core.texture.train import fit_run_classes  # noqa: E402
from core.volumes.crops import CropSampler  # noqa: E402

DATA = ["../shared/data/rocks/berea_400.tif", "../shared/data/rocks/ketton_256.tif",
        "../shared/data/rocks/bentheimer_500.tif"]


def spans(v: np.ndarray) -> bool:
    """Whether one pore cluster touches both z faces."""
    lab, _ = ndimage.label(v)
    return bool(set(np.unique(lab[0])) & set(np.unique(lab[-1])) - {0})


def stats(vols) -> str:
    por = np.array([v.mean() for v in vols])
    q = np.quantile(por, [0.05, 0.5, 0.95])
    return f"por 5/50/95% {q[0]:.3f}/{q[1]:.3f}/{q[2]:.3f}  spanning {np.mean([spans(v) for v in vols]):.2f}"


def main(argv: list[str]) -> int:
    torch.set_num_threads(1)
    n = int(argv[1]) if len(argv) > 1 else 30
    classes, _ = load_class_volumes(parse_data_specs(DATA))
    if argv[0] == "real":
        rng = np.random.default_rng(0)
        for name, vols in classes.items():
            s = CropSampler(vols, 64)
            print(name, "real", stats([np.ascontiguousarray(s.crop_one(rng)) for _ in range(n)]))
        return 0
    ck = Path(argv[0])
    tmp = Path(tempfile.mkdtemp())
    try:
        shutil.copy(ck, tmp / ck.name)  # classes.pt is written beside the copy, not into the run
        fit_run_classes(tmp / ck.name, classes, 32)
        m = load_model(tmp / ck.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    g, cells = m.generator, m.generator.latent_cells(32)
    torch.manual_seed(0)
    with torch.no_grad():
        cls = torch.arange(4) % len(classes) if g.classes else None  # class-conditioned G
        lo = g(torch.randn(4, g.code_dim), torch.randn(4, g.noise_channels, cells, cells, cells), cls)
    print(ck.stem, f"logit spatial std {lo.std((2, 3, 4)).mean():.4f}")
    for name in classes:
        print(ck.stem, name, stats(list(generate(m, 64, seed=0, cls=name, count=n))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
