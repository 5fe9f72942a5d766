"""Continuing latent videos: greedy ("most likely") by default, or sampled with temperature and top-k.

* ``temperature = 0`` (the default): each code is the most likely one (argmax); no randomness, the
  seed is not used, and the same clip always gives the same continuation.
* ``temperature > 0``: codes are drawn from the softmax of logits / temperature, keeping only the
  ``top_k`` most likely codes when given; the draws come from a CPU ``torch.Generator`` seeded by
  ``seed``, so the result does not depend on the device's RNG. Several samples are a batch.

Sampling keeps the model's key/value cache; ``use_cache=False`` recomputes the prefix at every
token (same codes; for checks). When more frames are asked for than one window holds, the window
slides: its last ``cfg.context`` frames become the next window's given frames.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..errors import InputError
from ..jobs import TaskState, ensure_state


def resolve_temperature(temperature: float | None, samples: int) -> float:
    """The temperature to use: None means 0 (greedy) for one sample and 1 for several."""
    if temperature is None:
        return 0.0 if samples == 1 else 1.0
    t = float(temperature)
    if not (t >= 0 and math.isfinite(t)):
        raise InputError(f"The temperature must be 0 (most likely) or positive (got {temperature}).")
    if t == 0 and samples > 1:
        raise InputError("The most likely continuation (temperature 0) is one clip; give a temperature above 0 "
                         "for several different samples.")
    return t


def next_codes(logits: torch.Tensor, temperature: float = 0.0, top_k: int | None = None,
               generator: torch.Generator | None = None) -> torch.Tensor:
    """(B, K) logits → (B,) codes: argmax for temperature 0, else a draw from the filtered softmax."""
    if temperature == 0:
        return logits.argmax(-1)
    z = logits.float() / temperature
    if top_k is not None and 0 < top_k < z.shape[-1]:
        kth = torch.topk(z, top_k, dim=-1).values[..., -1:]
        z = z.masked_fill(z < kth, float("-inf"))
    probs = torch.softmax(z, dim=-1).cpu()
    return torch.multinomial(probs, 1, generator=generator)[:, 0].to(logits.device)


@torch.no_grad()
def sample_window(model, given: torch.Tensor, n_frames: int, *, temperature: float = 0.0,
                  top_k: int | None = None, generator: torch.Generator | None = None, use_cache: bool = True,
                  state: TaskState | None = None) -> torch.Tensor:
    """Given codes (B, T0, n_c, h, w) → (B, T0 + n_frames, n_c, h, w), all inside one window.

    ``model`` is a LatentVideoTransformer or a legacy.LegacyLVT: both give ``cfg``, ``to_sequence``,
    ``from_sequence``, ``new_cache`` and ``forward_cached``, each in its own token order."""
    state = ensure_state(state)
    cfg = model.cfg
    b, t0 = given.shape[:2]
    if tuple(given.shape[2:]) != (cfg.n_parts, cfg.height, cfg.width):
        raise InputError(f"Codes of shape {tuple(given.shape[2:])} do not fit the model "
                         f"({(cfg.n_parts, cfg.height, cfg.width)}).")
    if t0 < 1 or t0 + n_frames > cfg.frames:
        raise InputError(f"{t0} + {n_frames} frames do not fit the model's window of {cfg.frames} frames.")
    P, L = t0 * cfg.tokens_per_frame, (t0 + n_frames) * cfg.tokens_per_frame
    dev = next(model.parameters()).device
    tokens = torch.zeros((b, L), dtype=torch.long, device=dev)
    tokens[:, :P] = model.to_sequence(given.to(dev))
    cache = model.new_cache(b) if use_cache else None
    if use_cache:
        model.forward_cached(tokens, 0, P, cache)  # positions 0 … P−1 (their outputs predict known codes)
    for i in range(P, L):
        # position i's input is code i−1; its output predicts code i
        logits = model.forward_cached(tokens, i, 1, cache)[:, 0] if use_cache else model(tokens[:, :i + 1])[:, i]
        tokens[:, i] = next_codes(logits, temperature, top_k, generator)
        if (i - P) % 256 == 0:
            state.report((i - P) / max(L - P, 1), f"code {i - P + 1}/{L - P}")
    return model.from_sequence(tokens)


@torch.no_grad()
def continue_codes(model, given: torch.Tensor, n_frames: int, *, temperature: float = 0.0, top_k: int | None = None,
                   seed: int = 0, use_cache: bool = True, state: TaskState | None = None) -> torch.Tensor:
    """Given codes (B, T0 ≥ cfg.context, n_c, h, w) → (B, T0 + n_frames, ...): ``n_frames`` new frames.

    The last ``cfg.context`` given frames start the first window; a window ends when it is full
    (or the frames asked for are made), and its last ``cfg.context`` frames start the next one.
    """
    if top_k is not None and top_k < 1:
        raise InputError(f"top-k must be at least 1 (got {top_k}).")
    from .legacy import LegacyLVT

    if isinstance(model, LegacyLVT):  # a format-1 model samples as format 1 did
        from .legacy import continue_codes as legacy_continue

        return legacy_continue(model, given, n_frames, temperature=temperature, top_k=top_k, seed=seed,
                               use_cache=use_cache, state=state)
    state = ensure_state(state)
    model.eval()
    cfg = model.cfg
    if given.shape[1] < cfg.context:
        raise InputError(f"The model needs {cfg.context} context frames (got {given.shape[1]}).")
    if n_frames < 1:
        raise InputError("Ask for at least one frame to generate.")
    gen = torch.Generator().manual_seed(int(seed)) if temperature > 0 else None
    out, done = given.clone(), 0
    per = cfg.frames - cfg.context
    n_win = math.ceil(n_frames / per)
    for w in range(n_win):
        k = min(per, n_frames - done)
        win = sample_window(model, out[:, -cfg.context:], k, temperature=temperature, top_k=top_k, generator=gen,
                            use_cache=use_cache, state=state.sub(w / n_win, (w + 1) / n_win))
        out = torch.cat([out, win[:, cfg.context:].to(out.device)], dim=1)
        done += k
    return out


@torch.no_grad()
def continue_clip(loaded, frames: np.ndarray, n_frames: int, *, samples: int = 1, temperature: float | None = None,
                  top_k: int | None = None, seed: int = 0, use_cache: bool = True,
                  state: TaskState | None = None) -> np.ndarray:
    """uint8 frames (T0, H, W) at the model's size → (samples, T0 + n_frames, H, W) uint8: the given
    frames followed by ``n_frames`` generated ones (decoded by the VQ-VAE); same settings, same output.

    ``loaded`` is a ``loader.LoadedLVT``; ``temperature`` None: greedy for one sample, 1 for several."""
    from .vqvae import to_float, to_uint8

    state = ensure_state(state)
    temperature = resolve_temperature(temperature, samples)
    vq, dev = loaded.vqvae, next(loaded.model.parameters()).device
    size = vq.cfg.size
    frames = np.asarray(frames)
    if frames.ndim != 3 or frames.shape[1:] != (size, size) or frames.dtype != np.uint8:
        raise InputError(f"Frames must be a uint8 array (T, {size}, {size}) (got {frames.dtype} {frames.shape}).")
    if samples < 1:
        raise InputError("Ask for at least one sample.")
    state.report(0.0, "encoding")
    codes = vq.encode(to_float(frames).to(dev))            # (T0, n_c, h, w)
    ctx = codes.unsqueeze(0).expand(samples, *codes.shape).contiguous()
    out = continue_codes(loaded.model, ctx, n_frames, temperature=temperature, top_k=top_k, seed=seed,
                         use_cache=use_cache, state=state.sub(0.0, 0.95))
    new = out[:, frames.shape[0]:]
    dec = vq.decode(new.reshape((-1,) + tuple(new.shape[2:])))   # (samples·n, 1, H, W)
    gen = to_uint8(dec).reshape(samples, n_frames, size, size)
    state.report(1.0, "done")
    return np.concatenate([np.broadcast_to(frames, (samples,) + frames.shape), gen], axis=1)
