"""Train the frame VQ-VAE and the latent transformer on the shared trainer (``core.train.fit``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..jobs import TaskState, ensure_state
from ..train import LAST, TrainConfig, TrainResult, config_for_resume, fit
from .config import LVT_FORMAT, LVT_KIND, VQ_FORMAT, VQ_KIND, LVTConfig, VQVAEConfig
from .loader import load_vqvae, read_checkpoint
from .task import LVTTask, VQVAETask


def _resume_format(train_cfg: TrainConfig, kind: str) -> None:
    """A run to resume must be of a format this version trains (an old run is refused in one line)."""
    last = Path(train_cfg.out_dir) / LAST
    if train_cfg.resume and last.is_file():
        read_checkpoint(last, kind)


def train_vqvae(config: VQVAEConfig, train_cfg: TrainConfig, *, clips: np.ndarray | None = None,
                state: TaskState | None = None) -> TrainResult:
    """Train (or resume) the VQ-VAE on ``clips`` (N, T, H, W) uint8, or on Moving MNIST training digits."""
    state = ensure_state(state)
    _resume_format(train_cfg, VQ_KIND)
    config, notices = config_for_resume(config, train_cfg, kind=VQ_KIND, max_version=VQ_FORMAT)
    result = fit(VQVAETask(config, clips), train_cfg, state=state)
    result.notices[:0] = notices
    return result


def train_lvt(config: LVTConfig, vqvae_path, train_cfg: TrainConfig, *, clips: np.ndarray | None = None,
              state: TaskState | None = None) -> TrainResult:
    """Train (or resume) the transformer on codes of the frozen VQ-VAE in ``vqvae_path``.

    ``config.vqvae`` and the latent settings are taken from the VQ-VAE (the caller's values for
    them are ignored); the VQ-VAE's weights are stored in the transformer's checkpoints.
    """
    state = ensure_state(state)
    _resume_format(train_cfg, LVT_KIND)
    vq, _ = load_vqvae(vqvae_path)
    vc = vq.cfg
    d = {**config.to_dict(), "height": vc.latent, "width": vc.latent, "n_parts": vc.n_parts,
         "codebook_size": vc.codebook_size, "vqvae": vc.to_dict()}
    config, notices = config_for_resume(LVTConfig.from_dict(d), train_cfg, kind=LVT_KIND, max_version=LVT_FORMAT)
    result = fit(LVTTask(config, vq, clips), train_cfg, state=state)
    result.notices[:0] = notices
    return result
