"""Token order of a latent video (the thesis's eq. 9): frame by frame, position by position, part by part.

A latent video is an integer array (T, n_c, h, w). As a sequence, token i is frame t, row y,
column x, part c with i = ((t·h + y)·w + x)·n_c + c: the frames in time order, each frame's
positions in raster order, at each position its n_c codes. The given frames therefore form a
prefix, and the first token of every frame follows the last token of the frame before.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Layout:
    """Where each sequence position lives: frame, row, column and part of token i (each (L,) int64)."""

    t: torch.Tensor
    y: torch.Tensor
    x: torch.Tensor
    c: torch.Tensor


def make_layout(frames: int, height: int, width: int, n_parts: int) -> Layout:
    """Positions of the ``frames·height·width·n_parts`` tokens of a window."""
    i = torch.arange(frames * height * width * n_parts)
    c = i % n_parts
    x = i // n_parts % width
    y = i // (n_parts * width) % height
    t = i // (n_parts * width * height)
    return Layout(t, y, x, c)


def to_sequence(codes: torch.Tensor) -> torch.Tensor:
    """(B, T, n_c, h, w) codes → (B, T·h·w·n_c) tokens in generation order."""
    return codes.permute(0, 1, 3, 4, 2).reshape(codes.shape[0], -1)


def from_sequence(tokens: torch.Tensor, n_parts: int, height: int, width: int) -> torch.Tensor:
    """(B, T·h·w·n_c) tokens of whole frames → (B, T, n_c, h, w) codes (inverse of ``to_sequence``)."""
    b = tokens.shape[0]
    per = n_parts * height * width
    if tokens.shape[1] % per:
        raise ValueError(f"{tokens.shape[1]} tokens are not whole frames of {per} tokens.")
    return tokens.reshape(b, -1, height, width, n_parts).permute(0, 1, 4, 2, 3).contiguous()


def previous_frame_sources(frames: int, height: int, width: int, n_parts: int, back: int, radius: int) -> torch.Tensor:
    """(L, taps) window positions of the codes near each token in the ``back`` frames before its own.

    For token (t, y, x, c), tap (f, dy, dx, c') is the token (t−f, y+dy, x+dx, c') for f = 1 … back,
    |dy|, |dx| ≤ radius and every part c'; −1 where that lies before the window or off the grid. All
    sources are in earlier frames, so they precede the token (causal).
    """
    lay = make_layout(frames, height, width, n_parts)
    cols = []
    for f in range(1, back + 1):
        for dy in range(-radius, radius + 1):
            for dx in range(-radius, radius + 1):
                for c in range(n_parts):
                    t, y, x = lay.t - f, lay.y + dy, lay.x + dx
                    ok = (t >= 0) & (y >= 0) & (y < height) & (x >= 0) & (x < width)
                    src = ((t * height + y) * width + x) * n_parts + c
                    cols.append(torch.where(ok, src, torch.full_like(src, -1)))
    return torch.stack(cols, dim=1)
