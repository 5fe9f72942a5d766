"""Train a texture model: read the classes' volumes (with the split), core.train.fit, then fit the classes."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..errors import Cancelled, InputError
from ..jobs import TaskState, ensure_state, select_device
from ..train import LAST, TrainConfig, TrainResult, config_for_resume, fit, load_checkpoint
from .classes import CLASS_CROPS, CLASSES_FILE, fit_inference, save_class_table
from .config import TextureGANConfig
from .data import crop_porosity, load_class_volumes, parse_data_specs
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
    table, bn_stats = fit_inference(enc.to(device).eval(), gen.to(device), classes, crop, n_crops=n_crops, state=state,
                                    config=cfg)
    bn_stats = {k: v.cpu() for k, v in bn_stats.items()}
    return save_class_table(Path(checkpoint).parent / CLASSES_FILE, table, step=int(ck["step"]), crop=crop,
                            bn_stats=bn_stats)


def condition_on_classes(config: TextureGANConfig, classes: dict[str, list[np.ndarray]]) -> TextureGANConfig:
    """With the class embedding on (any class_embed > 0): as many classes as the data has, their names
    (the embedding's rows, in the data's order) and their training-crop porosity (mean, std)."""
    if not config.class_embed:
        return config
    return replace(config, class_embed=len(classes), class_names=tuple(classes),
                   class_porosity=crop_porosity(classes, config.crop))


def train(data, config: TextureGANConfig, train_cfg: TrainConfig, *, pore: str = "auto",
          state: TaskState | None = None) -> TrainResult:
    """Train (or resume) on ``data`` ([NAME=]PATH specs); afterwards write ``classes.pt`` for the last step.

    The classes are fitted (and G's BatchNorm statistics measured) also when the run is cancelled
    or stops at its time limit: a few seconds of E and G on some crops per class, not
    interruptible, so that the checkpoint left behind generates by class at once. Under torchrun
    only rank 0 does it.
    """
    state = ensure_state(state)
    specs = parse_data_specs(data)
    classes, read_notes = load_class_volumes(specs, pore=pore, state=state.sub(0.0, 0.02))
    config, notices = config_for_resume(condition_on_classes(config, classes), train_cfg, kind=KIND,
                                        max_version=FORMAT_VERSION)
    if config.class_embed and list(config.class_names) != list(classes):
        # the sampler numbers the classes in the data's order: they must be the embedding's rows
        raise InputError(f"This run is conditioned on the classes {', '.join(config.class_names)} (in that order); "
                         f"give --data for them in that order (got {', '.join(classes)}).")
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
