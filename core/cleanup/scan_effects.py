"""More scan degradations for core.cleanup.synth: what real scanners and old sheets add.

Each function takes the sample's random stream and changes the scan (RGB float32 in [0, 1]) or the
ink before it is laid on the paper; none marks ink in the target except ``page_border``, which
removes the target where the sheet is not (a dark scanner bed is not a line). They answer what the
shipped model did wrong on real scans: page borders and shadows turned solid black, faint strokes
dropped, grids and folds kept as lines, low-resolution scans.
"""

from __future__ import annotations

import cv2
import numpy as np


def _smooth(rng: np.random.Generator, h: int, w: int, cells: int) -> np.ndarray:
    g = rng.random((cells + 1, cells + 1)).astype(np.float32)
    f = cv2.resize(g, (w, h), interpolation=cv2.INTER_CUBIC)
    f -= f.min()
    return f / max(float(f.max()), 1e-6)


def grid_paper(bg: np.ndarray, rng: np.random.Generator, zoom: float) -> np.ndarray:
    """Printed grid or ruled lines (graph paper, a form) in a light colour: paper, not drawing."""
    h, w = bg.shape[:2]
    step = rng.uniform(10, 45) * zoom
    colour = np.array([(0.55, 0.75, 0.95), (0.6, 0.9, 0.65), (0.98, 0.7, 0.45), (0.7, 0.7, 0.7),
                       (0.9, 0.6, 0.6)][int(rng.integers(0, 5))], np.float32)
    strength = rng.uniform(0.2, 0.8)
    m = np.zeros((h, w), np.float32)
    ruled_only = rng.random() < 0.3
    off = rng.uniform(0, step, 2)
    major = int(rng.choice([0, 5, 10]))
    for axis in ((1,) if ruled_only else (0, 1)):
        n = int((w if axis == 0 else h) / step) + 2
        for k in range(n):
            pos = int(round(off[axis] + k * step))
            t = 2 if major and k % major == 0 else 1
            if axis == 0:
                cv2.line(m, (pos, 0), (pos, h - 1), 1.0, t)
            else:
                cv2.line(m, (0, pos), (w - 1, pos), 1.0, t)
    m = cv2.GaussianBlur(m, (0, 0), rng.uniform(0.3, 0.8)) * strength
    return bg * (1 - m[..., None] * (1 - colour[None, None]))


def fold(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A fold or crease across the sheet: a thin dark or bright ridge and a brightness step."""
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ang = rng.choice([0.0, np.pi / 2]) + rng.normal(0, 0.05)
    p = np.array([rng.uniform(0, w), rng.uniform(0, h)])
    dist = (xx - p[0]) * np.cos(ang) + (yy - p[1]) * np.sin(ang)
    ridge = np.exp(-(dist / rng.uniform(0.8, 3.0)) ** 2) * rng.uniform(0.1, 0.45) * rng.choice([1, -0.4])
    side = 1.0 - rng.uniform(0.0, 0.12) * (dist > 0) * np.exp(-np.abs(dist) / rng.uniform(10, 80))
    return img * ((1 - ridge) * side)[..., None]


def page_border(img: np.ndarray, target: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The scanner bed (dark or black) beyond one or two edges of the sheet, with the sheet's shadow.

    Where the sheet is not there is no drawing: the target is cleared there.
    """
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    outside = np.zeros((h, w), bool)
    shadow = np.zeros((h, w), np.float32)
    for _ in range(int(rng.integers(1, 3))):
        side = int(rng.integers(0, 4))
        depth = rng.uniform(0.02, 0.3) * (w if side < 2 else h)
        tilt = rng.normal(0, 0.03)
        if side == 0:
            d = xx - depth - tilt * yy
        elif side == 1:
            d = (w - 1 - xx) - depth - tilt * yy
        elif side == 2:
            d = yy - depth - tilt * xx
        else:
            d = (h - 1 - yy) - depth - tilt * xx
        outside |= d < 0
        shadow = np.maximum(shadow, np.exp(-np.clip(d, 0, None) / rng.uniform(2, 20)) * (d >= 0))
    bed = rng.uniform(0.0, 0.35)
    bed_col = np.clip(bed + rng.normal(0, 0.03, 3), 0, 1).astype(np.float32)
    bed_img = bed_col[None, None] * (1 + 0.15 * (_smooth(rng, h, w, 3)[..., None] - 0.5))
    out = img * (1 - rng.uniform(0.2, 0.7) * shadow[..., None])
    out = np.where(outside[..., None], bed_img, out)
    return out.astype(np.float32), np.where(outside, 0, target).astype(target.dtype)


def pencil_grain(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Graphite on paper: the stroke's density broken by the paper's fine grain."""
    h, w = ink.shape
    grain = rng.random((h, w)).astype(np.float32)
    grain = cv2.GaussianBlur(grain, (0, 0), rng.uniform(0.5, 1.2))
    grain = (grain - grain.min()) / max(float(grain.max() - grain.min()), 1e-6)
    return ink * np.clip(0.35 + 1.1 * grain, 0, 1)


def toner_dropout(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Dry pen, worn toner or a poor copy: strokes speckled with holes, up to only dots of them left.

    The holes are a thresholded fine noise (0.5–2 px grain) over a share of 15–75 % of the ink;
    the target keeps the whole stroke, so the network learns to join the dots.
    """
    h, w = ink.shape
    noise = cv2.GaussianBlur(rng.random((h, w)).astype(np.float32), (0, 0), rng.uniform(0.5, 2.0))
    holes = noise < np.quantile(noise, rng.uniform(0.15, 0.75))
    holes = cv2.GaussianBlur(holes.astype(np.float32), (0, 0), 0.5)
    return ink * (1.0 - rng.uniform(0.7, 1.0) * holes)


def halftone(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A photocopied or printed screen: the ink's grey levels become a dot pattern."""
    h, w = ink.shape
    period = int(rng.integers(3, 6))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    screen = 0.5 + 0.25 * (np.cos(2 * np.pi * xx / period) + np.cos(2 * np.pi * yy / period))
    return np.where(ink > screen * rng.uniform(0.6, 1.0), np.maximum(ink, 0.9), ink * 0.3).astype(np.float32)


def low_resolution(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Scanned at a lower resolution (down to about 150 dpi for a 300 dpi target), then upsampled."""
    h, w = img.shape[:2]
    f = rng.uniform(1.3, 2.5)
    small = cv2.resize(img, (max(8, int(w / f)), max(8, int(h / f))), interpolation=cv2.INTER_AREA)
    interp = cv2.INTER_LINEAR if rng.random() < 0.6 else cv2.INTER_CUBIC if rng.random() < 0.5 else cv2.INTER_NEAREST
    return cv2.resize(small, (w, h), interpolation=interp)


def motion_blur(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The sheet or the scan head moved: a short linear blur."""
    n = int(rng.integers(3, 8))
    k = np.zeros((n, n), np.float32)
    k[n // 2, :] = 1.0
    m = cv2.getRotationMatrix2D(((n - 1) / 2, (n - 1) / 2), rng.uniform(0, 180), 1.0)
    k = cv2.warpAffine(k, m, (n, n))
    return cv2.filter2D(img, -1, k / max(float(k.sum()), 1e-6))


def salt_pepper(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Isolated dark and bright pixels (sensor defects, dust on the glass)."""
    h, w = img.shape[:2]
    rate = rng.uniform(0.0005, 0.01)
    r = rng.random((h, w))
    out = img.copy()
    out[r < rate / 2] = rng.uniform(0.0, 0.3)
    out[(r >= rate / 2) & (r < rate)] = 1.0
    return out


def low_contrast(img: np.ndarray, rng: np.random.Generator, faint: bool = False) -> np.ndarray:
    """A dim, flat scan (grey paper, grey ink: an old copy, a photo in poor light): the whole range squeezed.

    White goes to ``hi`` (0.62–0.92) and black to ``lo``, ``hi − lo`` between 0.25 and 0.7 (at least 0.45 when
    the ink is already faint, so that a stroke keeps some contrast).
    """
    span = rng.uniform(0.45 if faint else 0.25, 0.7)
    hi = rng.uniform(max(0.62, span + 0.1), 0.92)
    return (hi - span) + span * img
