"""Grow a trained U-Net into a wider one that computes the same function (Net2WiderNet, Chen et al. 2016).

Why: a wider net trained from scratch on the 2-core CPU would spend thousands of steps relearning what
the shipped one knows. Each channel of the wider net copies a channel of the narrower one (new channel
c copies old channel c mod old width; its BatchNorm too), and the weights that read a copied channel are
split between its copies at random (fractions summing to 1). The output is unchanged, in training and
in eval mode, and the random split makes the copies' gradients differ, so they learn apart.
"""

from __future__ import annotations

import numpy as np
import torch

from ..errors import InputError
from .config import UNetConfig

_BN = ("weight", "bias", "running_mean", "running_var")


def _map(new: int, old: int) -> np.ndarray:
    """For each new channel, the old channel it copies."""
    if new < old:
        raise InputError(f"A U-Net can only be widened (a level would shrink from {old} to {new} channels).")
    return np.arange(new) % old


def _split(n_out: int, src: np.ndarray, old: int, rng: np.random.Generator) -> np.ndarray:
    """(n_out, n_in) fractions of each old weight that its copies carry (summing to 1 over the copies).

    Drawn per weight, not per input channel: a per-channel split would give the copies proportional
    gradients, which Adam's per-weight scaling turns into identical updates (they would never part).
    """
    frac = np.ones((n_out, len(src)))
    for j in range(old):
        idx = np.flatnonzero(src == j)
        if len(idx) > 1:
            r = rng.uniform(0.3, 0.7, (n_out, len(idx)))
            frac[:, idx] = r / r.sum(1, keepdims=True)
    return frac


class _Widener:
    def __init__(self, old: dict, rng: np.random.Generator):
        self.old, self.new, self.rng = old, {}, rng

    def conv(self, name: str, in_map: np.ndarray, in_old: int, out_map: np.ndarray, transpose: bool = False):
        """Copy conv ``name`` to the new channel maps (input map may span a concatenation)."""
        w = self.old[f"{name}.weight"]
        frac = torch.as_tensor(_split(len(out_map), in_map, in_old, self.rng), dtype=w.dtype)
        i, o = torch.as_tensor(in_map), torch.as_tensor(out_map)
        if transpose:  # ConvTranspose2d weights are (in, out, kh, kw)
            new = w[i][:, o] * frac.T[:, :, None, None]
        else:
            new = w[o][:, i] * frac[:, :, None, None]
        self.new[f"{name}.weight"] = new.contiguous()
        if f"{name}.bias" in self.old:
            self.new[f"{name}.bias"] = self.old[f"{name}.bias"][o].clone()

    def bn(self, name: str, out_map: np.ndarray):
        o = torch.as_tensor(out_map)
        for p in _BN:
            self.new[f"{name}.{p}"] = self.old[f"{name}.{p}"][o].clone()
        self.new[f"{name}.num_batches_tracked"] = self.old[f"{name}.num_batches_tracked"].clone()

    def block(self, name: str, in_map: np.ndarray, in_old: int, out_map: np.ndarray, out_old: int):
        """Two conv-BN-ReLU: in → out → out."""
        self.conv(f"{name}.0.0", in_map, in_old, out_map)
        self.bn(f"{name}.0.1", out_map)
        self.conv(f"{name}.1.0", out_map, out_old, out_map)
        self.bn(f"{name}.1.1", out_map)


def widen_state(state: dict, old: UNetConfig, new: UNetConfig, seed: int = 0) -> dict:
    """The weights of ``old``'s U-Net laid out for the wider ``new`` (same depth and input), same function."""
    if (old.depth, old.in_channels) != (new.depth, new.in_channels):
        raise InputError(f"Only the widths of a U-Net can grow (depth {old.depth} → {new.depth}, "
                         f"input channels {old.in_channels} → {new.in_channels}).")
    wo, wn = old.widths(), new.widths()
    maps = [_map(n, o) for n, o in zip(wn, wo)]
    w = _Widener({k: v.detach().float().cpu() for k, v in state.items()}, np.random.default_rng(seed))
    inp = np.arange(new.in_channels)
    for lvl in range(new.depth):
        src, src_old = (inp, new.in_channels) if lvl == 0 else (maps[lvl - 1], wo[lvl - 1])
        w.block(f"down.{lvl}", src, src_old, maps[lvl], wo[lvl])
    d = new.depth
    w.block("bottom", maps[d - 1], wo[d - 1], maps[d], wo[d])
    for j, lvl in enumerate(reversed(range(d))):
        w.conv(f"up.{j}.up.0", maps[lvl + 1], wo[lvl + 1], maps[lvl], transpose=True)
        w.bn(f"up.{j}.up.1", maps[lvl])
        # the block reads [upsampled (wo[lvl]) | skip (wo[lvl])]: the old input is the concatenation
        cat = np.concatenate([maps[lvl], maps[lvl] + wo[lvl]])
        w.block(f"up.{j}.block", cat, 2 * wo[lvl], maps[lvl], wo[lvl])
    w.conv("head", maps[0], wo[0], np.arange(1))
    missing = set(state) - set(w.new)
    if missing:
        raise InputError(f"Unexpected U-Net weights, cannot widen: {', '.join(sorted(missing)[:4])}.")
    return {k: v.to(state[k].dtype) for k, v in w.new.items()}
