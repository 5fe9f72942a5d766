"""Reading scans (PNG, TIFF incl. multi-page, JPEG, BMP) as grey pages and writing cleaned pages.

Cleaned pages are written black ink (0) on white paper (255): 1-bit PNG, or uint8 TIFF (zlib,
one page per input page). Writes are atomic (core.io.atomic_path), so an output that exists is
complete: a rerun of a batch keeps it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from ..errors import InputError
from ..io import IMAGE_SUFFIXES, atomic_path

TIFF_SUFFIXES = (".tif", ".tiff")
SCAN_SUFFIXES = IMAGE_SUFFIXES  # .png .tif .tiff .jpg .jpeg .bmp


def to_grey_u8(a: np.ndarray, *, min_is_white: bool = False, bgr: bool = False) -> np.ndarray:
    """Any 2D image array → 2D uint8 grey (0 = black).

    bool/1-bit: True = white (unless ``min_is_white``); integers scale by the bit depth their
    values need (8, 12, 16, …: a 12-bit scan in uint16 is not read as nearly black); floats in [0, 1] scale by 255 (other floats are stretched min–max); colour by luminance,
    alpha composited onto white paper.
    """
    a = np.asarray(a)
    if a.ndim == 3 and a.shape[-1] in (2, 4):  # grey+alpha / RGBA: composite onto white, then grey
        # Both through _fraction: _unit hands 2D uint8 back unscaled (0–255), which made alpha 255
        # a weight of 255 and every opaque 8-bit RGBA page black.
        alpha = _fraction(a[..., -1])
        g = _fraction(a[..., 0]) if a.shape[-1] == 2 else _luminance(_fraction(a[..., :3]), bgr)
        g = g * alpha + (1.0 - alpha)
    elif a.ndim == 3 and a.shape[-1] == 3:
        g = _luminance(_unit(a).astype(np.float32), bgr)
    elif a.ndim == 3 and a.shape[0] in (3, 4) and a.shape[-1] > 4:  # planar RGB(A)
        return to_grey_u8(np.moveaxis(a, 0, -1), min_is_white=min_is_white, bgr=bgr)
    elif a.ndim == 2:
        g = _unit(a)
    else:
        raise InputError(f"An image of shape {a.shape} is not a 2D grey or colour image.")
    g = np.asarray(g, np.float32) if g.dtype != np.uint8 else g
    if g.dtype != np.uint8:
        g = np.clip(np.rint(g * 255.0), 0, 255).astype(np.uint8)
    if min_is_white:
        g = 255 - g
    return np.ascontiguousarray(g)


def _unit(a: np.ndarray) -> np.ndarray:
    """uint8 stays; other types → float in [0, 1]."""
    if a.dtype == np.uint8:
        return a.astype(np.float32) / 255.0 if a.ndim == 3 else a
    if a.dtype == bool:
        return a.astype(np.float32)
    if a.dtype.kind in "ui":
        lo, hi = (int(a.min()), int(a.max())) if a.size else (0, 0)
        if lo < 0:  # signed data: stretch
            return (a.astype(np.float32) - lo) / max(hi - lo, 1)
        # The bit depth the values need: 8 (0–255), 12 (≤ 4095, many scanners), 16, ...
        bits = max(8, int(hi).bit_length())
        if bits in (9, 10, 11):
            bits = 12
        return a.astype(np.float32) / float(2**bits - 1)
    if a.dtype.kind == "f":
        f = a.astype(np.float32)
        f = np.nan_to_num(f, nan=1.0, posinf=1.0, neginf=0.0)
        lo, hi = float(f.min()), float(f.max())
        if lo >= 0.0 and hi <= 1.0:
            return f
        return (f - lo) / (hi - lo) if hi > lo else np.ones_like(f)
    raise InputError(f"Unsupported pixel type {a.dtype}.")


def _fraction(a: np.ndarray) -> np.ndarray:
    """Any pixel type → float32 in [0, 1] (as ``_unit``, uint8 included)."""
    u = _unit(a)
    return u.astype(np.float32) / 255.0 if u.dtype == np.uint8 else u.astype(np.float32)


def _luminance(rgb: np.ndarray, bgr: bool) -> np.ndarray:
    wts = np.array([0.114, 0.587, 0.299] if bgr else [0.299, 0.587, 0.114], np.float32)
    return rgb[..., :3] @ wts


class _TiffErrors(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def count_pages(path) -> int:
    """Pages in a scan (1 except for multi-page TIFF); InputError when it cannot be read."""
    path = Path(path)
    if path.suffix.lower() not in TIFF_SUFFIXES:
        return 1
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            n = sum(1 for p in tif.pages if not getattr(p, "is_reduced", False))
    except Exception as e:
        raise InputError(f"Cannot read {path.name}: the TIFF file is corrupt or truncated ({e}).") from e
    if n == 0:
        raise InputError(f"Cannot read {path.name}: the TIFF file holds no pages.")
    return n


def _iter_tiff(path: Path) -> Iterator[np.ndarray]:
    """Pages one at a time (a long multi-page scan is never all in memory); thumbnails skipped."""
    import tifffile

    log = _TiffErrors()
    logger = logging.getLogger("tifffile")
    logger.addHandler(log)
    try:
        try:
            tif = tifffile.TiffFile(path)
        except Exception as e:
            raise InputError(f"Cannot read {path.name}: the TIFF file is corrupt or truncated ({e}).") from e
        with tif:
            n = 0
            for p in tif.pages:
                if getattr(p, "is_reduced", False):
                    continue
                try:
                    arr = p.asarray()
                    photometric = int(getattr(p, "photometric", 1))
                    if photometric == 3 and getattr(p, "colormap", None) is not None:  # palette
                        arr = np.moveaxis(np.asarray(p.colormap)[:, arr], 0, -1)
                except Exception as e:  # tifffile raises many types for damaged files
                    raise InputError(f"Cannot read {path.name}: the TIFF file is corrupt or truncated ({e}).") from e
                if log.messages:
                    raise InputError(f"Cannot read {path.name}: the TIFF file is corrupt or truncated "
                                     f"({log.messages[0]}).")
                a = np.squeeze(arr)
                if a.ndim == 3 and a.shape[-1] not in (2, 3, 4) and a.shape[0] not in (3, 4):
                    raise InputError(f"{path.name}: a page of shape {arr.shape} is not a 2D image.")
                n += 1
                yield to_grey_u8(a, min_is_white=photometric == 0)
            if n == 0:
                raise InputError(f"Cannot read {path.name}: the TIFF file holds no pages.")
    finally:
        logger.removeHandler(log)


def iter_pages(path) -> Iterator[np.ndarray]:
    """The pages of a scan as 2D uint8 grey arrays (one page except for multi-page TIFF)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path} does not exist.")
    suffix = path.suffix.lower()
    if suffix not in SCAN_SUFFIXES:
        raise InputError(f"{path.name}: unsupported file type (use {', '.join(SCAN_SUFFIXES)}).")
    if suffix in TIFF_SUFFIXES:
        yield from _iter_tiff(path)
        return
    import cv2

    buf = np.fromfile(path, dtype=np.uint8)  # cv2.imread cannot read non-ASCII paths on Windows
    a = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) if buf.size else None
    if a is None:
        raise InputError(f"Cannot read {path.name}: not a readable {suffix.lstrip('.').upper()} image, "
                         "or the file is corrupt or truncated.")
    yield to_grey_u8(a, bgr=True)


def read_pages(path) -> list[np.ndarray]:
    """All pages of a scan (see ``iter_pages``)."""
    return list(iter_pages(path))


def output_suffix(src: Path) -> str:
    """TIFF in → TIFF out (multi-page kept); everything else → PNG (lossless, 1-bit)."""
    return ".tif" if src.suffix.lower() in TIFF_SUFFIXES else ".png"


def write_pages(dst, pages: Iterable[np.ndarray], metadata: dict | None = None) -> int:
    """Write cleaned pages (uint8, 1 = ink) as black on white; atomic. Returns the page count.

    ``pages`` may be a generator: each page is written as it comes, so a long multi-page file
    never needs all pages in memory.
    """
    import json

    dst = Path(dst)
    suffix = dst.suffix.lower()
    n = 0
    with atomic_path(dst) as tmp:
        if suffix in TIFF_SUFFIXES:
            import tifffile

            desc = json.dumps(metadata or {})
            with tifffile.TiffWriter(tmp) as tw:
                for page in pages:
                    tw.write(np.where(page > 0, 0, 255).astype(np.uint8), compression="zlib",
                             photometric="minisblack", description=desc if n == 0 else None,
                             metadata=None)
                    n += 1
        elif suffix == ".png":
            import cv2

            for page in pages:
                if n:
                    raise InputError(f"{dst.name}: a PNG holds one page; write several pages as .tif.")
                ok, buf = cv2.imencode(".png", np.where(page > 0, 0, 255).astype(np.uint8),
                                       [cv2.IMWRITE_PNG_BILEVEL, 1])
                if not ok:
                    raise InputError(f"Could not encode {dst.name}.")
                # Not buf.tofile: it does not report a short write, so a full disk gave 0-byte pages
                # counted as cleaned. write_bytes raises, and atomic_path turns it into one message.
                tmp.write_bytes(buf.tobytes())
                n += 1
        else:
            raise InputError(f"Cannot write '{suffix}': cleaned pages are written as .png or .tif.")
        if n == 0:
            raise InputError(f"No pages to write to {dst.name}.")
    return n
