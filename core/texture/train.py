"""Train a texture model: read the classes' volumes (with the split), core.train.fit, then fit the classes."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import Cancelled
from ..jobs import TaskState, ensure_state, select_device
from ..train import LAST, TrainConfig, TrainResult, config_for_resume, fit, load_checkpoint
from .classes import CLASS_CROPS, CLASSES_FILE, fit_inference, save_class_table
from .config import TextureGANConfig
from .data import load_class_volumes, parse_data_specs
from .model import Encoder, Generator, generator_weights
from .task import FORMAT_VERSION, KIND, TextureGANTask

def fit_run_classes(checkpoint, classes, crop: int, *, n_crops: int = CLASS_CROPS, device="cpu",
                    state: TaskState | None = None) -> Path:
    """Fit the classes and calibrate G for ``checkpoint``; write ``classes.pt`` beside it."""
    ck = load_checkpoint(checkpoint, kind=KIND, max_version=FORMAT_VERSION)
    cfg = TextureGANConfig.from_dict(ck["config"])
    enc, gen = Encoder(cfg), Generator(cfg)
    enc.load_state_dict(ck["models"]["encoder"])
    gen.load_state_dict(generator_weights(ck["models"]))
    table, bn_stats = fit_inference(enc.to(device).eval(), gen.to(device), classes, crop, n_crops=n_crops, state=state)
    bn_stats = {k: v.cpu() for k, v in bn_stats.items()}
    return save_class_table(Path(checkpoint).parent / CLASSES_FILE, table, step=int(ck["step"]), crop=crop,
                            bn_stats=bn_stats)


def train(data, config: TextureGANConfig, train_cfg: TrainConfig, *, pore: str = "auto",
          state: TaskState | None = None) -> TrainResult:
    """Train (or resume) on ``data`` ([NAME=]PATH specs); afterwards write ``classes.pt`` for the last step.

    The classes are fitted (and G's BatchNorm statistics measured) also when the run is cancelled
    or stops at its time limit: a few seconds of E and G on some crops per class, not
    interruptible, so that the checkpoint left behind generates by class at once. Under torchrun
    only rank 0 does it.
    """
    state = ensure_state(state)
    config, notices = config_for_resume(config, train_cfg, kind=KIND, max_version=FORMAT_VERSION)
    specs = parse_data_specs(data)
    classes, read_notes = load_class_volumes(specs, pore=pore, state=state.sub(0.0, 0.02))
    main_rank = int(os.environ.get("RANK", "0")) == 0
    last = Path(train_cfg.out_dir) / LAST
    device = select_device(train_cfg.device)
    try:
        result = fit(TextureGANTask(config, classes), train_cfg, state=state.sub(0.02, 0.97))
    except Cancelled:
        if main_rank and last.is_file():
            fit_run_classes(last, classes, config.crop, device=device)
        raise
    if main_rank and last.is_file():
        p = fit_run_classes(last, classes, config.crop, device=device, state=state.sub(0.97, 1.0))
        result.notices.append(f"Classes {', '.join(classes)} fitted for step {result.step}: {p}")
    result.notices[:0] = notices + read_notes
    return result
