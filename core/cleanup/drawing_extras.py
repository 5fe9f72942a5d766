"""More drawing elements for the synthetic world of core.cleanup.synth.

Each function draws onto a ``synth._Canvas`` (ink coverage, uint8 0-255) with the canvas's own random
stream. They widen what the U-Net sees beyond straight CAD lines: free curves, handwriting-like
strokes and notes, printed text blocks, tables, sheet frames with a title block, ellipses, bold
outlines and hairlines, so that it keeps real scans' strokes that are not in a CAD vocabulary
(the shipped model dropped faint and curved strokes on real document scans).
"""

from __future__ import annotations

import string

import cv2
import numpy as np

SHIFT = 4
_ONE = 1 << SHIFT
_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_PLAIN, cv2.FONT_HERSHEY_DUPLEX,
          cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
          cv2.FONT_HERSHEY_SCRIPT_COMPLEX, cv2.FONT_ITALIC | cv2.FONT_HERSHEY_SIMPLEX)
_WORD = string.ascii_lowercase * 4 + string.ascii_uppercase + string.digits


def _poly(c, pts: np.ndarray, t: int, closed: bool = False) -> None:
    ipts = np.round(np.asarray(pts) * _ONE).astype(np.int32)[None]
    cv2.polylines(c.img, ipts, closed, 255, max(1, int(t)), cv2.LINE_AA, SHIFT)


def _catmull_rom(p: np.ndarray, samples: int = 8) -> np.ndarray:
    """A smooth curve through the points ``p`` (N, 2), ``samples`` points per segment."""
    if len(p) < 3:
        return p
    q = np.vstack([p[:1], p, p[-1:]])
    t = np.linspace(0, 1, samples, endpoint=False)[:, None]
    out = []
    for i in range(1, len(q) - 2):
        p0, p1, p2, p3 = q[i - 1], q[i], q[i + 1], q[i + 2]
        out.append(0.5 * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t ** 2
                          + (-p0 + 3 * p1 - 3 * p2 + p3) * t ** 3))
    out.append(q[-2:-1])
    return np.vstack(out)


def draw_curve(c) -> None:
    """A free cubic curve (spline through a few random points): contours, french-curve lines."""
    rng = c.rng
    n = int(rng.integers(3, 7))
    start = c.random_point()
    steps = rng.normal(0, 0.35 * c.unit, (n, 2))
    pts = start + np.cumsum(steps, 0)
    _poly(c, _catmull_rom(pts, 16), c.width())


def draw_ellipse(c) -> None:
    """An ellipse or elliptic arc (a circle seen at an angle in an isometric view)."""
    rng = c.rng
    ctr = c.random_point(0.0)
    a = rng.uniform(8, 0.5 * c.unit)
    b = a * rng.uniform(0.25, 0.9)
    ang = rng.choice([0.0, 30.0, 60.0, 90.0, 120.0, 150.0, rng.uniform(0, 180)])
    start = 0.0 if rng.random() < 0.6 else rng.uniform(0, 360)
    span = 360.0 if start == 0.0 else rng.uniform(60, 300)
    cv2.ellipse(c.img, c._p(ctr), (int(a * _ONE), int(b * _ONE)), float(ang), start, start + span, 255,
                c.width(), cv2.LINE_AA, SHIFT)


def _handwritten_word(c, org: np.ndarray, height: float, t: int) -> float:
    """One cursive-looking word of loops and strokes from ``org`` (baseline left); returns its width."""
    rng = c.rng
    letters = int(rng.integers(2, 9))
    x = 0.0
    pts = []
    slant = rng.uniform(-0.3, 0.4)
    for _ in range(letters):
        w = height * rng.uniform(0.35, 0.8)
        kind = rng.random()
        top = -height * (rng.uniform(0.45, 0.6) if kind < 0.7 else rng.uniform(0.9, 1.2))  # ascender
        bottom = 0.0 if rng.random() > 0.15 else height * rng.uniform(0.3, 0.5)           # descender
        pts += [(x, bottom * 0.2), (x + 0.3 * w, top), (x + 0.55 * w, bottom), (x + w, top * 0.4)]
        x += w
    p = np.array(pts, float)
    p[:, 0] += -p[:, 1] * slant
    p += rng.normal(0, height * 0.04, p.shape)
    _poly(c, _catmull_rom(org + p, 6), t)
    return x


def draw_handwriting(c) -> None:
    """A handwritten note: one to four lines of cursive-looking words (pen or pencil width)."""
    rng = c.rng
    height = rng.uniform(12, 45) * c.zoom
    t = max(1, int(round(height * rng.uniform(0.05, 0.14))))
    org = c.random_point(0.0)
    for _ in range(int(rng.integers(1, 5))):
        x = org[0]
        for _ in range(int(rng.integers(1, 6))):
            x += _handwritten_word(c, np.array([x, org[1]]), height, t) + height * rng.uniform(0.4, 0.9)
            if x > c.w + height:
                break
        org = org + np.array([rng.normal(0, height * 0.2), height * rng.uniform(1.5, 2.2)])


def _put_text(c, text: str, org, height: float, font: int, thick: int) -> None:
    base_h = cv2.getTextSize("0", font, 1.0, 1)[0][1]
    scale = max(height / max(base_h, 1), 0.2)
    cv2.putText(c.img, text, (int(org[0]), int(org[1])), font, scale, 255, max(1, thick), cv2.LINE_AA)


def _words(rng, n: int) -> str:
    return " ".join("".join(rng.choice(list(_WORD), int(rng.integers(1, 9)))) for _ in range(n))


def draw_text_block(c) -> None:
    """A block of printed text lines (notes, specifications, a document page): small glyphs, tight lines."""
    rng = c.rng
    font = int(rng.choice(_FONTS))
    height = rng.uniform(6, 22) * c.zoom
    thick = max(1, int(round(height * rng.uniform(0.06, 0.16))))
    org = c.random_point(0.0)
    gap = height * rng.uniform(1.4, 2.2)
    for i in range(int(rng.integers(2, 12))):
        _put_text(c, _words(rng, int(rng.integers(2, 10))), org + np.array([0, i * gap]), height, font, thick)


def draw_table(c) -> None:
    """A table (parts list, revision block): ruled cells with short entries."""
    rng = c.rng
    rows, cols = int(rng.integers(2, 8)), int(rng.integers(2, 6))
    rh = rng.uniform(14, 40) * c.zoom
    cws = rng.uniform(30, 120, cols) * c.zoom
    o = c.random_point(0.05)
    t = c.width()
    xs = o[0] + np.concatenate([[0], np.cumsum(cws)])
    ys = o[1] + np.arange(rows + 1) * rh
    for y in ys:
        c.line((xs[0], y), (xs[-1], y), t)
    for x in xs:
        c.line((x, ys[0]), (x, ys[-1]), t)
    font = int(rng.choice(_FONTS[:5]))
    for r in range(rows):
        for k in range(cols):
            if rng.random() < 0.75:
                _put_text(c, _words(rng, 1)[: int(cws[k] / (rh * 0.5)) + 1], (xs[k] + rh * 0.2, ys[r] + rh * 0.75),
                          rh * 0.5, font, max(1, int(rh * 0.06)))


def draw_frame(c) -> None:
    """The sheet's border frame (a thick and a thin rectangle near the edges) with zone marks, and
    sometimes a title block in a corner: long straight ink along the image's edges."""
    rng = c.rng
    m = rng.uniform(0.0, 0.12) * min(c.h, c.w)
    t = c.width() + int(rng.integers(0, 3))
    a, b = np.array([m, m]), np.array([c.w - 1 - m, c.h - 1 - m])
    cv2.rectangle(c.img, c._p(a), c._p(b), 255, t, cv2.LINE_AA, SHIFT)
    if rng.random() < 0.5:
        g = rng.uniform(4, 12) * c.zoom
        cv2.rectangle(c.img, c._p(a - g), c._p(b + g), 255, max(1, t // 2), cv2.LINE_AA, SHIFT)
    if rng.random() < 0.5:  # title block in the lower-right corner
        size = np.array([rng.uniform(0.3, 0.7) * c.w, rng.uniform(0.15, 0.35) * c.h])
        tl = b - size
        cv2.rectangle(c.img, c._p(tl), c._p(b), 255, t, cv2.LINE_AA, SHIFT)
        for y in np.linspace(tl[1], b[1], int(rng.integers(2, 5)))[1:-1]:
            c.line((tl[0], y), (b[0], y), max(1, t - 1))
        for x in np.linspace(tl[0], b[0], int(rng.integers(2, 4)))[1:-1]:
            c.line((x, tl[1]), (x, b[1]), max(1, t - 1))
        _put_text(c, _words(rng, 2).upper(), tl + size * np.array([0.05, 0.45]), size[1] * 0.18,
                  int(rng.choice(_FONTS[:5])), max(1, t - 1))


def draw_bold_outline(c) -> None:
    """A bold visible outline (a part's contour drawn with a 0.7-1 mm pen): a thick polygon."""
    rng = c.rng
    pts = c.star_polygon((4, 9), (0.15, 0.5))
    if rng.random() < 0.6:  # snap to axis-parallel edges, as machined parts are
        pts = np.round(pts / (0.05 * c.unit)) * (0.05 * c.unit)
    _poly(c, pts, max(3, int(round(rng.uniform(4, 12) * min(c.zoom, 1.5)))), closed=True)


ELEMENTS = [(draw_curve, 1.0), (draw_ellipse, 0.6), (draw_handwriting, 0.9), (draw_text_block, 0.8),
            (draw_table, 0.3), (draw_frame, 0.15), (draw_bold_outline, 0.4)]
