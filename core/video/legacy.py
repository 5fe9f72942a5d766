"""The format-1 (block-local) latent transformer, for running format-1 models such as the shipped video_mnist.pt until its successor ships; remove when no format-1 model is shipped."""

# Rebuilt from core/video/transformer.py before commit db142b5, inference only: the same modules,
# layout (block by block, position by position, part by part), block-local mask with a sliding
# window, key/value cache and sampling (same seed, same codes as that version), plus greedy
# continuation (temperature 0) as the current sampler offers. Training a format-1 run is refused.

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import InputError
from ..jobs import TaskState, ensure_state


@dataclass
class LegacyConfig:
    """Settings of a format-1 transformer (as stored in its checkpoint)."""

    frames: int = 8
    context: int = 4
    height: int = 16
    width: int = 16
    n_parts: int = 4
    codebook_size: int = 256
    block: tuple = (1, 8, 8)  # (bt, bh, bw): attention block in latent positions
    window: int = -1          # sliding window in tokens across blocks (-1: one latent frame)
    dim: int = 256
    heads: int = 8
    layers: int = 8
    dropout: float = 0.0
    vqvae: dict = None

    def __post_init__(self):
        self.block = tuple(int(b) for b in self.block)
        bt, bh, bw = self.block
        if self.frames % bt or self.height % bh or self.width % bw or self.context % bt:
            raise InputError(f"The block {self.block} must tile the latent video and the context.")
        if not 1 <= self.context < self.frames:
            raise InputError(f"The context ({self.context}) must be at least 1 and below frames ({self.frames}).")

    @classmethod
    def from_dict(cls, d: dict) -> "LegacyConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    def to_dict(self) -> dict:
        return {f.name: (list(self.block) if f.name == "block" else getattr(self, f.name)) for f in fields(self)}

    @property
    def tokens_per_frame(self) -> int:
        return self.height * self.width * self.n_parts

    @property
    def length(self) -> int:
        return self.frames * self.tokens_per_frame

    @property
    def window_tokens(self) -> int:
        return self.tokens_per_frame if self.window < 0 else self.window


def make_layout(cfg: LegacyConfig) -> dict:
    """Frame/row/column/part of each sequence position, its index into the flattened (T, n_c, h, w)
    video, the (L, L) attention mask and ``lo`` (row i of the mask is the range lo[i] … i)."""
    T, h, w, n = cfg.frames, cfg.height, cfg.width, cfg.n_parts
    bt, bh, bw = cfg.block
    ts, ys, xs, cs, bs = [], [], [], [], []
    b = 0
    for t0 in range(0, T, bt):                      # block by block
        for y0 in range(0, h, bh):
            for x0 in range(0, w, bw):
                for t in range(t0, t0 + bt):        # position by position
                    for y in range(y0, y0 + bh):
                        for x in range(x0, x0 + bw):
                            for c in range(n):      # part by part
                                ts.append(t), ys.append(y), xs.append(x), cs.append(c), bs.append(b)
                b += 1
    t, y, x, c, blk = (torch.tensor(v, dtype=torch.long) for v in (ts, ys, xs, cs, bs))
    i = torch.arange(len(ts))
    causal = i[None, :] <= i[:, None]
    local = (blk[None, :] == blk[:, None]) | (i[:, None] - i[None, :] < cfg.window_tokens)
    first = torch.zeros_like(blk)
    first[1:] = torch.where(blk[1:] != blk[:-1], i[1:], 0)
    first = torch.cummax(first, 0).values
    lo = torch.minimum(first, (i - cfg.window_tokens + 1).clamp(min=0))
    return {"t": t, "y": y, "x": x, "c": c, "flat": ((t * n + c) * h + y) * w + x, "mask": causal & local, "lo": lo}


class Attention(nn.Module):
    def __init__(self, cfg: LegacyConfig):
        super().__init__()
        self.h, self.dh = cfg.heads, cfg.dim // cfg.heads
        self.qkv = nn.Linear(cfg.dim, 3 * cfg.dim)
        self.out = nn.Linear(cfg.dim, cfg.dim)

    def forward(self, x, mask, cache=None, pos=None, lo=None):
        b, n, _ = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.h, self.dh).permute(2, 0, 3, 1, 4)
        if cache is not None:
            cache[0][:, :, pos:pos + n] = k
            cache[1][:, :, pos:pos + n] = v
            start = lo if (lo is not None and n == 1) else 0
            if start:
                mask = None
            k, v = cache[0][:, :, start:pos + n], cache[1][:, :, start:pos + n]
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.out(y.transpose(1, 2).reshape(b, n, -1))


class Block(nn.Module):
    def __init__(self, cfg: LegacyConfig):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(cfg.dim), nn.LayerNorm(cfg.dim)
        self.attn = Attention(cfg)
        self.mlp = nn.Sequential(nn.Linear(cfg.dim, 4 * cfg.dim), nn.GELU(), nn.Linear(4 * cfg.dim, cfg.dim),
                                 nn.Dropout(cfg.dropout))

    def forward(self, x, mask, cache=None, pos=None, lo=None):
        x = x + self.attn(self.ln1(x), mask, cache, pos, lo)
        return x + self.mlp(self.ln2(x))


class LegacyLVT(nn.Module):
    """A format-1 transformer (state-dict names as in format 1); ``sampling.continue_codes`` and
    ``evaluate.code_nll`` hand it to this module's ``continue_codes`` / ``code_nll``."""

    def __init__(self, cfg: LegacyConfig):
        super().__init__()
        self.cfg = cfg
        K, n = cfg.codebook_size, cfg.n_parts
        self.tok = nn.Embedding(n * K + 1, cfg.dim)
        self.pos_t = nn.Embedding(cfg.frames, cfg.dim)
        self.pos_y = nn.Embedding(cfg.height, cfg.dim)
        self.pos_x = nn.Embedding(cfg.width, cfg.dim)
        self.pos_c = nn.Embedding(n, cfg.dim)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.layers))
        self.ln = nn.LayerNorm(cfg.dim)
        self.head = nn.Linear(cfg.dim, n * K)
        lay = make_layout(cfg)
        self.lo = lay["lo"].tolist()
        for name in ("t", "y", "x", "c", "flat"):
            self.register_buffer(f"lay_{name}", lay[name], persistent=False)
        self._mask_cpu, self._mask = lay["mask"], None

    @property
    def lay_mask(self) -> torch.Tensor:
        dev = self.lay_t.device
        if self._mask is None or self._mask.device != dev:
            self._mask = self._mask_cpu.to(dev)
        return self._mask

    def to_sequence(self, codes: torch.Tensor) -> torch.Tensor:
        """(B, T, n_c, h, w) codes → (B, L') tokens in this model's order (T whole time blocks)."""
        flat = codes.reshape(codes.shape[0], -1)
        return flat[:, self.lay_flat[: flat.shape[1]]]

    def from_sequence(self, tokens: torch.Tensor) -> torch.Tensor:
        cfg = self.cfg
        shape = (cfg.frames, cfg.n_parts, cfg.height, cfg.width)
        out = torch.empty((tokens.shape[0], int(np.prod(shape))), dtype=tokens.dtype, device=tokens.device)
        out[:, self.lay_flat[: tokens.shape[1]]] = tokens
        return out.reshape((tokens.shape[0],) + shape)

    def _inputs(self, tokens: torch.Tensor, start: int, n: int) -> torch.Tensor:
        K = self.cfg.codebook_size
        b = tokens.shape[0]
        idx = torch.arange(start, start + n, device=tokens.device)
        prev = torch.full((b, n), self.cfg.n_parts * K, dtype=torch.long, device=tokens.device)
        has = idx >= 1
        if has.any():
            j = idx[has] - 1
            prev[:, has] = tokens[:, j] + self.lay_c[j] * K
        return (self.tok(prev) + self.pos_t(self.lay_t[idx]) + self.pos_y(self.lay_y[idx])
                + self.pos_x(self.lay_x[idx]) + self.pos_c(self.lay_c[idx]))

    def _logits(self, h: torch.Tensor, start: int) -> torch.Tensor:
        b, n, _ = h.shape
        all_parts = self.head(self.ln(h)).view(b, n, self.cfg.n_parts, self.cfg.codebook_size)
        return all_parts[:, torch.arange(n, device=h.device), self.lay_c[start:start + n]]  # (B, n, K)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: tokens (B, n ≤ L) in this model's order → logits (B, n, K)."""
        n = tokens.shape[1]
        if n > self.cfg.length:
            raise InputError(f"At most {self.cfg.length} tokens fit the model (got {n}).")
        h = self._inputs(tokens, 0, n)
        mask = self.lay_mask[:n, :n]
        for blk in self.blocks:
            h = blk(h, mask)
        return self._logits(h, 0)

    def new_cache(self, batch: int) -> list:
        shape = (batch, self.cfg.heads, self.cfg.length, self.cfg.dim // self.cfg.heads)
        p = self.head.weight
        return [[torch.zeros(shape, dtype=p.dtype, device=p.device) for _ in range(2)] for _ in self.blocks]

    def forward_cached(self, tokens: torch.Tensor, start: int, n: int, cache: list) -> torch.Tensor:
        h = self._inputs(tokens, start, n)
        lo = self.lo[start] if n == 1 else None
        mask = None if n == 1 else self.lay_mask[start:start + n, :start + n]
        for blk, kv in zip(self.blocks, cache):
            h = blk(h, mask, kv, start, lo)
        return self._logits(h, start)


@torch.no_grad()
def continue_codes(model: LegacyLVT, given: torch.Tensor, n_frames: int, *, temperature: float = 0.0,
                   top_k: int | None = None, seed: int = 0, use_cache: bool = True,
                   state: TaskState | None = None) -> torch.Tensor:
    """Given codes (B, T0 ≥ cfg.context, ...) → (B, T0 + n_frames, ...), whole windows as format 1 sampled."""
    from .sampling import sample_window  # one code-by-code loop for both formats, in each model's order

    state = ensure_state(state)
    model.eval()
    cfg = model.cfg
    if given.shape[1] < cfg.context:
        raise InputError(f"The model needs {cfg.context} context frames (got {given.shape[1]}).")
    if n_frames < 1:
        raise InputError("Ask for at least one frame to generate.")
    gen = torch.Generator().manual_seed(int(seed)) if temperature > 0 else None
    out = given.clone()
    n_win = math.ceil(n_frames / (cfg.frames - cfg.context))
    for w in range(n_win):
        win = sample_window(model, out[:, -cfg.context:], cfg.frames - cfg.context, temperature=temperature,
                            top_k=top_k, generator=gen, use_cache=use_cache,
                            state=state.sub(w / n_win, (w + 1) / n_win))
        out = torch.cat([out, win[:, cfg.context:].to(out.device)], dim=1)
    return out[:, :given.shape[1] + n_frames]


def code_nll(model: LegacyLVT, codes: torch.Tensor, t0: int, n_pred: int) -> tuple[float, int]:
    """(total nats, number of codes) of the true codes of frames t0 … t0+n_pred−1, with format 1's
    windows: whole windows, the last one moved back to end at t0 + n_pred."""
    cfg = model.cfg
    end = t0 + n_pred
    if codes.shape[1] < end:
        raise InputError(f"The clip has {codes.shape[1]} frames; {end} are needed.")
    if cfg.frames > end:
        raise InputError(f"The model's window ({cfg.frames} frames) is longer than context + frames ({end}).")
    total, count, covered = 0.0, 0, t0
    while covered < end:
        s = min(covered - cfg.context, end - cfg.frames)
        tokens = model.to_sequence(codes[:, s:s + cfg.frames])
        ce = F.cross_entropy(model(tokens).float().transpose(1, 2), tokens, reduction="none")  # (B, L)
        f = model.lay_t + s
        keep = (f >= covered) & (f >= s + cfg.context) & (f < end)
        total += float(ce[:, keep].sum())
        count += int(keep.sum()) * codes.shape[0]
        covered = s + cfg.frames
    return total, count


def load(ck: dict, device="cpu"):
    """(LegacyLVT, VQVAE) from a format-1 ``video-lvt`` checkpoint dict, eval mode."""
    from .config import VQVAEConfig
    from .vqvae import VQVAE

    cfg = LegacyConfig.from_dict(ck["config"])
    net = LegacyLVT(cfg)
    net.load_state_dict({k: v.float() for k, v in ck["models"]["lvt"].items()})
    vq = VQVAE(VQVAEConfig.from_dict({"downsample": 4, **(cfg.vqvae or {})}))  # format 1: always factor 4
    vq.load_state_dict({k: v.float() for k, v in ck["models"]["vqvae"].items()})
    return net.to(device).eval(), vq.to(device).eval()
