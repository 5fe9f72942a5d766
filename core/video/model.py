"""The latent video transformer: a small GPT over a window of VQ-VAE codes (nanoGPT style).

Input at sequence position i is the embedding of token i−1 (a learned start token at i = 0) plus
the position embedding of token i (frame, row, column and part embeddings summed); the output at
i is the K logits of token i, from the head of its part. Attention is plain causal attention over
the whole window (``torch.nn.functional.scaled_dot_product_attention``, ``is_causal``): every code
sees every code before it in the order of ``layout.py``, so all given frames are in view.

With ``cfg.prev_frames`` > 0 the input also carries the codes near the same latent position in the
previous frames (``layout.previous_frame_sources``: a (2r+1)² neighbourhood, all parts): each through
its own small embedding, concatenated and projected to ``dim``. A digit moves less than one latent cell
per frame, so "what was here and around here a frame ago" is the main cue for the next code; attention
alone has to discover it from the position embeddings, which the CPU cannot train far enough. The
projection starts at zero, so a model started from one without these inputs computes the same function.

Sampling keeps a key/value cache (``new_cache`` / ``forward_cached``): each new token costs one
position through the layers instead of the whole prefix.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import InputError
from .config import LVTConfig
from .layout import from_sequence, make_layout, previous_frame_sources, to_sequence


class Attention(nn.Module):
    """Multi-head causal self-attention with an optional key/value cache."""

    def __init__(self, cfg: LVTConfig):
        super().__init__()
        self.h, self.dh = cfg.heads, cfg.dim // cfg.heads
        self.qkv = nn.Linear(cfg.dim, 3 * cfg.dim)
        self.out = nn.Linear(cfg.dim, cfg.dim)
        self.drop = cfg.dropout

    def forward(self, x, cache=None, pos: int = 0):
        """x (B, n, D) at positions pos … pos+n−1; ``cache`` = [k, v] (B, H, L, dh) holds positions < pos."""
        b, n, _ = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.h, self.dh).permute(2, 0, 3, 1, 4)
        mask, causal = None, True
        if cache is not None:
            cache[0][:, :, pos:pos + n] = k
            cache[1][:, :, pos:pos + n] = v
            k, v = cache[0][:, :, :pos + n], cache[1][:, :, :pos + n]
            if n == 1:
                causal = False  # one query: all keys so far
            elif pos:
                causal = False  # a chunk after a prefix: row r sees keys 0 … pos+r
                mask = torch.ones(n, pos + n, dtype=torch.bool, device=x.device).tril(pos)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal,
                                           dropout_p=self.drop if self.training else 0.0)
        return self.out(y.transpose(1, 2).reshape(b, n, -1))


class Block(nn.Module):
    """Pre-norm transformer block: attention then a 4× MLP."""

    def __init__(self, cfg: LVTConfig):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(cfg.dim), nn.LayerNorm(cfg.dim)
        self.attn = Attention(cfg)
        self.mlp = nn.Sequential(nn.Linear(cfg.dim, 4 * cfg.dim), nn.GELU(), nn.Linear(4 * cfg.dim, cfg.dim),
                                 nn.Dropout(cfg.dropout))

    def forward(self, x, cache=None, pos: int = 0):
        x = x + self.attn(self.ln1(x), cache, pos)
        return x + self.mlp(self.ln2(x))


class LatentVideoTransformer(nn.Module):
    """Next-code prediction over one window of ``cfg.frames`` latent frames."""

    # weights a run started (--init) from a model without the previous-frame inputs may lack: they start
    # fresh, the projection at zero (the same function as the model it starts from)
    NEW_WEIGHTS_OK = ("prev_tok.", "prev_proj.")

    def __init__(self, cfg: LVTConfig):
        super().__init__()
        self.cfg = cfg
        K, n = cfg.codebook_size, cfg.n_parts
        self.tok = nn.Embedding(n * K + 1, cfg.dim)  # part c's code k → c·K + k; the last is the start token
        self.pos_t = nn.Embedding(cfg.frames, cfg.dim)
        self.pos_y = nn.Embedding(cfg.height, cfg.dim)
        self.pos_x = nn.Embedding(cfg.width, cfg.dim)
        self.pos_c = nn.Embedding(n, cfg.dim)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.layers))
        self.ln = nn.LayerNorm(cfg.dim)
        self.head = nn.Parameter(torch.empty(n, K, cfg.dim))  # one output layer per part
        self.head_bias = nn.Parameter(torch.zeros(n, K))
        lay = make_layout(cfg.frames, cfg.height, cfg.width, n)
        for name in ("t", "y", "x", "c"):
            self.register_buffer(f"lay_{name}", getattr(lay, name), persistent=False)
        if cfg.prev_frames:
            src = previous_frame_sources(cfg.frames, cfg.height, cfg.width, n, cfg.prev_frames, cfg.prev_radius)
            taps = src.shape[1]
            # fixed per window, so derived once: where each tap reads, and the embedding row its code starts
            # at (tap j, part c: j·(nK+1) + c·K) or, off the window, the row of "none" (j·(nK+1) + nK)
            base = torch.arange(taps) * (n * K + 1)
            safe = src.clamp(min=0)
            self.register_buffer("prev_read", safe, persistent=False)
            self.register_buffer("prev_row", torch.where(src >= 0, base + lay.c[safe] * K, base + n * K),
                                 persistent=False)
            self.register_buffer("prev_valid", (src >= 0).long(), persistent=False)
            self.prev_tok = nn.Embedding(taps * (n * K + 1), cfg.prev_dim)
            self.prev_proj = nn.Linear(taps * cfg.prev_dim, cfg.dim, bias=False)
        self.apply(self._init)  # GPT-style small init (std 0.02, zero biases)
        nn.init.normal_(self.head, std=0.02)
        if cfg.prev_frames:
            nn.init.zeros_(self.prev_proj.weight)

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)

    def _inputs(self, tokens: torch.Tensor, start: int, n: int) -> torch.Tensor:
        """Input vectors of positions start … start+n−1: embedding of token i−1 + position of i."""
        K = self.cfg.codebook_size
        prev = torch.full((tokens.shape[0], n), self.cfg.n_parts * K, dtype=torch.long, device=tokens.device)
        lo = max(start, 1)
        if lo < start + n:
            j = torch.arange(lo - 1, start + n - 1, device=tokens.device)
            prev[:, lo - start:] = tokens[:, j] + self.lay_c[j] * K
        s = slice(start, start + n)
        x = (self.tok(prev) + self.pos_t(self.lay_t[s]) + self.pos_y(self.lay_y[s])
             + self.pos_x(self.lay_x[s]) + self.pos_c(self.lay_c[s]))
        return x + self._previous(tokens, s) if self.cfg.prev_frames else x

    def _previous(self, tokens: torch.Tensor, s: slice) -> torch.Tensor:
        """(B, n, D): the codes near each position of ``s`` in the previous frames, embedded and projected."""
        idx = self.prev_row[s] + tokens[:, self.prev_read[s]] * self.prev_valid[s]   # (B, n, taps)
        e = self.prev_tok(idx)                                       # (B, n, taps, prev_dim)
        return self.prev_proj(e.flatten(2))

    def _logits(self, h: torch.Tensor, start: int) -> torch.Tensor:
        """(B, n, D) hidden states of positions start … → (B, n, K) logits, each from its part's head."""
        h = self.ln(h)
        b, n, d = h.shape
        m = self.cfg.n_parts
        if n == 1:
            c = start % m  # the part of position i is i mod n_c (layout.py)
            return F.linear(h, self.head[c], self.head_bias[c])
        if start % m == 0 and n % m == 0:  # whole positions: all parts' heads in one product
            y = torch.einsum("bpcd,ckd->bpck", h.view(b, n // m, m, d), self.head.to(h.dtype))
            return (y + self.head_bias.to(y.dtype)).reshape(b, n, -1)
        parts = self.lay_c[start:start + n]
        out = None
        for c in range(m):
            sel = (parts == c).nonzero()[:, 0]
            y = F.linear(h[:, sel], self.head[c], self.head_bias[c])
            out = y.new_empty((b, n, y.shape[-1])) if out is None else out
            out[:, sel] = y
        return out

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: tokens (B, n ≤ L) in generation order → logits (B, n, K) of each token."""
        n = tokens.shape[1]
        if n > self.cfg.length:
            raise InputError(f"At most {self.cfg.length} tokens fit the model (got {n}).")
        h = self._inputs(tokens, 0, n)
        for blk in self.blocks:
            h = blk(h)
        return self._logits(h, 0)

    def to_sequence(self, codes: torch.Tensor) -> torch.Tensor:
        """(B, T, n_c, h, w) codes → (B, T·tokens_per_frame) tokens in this model's order."""
        return to_sequence(codes)

    def from_sequence(self, tokens: torch.Tensor) -> torch.Tensor:
        """(B, whole frames of tokens) → (B, T, n_c, h, w) codes."""
        cfg = self.cfg
        return from_sequence(tokens, cfg.n_parts, cfg.height, cfg.width)

    def new_cache(self, batch: int) -> list:
        """Empty key/value buffers for a whole window, one [k, v] pair per layer."""
        shape = (batch, self.cfg.heads, self.cfg.length, self.cfg.dim // self.cfg.heads)
        p = self.head
        return [[torch.zeros(shape, dtype=p.dtype, device=p.device) for _ in range(2)] for _ in self.blocks]

    def forward_cached(self, tokens: torch.Tensor, start: int, n: int, cache: list) -> torch.Tensor:
        """Logits of positions start … start+n−1 through the layers, the cache holding 0 … start−1."""
        h = self._inputs(tokens, start, n)
        for blk, kv in zip(self.blocks, cache):
            h = blk(h, kv, start)
        return self._logits(h, start)
