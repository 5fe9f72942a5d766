"""Synthetic scanned technical drawings: a clean binary target and a degraded "scan" of it.

Everything is drawn by the project (NumPy + OpenCV) and is deterministic in the sample's seed.

Drawing (``render``): at roughly 300 dpi scale (a random 0.5–2× zoom stands in for 150–600
dpi): solid lines of several widths (1–8 px), dashed (hidden) lines, dash-dot centre
lines, arcs, circles with centre marks, rectangles, hatched regions, dimension lines with arrows,
extension lines and numbers, and text (``cv2.putText`` Hershey fonts); free curves, ellipses,
handwriting-like notes, text blocks, tables, sheet frames and bold outlines (core.cleanup.drawing_extras).
The target is the antialiased ink coverage thresholded at one half: 1 = line/ink.

Degradations (``degrade``) change the input only: gaps cut into lines, faded, faint, pencil-grain
and halftoned ink (the target keeps the lines whole), show-through of a mirrored drawing from the
sheet's back, paper that is white, coloured, a colour gradient, a texture photo (scikit-image's CC0
``brick``, ``grass``, ``gravel``) or printed grid, black/blue/red/pencil ink, stains and rings,
folds, uneven scanner lighting and shadows, dust specks, salt-and-pepper, low resolution, blur,
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
import string
from dataclasses import dataclass

import cv2
import numpy as np

from . import scan_effects as fx
from .drawing_extras import ELEMENTS as _EXTRA_ELEMENTS

TRAIN_SEED_LIMIT = 2**60
VAL_SEED_BASE = 2**60
HELDOUT_SEED_BASE = 2**61
HELDOUT_SIZE = 512  # edge of each held-out image (pixels)

SHIFT = 4            # cv2 fixed-point bits for sub-pixel drawing
_ONE = 1 << SHIFT
FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_PLAIN, cv2.FONT_HERSHEY_DUPLEX,
         cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_COMPLEX_SMALL)
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


# --------------------------------------------------------------------------- drawing

class _Canvas:
    """Ink coverage in [0, 255] (uint8, antialiased) with sub-pixel drawing helpers."""

    def __init__(self, h: int, w: int, rng: np.random.Generator, zoom: float):
        self.h, self.w, self.rng, self.zoom = h, w, rng, zoom
        self.img = np.zeros((h, w), np.uint8)

    @staticmethod
    def _p(pt) -> tuple[int, int]:
        return int(round(pt[0] * _ONE)), int(round(pt[1] * _ONE))

    def width(self) -> int:
        """A line width in pixels: thin lines are the most common."""
        w = self.rng.choice([1, 2, 3, 4, 5, 6, 8], p=[.14, .24, .22, .16, .10, .08, .06])
        return max(1, int(round(w * min(self.zoom, 1.3))))

    def line(self, a, b, t: int, img=None) -> None:
        cv2.line(self.img if img is None else img, self._p(a), self._p(b), 255, int(t), cv2.LINE_AA, SHIFT)

    def pattern_line(self, a, b, t: int, pattern: list[float]) -> None:
        """Dashed (pattern [dash, gap]) or dash-dot ([long, gap, short, gap]) line."""
        a, b = np.asarray(a, float), np.asarray(b, float)
        length = float(np.hypot(*(b - a)))
        if length < 1:
            return
        d = (b - a) / length
        pos, i = -self.rng.uniform(0, sum(pattern)), 0
        while pos < length:
            seg = pattern[i % len(pattern)]
            if i % 2 == 0:
                s, e = max(pos, 0.0), min(pos + seg, length)
                if e > s:
                    self.line(a + d * s, a + d * e, t)
            pos += seg
            i += 1

    @property
    def unit(self) -> float:
        """The length scale of parts and views (pixels): sizes are absolute, not relative to the canvas."""
        return 400.0 * self.zoom

    def random_point(self, margin: float = 0.1) -> np.ndarray:
        m = margin
        return np.array([self.rng.uniform(-m, 1 + m) * self.w, self.rng.uniform(-m, 1 + m) * self.h])


def _axis_line(c: _Canvas) -> tuple[np.ndarray, np.ndarray]:
    """Mostly horizontal or vertical segments (as in technical drawings), sometimes oblique."""
    rng = c.rng
    a = c.random_point()
    length = rng.uniform(0.1, 1.5) * c.unit
    r = rng.random()
    ang = 0.0 if r < 0.4 else np.pi / 2 if r < 0.8 else rng.uniform(0, np.pi)
    b = a + length * np.array([np.cos(ang), np.sin(ang)])
    return a, b


def _draw_lines(c: _Canvas) -> None:
    a, b = _axis_line(c)
    c.line(a, b, c.width())


def _draw_dashed(c: _Canvas) -> None:
    a, b = _axis_line(c)
    z = c.zoom
    if c.rng.random() < 0.5:  # hidden line: dash 3–6 mm, gap 1–2 mm at 300 dpi
        pattern = [c.rng.uniform(25, 70) * z, c.rng.uniform(8, 22) * z]
    else:                     # centre line: long dash, gap, dot/short dash, gap
        g = c.rng.uniform(6, 14) * z
        pattern = [c.rng.uniform(60, 140) * z, g, c.rng.uniform(3, 10) * z, g]
    c.pattern_line(a, b, max(1, c.width() - 1), pattern)


def _draw_circle(c: _Canvas) -> None:
    rng = c.rng
    ctr = c.random_point(0.0)
    r = rng.uniform(6, 0.6 * c.unit) * (1 if rng.random() < 0.7 else 0.3)
    t = c.width()
    if rng.random() < 0.45:  # full circle
        cv2.circle(c.img, c._p(ctr), int(r * _ONE), 255, t, cv2.LINE_AA, SHIFT)
    else:                    # arc
        start = rng.uniform(0, 360)
        cv2.ellipse(c.img, c._p(ctr), (int(r * _ONE), int(r * _ONE)), 0, start,
                    start + rng.uniform(30, 300), 255, t, cv2.LINE_AA, SHIFT)
    if rng.random() < 0.5:  # centre mark (dash-dot cross)
        e = r * 1.15 + 8
        for d in (np.array([1.0, 0.0]), np.array([0.0, 1.0])):
            c.pattern_line(ctr - e * d, ctr + e * d, 1, [40 * c.zoom, 8, 6, 8])


def _hatch(c: _Canvas, region: np.ndarray) -> None:
    """Parallel lines at 30/45/60° clipped to ``region`` (uint8 mask); drawn in its bounding box only."""
    rng = c.rng
    ang = np.deg2rad(rng.choice([30, 45, 60, 120, 135, 150]))
    spacing = rng.uniform(8, 24) * c.zoom
    t = max(1, c.width() - 2)
    x, y, bw, bh = cv2.boundingRect(region)
    if bw == 0 or bh == 0:
        return
    sub = region[y:y + bh, x:x + bw]
    tmp = np.zeros_like(sub)
    d = np.array([np.cos(ang), np.sin(ang)])
    nrm = np.array([-d[1], d[0]])
    diag = float(np.hypot(bh, bw))
    ctr = np.array([bw / 2, bh / 2]) + rng.uniform(0, spacing) * nrm
    for k in np.arange(-diag / 2, diag / 2 + spacing, spacing):
        p = ctr + k * nrm
        c.line(p - diag * d, p + diag * d, t, img=tmp)
    win = c.img[y:y + bh, x:x + bw]
    np.maximum(win, np.minimum(tmp, sub), out=win)


def _draw_rect(c: _Canvas) -> None:
    rng = c.rng
    a = c.random_point()
    size = rng.uniform(0.1, 0.9, 2) * c.unit
    b = a + size
    t = c.width()
    if rng.random() < 0.2:
        region = np.zeros_like(c.img)
        cv2.rectangle(region, c._p(a), c._p(b), 255, -1, cv2.LINE_AA, SHIFT)
        _hatch(c, region)
    cv2.rectangle(c.img, c._p(a), c._p(b), 255, t, cv2.LINE_AA, SHIFT)


def _draw_hatched_polygon(c: _Canvas) -> None:
    rng = c.rng
    ctr = c.random_point(0.0)
    n = int(rng.integers(3, 7))
    ang = np.sort(rng.uniform(0, 2 * np.pi, n))
    rad = rng.uniform(0.08, 0.35, n) * c.unit
    pts = np.stack([ctr[0] + rad * np.cos(ang), ctr[1] + rad * np.sin(ang)], 1)
    ipts = np.round(pts * _ONE).astype(np.int32)[None]
    region = np.zeros_like(c.img)
    cv2.fillPoly(region, ipts, 255, cv2.LINE_AA, SHIFT)
    _hatch(c, region)
    cv2.polylines(c.img, ipts, True, 255, c.width(), cv2.LINE_AA, SHIFT)


def _arrow_head(c: _Canvas, tip: np.ndarray, direction: np.ndarray, size: float, filled: bool, t: int) -> None:
    nrm = np.array([-direction[1], direction[0]])
    base = tip - direction * size
    pts = np.array([tip, base + nrm * size * 0.3, base - nrm * size * 0.3])
    ipts = np.round(pts * _ONE).astype(np.int32)[None]
    if filled:
        cv2.fillPoly(c.img, ipts, 255, cv2.LINE_AA, SHIFT)
    else:
        cv2.polylines(c.img, ipts[:, [1, 0, 2]], False, 255, t, cv2.LINE_AA, SHIFT)


def _text(c: _Canvas, text: str, org: np.ndarray, height: float, angle_vertical: bool = False) -> None:
    rng = c.rng
    font = int(rng.choice(FONTS))
    base_h = cv2.getTextSize("0", font, 1.0, 1)[0][1]
    scale = max(height / max(base_h, 1), 0.25)
    thick = max(1, int(round(scale * rng.uniform(0.8, 2.2))))
    if not angle_vertical:
        cv2.putText(c.img, text, (int(org[0]), int(org[1])), font, scale, 255, thick, cv2.LINE_AA)
        return
    (tw, th), bl = cv2.getTextSize(text, font, scale, thick)
    tmp = np.zeros((th + bl + 4, tw + 4), np.uint8)
    cv2.putText(tmp, text, (2, th + 2), font, scale, 255, thick, cv2.LINE_AA)
    tmp = np.rot90(tmp)
    x, y = int(org[0]), int(org[1])
    y0, x0 = max(y, 0), max(x, 0)
    y1, x1 = min(y + tmp.shape[0], c.h), min(x + tmp.shape[1], c.w)
    if y1 > y0 and x1 > x0:
        sub = tmp[y0 - y:y1 - y, x0 - x:x1 - x]
        np.maximum(c.img[y0:y1, x0:x1], sub, out=c.img[y0:y1, x0:x1])


def _number(rng: np.random.Generator) -> str:
    r = rng.random()
    if r < 0.5:
        return str(int(rng.integers(1, 2000)))
    if r < 0.75:
        return f"{rng.uniform(0.5, 500):.{int(rng.integers(1, 3))}f}"
    if r < 0.9:
        return f"Ø{int(rng.integers(3, 300))}".replace("Ø", "D")  # Hershey fonts have no Ø
    return f"{int(rng.integers(1, 300))}±0.{int(rng.integers(1, 5))}"


def _draw_dimension(c: _Canvas) -> None:
    rng = c.rng
    a, b = _axis_line(c)
    length = float(np.hypot(*(b - a)))
    if length < 30:
        return
    d = (b - a) / length
    nrm = np.array([-d[1], d[0]])
    t = max(1, c.width() - 1)
    off = rng.uniform(15, 60) * c.zoom
    for p in (a, b):  # extension lines
        c.line(p - nrm * 4, p + nrm * (off + 8 * c.zoom), max(1, t - 1))
    pa, pb = a + nrm * off, b + nrm * off
    c.line(pa, pb, t)
    size = rng.uniform(10, 28) * c.zoom
    filled = rng.random() < 0.7
    _arrow_head(c, pa, -d, size, filled, t)
    _arrow_head(c, pb, d, size, filled, t)
    mid = (pa + pb) / 2 + nrm * rng.uniform(6, 14) * c.zoom
    h = rng.uniform(14, 40) * c.zoom
    vertical = abs(d[1]) > 0.9
    _text(c, _number(rng), mid + np.array([-h, 0 if vertical else 0]), h, angle_vertical=vertical)


def _draw_text(c: _Canvas) -> None:
    rng = c.rng
    n = int(rng.integers(1, 14))
    alphabet = string.ascii_uppercase * 3 + string.ascii_lowercase + string.digits * 2 + "-./:=()"
    text = "".join(rng.choice(list(alphabet), n))
    if rng.random() < 0.3:
        text = text[: n // 2] + " " + text[n // 2:]
    h = rng.uniform(10, 60) * c.zoom
    _text(c, text, c.random_point(0.0), h, angle_vertical=rng.random() < 0.1)


_ELEMENTS = [(_draw_lines, 4.0), (_draw_dashed, 1.5), (_draw_circle, 1.5), (_draw_rect, 1.2),
             (_draw_hatched_polygon, 0.25), (_draw_dimension, 1.5), (_draw_text, 2.0)] + _EXTRA_ELEMENTS
ZOOM_RANGE = (0.5, 2.0)  # scale against 300 dpi: scans from 150 to 600 dpi


def render(seed: int, h: int, w: int) -> np.ndarray:
    """A clean drawing: antialiased ink coverage, uint8 0–255 (255 = full ink)."""
    rng = np.random.default_rng([int(seed), 0])
    zoom = float(np.exp(rng.uniform(*np.log(ZOOM_RANGE))))
    c = _Canvas(h, w, rng, zoom)
    # Element count grows with the area (about 8 per 256² at 1× zoom, fewer when zoomed in, as the
    # parts are larger); a few crops are nearly empty.
    density = rng.uniform(0.3, 1.6) if rng.random() > 0.05 else 0.05
    n = max(1, int(round(density * 8 * h * w / (256 * 256) / zoom**2)))
    fns, weights = zip(*_ELEMENTS)
    p = np.array(weights) / sum(weights)
    for k in rng.choice(len(fns), size=n, p=p):
        fns[k](c)
    return c.img


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
