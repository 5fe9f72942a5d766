"""Loading video checkpoints and exported models, with their format checks.

A VQ-VAE of format 1 or 2 loads (format 1 is a grid factor of 4). A transformer of format 1 (the
block-local one of earlier SeqGen Studio versions, e.g. the shipped video_mnist.pt) loads for
continuation and evaluation through ``legacy.py``; resuming or exporting a format-1 run is refused
in one line (``read_checkpoint``), and a newer format is refused by ``core.train.load_checkpoint``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from .config import LVT_FORMAT, LVT_KIND, LVT_READS, VQ_FORMAT, VQ_KIND, VQ_READS, LVTConfig, VQVAEConfig
from .model import LatentVideoTransformer
from .vqvae import VQVAE


def check_format(ck: dict, path, reads: tuple) -> None:
    """Refuse a checkpoint of an older format than this version runs (newer ones are refused on reading)."""
    v = int(ck["format_version"])
    if v < min(reads):
        raise InputError(f"{Path(path).name} was made by an older version of SeqGen Studio (format {v}); "
                         "retrain it or use an older SeqGen Studio.")


def read_checkpoint(path, kind: str, reads: tuple | None = None) -> dict:
    """The checkpoint dict of a video model of ``kind``, format checked (``reads``: the formats accepted,
    by default those this version trains and exports)."""
    from ..train import load_checkpoint

    fmt, default = (VQ_FORMAT, VQ_READS) if kind == VQ_KIND else (LVT_FORMAT, LVT_READS)
    ck = load_checkpoint(path, kind=kind, max_version=fmt)
    check_format(ck, path, reads or default)
    return ck


def load_vqvae(path, device="cpu") -> tuple[VQVAE, dict]:
    """A VQ-VAE (eval mode) from a checkpoint or exported model; also the checkpoint dict."""
    ck = read_checkpoint(path, VQ_KIND)
    if int(ck["format_version"]) == 1:  # format 1 had no grid factor: it was always 4
        ck["config"] = {"downsample": 4, **ck["config"]}
    net = VQVAE(VQVAEConfig.from_dict(ck["config"]))
    net.load_state_dict({k: v.float() for k, v in ck["models"]["vqvae"].items()})
    return net.to(device).eval(), ck


@dataclass
class LoadedLVT:
    """A trained transformer and its VQ-VAE, ready to continue clips."""

    model: LatentVideoTransformer  # or a legacy.LegacyLVT for a format-1 file
    vqvae: VQVAE
    path: str
    step: int


def load_lvt(path, device="cpu") -> LoadedLVT:
    """Transformer + VQ-VAE from a ``video-lvt`` checkpoint or exported model (eval mode)."""
    ck = read_checkpoint(path, LVT_KIND, reads=(1,) + LVT_READS)  # format 1 runs through legacy.py
    if int(ck["format_version"]) == 1:
        from . import legacy

        net, vq = legacy.load(ck, device)
        return LoadedLVT(net, vq, str(path), int(ck.get("step", 0)))
    cfg = LVTConfig.from_dict(ck["config"])
    net = LatentVideoTransformer(cfg)
    net.load_state_dict({k: v.float() for k, v in ck["models"]["lvt"].items()})
    vq = VQVAE(VQVAEConfig.from_dict(cfg.vqvae))
    vq.load_state_dict({k: v.float() for k, v in ck["models"]["vqvae"].items()})
    return LoadedLVT(net.to(device).eval(), vq.to(device).eval(), str(path), int(ck.get("step", 0)))
