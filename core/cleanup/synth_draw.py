"""The clean drawings of core.cleanup.synth: a sub-pixel canvas, the drawing elements and ``render``.

Solid, dashed and dash-dot lines, arcs and circles with centre marks, rectangles, hatched regions,
dimension lines with arrows and numbers, and Hershey-font text; core.cleanup.drawing_extras adds the
rest. Deterministic in the seed given to ``render``.
"""

from __future__ import annotations

import string

import cv2
import numpy as np

from .drawing_extras import ELEMENTS as _EXTRA_ELEMENTS

SHIFT = 4            # cv2 fixed-point bits for sub-pixel drawing
_ONE = 1 << SHIFT
FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_PLAIN, cv2.FONT_HERSHEY_DUPLEX,
         cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_COMPLEX_SMALL)


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

    def star_polygon(self, corners: tuple[int, int], radii: tuple[float, float]) -> np.ndarray:
        """(n, 2) corners around a random centre, n in [corners) at sorted angles, radii × unit."""
        rng = self.rng
        ctr = self.random_point(0.0)
        n = int(rng.integers(*corners))
        ang = np.sort(rng.uniform(0, 2 * np.pi, n))
        rad = rng.uniform(*radii, n) * self.unit
        return np.stack([ctr[0] + rad * np.cos(ang), ctr[1] + rad * np.sin(ang)], 1)


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
    pts = c.star_polygon((3, 7), (0.08, 0.35))
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
