"""Latent Video Transformer: an autoregressive transformer over VQ-VAE codes of a video.

The latent video is an integer array (T, n_c, h, w) with values in [0, K) (``vqvae.py``). It is
flattened into one sequence of L = T·h·w·n_c tokens in the thesis's order:

* **block by block**: the latent video is tiled into blocks of ``block`` = (bt, bh, bw) latent
  positions; blocks are visited in raster order over (time block, row block, column block);
* **position by position** inside a block, in raster order (t, y, x);
* **part by part** at each position: the n_c codes c = 0 … n_c−1.

Conditioning: the first ``context`` frames are given. ``context`` must be a multiple of bt, so the
context's tokens are exactly the sequence's first P tokens (a prefix) and the loss is taken on the
tokens after it only.

Input at sequence position i is the embedding of token i−1 (a learned start token at i = 0) plus
the position embedding of token i (time, row, column and part embeddings summed); the output at i
is the K logits of token i (a head per part).

**Block-local attention** (kept simple, one fixed mask for all layers): position i may attend to
position j when j ≤ i (causal in the generation order) **and** either j lies in the same block
as i, or i − j < ``window`` (a sliding window over the previous tokens of the sequence, which is
how information passes from block to block; layers stack these hops). ``window = 0`` makes the
attention strictly block-local; ``window ≥ L`` is full causal attention. The default window is one
latent frame of tokens (h·w·n_c), so every token sees the previous frame's code at its own place.

Sampling keeps a key/value cache (each new token costs one position through the layers instead of
the whole prefix); ``use_cache=False`` recomputes the prefix at every token, with the same
tokens for the same seed. Temperature and top-k filter the logits; the random draws come from a
CPU ``torch.Generator`` seeded by ``seed``, so the result does not depend on the device's RNG.

Clips longer than the model's ``frames`` are continued with a sliding window: after a window is
complete its last ``context`` frames become the next window's context.

The L×L mask and attention scores are dense (fine for the sizes trained here: e.g. 8 frames of
16×16×4 codes = 8192 tokens on a GPU); a block-sparse kernel would be the next step.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import InputError
from ..jobs import TaskState, ensure_state
from ..train import StepContext, TrainConfig

KIND = "video-lvt"
FORMAT_VERSION = 1


@dataclass
class LVTConfig:
    """Model settings of the latent transformer (stored in every checkpoint)."""

    frames: int = 8           # T: latent frames per training window (context + predicted)
    context: int = 4          # T0: given frames; a multiple of block[0]
    height: int = 16          # h, w: latent grid (frame size / 4)
    width: int = 16
    n_parts: int = 4          # n_c: codes per latent position
    codebook_size: int = 256  # K: entries per part codebook
    block: tuple = (1, 8, 8)  # (bt, bh, bw): attention block in latent positions
    window: int = -1          # sliding window in tokens across blocks (-1: one latent frame, h·w·n_c)
    dim: int = 256
    heads: int = 8
    layers: int = 8
    dropout: float = 0.0
    vqvae: dict = field(default_factory=dict)  # the frozen VQ-VAE's config (rebuilds it at load)

    def __post_init__(self):
        self.block = tuple(int(b) for b in self.block)
        if len(self.block) != 3 or min(self.block) < 1:
            raise InputError("block must be three positive sizes (bt, bh, bw).")
        bt, bh, bw = self.block
        if self.frames % bt or self.height % bh or self.width % bw:
            raise InputError(f"The block {self.block} must tile the latent video ({self.frames}, {self.height}, {self.width}).")
        if not 0 <= self.context < self.frames or self.context % bt:
            raise InputError(f"The context ({self.context} frames) must be below frames ({self.frames}) "
                             f"and a multiple of the block's time size ({bt}).")
        if self.dim % self.heads:
            raise InputError(f"dim ({self.dim}) must be divisible by heads ({self.heads}).")
        if min(self.n_parts, self.codebook_size, self.layers, self.heads) < 1:
            raise InputError("n_parts, codebook_size, layers and heads must be at least 1.")

    @property
    def tokens_per_frame(self) -> int:
        return self.height * self.width * self.n_parts

    @property
    def length(self) -> int:
        return self.frames * self.tokens_per_frame

    @property
    def window_tokens(self) -> int:
        return self.tokens_per_frame if self.window < 0 else self.window

    def to_dict(self) -> dict:
        d = asdict(self)
        d["block"] = list(self.block)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "LVTConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


@dataclass
class Layout:
    """Where each sequence position lives in the latent video, and the attention mask."""

    t: torch.Tensor       # (L,) frame of token i
    y: torch.Tensor
    x: torch.Tensor
    c: torch.Tensor       # part
    block: torch.Tensor   # block id
    flat: torch.Tensor    # index into the (T, n_c, h, w) array flattened: sequence = flat_video[flat]
    mask: torch.Tensor    # (L, L) bool, True = may attend
    lo: torch.Tensor      # (L,) first position i may attend to: row i of the mask is the range lo[i] … i


def make_layout(cfg: LVTConfig) -> Layout:
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
    flat = ((t * n + c) * h + y) * w + x
    i = torch.arange(len(ts))
    causal = i[None, :] <= i[:, None]
    local = (blk[None, :] == blk[:, None]) | (i[:, None] - i[None, :] < cfg.window_tokens)
    # A block's tokens are contiguous in the order, so each row is one range ending at i: the
    # earlier of the block's first token and the window's first token. Cached sampling attends
    # to that range only (no mask, no work on keys it may not see).
    first = torch.zeros_like(blk)
    first[1:] = torch.where(blk[1:] != blk[:-1], i[1:], 0)
    first = torch.cummax(first, 0).values
    lo = torch.minimum(first, (i - cfg.window_tokens + 1).clamp(min=0))
    return Layout(t, y, x, c, blk, flat, causal & local, lo)


def to_sequence(codes: torch.Tensor, layout: Layout) -> torch.Tensor:
    """(B, T, n_c, h, w) codes → (B, L) tokens in generation order (T may be shorter: a prefix)."""
    flat = codes.reshape(codes.shape[0], -1)
    return flat[:, layout.flat[: flat.shape[1]]]


def from_sequence(tokens: torch.Tensor, layout: Layout, shape: tuple) -> torch.Tensor:
    """(B, L') tokens → (B, T', n_c, h, w) for a sequence holding whole frames."""
    out = torch.empty((tokens.shape[0], int(np.prod(shape))), dtype=tokens.dtype, device=tokens.device)
    out[:, layout.flat[: tokens.shape[1]]] = tokens
    return out.reshape((tokens.shape[0],) + tuple(shape))


class Attention(nn.Module):
    def __init__(self, cfg: LVTConfig):
        super().__init__()
        self.h, self.dh = cfg.heads, cfg.dim // cfg.heads
        self.qkv = nn.Linear(cfg.dim, 3 * cfg.dim)
        self.out = nn.Linear(cfg.dim, cfg.dim)
        self.drop = cfg.dropout

    def forward(self, x, mask, cache=None, pos=None, lo=None):
        """x (B, n, D); mask (n, n_keys) bool. With ``cache`` = [k, v] buffers (B, H, L, dh) the n new
        keys/values are written at positions pos … pos+n−1 and attention runs over 0 … pos+n−1, or,
        for one new position with ``lo`` given, over lo … pos without a mask (the same set)."""
        b, n, _ = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.h, self.dh).permute(2, 0, 3, 1, 4)
        if cache is not None:
            cache[0][:, :, pos:pos + n] = k
            cache[1][:, :, pos:pos + n] = v
            start = lo if (lo is not None and n == 1) else 0
            if start:
                mask = None
            k, v = cache[0][:, :, start:pos + n], cache[1][:, :, start:pos + n]
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=self.drop if self.training else 0.0)
        return self.out(y.transpose(1, 2).reshape(b, n, -1))


class Block(nn.Module):
    def __init__(self, cfg: LVTConfig):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(cfg.dim), nn.LayerNorm(cfg.dim)
        self.attn = Attention(cfg)
        self.mlp = nn.Sequential(nn.Linear(cfg.dim, 4 * cfg.dim), nn.GELU(), nn.Linear(4 * cfg.dim, cfg.dim),
                                 nn.Dropout(cfg.dropout))

    def forward(self, x, mask, cache=None, pos=None, lo=None):
        x = x + self.attn(self.ln1(x), mask, cache, pos, lo)
        return x + self.mlp(self.ln2(x))


class LatentVideoTransformer(nn.Module):
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
        self.head = nn.Linear(cfg.dim, n * K)
        lay = make_layout(cfg)
        self.lo = lay.lo.tolist()  # plain ints: read once per sampled token
        for name in ("t", "y", "x", "c", "flat"):
            self.register_buffer(f"lay_{name}", getattr(lay, name), persistent=False)
        # The L×L mask is no buffer: DDP would broadcast it from rank 0 before every forward.
        self._masks = {torch.device("cpu"): lay.mask}
        self.apply(self._init)  # GPT-style small init (std 0.02, zero biases)

    @property
    def lay_mask(self) -> torch.Tensor:
        """The attention mask on the model's device (copied there once)."""
        dev = self.lay_t.device
        if dev not in self._masks:
            self._masks[dev] = self._masks[torch.device("cpu")].to(dev)
        return self._masks[dev]

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)

    @property
    def layout(self) -> Layout:
        return Layout(self.lay_t, self.lay_y, self.lay_x, self.lay_c, None, self.lay_flat, self.lay_mask,
                      torch.tensor(self.lo))

    def _inputs(self, tokens: torch.Tensor, start: int, n: int) -> torch.Tensor:
        """Input vectors of positions start … start+n−1 from ``tokens`` (B, ≥ start+n−1): token i−1 + pos(i)."""
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
        K = self.cfg.codebook_size
        all_parts = self.head(self.ln(h)).view(b, n, self.cfg.n_parts, K)
        parts = self.lay_c[start:start + n]
        return all_parts[:, torch.arange(n, device=h.device), parts]  # (B, n, K)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: tokens (B, n ≤ L) in generation order → logits (B, n, K) of each token."""
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
        """Positions start … start+n−1 through the layers with the cache (holding 0 … start−1)."""
        h = self._inputs(tokens, start, n)
        lo = self.lo[start] if n == 1 else None
        mask = None if n == 1 else self.lay_mask[start:start + n, :start + n]  # one row: all of lo … start
        for blk, kv in zip(self.blocks, cache):
            h = blk(h, mask, kv, start, lo)
        return self._logits(h, start)


def filter_logits(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None) -> torch.Tensor:
    """Probabilities from logits (B, K): divided by the temperature, all but the top k masked out."""
    if not temperature > 0:
        raise InputError(f"The temperature must be positive (got {temperature}).")
    z = logits.float() / temperature
    if top_k is not None and 0 < top_k < z.shape[-1]:
        kth = torch.topk(z, top_k, dim=-1).values[..., -1:]
        z = z.masked_fill(z < kth, float("-inf"))
    return torch.softmax(z, dim=-1)


@torch.no_grad()
def sample_window(model: LatentVideoTransformer, context: torch.Tensor, *, generator: torch.Generator,
                  temperature: float = 1.0, top_k: int | None = None, use_cache: bool = True,
                  state: TaskState | None = None) -> torch.Tensor:
    """Complete one window: context codes (B, T0, n_c, h, w) → (B, T, n_c, h, w) codes."""
    state = ensure_state(state)
    cfg, lay = model.cfg, model.layout
    b, t0 = context.shape[:2]
    shape = (cfg.frames, cfg.n_parts, cfg.height, cfg.width)
    if tuple(context.shape[2:]) != shape[1:]:
        raise InputError(f"Context codes of shape {tuple(context.shape[2:])} do not fit the model ({shape[1:]}).")
    if t0 % cfg.block[0]:
        raise InputError(f"The context ({t0} frames) must be a multiple of the block's time size ({cfg.block[0]}).")
    L, P = cfg.length, t0 * cfg.tokens_per_frame
    dev = next(model.parameters()).device
    tokens = torch.zeros((b, L), dtype=torch.long, device=dev)
    tokens[:, :P] = to_sequence(context.to(dev), lay)
    cache = model.new_cache(b) if use_cache else None
    if use_cache and P > 0:
        model.forward_cached(tokens, 0, P, cache)
    for i in range(P, L):
        if use_cache:
            logits = model.forward_cached(tokens, i, 1, cache)[:, 0]
        else:
            logits = model(tokens[:, :i + 1])[:, i]
        probs = filter_logits(logits, temperature, top_k).cpu()
        tokens[:, i] = torch.multinomial(probs, 1, generator=generator)[:, 0].to(dev)
        if (i - P) % 256 == 0:
            state.report((i - P) / max(L - P, 1), f"token {i - P + 1}/{L - P}")
    return from_sequence(tokens, lay, shape)


@torch.no_grad()
def continue_codes(model: LatentVideoTransformer, context: torch.Tensor, n_frames: int, *, seed: int = 0,
                   temperature: float = 1.0, top_k: int | None = None, use_cache: bool = True,
                   state: TaskState | None = None) -> torch.Tensor:
    """Context codes (B, T0, n_c, h, w) → (B, T0 + n_frames, n_c, h, w): ``n_frames`` new frames.

    The model's own context length is used: the last ``cfg.context`` frames given (at least that
    many are needed); windows slide when more frames are asked for than one window holds.
    """
    state = ensure_state(state)
    model.eval()
    cfg = model.cfg
    if cfg.context < 1:
        raise InputError("This model was trained without context frames; it cannot continue a clip.")
    if context.shape[1] < cfg.context:
        raise InputError(f"The model needs {cfg.context} context frames (got {context.shape[1]}).")
    if n_frames < 1:
        raise InputError("Ask for at least one frame to generate.")
    gen = torch.Generator().manual_seed(int(seed))
    out = context.clone()
    per = cfg.frames - cfg.context
    n_win = math.ceil(n_frames / per)
    for w in range(n_win):
        win = sample_window(model, out[:, -cfg.context:], generator=gen, temperature=temperature, top_k=top_k,
                            use_cache=use_cache, state=state.sub(w / n_win, (w + 1) / n_win))
        out = torch.cat([out, win[:, cfg.context:].to(out.device)], dim=1)
    return out[:, :context.shape[1] + n_frames]


class LVTTask:
    """The transformer on the shared trainer, on codes of a frozen VQ-VAE (kept in the checkpoint)."""

    kind = KIND
    format_version = FORMAT_VERSION

    def __init__(self, config: LVTConfig, vqvae, clips: np.ndarray | None = None):
        """``vqvae``: a trained ``VQVAE`` (frozen here); ``clips`` (N, T ≥ frames, H, W) uint8 or None for
        Moving MNIST from the training digits."""
        self.vq = vqvae
        vc = vqvae.cfg
        if (config.n_parts, config.codebook_size, config.height, config.width) != (
                vc.n_parts, vc.codebook_size, vc.latent, vc.latent):
            raise InputError("The transformer's latent settings (n_parts, codebook_size, height, width) must match "
                             f"the VQ-VAE's ({vc.n_parts}, {vc.codebook_size}, {vc.latent}, {vc.latent}).")
        if config.vqvae != vc.to_dict():
            raise InputError("LVTConfig.vqvae must be the VQ-VAE's config (vqvae.cfg.to_dict()).")
        if clips is not None and (clips.ndim != 4 or clips.shape[1] < config.frames or clips.shape[2:] != (vc.size, vc.size)):
            raise InputError(f"Training clips must be (N, T ≥ {config.frames}, {vc.size}, {vc.size}) uint8 arrays.")
        self.cfg, self.clips = config, clips
        self._check = None

    def config_dict(self) -> dict:
        return self.cfg.to_dict()

    def build(self, device, train: TrainConfig):
        from .vqvae import VQVAE

        net = LatentVideoTransformer(self.cfg).to(device)
        vq = VQVAE(self.vq.cfg)
        vq.load_state_dict(self.vq.state_dict())
        vq = vq.to(device).eval().requires_grad_(False)
        opt = torch.optim.AdamW(net.parameters(), lr=train.lr, betas=(0.9, 0.95), weight_decay=0.01)
        return {"lvt": net, "vqvae": vq}, {"lvt": opt}

    def clips_for(self, n: int, rng: np.random.Generator) -> np.ndarray:
        T = self.cfg.frames
        if self.clips is None:
            from .mnist import moving_mnist

            return moving_mnist(n, seed=rng, split="train", frames=T, size=self.vq.cfg.size)
        i = rng.integers(0, self.clips.shape[0], n)
        s = rng.integers(0, self.clips.shape[1] - T + 1, n)
        return np.stack([self.clips[a, b:b + T] for a, b in zip(i, s)])

    def sample(self, batch_size: int, rng: np.random.Generator):
        return torch.from_numpy(self.clips_for(batch_size, rng))

    def encode(self, clips: torch.Tensor, vq, layout: Layout) -> torch.Tensor:
        """uint8 clips (B, T, H, W) → token sequences (B, L) through the frozen VQ-VAE."""
        b, t = clips.shape[:2]
        x = clips.reshape((b * t, 1) + tuple(clips.shape[2:])).float() / 255.0
        codes = vq.eval().encode(x).reshape(b, t, self.cfg.n_parts, self.cfg.height, self.cfg.width)
        return to_sequence(codes, layout)

    def loss(self, net, tokens: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy (nats/token) over the tokens after the context."""
        P = self.cfg.context * self.cfg.tokens_per_frame
        logits = net(tokens)
        return F.cross_entropy(logits[:, P:].reshape(-1, logits.shape[-1]).float(), tokens[:, P:].reshape(-1))

    def train_step(self, batch, step: int, ctx: StepContext) -> dict[str, float]:
        tokens = self.encode(ctx.to_device(batch), ctx.raw["vqvae"], ctx.raw["lvt"].layout)
        opt = ctx.opts["lvt"]
        opt.zero_grad(set_to_none=True)
        with ctx.autocast():
            loss = self.loss(ctx.nets["lvt"], tokens)
        ctx.backward(loss)
        ctx.scaler.unscale_(opt)
        torch.nn.utils.clip_grad_norm_(ctx.raw["lvt"].parameters(), 1.0)
        ctx.step(opt)
        return {"ce": loss.item()}

    def check(self, step: int, ctx: StepContext) -> dict[str, float]:
        """Bits per predicted token on 4 fixed validation clips (training digits, own seed)."""
        if self._check is None:
            self._check = torch.from_numpy(self.clips_for(4, np.random.default_rng(424_242)))
        tokens = self.encode(self._check.to(ctx.device), ctx.raw["vqvae"], ctx.raw["lvt"].layout)
        ce = self.loss(ctx.raw["lvt"].eval(), tokens).item()
        return {"val_bits_per_token": ce / math.log(2)}


@dataclass
class LoadedLVT:
    """A trained transformer and its VQ-VAE, ready to continue clips."""

    model: LatentVideoTransformer
    vqvae: object
    path: str
    step: int


def load_lvt(path, device="cpu") -> LoadedLVT:
    """Transformer + VQ-VAE from a ``video-lvt`` checkpoint or exported model (eval mode)."""
    from ..train import load_checkpoint
    from .vqvae import VQVAE, VQVAEConfig

    ck = load_checkpoint(path, kind=KIND, max_version=FORMAT_VERSION)
    cfg = LVTConfig.from_dict(ck["config"])
    net = LatentVideoTransformer(cfg)
    net.load_state_dict({k: v.float() for k, v in ck["models"]["lvt"].items()})
    vq = VQVAE(VQVAEConfig.from_dict(cfg.vqvae))
    vq.load_state_dict({k: v.float() for k, v in ck["models"]["vqvae"].items()})
    return LoadedLVT(net.to(device).eval(), vq.to(device).eval(), str(path), int(ck.get("step", 0)))


@torch.no_grad()
def continue_clip(loaded: LoadedLVT, frames: np.ndarray, n_frames: int, *, samples: int = 1, seed: int = 0,
                  temperature: float = 1.0, top_k: int | None = None, use_cache: bool = True,
                  state: TaskState | None = None) -> np.ndarray:
    """uint8 frames (T0, H, W) at the model's size → (samples, T0 + n_frames, H, W) uint8: the given
    frames followed by ``n_frames`` generated ones (decoded by the VQ-VAE); same seed, same output."""
    from .vqvae import to_float, to_uint8

    state = ensure_state(state)
    vq, dev = loaded.vqvae, next(loaded.model.parameters()).device
    size = vq.cfg.size
    frames = np.asarray(frames)
    if frames.ndim != 3 or frames.shape[1:] != (size, size) or frames.dtype != np.uint8:
        raise InputError(f"Frames must be a uint8 array (T, {size}, {size}) (got {frames.dtype} {frames.shape}).")
    if samples < 1:
        raise InputError("Ask for at least one sample.")
    codes = vq.encode(to_float(frames).to(dev))            # (T0, n_c, h, w)
    ctx = codes.unsqueeze(0).expand(samples, *codes.shape).contiguous()
    state.report(0.0, "encoding")
    out = continue_codes(loaded.model, ctx, n_frames, seed=seed, temperature=temperature, top_k=top_k,
                         use_cache=use_cache, state=state.sub(0.0, 0.95))
    new = out[:, frames.shape[0]:]
    dec = vq.decode(new.reshape((-1,) + tuple(new.shape[2:])))   # (samples·n, 1, H, W)
    gen = to_uint8(dec).reshape(samples, n_frames, size, size)
    state.report(1.0, "done")
    return np.concatenate([np.broadcast_to(frames, (samples,) + frames.shape), gen], axis=1)
