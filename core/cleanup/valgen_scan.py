"""Paper, printing and scanner effects of the validation generator (valgen.py); none of them is ink.

Images are float32 RGB in [0, 1] (1 = white) until the scanner's grey conversion. Marks that lie on
the paper (grid, stains, folds, shadows, bleed-through) multiply it; they never enter the target.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

GRID_COLOURS = {"blue": (0.45, 0.65, 0.95), "green": (0.5, 0.85, 0.6), "orange": (0.98, 0.7, 0.45),
                "grey": (0.7, 0.7, 0.7)}
INKS = {"black": (0.07, 0.07, 0.09), "blue": (0.1, 0.18, 0.55), "red": (0.72, 0.1, 0.12),
        "pencil": (0.33, 0.33, 0.35), "brown": (0.3, 0.2, 0.12)}


def smooth_field(rng, h, w, cell_px, octaves=3) -> np.ndarray:
    """Procedural value noise, about zero mean, unit-ish amplitude; features about ``cell_px`` wide."""
    out = np.zeros((h, w), np.float32)
    amp, total = 1.0, 0.0
    for _ in range(octaves):
        gh, gw = max(2, int(h / cell_px) + 2), max(2, int(w / cell_px) + 2)
        out += amp * cv2.resize(rng.standard_normal((gh, gw)).astype(np.float32), (w, h),
                                interpolation=cv2.INTER_CUBIC)
        total += amp
        amp, cell_px = amp * 0.5, max(1.0, cell_px / 2)
    return out / total


def paper(rng, h, w, tint, texture, ppmm) -> np.ndarray:
    """Tinted paper with fibre texture (fine grain plus mm-sized blotches)."""
    rgb = np.empty((h, w, 3), np.float32)
    rgb[:] = tint
    if texture > 0:
        grain = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), 0.7)
        blot = smooth_field(rng, h, w, max(3.0, 1.5 * ppmm), 2)
        fibre = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), sigmaX=4.0, sigmaY=0.6)
        rgb *= (1 + texture * (0.6 * grain + 0.5 * blot + 0.8 * fibre))[..., None]
    return rgb


def grid_mask(h, w, ppmm, pitch_mm, rng) -> np.ndarray:
    """Graph paper lines: float strength (minor 1, major 10×pitch lines 2), in page coordinates."""
    g = np.zeros((h, w), np.float32)
    off = rng.uniform(0, pitch_mm * ppmm, 2)
    for axis in (0, 1):
        n = (h, w)[axis]
        k = np.arange(-1, int(n / (pitch_mm * ppmm)) + 2)
        pos = off[axis] + k * pitch_mm * ppmm
        for kk, pp in zip(k, pos):
            major = kk % 10 == 0 or (pitch_mm >= 5 and kk % 2 == 0)
            i = int(round(pp))
            width = max(1, int(round((0.25 if major else 0.12) * ppmm)))
            sl = slice(max(0, i), max(0, min(n, i + width)))
            if axis == 0:
                g[sl, :] = np.maximum(g[sl, :], 2 if major else 1)
            else:
                g[:, sl] = np.maximum(g[:, sl], 2 if major else 1)
    return g


def tint_by(rgb, alpha, colour) -> None:
    """Multiply the page by a transparent colour of strength alpha (0 none, 1 the colour itself)."""
    a = np.clip(alpha, 0, 1)[..., None]
    rgb *= 1 - a * (1 - np.asarray(colour, np.float32))


def stain(rgb, rng, ppmm, ring_only) -> None:
    """A coffee stain (light wash with a darker rim) or a water ring (rim only, often partial)."""
    h, w = rgb.shape[:2]
    cy, cx = rng.uniform(-0.2, 1.2) * h, rng.uniform(-0.2, 1.2) * w
    r = rng.uniform(8, 45) * ppmm
    r = min(r, 0.8 * max(h, w))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ang = np.arctan2(yy - cy, xx - cx)
    wob = sum(rng.normal(0, 0.05) * np.cos(k * ang + rng.uniform(0, 6)) for k in range(1, 6))
    rho = np.hypot(yy - cy, xx - cx) / (r * (1 + wob))
    rim_w = rng.uniform(0.01, 0.05)
    rim = np.exp(-((rho - 1) / rim_w) ** 2) * (1 + 0.5 * (rho < 1))
    if ring_only or rng.random() < 0.3:
        start = rng.uniform(-math.pi, math.pi)  # a partial ring
        rim *= (np.cos(ang - start) > rng.uniform(-1, 0.3))
    colour = (0.62, 0.42, 0.2) if not ring_only else (0.6, 0.6, 0.58)
    strength = rng.uniform(0.15, 0.55) if not ring_only else rng.uniform(0.1, 0.35)
    alpha = strength * rim
    if not ring_only:
        wash = (rho < 1) * (0.25 + 0.12 * smooth_field(rng, h, w, max(4.0, r / 4), 2))
        alpha = alpha + strength * wash
    tint_by(rgb, alpha, colour)


def fold(rgb, rng, ppmm) -> None:
    """A fold or crease across the page: thin dark line, a brightness step and a highlight beside it."""
    h, w = rgb.shape[:2]
    ang = rng.uniform(0, math.pi)
    px, py = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    d = (xx - px) * math.sin(ang) - (yy - py) * math.cos(ang)
    sig = rng.uniform(0.4, 1.5) * max(1.0, ppmm / 8)
    dark = rng.uniform(0.15, 0.5) * np.exp(-(d / sig) ** 2)
    step = rng.uniform(0.03, 0.12) * (0.5 + 0.5 * np.tanh(d / (rng.uniform(2, 15) * ppmm)))
    light = rng.uniform(0, 0.08) * np.exp(-((d + 2.5 * sig) / sig) ** 2)
    rgb *= (1 - dark - step + light)[..., None]


def edge_shadow(h, w, rng, ppmm) -> np.ndarray:
    """Darkening (multiplier) towards one side: a page lifted off the glass or a book gutter."""
    side = int(rng.integers(4))
    dist = [np.arange(h)[:, None], np.arange(h)[::-1, None], np.arange(w)[None, :], np.arange(w)[None, ::-1]][side]
    length = rng.uniform(3, 25) * ppmm
    return (1 - rng.uniform(0.2, 0.7) * np.exp(-dist.astype(np.float32) / length)) * np.ones((h, w), np.float32)


def illumination(h, w, rng, strength) -> np.ndarray:
    """Uneven light: a tilted plane plus a smooth random field (multiplier, about 1)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a = rng.normal(0, 1, 2)
    plane = (a[0] * (xx / w - 0.5) + a[1] * (yy / h - 0.5))
    field = smooth_field(rng, h, w, max(h, w) / 2.5, 2)
    return 1 + strength * (0.6 * plane + 0.5 * field)


def motion_kernel(rng, length) -> np.ndarray:
    k = np.zeros((length, length), np.float32)
    ang = rng.uniform(0, math.pi)
    c = (length - 1) / 2
    for t in np.linspace(-c, c, 4 * length):
        k[int(round(c + t * math.sin(ang))), int(round(c + t * math.cos(ang)))] = 1
    return k / k.sum()


def halftone(grey, rng) -> np.ndarray:
    """Printed/copied look: an angled dot screen or an ordered (Bayer) dither, then scanner blur."""
    h, w = grey.shape
    if rng.random() < 0.5:
        cell = rng.uniform(3, 6)
        ang = math.radians(rng.choice([15, 45, 75]))
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        u, v = xx * math.cos(ang) + yy * math.sin(ang), -xx * math.sin(ang) + yy * math.cos(ang)
        screen = 0.5 + 0.25 * (np.cos(2 * math.pi * u / cell) + np.cos(2 * math.pi * v / cell))
        blur = cell * 0.3
    else:
        b = np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]], np.float32)
        screen = (np.tile(b, (h // 4 + 1, w // 4 + 1))[:h, :w] + 0.5) / 16
        blur = rng.uniform(0.6, 1.2)
    out = np.where(grey > screen, 0.95, 0.08).astype(np.float32)
    return cv2.GaussianBlur(out, (0, 0), blur)


def jpeg(grey_u8, quality) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", grey_u8, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    return cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE) if ok else grey_u8
