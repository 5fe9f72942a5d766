"""Synthetic scanned technical drawings: a clean binary target and a degraded "scan" of it.

Everything is drawn by the project (NumPy + OpenCV) and is deterministic in the sample's seed.

Drawing (``render``, core.cleanup.synth_draw): at roughly 300 dpi scale (a random 0.5–2× zoom stands
in for 150–600 dpi): solid lines of several widths (1–8 px), dashed (hidden) lines, dash-dot centre
lines, arcs, circles with centre marks, rectangles, hatched regions, dimension lines with arrows,
extension lines and numbers, and text (``cv2.putText`` Hershey fonts); free curves, ellipses,
handwriting-like notes, text blocks, tables, sheet frames and bold outlines (core.cleanup.drawing_extras).
The target is the antialiased ink coverage thresholded at one half: 1 = line/ink.

Degradations (``degrade``) change the input only: gaps cut into lines, faded, faint, pencil-grain
and halftoned ink (the target keeps the lines whole), show-through of a mirrored drawing from the
sheet's back, paper that is white, coloured, a colour gradient, a texture photo (scikit-image's CC0
``brick``, ``grass``, ``gravel``) or printed grid, black/blue/red/pencil ink, stains and rings,
folds, uneven scanner lighting and shadows, dim low-contrast scans, dust specks, salt-and-pepper, low resolution, blur,
motion blur, noise, JPEG artefacts (core.cleanup.scan_effects holds the newer ones). A few pages
stay clean (black on white, nothing added): those must come out as themselves. A small rotation (and
shift) is the one geometric change: it is applied to input and target alike; a dark scanner bed
beyond the sheet's edge clears the target where it lies.

Seeds (disjoint by construction, so the held-out set is never trained on):
    training samples      seeds in [0, 2**60), drawn from the trainer's data stream
    validation (check)    VAL_SEED_BASE + i      = 2**60 + i
    held-out evaluation   HELDOUT_SEED_BASE + i  = 2**61 + i,  i = 0 … n-1
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from . import scan_effects as fx
from .synth_draw import (  # noqa: F401  (re-exported: the drawing's names stay importable from here)
    _ELEMENTS, _ONE, FONTS, SHIFT, ZOOM_RANGE, _arrow_head, _axis_line, _Canvas, _draw_circle, _draw_dashed,
    _draw_dimension, _draw_hatched_polygon, _draw_lines, _draw_rect, _draw_text, _hatch, _number, _text, render)

TRAIN_SEED_LIMIT = 2**60
VAL_SEED_BASE = 2**60
HELDOUT_SEED_BASE = 2**61
HELDOUT_SIZE = 512  # edge of each held-out image (pixels)

TEXTURES = ("brick", "grass", "gravel")


def train_seed(rng: np.random.Generator) -> int:
    """A training sample's seed from the trainer's data stream (always < TRAIN_SEED_LIMIT)."""
    return int(rng.integers(0, TRAIN_SEED_LIMIT))


def heldout_seeds(n: int) -> list[int]:
    """The fixed held-out evaluation seeds (never drawn in training)."""
    return [HELDOUT_SEED_BASE + i for i in range(int(n))]


def val_seeds(n: int) -> list[int]:
    return [VAL_SEED_BASE + i for i in range(int(n))]


def is_training_seed(seed: int) -> bool:
    return 0 <= int(seed) < TRAIN_SEED_LIMIT


# --------------------------------------------------------------------------- degradations

@dataclass
class Degradations:
    """Strengths and probabilities of the scan degradations (one setting for train and eval)."""

    max_rotation_deg: float = 2.0   # applied to input AND target
    p_clean: float = 0.08           # an already clean page: black ink on white, nothing else (must stay itself)
    p_gaps: float = 0.6             # gaps cut into lines (input only)
    p_fade: float = 0.4             # uneven ink density
    p_faint: float = 0.15           # faint ink overall (low contrast copy, light pencil): still lines
    p_pencil: float = 0.15          # graphite grain in the strokes
    p_halftone: float = 0.05        # photocopy / print screen dots
    p_dropout: float = 0.25         # speckled strokes (dry pen, worn toner): ink holes, target whole
    p_texture: float = 0.3          # texture-photo paper (brick, grass, gravel)
    p_gradient: float = 0.25
    p_colour: float = 0.3
    p_grid: float = 0.15            # printed grid or ruled lines (paper, not drawing)
    p_stains: float = 0.35
    p_bleed: float = 0.25           # faint mirrored drawing from the sheet's back (not ink of this page)
    p_fold: float = 0.15            # folds and creases
    p_lighting: float = 0.6
    p_low_contrast: float = 0.12    # a dim, flat scan: grey paper and grey ink (old copies, photos in poor light)
    p_border: float = 0.15          # dark scanner bed beyond the sheet's edge (no ink there)
    p_specks: float = 0.5
    p_salt_pepper: float = 0.1
    p_low_res: float = 0.2          # scanned at a lower resolution, upsampled
    p_blur: float = 0.6
    p_motion: float = 0.05
    max_noise: float = 0.1
    p_jpeg: float = 0.6


@functools.lru_cache(maxsize=None)
def texture(name: str) -> np.ndarray:
    """A scikit-image texture photo (CC0) as float32 in [0, 1]."""
    import skimage.data

    return getattr(skimage.data, name)().astype(np.float32) / 255.0


def _smooth_field(rng: np.random.Generator, h: int, w: int, cells: int) -> np.ndarray:
    """Low-frequency noise in [0, 1] (a coarse random grid upsampled with cubic interpolation)."""
    g = rng.random((cells + 1, cells + 1)).astype(np.float32)
    f = cv2.resize(g, (w, h), interpolation=cv2.INTER_CUBIC)
    f -= f.min()
    return f / max(float(f.max()), 1e-6)


def _paper(rng: np.random.Generator, h: int, w: int, d: Degradations) -> np.ndarray:
    """Background RGB float32 in [0, 1]."""
    def light_colour():
        return np.clip(1.0 - rng.uniform(0.0, 0.35, 3) * rng.uniform(0, 1), 0.45, 1.0).astype(np.float32)

    r = rng.random()
    if r < d.p_texture:
        tex = texture(str(rng.choice(TEXTURES)))
        scale = rng.uniform(0.5, 3.0)
        th, tw = int(np.ceil(h / scale)) + 1, int(np.ceil(w / scale)) + 1
        ty, tx = int(rng.integers(0, max(1, 512 - min(th, 512)) + 1)), int(rng.integers(0, max(1, 512 - min(tw, 512)) + 1))
        patch = np.tile(tex, (th // 512 + 1, tw // 512 + 1))[ty:ty + th, tx:tx + tw]
        patch = cv2.resize(patch, (w, h), interpolation=cv2.INTER_LINEAR)
        patch = (patch - patch.mean()) / (patch.std() + 1e-6)
        contrast = rng.uniform(0.04, 0.25)
        base = light_colour()
        bg = base[None, None, :] * (1.0 + contrast * patch[..., None])
        return np.clip(bg, 0.25, 1.0)
    if r < d.p_texture + d.p_gradient:
        c0, c1 = light_colour(), light_colour()
        ang = rng.uniform(0, 2 * np.pi)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        t = (np.cos(ang) * xx / max(w, 1) + np.sin(ang) * yy / max(h, 1))
        t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
        return c0[None, None] * (1 - t[..., None]) + c1[None, None] * t[..., None]
    colour = light_colour() if r < d.p_texture + d.p_gradient + d.p_colour else \
        np.full(3, rng.uniform(0.85, 1.0), np.float32)
    return np.broadcast_to(colour, (h, w, 3)).astype(np.float32)


def _cut_gaps(cov: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Erase small discs centred on ink pixels: broken lines in the input, whole in the target."""
    ys, xs = np.nonzero(cov > 127)
    if ys.size == 0:
        return cov
    n = int(rng.integers(1, max(2, ys.size // 150) + 1))
    mask = np.zeros_like(cov)
    for i in rng.integers(0, ys.size, n):
        r = int(rng.integers(1, 6))
        cv2.circle(mask, (int(xs[i]), int(ys[i])), r, 255, -1)
    return np.minimum(cov, 255 - mask)


def _ink_colour(rng: np.random.Generator) -> np.ndarray:
    if rng.random() < 0.7:
        return rng.uniform(0.0, 0.2, 3)                      # black-ish
    r = rng.random()
    if r < 0.4:
        return np.array([rng.uniform(0, .2), rng.uniform(0, .25), rng.uniform(.3, .6)])  # blue ink
    if r < 0.6:
        return np.array([rng.uniform(.5, .8), rng.uniform(0, .2), rng.uniform(0, .2)])   # red ink
    return np.full(3, rng.uniform(0.25, 0.55))               # pencil grey


def _clean_scan(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """An already clean page: antialiased or hard black on white (a good scan, a digital export)."""
    if rng.random() < 0.5:
        ink = (ink >= 0.5).astype(np.float32)
    return np.clip((1.0 - ink) * 255.0 + 0.5, 0, 255).astype(np.uint8)


def degrade(cov: np.ndarray, rng: np.random.Generator, d: Degradations | None = None,
            rgb: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(scan, target) from ink coverage ``cov`` (uint8): grey uint8 scan (or RGB), uint8 target 1 = ink.

    The target is the coverage thresholded at one half, moved by the same small rotation as the
    scan (and cleared where a scanner border hides the sheet); every other degradation touches the
    scan only.
    """
    d = d or Degradations()
    h, w = cov.shape
    ink_in = cov
    clean = rng.random() < d.p_clean
    if not clean and rng.random() < d.p_gaps:
        ink_in = _cut_gaps(ink_in, rng)
    ink = ink_in.astype(np.float32) / 255.0
    target = cov.astype(np.float32) / 255.0

    if d.max_rotation_deg > 0 and not clean:
        ang = rng.uniform(-d.max_rotation_deg, d.max_rotation_deg)
        m = cv2.getRotationMatrix2D((w / 2, h / 2), ang, 1.0)
        m[:, 2] += rng.uniform(-2, 2, 2)
        warp = functools.partial(cv2.warpAffine, M=m, dsize=(w, h), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        ink, target = warp(ink), warp(target)
    target_bin = (target >= 0.5).astype(np.uint8)
    if clean:
        out = _clean_scan(ink, rng)
        return (np.repeat(out[..., None], 3, 2) if rgb else out), target_bin

    # Faint ink stays visible (at least ~0.2 contrast at its faintest): a stroke no one can see is no task.
    faint = rng.random() < d.p_faint
    if rng.random() < d.p_fade:  # uneven ink density (worn pen, faint copy)
        fade = rng.uniform(0.2, 0.4 if faint else 0.7)
        ink = ink * (1.0 - fade * _smooth_field(rng, h, w, int(rng.integers(2, 8))))
    if rng.random() < d.p_pencil:
        ink = fx.pencil_grain(ink, rng)
    if rng.random() < d.p_halftone:
        ink = fx.halftone(ink, rng)
    if rng.random() < d.p_dropout:
        ink = fx.toner_dropout(ink, rng)

    bg = _paper(rng, h, w, d)
    if rng.random() < d.p_grid:
        bg = fx.grid_paper(bg, rng, float(np.exp(rng.uniform(*np.log(ZOOM_RANGE)))))
    ink_col = _ink_colour(rng)
    opacity = rng.uniform(0.35, 0.6) if faint else rng.uniform(0.7, 1.0)
    a = (ink * opacity)[..., None]
    img = bg * (1 - a) + ink_col.astype(np.float32)[None, None] * a

    if rng.random() < d.p_bleed:  # show-through of the back of the sheet: mirrored, blurred, faint
        back = render(int(rng.integers(0, 2**62)), h, w)[:, ::-1].astype(np.float32) / 255.0
        back = cv2.GaussianBlur(back, (0, 0), rng.uniform(0.8, 2.5))
        img = img * (1.0 - rng.uniform(0.08, 0.3) * back[..., None])

    if rng.random() < d.p_stains:
        for _ in range(int(rng.integers(1, 4))):
            m = np.zeros((h, w), np.float32)
            ctr = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            ax = (int(rng.uniform(0.05, 0.5) * w) + 1, int(rng.uniform(0.05, 0.5) * h) + 1)
            ring = rng.random() < 0.4
            cv2.ellipse(m, ctr, ax, rng.uniform(0, 180), 0, 360, 1.0,
                        int(rng.integers(2, 8)) if ring else -1, cv2.LINE_AA)
            m = cv2.GaussianBlur(m, (0, 0), rng.uniform(2, 15))
            tint = np.array([rng.uniform(.55, .9), rng.uniform(.4, .8), rng.uniform(.2, .6)], np.float32)
            strength = rng.uniform(0.2, 0.7)
            img = img * (1 - strength * m[..., None] * (1 - tint[None, None]))

    if rng.random() < d.p_fold:
        img = fx.fold(img, rng)
    if rng.random() < d.p_lighting:  # uneven scanner lighting / lid shadow
        f = _smooth_field(rng, h, w, int(rng.integers(1, 4)))
        light = 1.0 - rng.uniform(0.1, 0.55) * f
        if rng.random() < 0.3:  # dark band along one edge
            yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
            dist = [xx, w - 1 - xx, yy, h - 1 - yy][int(rng.integers(0, 4))]
            light *= 1.0 - rng.uniform(0.2, 0.6) * np.exp(-dist / rng.uniform(5, 40))
        img = img * light[..., None]
    if rng.random() < d.p_low_contrast:
        img = fx.low_contrast(img, rng, faint)
    if rng.random() < d.p_border:
        img, target_bin = fx.page_border(img, target_bin, rng)

    if rng.random() < d.p_specks:  # dust and toner specks (not ink of the drawing)
        n = int(rng.integers(1, max(2, h * w // 2000)))
        spk = np.zeros((h, w), np.float32)
        ys, xs = rng.integers(0, h, n), rng.integers(0, w, n)
        for y, x in zip(ys, xs):
            r = int(rng.choice([0, 0, 1, 1, 2]))
            cv2.circle(spk, (int(x), int(y)), r, float(rng.uniform(0.3, 0.9)), -1)
        img = img * (1 - spk[..., None])

    if rng.random() < d.p_low_res:
        img = fx.low_resolution(img, rng)
    if rng.random() < d.p_blur:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.3))
    if rng.random() < d.p_motion:
        img = fx.motion_blur(img, rng)
    sigma = rng.uniform(0, d.max_noise)
    if sigma > 0:
        img = img + rng.normal(0, sigma, img.shape).astype(np.float32) * rng.uniform(0.5, 1.0)
    if rng.random() < d.p_salt_pepper:
        img = fx.salt_pepper(img, rng)
    out = np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if rng.random() < d.p_jpeg:
        q = int(rng.integers(15, 90))
        ok, buf = cv2.imencode(".jpg", out[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, q])
        out = cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1]
    if rgb:
        return np.ascontiguousarray(out), target_bin
    return to_grey(out), target_bin


def to_grey(rgb: np.ndarray) -> np.ndarray:
    """RGB uint8 → grey uint8 by luminance (0.299, 0.587, 0.114), as core.io does."""
    g = rgb[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    return np.clip(np.rint(g), 0, 255).astype(np.uint8)


def make_pair(seed: int, h: int, w: int | None = None, degradations: Degradations | None = None,
              rgb: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(scan uint8, target uint8 1 = ink) for one sample seed; the same seed gives the same pair."""
    w = h if w is None else w
    cov = render(seed, h, w)
    return degrade(cov, np.random.default_rng([int(seed), 1]), degradations, rgb=rgb)


def clean_target(seed: int, h: int, w: int | None = None) -> np.ndarray:
    """The undegraded, unrotated target of a seed (uint8, 1 = ink)."""
    w = h if w is None else w
    return (render(seed, h, w) >= 128).astype(np.uint8)
