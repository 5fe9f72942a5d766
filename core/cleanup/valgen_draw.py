"""Drawings of the validation generator (valgen.py), built apart from the training generator (synth.py).

Coordinates are millimetres on the sheet; ``Canvas`` turns them into pixels at the page's resolution
(dots per mm = dpi / 25.4), so line weights (the ISO 128 series 0.13–1.0 mm), arrowheads and text heights
keep their real sizes from 150 to 600 dpi. Everything is drawn as binary masks (1 = ink), one per ink
layer: "main" (the drawing) and "notes" (hand annotations, which the scan may give another ink).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

SHIFT = 3  # cv2 sub-pixel coordinates: 1/8 pixel
ONE = 1 << SHIFT
WEIGHTS = (0.13, 0.18, 0.25, 0.35, 0.5, 0.7, 1.0)
HIDDEN, CENTRE, PHANTOM = (3.0, 1.2), (9.0, 1.5, 1.5, 1.5), (12.0, 1.5, 1.5, 1.5, 1.5, 1.5)
FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_PLAIN, cv2.FONT_HERSHEY_DUPLEX,
         cv2.FONT_HERSHEY_COMPLEX_SMALL, cv2.FONT_HERSHEY_TRIPLEX)
SCRIPT = cv2.FONT_HERSHEY_SCRIPT_SIMPLEX
WORDS = ("SHAFT", "FLANGE", "BRACKET", "COVER", "HOUSING", "PLATE", "PIN", "SPACER", "MATERIAL S235JR",
         "GENERAL TOLERANCES ISO 2768-m", "ALL FILLETS R2", "BREAK SHARP EDGES", "SECTION A-A", "DETAIL B",
         "SCALE 2:1", "SCALE 1:5", "DRAWN", "CHECKED", "APPROVED", "DATE", "REV", "SHEET 1 OF 2", "QTY",
         "PART NO.", "DESCRIPTION", "FINISH", "ZINC PLATED", "M8x1.25", "4x DIA 6.6", "THRU", "DIA 12 H7",
         "Ra 1.6", "CHAMFER 1x45", "SEE NOTE 3", "WELD ALL ROUND", "KEYWAY", "TYP.", "NTS", "A3")


class Canvas:
    """Binary ink layers of h×w pixels at ``ppmm`` pixels per millimetre, drawn with a random pen style."""

    def __init__(self, h: int, w: int, ppmm: float, rng: np.random.Generator):
        self.h, self.w, self.s, self.rng = h, w, float(ppmm), rng
        self.layers = {"main": np.zeros((h, w), np.uint8), "notes": np.zeros((h, w), np.uint8)}
        self.wmm, self.hmm = w / self.s, h / self.s
        # one thick weight (outlines) and a thinner one (the rest); 0.35 and 0.5 mm outlines are the usual
        i = int(rng.choice([2, 3, 4, 5, 6], p=[0.25, 0.3, 0.25, 0.15, 0.05]))
        self.thick, self.thin = WEIGHTS[i], WEIGHTS[max(0, i - int(rng.integers(1, 3)))]
        self.font = FONTS[int(rng.integers(len(FONTS)))]
        self.text_h = float(rng.choice([2.5, 3.5, 3.5, 5.0]))
        self.arrow = str(rng.choice(["filled", "filled", "open", "tick", "dot"]))

    # --- primitives -------------------------------------------------------------------------------
    def t(self, wmm: float) -> int:
        return max(1, int(round(wmm * self.s)))

    def p(self, xy) -> tuple[int, int]:
        return int(round(xy[0] * self.s * ONE)), int(round(xy[1] * self.s * ONE))

    def _arr(self, pts) -> np.ndarray:
        return np.round(np.asarray(pts, float) * self.s * ONE).astype(np.int32).reshape(-1, 1, 2)

    def line(self, a, b, wmm, layer="main"):
        cv2.line(self.layers[layer], self.p(a), self.p(b), 1, self.t(wmm), cv2.LINE_8, SHIFT)

    def poly(self, pts, wmm, closed=False, layer="main", pattern=None):
        pts = np.asarray(pts, float)
        if pattern is not None:
            if closed:
                pts = np.vstack([pts, pts[:1]])
            for part in self._dashes(pts, pattern):
                self.poly(part, wmm, layer=layer)
            return
        cv2.polylines(self.layers[layer], [self._arr(pts)], closed, 1, self.t(wmm), cv2.LINE_8, SHIFT)

    def fill(self, pts, layer="main", value=1):
        cv2.fillPoly(self.layers[layer], [self._arr(pts)], value, cv2.LINE_8, SHIFT)

    def _dashes(self, pts, pattern):
        """Pieces of the polyline ``pts`` that are 'on' in the repeating dash ``pattern`` (mm, on/off/...)."""
        seg = np.hypot(*np.diff(pts, axis=0).T)
        cum = np.r_[0.0, np.cumsum(seg)]
        total, period = cum[-1], float(sum(pattern))
        scale = max(0.6, self.thin / 0.25) ** 0.5  # heavier pens draw longer dashes
        pos, i = -self.rng.uniform(0, period) * scale, 0
        out = []
        while pos < total:
            length = pattern[i % len(pattern)] * scale
            a, b = max(pos, 0.0), min(pos + length, total)
            if i % 2 == 0 and b > a:
                inner = pts[1:-1][(cum[1:-1] > a) & (cum[1:-1] < b)]
                ends = [[np.interp(v, cum, pts[:, 0]), np.interp(v, cum, pts[:, 1])] for v in (a, b)]
                out.append(np.vstack([ends[:1], inner, ends[1:]]))
            pos, i = pos + length, i + 1
        return out

    def ellipse_pts(self, c, rx, ry, angle=0.0, a0=0.0, a1=360.0, n=None):
        n = n or max(24, int(abs(a1 - a0) / 360 * 2 * math.pi * max(rx, ry) * self.s / 3))
        t = np.radians(np.linspace(a0, a1, n))
        ca, sa = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        x, y = rx * np.cos(t), ry * np.sin(t)
        return np.c_[c[0] + ca * x - sa * y, c[1] + sa * x + ca * y]

    def circle(self, c, r, wmm, pattern=None, layer="main"):
        if pattern is None:
            cv2.circle(self.layers[layer], self.p(c), int(round(r * self.s * ONE)), 1, self.t(wmm), cv2.LINE_8, SHIFT)
        else:
            self.poly(self.ellipse_pts(c, r, r), wmm, pattern=pattern, layer=layer)

    def text(self, s: str, xy, hmm=None, wmm=None, rot=0, layer="main", font=None, anchor="c", slant=0.0):
        """Hershey text ``hmm`` mm high (capitals), centred (anchor 'c') or left-aligned ('l') at xy."""
        font = self.font if font is None else font
        hp = (hmm or self.text_h) * self.s
        (_, h1), _ = cv2.getTextSize("H", font, 1.0, 1)
        scale = hp / max(h1, 1)
        th = max(1, int(round((wmm or max(0.18, (hmm or self.text_h) / 10)) * self.s)))
        (tw, tht), bl = cv2.getTextSize(s, font, scale, th)
        pad = th + 2
        patch = np.zeros((tht + bl + 2 * pad, tw + 2 * pad + int(abs(slant) * tht)), np.uint8)
        cv2.putText(patch, s, (pad + int(max(slant, 0) * tht), tht + pad), font, scale, 1, th, cv2.LINE_8)
        if slant:
            m = np.float32([[1, -slant, slant * (tht + pad)], [0, 1, 0]])
            patch = cv2.warpAffine(patch, m, patch.shape[::-1], flags=cv2.INTER_NEAREST)
        patch = np.rot90(patch, rot)
        x, y = xy[0] * self.s, xy[1] * self.s
        y0 = int(round(y - patch.shape[0] / 2))
        x0 = int(round(x - patch.shape[1] / 2)) if anchor == "c" else int(round(x))
        self.paste(patch, y0, x0, layer)
        return tw / self.s

    def paste(self, patch, y0, x0, layer="main"):
        img = self.layers[layer]
        ys, xs = max(0, y0), max(0, x0)
        ye, xe = min(img.shape[0], y0 + patch.shape[0]), min(img.shape[1], x0 + patch.shape[1])
        if ye > ys and xe > xs:
            img[ys:ye, xs:xe] |= patch[ys - y0:ye - y0, xs - x0:xe - x0]

    def arrowhead(self, tip, direction, wmm=None):
        d = np.asarray(direction, float)
        d = d / (np.hypot(*d) or 1.0)
        n, tip = np.array([-d[1], d[0]]), np.asarray(tip, float)
        L = 1.0 + 2.0 * self.text_h / 3.5
        if self.arrow == "dot":
            cv2.circle(self.layers["main"], self.p(tip), int(round(0.45 * L * self.s * ONE)), 1, -1, cv2.LINE_8, SHIFT)
        elif self.arrow == "tick":
            self.line(tip - 0.5 * L * (d + n) / 1.4, tip + 0.5 * L * (d + n) / 1.4, self.thick)
        else:
            tri = [tip, tip - L * d + L / 6 * n, tip - L * d - L / 6 * n]
            if self.arrow == "filled":
                self.fill(tri)
            self.poly(tri, wmm or self.thin, closed=True)

    # --- drawing elements -------------------------------------------------------------------------
    def dimension(self, a, b, off, label=None, chain=False):
        """Linear dimension of a→b, its line ``off`` mm to the left of a→b, with extension lines and text."""
        a, b = np.asarray(a, float), np.asarray(b, float)
        d = b - a
        length = float(np.hypot(*d))
        if length < 1e-6:
            return
        u = d / length
        n = np.array([u[1], -u[0]]) * (1 if off >= 0 else -1)
        o = abs(off)
        for q in (a, b):
            self.line(q + 1.0 * n, q + (o + 2.0) * n, self.thin)
        da, db = a + o * n, b + o * n
        self.line(da, db, self.thin)
        self.arrowhead(da, -u)
        self.arrowhead(db, u)
        label = label or _number(self.rng, length)
        rot = 0 if abs(u[0]) >= abs(u[1]) else 1
        self.text(label, (da + db) / 2 + (0.9 * self.text_h) * n, rot=rot)

    def leader(self, tip, label):
        tip = np.asarray(tip, float)
        ang = self.rng.uniform(0, 2 * math.pi)
        knee = tip + self.rng.uniform(6, 15) * np.array([math.cos(ang), math.sin(ang)])
        side = 1 if knee[0] >= tip[0] else -1
        end = knee + np.array([side * 4.0, 0])
        self.poly([tip, knee, end], self.thin)
        self.arrowhead(tip, tip - knee)
        w = len(label) * self.text_h * 0.8
        self.text(label, (end[0] + side * 1.0 + (0 if side > 0 else -w), end[1]), anchor="l")

    def hatch(self, polygon, spacing=None, angle=None):
        """Section hatching: parallel thin lines clipped to a polygon (drawn through a temporary mask)."""
        spacing = spacing or self.rng.uniform(1.5, 4.0)
        angle = math.radians(angle if angle is not None else float(self.rng.choice([45, 135, 30, 60])))
        poly = np.asarray(polygon, float)
        c, r = poly.mean(0), float(np.max(np.hypot(*(poly - poly.mean(0)).T))) + 1
        u, n = np.array([math.cos(angle), math.sin(angle)]), np.array([-math.sin(angle), math.cos(angle)])
        tmp = Canvas.__new__(Canvas)
        tmp.__dict__.update(self.__dict__)
        tmp.layers = {"main": np.zeros_like(self.layers["main"])}
        for k in np.arange(-r, r, spacing):
            tmp.line(c + k * n - r * u, c + k * n + r * u, self.thin)
        clip = np.zeros_like(tmp.layers["main"])
        cv2.fillPoly(clip, [self._arr(poly)], 1, cv2.LINE_8, SHIFT)
        self.layers["main"] |= tmp.layers["main"] & clip

    def scribble(self, x, y, length, hmm, wmm, layer="notes"):
        """Handwriting-like words: smooth cursive loops of random heights, slant and jitter."""
        rng, pos = self.rng, x
        slant = rng.uniform(-0.1, 0.45)
        while pos < x + length:
            n = int(rng.integers(2, 8))
            lw = hmm * rng.uniform(0.45, 0.75) * np.repeat(rng.uniform(0.7, 1.3, n), 28)
            t = np.linspace(0, n, n * 28)
            amp = np.repeat(rng.choice([1.0, 1.0, 0.8, 1.8, -0.9], n), 28)
            amp = np.convolve(amp, np.ones(9) / 9, mode="same")
            # per letter a loop (e, l), a hump (n, m) or a cusp (i, u): different x back-swing
            swing = np.convolve(np.repeat(rng.choice([0.35, 0.0, -0.2], n), 28), np.ones(9) / 9, mode="same")
            xs = pos + np.cumsum(lw) / 28 - swing * lw * np.sin(2 * math.pi * t)
            ys = -hmm * 0.5 * (1 - np.cos(2 * math.pi * t)) * amp
            jitter = np.convolve(rng.normal(0, hmm * 0.12, t.size), np.ones(15) / 15, mode="same")
            ys = ys + jitter
            xs = xs - ys * slant
            self.poly(np.c_[xs, y + ys], wmm, layer=layer)
            pos = xs.max() + rng.uniform(0.8, 1.6) * hmm

    def smooth_loop(self, c, r, wmm, layer="notes"):
        """A hand-drawn ring (circling a feature): radius wobbling smoothly, ends overlapping."""
        t = np.linspace(0, 2 * math.pi * self.rng.uniform(1.05, 1.25), 160)
        k = np.arange(1, 4)
        wob = (self.rng.normal(0, 0.06, 3)[:, None] * np.cos(k[:, None] * t + self.rng.uniform(0, 6, 3)[:, None])).sum(0)
        rr = r * (1 + wob)
        self.poly(np.c_[c[0] + rr * np.cos(t) * 1.2, c[1] + rr * np.sin(t)], wmm, layer=layer)


def _number(rng, v=None) -> str:
    v = float(v) if v is not None else rng.uniform(2, 200)
    s = f"{v:.0f}" if rng.random() < 0.6 else f"{v:.1f}"
    r = rng.random()
    if r < 0.12:
        s += " +/-0.1"
    elif r < 0.2:
        s = "DIA " + s
    elif r < 0.26:
        s = f"({s})"
    return s


# --- features: each draws one element of a drawing around (x, y) with overall size ``size`` mm ----------
def shaft(c: Canvas, x, y, size):
    rng = c.rng
    n = int(rng.integers(2, 6))
    lens = rng.uniform(0.5, 1.5, n)
    lens = lens / lens.sum() * size
    dias = rng.uniform(0.15, 0.45, n) * size
    xs = x - size / 2 + np.r_[0, np.cumsum(lens)]
    top = [(xs[0], y)]
    for i in range(n):
        top += [(xs[i], y - dias[i] / 2), (xs[i + 1], y - dias[i] / 2)]
    top += [(xs[-1], y)]
    top = np.asarray(top)
    bot = top[::-1] * [1, -1] + [0, 2 * y]
    outline = np.vstack([top, bot])
    c.poly(outline, c.thick, closed=True)
    for i in range(1, n):  # shoulder edges seen in the view
        h = min(dias[i - 1], dias[i]) / 2
        c.line((xs[i], y - h), (xs[i], y + h), c.thick)
    c.poly([(xs[0] - 4, y), (xs[-1] + 4, y)], c.thin, pattern=CENTRE)
    bore = rng.uniform(0.2, 0.6) * dias.min()
    if rng.random() < 0.6:
        if rng.random() < 0.5:  # half section: upper half cut, hatched
            for i in range(n):
                c.hatch([(xs[i], y - dias[i] / 2), (xs[i + 1], y - dias[i] / 2), (xs[i + 1], y - bore / 2),
                         (xs[i], y - bore / 2)], angle=45)
            c.line((xs[0], y - bore / 2), (xs[-1], y - bore / 2), c.thick)
        else:
            for s in (-1, 1):
                c.poly([(xs[0], y + s * bore / 2), (xs[-1], y + s * bore / 2)], c.thin, pattern=HIDDEN)
    base = y + dias.max() / 2
    off = rng.uniform(6, 10)
    for i in range(n):  # a dimension chain under the shaft
        c.dimension((xs[i + 1], base), (xs[i], base), off)
    if rng.random() < 0.7:
        c.dimension((xs[-1], base), (xs[0], base), off + 2.2 * c.text_h + 4)
    i = int(rng.integers(n))
    c.dimension((xs[i] + lens[i] / 2, y - dias[i] / 2), (xs[i] + lens[i] / 2, y + dias[i] / 2), 0.1,
                label="DIA " + _number(rng, dias[i]).replace("DIA ", ""))


def plate(c: Canvas, x, y, size):
    rng = c.rng
    w, h = size, size * rng.uniform(0.4, 1.0)
    r = min(w, h) * rng.uniform(0.0, 0.2)
    x0, y0, x1, y1 = x - w / 2, y - h / 2, x + w / 2, y + h / 2
    if r > 0.5:
        pts = np.vstack([c.ellipse_pts((x1 - r, y0 + r), r, r, 0, 270, 360),
                         c.ellipse_pts((x1 - r, y1 - r), r, r, 0, 0, 90),
                         c.ellipse_pts((x0 + r, y1 - r), r, r, 0, 90, 180),
                         c.ellipse_pts((x0 + r, y0 + r), r, r, 0, 180, 270)])
    else:
        pts = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    c.poly(pts, c.thick, closed=True)
    hole = min(w, h) * rng.uniform(0.05, 0.12)
    m = max(r, hole * 1.8)
    for hx, hy in [(x0 + m, y0 + m), (x1 - m, y0 + m), (x1 - m, y1 - m), (x0 + m, y1 - m)]:
        c.circle((hx, hy), hole, c.thick)
        for d in ((1, 0), (0, 1)):
            e = np.array(d) * (hole + 2.5)
            c.poly([(hx, hy) - e, (hx, hy) + e], c.thin, pattern=CENTRE)
    if rng.random() < 0.5:  # a slot
        sl, sw = w * rng.uniform(0.2, 0.4), h * rng.uniform(0.1, 0.2)
        slot = np.vstack([c.ellipse_pts((x - sl / 2, y), sw / 2, sw / 2, 0, 90, 270),
                          c.ellipse_pts((x + sl / 2, y), sw / 2, sw / 2, 0, -90, 90)])
        c.poly(slot, c.thick, closed=True)
    elif rng.random() < 0.5:
        c.circle((x, y), min(w, h) * 0.2, c.thin, pattern=HIDDEN)
    c.dimension((x0, y1), (x1, y1), -rng.uniform(7, 12))
    c.dimension((x0, y0), (x0, y1), -rng.uniform(7, 12))
    if rng.random() < 0.7:
        c.leader((x1 - m - hole * 0.7, y0 + m - hole * 0.7), f"4x DIA {2 * hole:.1f}")


def flange(c: Canvas, x, y, size):
    rng = c.rng
    ro = size / 2
    c.circle((x, y), ro, c.thick)
    ri = ro * rng.uniform(0.25, 0.5)
    c.circle((x, y), ri, c.thick)
    if rng.random() < 0.5:
        c.circle((x, y), ri * rng.uniform(1.1, 1.3), c.thin, pattern=HIDDEN)
    pcd = (ro + ri) / 2
    c.circle((x, y), pcd, c.thin, pattern=CENTRE)
    nh = int(rng.choice([3, 4, 6, 8, 12]))
    hr = min((ro - ri) * 0.22, math.pi * pcd / nh * 0.3)
    a0 = rng.uniform(0, 360)
    for k in range(nh):
        a = math.radians(a0 + 360 * k / nh)
        hc = (x + pcd * math.cos(a), y + pcd * math.sin(a))
        c.circle(hc, hr, c.thick)
        u = np.array([math.cos(a), math.sin(a)])
        c.line(np.array(hc) - u * (hr + 1.5), np.array(hc) + u * (hr + 1.5), c.thin)
    for d in ((1, 0), (0, 1)):
        e = np.array(d) * (ro + 4)
        c.poly([(x, y) - e, (x, y) + e], c.thin, pattern=CENTRE)
    c.leader((x + pcd * math.cos(math.radians(a0)) + hr * 0.7, y + pcd * math.sin(math.radians(a0)) - hr * 0.7),
             f"{nh}x DIA {2 * hr:.1f} EQ SP")
    c.dimension((x - ro, y + ro), (x + ro, y + ro), -rng.uniform(6, 10), label="DIA " + _number(rng, 2 * ro))


def cylinder(c: Canvas, x, y, size):
    """An isometric-looking cylinder (ellipses and tangent lines), the far half of the base hidden."""
    rng = c.rng
    rx, ry, hgt = size * 0.35, size * 0.35 * rng.uniform(0.3, 0.6), size * rng.uniform(0.4, 0.9)
    c.poly(c.ellipse_pts((x, y - hgt / 2), rx, ry), c.thick, closed=True)
    c.poly(c.ellipse_pts((x, y + hgt / 2), rx, ry, 0, 0, 180), c.thick)
    c.poly(c.ellipse_pts((x, y + hgt / 2), rx, ry, 0, 180, 360), c.thin, pattern=HIDDEN)
    for s in (-1, 1):
        c.line((x + s * rx, y - hgt / 2), (x + s * rx, y + hgt / 2), c.thick)
    if rng.random() < 0.6:
        c.poly(c.ellipse_pts((x, y - hgt / 2), rx * 0.4, ry * 0.4), c.thick, closed=True)
    c.poly([(x, y - hgt / 2 - ry - 3), (x, y + hgt / 2 + ry + 3)], c.thin, pattern=CENTRE)


def section(c: Canvas, x, y, size):
    """A random profile (polygon with an arc edge), hatched as a cut face, with a radius callout."""
    rng = c.rng
    k = int(rng.integers(4, 8))
    ang = np.sort(rng.uniform(0, 2 * math.pi, k))
    rad = size / 2 * rng.uniform(0.5, 1.0, k)
    pts = np.c_[x + rad * np.cos(ang), y + rad * np.sin(ang)]
    pts = np.round(pts / 2) * 2  # drawings favour round coordinates: many edges come out axis-parallel
    c.hatch(pts)
    c.poly(pts, c.thick, closed=True)
    if rng.random() < 0.7:
        rr = size * 0.12
        c.circle((x, y), rr, c.thick)
        c.leader((x + rr * 0.7, y - rr * 0.7), f"R{rr:.0f}")


def curve(c: Canvas, x, y, size):
    """A smooth spline-like profile curve (a cam or a styled edge) with a phantom copy."""
    rng = c.rng
    t = np.linspace(0, 1, 200)
    ys = sum(rng.normal(0, size * 0.12) * np.sin(math.pi * (k + 1) * t + rng.uniform(0, 6)) for k in range(3))
    pts = np.c_[x - size / 2 + size * t, y + ys]
    c.poly(pts, c.thick)
    if rng.random() < 0.5:
        c.poly(pts + [0, rng.uniform(3, 8)], c.thin, pattern=PHANTOM)
    if rng.random() < 0.5:
        c.poly(c.ellipse_pts((x, y), size * 0.3, size * rng.uniform(0.1, 0.3), rng.uniform(0, 180)), c.thin,
               closed=True)


def table(c: Canvas, x, y, size):
    rng = c.rng
    rows, cols = int(rng.integers(3, 8)), int(rng.integers(2, 5))
    rh = c.text_h * rng.uniform(1.8, 2.6)
    cw = rng.uniform(0.6, 1.4, cols)
    cw = cw / cw.sum() * size
    x0, y0 = x - size / 2, y - rows * rh / 2
    xs, ys = x0 + np.r_[0, np.cumsum(cw)], y0 + rh * np.arange(rows + 1)
    for i, yy in enumerate(ys):
        c.line((xs[0], yy), (xs[-1], yy), c.thick if i in (0, 1, rows) else c.thin)
    for j, xx in enumerate(xs):
        c.line((xx, ys[0]), (xx, ys[-1]), c.thick if j in (0, cols) else c.thin)
    for i in range(rows):
        for j in range(cols):
            if rng.random() < 0.8:
                s = str(rng.choice(WORDS)) if (j > 0 or i == 0) and rng.random() < 0.5 else f"{rng.integers(1, 40)}"
                c.text(s[: max(2, int(cw[j] / (0.8 * c.text_h)))], (xs[j] + 1.0, ys[i] + rh / 2), anchor="l")


def notes(c: Canvas, x, y, size):
    """Hand annotations: a few lines of cursive scribble, sometimes a ring around something."""
    rng = c.rng
    hmm = rng.uniform(2.5, 7.0)
    wmm = float(rng.choice([0.25, 0.35, 0.5, 0.7]))
    for i in range(int(rng.integers(1, 4))):
        c.scribble(x - size / 2, y + i * hmm * 2.2, size * rng.uniform(0.5, 1.0), hmm, wmm)
    if rng.random() < 0.4:
        c.smooth_loop((x + rng.uniform(-size, size) / 2, y - hmm * 3), size * rng.uniform(0.1, 0.3), wmm)
    if rng.random() < 0.3:  # a handwritten arrow
        a = np.array([x - size / 2, y - hmm * 1.5])
        b = a + rng.uniform(-1, 1, 2) * size * 0.4
        c.poly([a, (a + b) / 2 + rng.normal(0, 2, 2), b], wmm, layer="notes")


def text_block(c: Canvas, x, y, size):
    rng = c.rng
    c.text("NOTES:", (x - size / 2, y), anchor="l")
    for i in range(int(rng.integers(1, 5))):
        words = " ".join(rng.choice(WORDS, int(rng.integers(1, 4))))
        c.text(f"{i + 1}. {words}", (x - size / 2, y + (i + 1) * c.text_h * 1.8), anchor="l",
               hmm=c.text_h * rng.uniform(0.7, 1.0))


def frame(c: Canvas, rng):
    """Border frame with zone marks and a title block, at a sheet corner that falls in the view."""
    m = rng.uniform(5, 12)
    right, bottom = c.wmm - m * rng.uniform(0.5, 1.5), c.hmm - m * rng.uniform(0.5, 1.5)
    left, top = -1e3, -1e3
    c.line((left, bottom), (right, bottom), c.thick * 1.4)
    c.line((right, top), (right, bottom), c.thick * 1.4)
    zone = rng.choice([30.0, 50.0])
    for k in range(1, 12):  # zone ticks in the margin
        zx, zy = right - k * zone, bottom - k * zone
        c.line((zx, bottom), (zx, bottom + m * 0.6), c.thin)
        c.line((right, zy), (right + m * 0.6, zy), c.thin)
        c.text(str(k), (zx + zone / 2, bottom + m * 0.4), hmm=min(3.5, m * 0.4))
        c.text("ABCDEFGHIJKL"[k - 1], (right + m * 0.4, zy + zone / 2), hmm=min(3.5, m * 0.4))
    tw, th = rng.uniform(70, 180), rng.uniform(20, 45)
    x0, y0 = right - tw, bottom - th
    c.poly([(x0, bottom), (x0, y0), (right, y0)], c.thick)
    nr = int(rng.integers(2, 5))
    for i in range(1, nr):
        yy = y0 + th * i / nr
        c.line((x0, yy), (right, yy), c.thin)
    xs = np.sort(rng.uniform(x0 + 10, right - 10, int(rng.integers(1, 4))))
    for xx in xs:
        c.line((xx, y0), (xx, bottom), c.thin)
    edges = np.r_[x0, xs, right]
    for i in range(nr):
        for j in range(len(edges) - 1):
            if rng.random() < 0.75:
                s = str(rng.choice(WORDS))
                c.text(s[: max(2, int((edges[j + 1] - edges[j]) / (0.75 * c.text_h)))],
                       (edges[j] + 1.0, y0 + th * (i + 0.5) / nr), anchor="l",
                       hmm=min(c.text_h * (1.4 if i == nr - 1 else 1.0), th / nr * 0.6))


FEATURES = ((shaft, 3), (plate, 3), (flange, 2), (cylinder, 1), (section, 2), (curve, 1), (table, 1),
            (notes, 2), (text_block, 1))


def draw_sheet(h: int, w: int, ppmm: float, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Ink masks {'main', 'notes'} (uint8, 1 = ink) of a random drawing seen through an h×w window."""
    c = Canvas(h, w, ppmm, rng)
    field = min(c.wmm, c.hmm)
    funcs, weights = zip(*FEATURES)
    p = np.array(weights, float) / sum(weights)
    if rng.random() < 0.35:
        frame(c, rng)
    n = int(np.clip(rng.poisson(1.5 + c.wmm * c.hmm / 2500), 1, 10))
    boxes: list[tuple[float, float, float]] = []
    for k in range(n + 3):
        if k >= n and ink_share(c) > 0.01:  # up to three more features on a page that came out nearly empty
            break
        f = funcs[int(rng.choice(len(funcs), p=p))]
        size = float(np.clip(field * rng.uniform(0.3, 0.9), 8, 150))
        for _ in range(12):  # features of a drawing sit side by side; accept some overlap, not a pile
            x, y = rng.uniform(0.1, 0.9) * c.wmm, rng.uniform(0.1, 0.9) * c.hmm
            if all(max(abs(x - bx), abs(y - by)) > 0.4 * (size + bs) for bx, by, bs in boxes):
                break
        boxes.append((x, y, size))
        f(c, x, y, size)
    return c.layers


def ink_share(c: Canvas) -> float:
    return float(np.mean(c.layers["main"] | c.layers["notes"]))
