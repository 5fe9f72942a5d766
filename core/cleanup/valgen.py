"""Independent validation generator for drawing cleanup: ``make_val_pair(seed, h, w) -> (scan, target)``.

Built apart from the training generator (synth.py, never read or imported here) so that a model is
judged and chosen on drawings and degradations it was not trained on (issue 22). Its own drawings
(valgen_draw.py: orthographic parts with hidden and centre lines, dimension chains, leaders, bolt
circles, hatching, tables, frames with title blocks, cursive notes; 150–600 dpi) and its own paper and
scanner (valgen_scan.py). The target is the drawing's ink only (1 = ink): grid, stains, folds, shadows
and bleed-through are paper; gaps cut into the scan's lines stay ink (filling them is the task); where
a dark scanner bed shows past the page edge there is no page and no ink.

Seeds: VALGEN_SEED_BASE + i (3·2**60 + i), apart from the training generator's (training < 2**60,
its validation 2**60 + i, its held-out 2**61 + i). About 15 % of pages are clean-ish; the rest draw a
difficulty in [0, 1] that scales how likely and how strong each degradation is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import cv2
import numpy as np

from ..errors import InputError
from . import valgen_scan as sc
from .valgen_draw import draw_sheet

VALGEN_SEED_BASE = 3 * 2**60
VALGEN_SIZE = 512
CLEAN_SHARE = 0.15
TINTS = ((1.0, 1.0, 1.0), (1.0, 0.97, 0.88), (0.93, 0.93, 0.93), (0.92, 0.95, 1.0), (1.0, 0.95, 0.75),
         (0.97, 0.99, 0.94))


def valgen_seeds(n: int) -> list[int]:
    return [VALGEN_SEED_BASE + i for i in range(n)]


@dataclass(frozen=True)
class Style:
    """Everything random about a page except its drawing; tests may replace fields."""

    clean: bool = False
    drawing: bool = True
    dpi: float = 300.0
    tint: tuple = (1.0, 1.0, 1.0)
    texture: float = 0.0
    light: float = 0.0
    grid: str | None = None
    grid_pitch: float = 5.0
    grid_alpha: float = 0.5
    ink: str = "black"
    notes_ink: str = "black"
    ink_dark: float = 1.0
    broken: float = 0.0
    gaps: int = 0
    bleed: float = 0.0
    stains: int = 0
    rings: int = 0
    folds: int = 0
    border: bool = False
    shadow: bool = False
    skew_deg: float = 0.0
    blur: str = "none"
    blur_amount: float = 0.0
    resample: float = 1.0
    halftone: bool = False
    contrast: tuple = (0.0, 1.0, 1.0)  # black level, white level, gamma
    noise: float = 0.0
    salt: float = 0.0
    jpeg: int | None = None


def sample_style(rng: np.random.Generator) -> Style:
    dpi = float(np.exp(rng.uniform(math.log(150), math.log(600))))
    if rng.random() < CLEAN_SHARE:
        return Style(clean=True, dpi=dpi, tint=(0.99,) * 3, texture=rng.uniform(0, 0.006),
                     light=rng.uniform(0, 0.03), ink_dark=rng.uniform(0.92, 1.0),
                     skew_deg=rng.uniform(-0.5, 0.5) if rng.random() < 0.3 else 0.0,
                     blur="gauss", blur_amount=rng.uniform(0.3, 0.6), noise=rng.uniform(0, 0.01),
                     jpeg=int(rng.integers(85, 98)) if rng.random() < 0.5 else None)
    d = rng.uniform(0, 1)
    p = lambda base, more=0.0: rng.random() < base + more * d  # noqa: E731  (how likely, rising with d)
    inks = ["black", "pencil", "blue", "red", "brown"]
    ink = str(rng.choice(inks, p=[0.55, 0.15, 0.18, 0.06, 0.06]))
    if ink == "pencil":
        dark = rng.uniform(0.35, 0.8)
    else:
        dark = 1.0 - d * rng.uniform(0, 0.55)
    bright = rng.uniform(0.8, 1.0) if p(0.3, 0.4) else rng.uniform(0.95, 1.0)
    tint = tuple(bright * np.asarray(TINTS[int(rng.integers(len(TINTS)))]))
    lo, hi = (rng.uniform(0.1, 0.45), rng.uniform(0.65, 0.95)) if p(0.1, 0.4) else (0.0, 1.0)
    blur = "motion" if p(0.03, 0.12) else ("gauss" if p(0.3, 0.5) else "none")
    return Style(
        dpi=dpi, tint=tint, texture=rng.uniform(0, 0.03) * (0.3 + d), light=0.02 + rng.uniform(0, 0.4) * d,
        grid=str(rng.choice(["blue", "green", "orange", "grey"], p=[0.45, 0.25, 0.2, 0.1])) if p(0.25) else None,
        grid_pitch=float(rng.choice([1.0, 2.0, 5.0, 5.0, 10.0])), grid_alpha=rng.uniform(0.3, 0.9),
        ink=ink, notes_ink=ink if rng.random() < 0.5 else str(rng.choice(["blue", "red", "pencil", "black"])),
        ink_dark=dark, broken=rng.uniform(0.2, 0.9) if p(0.1, 0.4) else 0.0,
        gaps=int(rng.poisson(2 + 12 * d)), bleed=rng.uniform(0.05, 0.3) if p(0.05, 0.3) else 0.0,
        stains=int(rng.integers(1, 4)) if p(0.05, 0.35) else 0, rings=int(rng.integers(1, 3)) if p(0.05, 0.2) else 0,
        folds=int(rng.integers(1, 3)) if p(0.05, 0.25) else 0, border=p(0.05, 0.25), shadow=p(0.05, 0.3),
        skew_deg=rng.uniform(-2, 2) if p(0.4, 0.3) else 0.0,
        blur=blur, blur_amount=rng.uniform(0.4, 0.6 + 1.2 * d) if blur == "gauss" else float(rng.integers(3, 8)),
        resample=rng.uniform(1.3, 2.5) if p(0.05, 0.25) else 1.0, halftone=p(0.02, 0.08),
        contrast=(lo, hi, rng.uniform(0.7, 1.5) if p(0.2, 0.3) else 1.0),
        noise=rng.uniform(0.002, 0.01 + 0.04 * d), salt=rng.uniform(1e-4, 3e-3) if p(0.05, 0.25) else 0.0,
        jpeg=int(rng.integers(15, 96)) if p(0.4, 0.3) else None)


def _streams(seed: int):
    """Independent random streams of a page: its drawing, its style, its scan effects."""
    return np.random.SeedSequence(int(seed)).spawn(3)


def style_of(seed: int) -> Style:
    """The style page ``seed`` is made with (for reports: dpi, clean or not, ...)."""
    return sample_style(np.random.default_rng(_streams(seed)[1]))


def make_val_pair(seed: int, h: int = VALGEN_SIZE, w: int = VALGEN_SIZE, style: Style | None = None,
                  **overrides) -> tuple[np.ndarray, np.ndarray]:
    """(scan uint8 grey h×w, target uint8 h×w with 1 = ink) of page ``seed``; same seed, same pair.

    ``style`` or keyword ``overrides`` (Style fields) replace the seed's style; the drawing stays the seed's.
    """
    if int(h) < 16 or int(w) < 16:
        raise InputError(f"A validation page needs at least 16×16 pixels (got {w}×{h}).")
    h, w = int(h), int(w)
    draw_ss, style_ss, scan_ss = _streams(seed)
    st = style or sample_style(np.random.default_rng(style_ss))
    if overrides:
        st = replace(st, **overrides)
    rng = np.random.default_rng(scan_ss)
    ppmm = st.dpi / 25.4

    # The page is drawn larger than the view and rotated by the skew, so no corner is left blank.
    th = math.radians(st.skew_deg)
    pad = int(math.ceil(0.75 * max(h, w) * abs(math.sin(th)))) + 2
    H, W = h + 2 * pad, w + 2 * pad
    if st.drawing:
        layers = draw_sheet(H, W, ppmm, np.random.default_rng(draw_ss))
    else:
        layers = {"main": np.zeros((H, W), np.uint8), "notes": np.zeros((H, W), np.uint8)}
    page = np.ones((H, W), np.uint8)
    if st.border:  # the sheet ends inside the view on one or two sides
        for side in rng.choice(4, int(rng.integers(1, 3)), replace=False):
            cut = pad + int(rng.uniform(0.02, 0.2) * (h if side < 2 else w))
            page[(np.s_[:cut, :], np.s_[H - cut:, :], np.s_[:, :cut], np.s_[:, W - cut:])[side]] = 0
    grid = sc.grid_mask(H, W, ppmm, st.grid_pitch, rng) if st.grid else None
    bleed = None
    if st.bleed > 0:
        other = draw_sheet(H, W, ppmm, np.random.default_rng(rng.integers(2**63)))
        bleed = (other["main"] | other["notes"])[:, ::-1].astype(np.float32)

    m = cv2.getRotationMatrix2D(((W - 1) / 2, (H - 1) / 2), st.skew_deg, 1.0)
    crop = np.s_[pad:pad + h, pad:pad + w]

    def warp(a, nearest):
        if st.skew_deg == 0:
            return a[crop].copy()
        flags = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
        return cv2.warpAffine(a, m, (W, H), flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=0)[crop]

    page = warp(page, True)
    ink = {k: warp(v, True) & page for k, v in layers.items()}
    target = (ink["main"] | ink["notes"]).astype(np.uint8)

    rgb = sc.paper(rng, h, w, st.tint, st.texture, ppmm)
    if grid is not None:
        sc.tint_by(rgb, st.grid_alpha * np.minimum(warp(grid, False), 2) / 2 * (0.8 + 0.2 * st.grid_alpha),
                   sc.GRID_COLOURS[st.grid])
    if bleed is not None:
        # show-through is fainter than the page's own ink (the paper is between)
        sc.tint_by(rgb, min(st.bleed, 0.4 * st.ink_dark) * cv2.GaussianBlur(warp(bleed, False), (0, 0), rng.uniform(1.0, 3.0) * ppmm / 8 + 0.8),
                   (0.45, 0.45, 0.5))
    for name, colour in (("main", st.ink), ("notes", st.notes_ink)):
        if ink[name].any():
            sc.tint_by(rgb, _ink_alpha(ink[name], st, colour, ppmm, rng), sc.INKS[colour])
    for _ in range(st.stains):
        sc.stain(rgb, rng, ppmm, ring_only=False)
    for _ in range(st.rings):
        sc.stain(rgb, rng, ppmm, ring_only=True)
    for _ in range(st.folds):
        sc.fold(rgb, rng, ppmm)
    if st.border:  # page edge shadow, then the scanner bed (dark lid or a grey cover) past the edge
        dist = cv2.distanceTransform(page, cv2.DIST_L2, 3)
        rgb *= (1 - rng.uniform(0.2, 0.6) * np.exp(-dist / (rng.uniform(0.5, 3) * ppmm)))[..., None]
        bed = rng.uniform(0.03, 0.3) if rng.random() < 0.8 else rng.uniform(0.55, 0.8)
        outside = page == 0
        rgb[outside] = bed * (1 + 0.15 * sc.smooth_field(rng, h, w, 40, 2))[outside][:, None]
    if st.shadow:
        rgb *= sc.edge_shadow(h, w, rng, ppmm)[..., None]
    rgb *= sc.illumination(h, w, rng, st.light)[..., None]

    grey = np.clip(rgb @ np.float32([0.299, 0.587, 0.114]), 0, 1)  # the scanner's grey conversion
    grey = _optics(grey, st, rng)
    lo, hi, gamma = st.contrast
    grey = lo + (hi - lo) * np.clip(grey, 0, 1) ** gamma
    if st.noise > 0:
        grey = grey + rng.normal(0, st.noise, grey.shape).astype(np.float32)
    if st.salt > 0:
        u = rng.random(grey.shape)
        grey = np.where(u < st.salt / 2, 0.0, np.where(u > 1 - st.salt / 2, 1.0, grey))
    scan = np.round(np.clip(grey, 0, 1) * 255).astype(np.uint8)
    if st.jpeg:
        scan = sc.jpeg(scan, st.jpeg)
    return scan, target


def _ink_alpha(mask, st: Style, colour, ppmm, rng) -> np.ndarray:
    """How strongly ink covers each pixel: faint, broken (toner dropouts), pencil grain, cut gaps."""
    a = mask.astype(np.float32) * st.ink_dark
    if colour == "pencil":
        a *= 0.6 + 0.4 * rng.random(mask.shape, dtype=np.float32)
    if st.broken > 0:
        drop = np.clip(0.5 + 1.5 * sc.smooth_field(rng, *mask.shape, max(2.0, rng.uniform(0.3, 1.2) * ppmm), 2), 0, 1)
        a *= 1 - st.broken * drop
    ys, xs = np.nonzero(mask)
    for k in (rng.choice(ys.size, min(st.gaps, ys.size), replace=False) if ys.size else []):
        r = int(np.clip(rng.uniform(0.4, 1.8) * ppmm, 2, 30))
        cv2.circle(a, (int(xs[k]), int(ys[k])), r, 0.0, -1)
    return cv2.GaussianBlur(a, (0, 0), rng.uniform(0.3, 0.6))  # pen edges are soft at scan resolution


def _optics(grey, st: Style, rng) -> np.ndarray:
    if st.halftone:
        grey = sc.halftone(grey, rng)
    if st.blur == "gauss" and st.blur_amount > 0:
        grey = cv2.GaussianBlur(grey, (0, 0), st.blur_amount)
    elif st.blur == "motion":
        grey = cv2.filter2D(grey, -1, sc.motion_kernel(rng, int(st.blur_amount)))
    if st.resample > 1:  # scanned at a lower resolution, then scaled up to the page's
        h, w = grey.shape
        small = cv2.resize(grey, (max(1, int(w / st.resample)), max(1, int(h / st.resample))),
                           interpolation=cv2.INTER_AREA)
        grey = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    return grey
