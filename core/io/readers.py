"""Readers for volumes (TIFF stacks, slice folders, RAW, NPY/NPZ) and 2D images."""

from __future__ import annotations

import logging
import math
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..jobs import TaskState, ensure_state
from .binarize import binarize
from .limits import check_budget

TIFF_SUFFIXES = (".tif", ".tiff")
IMAGE_SUFFIXES = (".png", ".tif", ".tiff", ".jpg", ".jpeg", ".bmp")
VOLUME_SUFFIXES = (".tif", ".tiff", ".raw", ".npy", ".npz")
SUPPORTED_DTYPES = ("bool", "uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "float64")


@dataclass
class LoadedVolume:
    """A binary array (uint8, 1 = pore) with where it came from and what was done to it."""

    array: np.ndarray
    path: Path
    notices: list[str] = field(default_factory=list)
    voxel_size_um: float | None = None
    metadata: dict = field(default_factory=dict)


def natural_key(name: str):
    """Sort key so that slice_2.png comes before slice_10.png."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


def _check_dtype(dtype: np.dtype, what: str) -> None:
    if np.dtype(dtype).name not in SUPPORTED_DTYPES:
        raise InputError(f"{what} has data type {np.dtype(dtype).name}, which is not supported "
                         f"(supported: {', '.join(SUPPORTED_DTYPES)}).")


def _to_grey(a: np.ndarray) -> np.ndarray:
    """Colour (…, 3|4) → grey by luminance, keeping the dtype's range."""
    if a.ndim >= 3 and a.shape[-1] in (3, 4):
        rgb = a[..., :3].astype(np.float32)
        grey = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
        # Round back to the integer type: float rounding differs by one ulp between pixels of
        # one colour, which would turn a two-colour mask into "grey-level" data.
        return np.rint(grey).astype(a.dtype) if a.dtype.kind in "ui" else grey
    return a


def _finish(raw: np.ndarray, path: Path, pore: str, ndim: int, notices: list[str], **extra) -> LoadedVolume:
    if raw.ndim != ndim:
        kind = "3D volume" if ndim == 3 else "2D image"
        raise InputError(f"{path.name} has {raw.ndim} dimensions {tuple(raw.shape)}; a {kind} was expected.")
    if min(raw.shape) < 1:
        raise InputError(f"{path.name} is empty (shape {tuple(raw.shape)}).")
    binary, notice = binarize(raw, pore)
    if notice:
        notices.append(f"{path.name}: {notice}")
    return LoadedVolume(np.ascontiguousarray(binary), path, notices, **extra)


class _ErrorLog(logging.Handler):
    """Collects the errors tifffile logs: it reads damaged files leniently and only logs them."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _plain(e) -> str:
    """A library's error text without Python byte-string reprs ("not a TIFF file: header=b''" →
    "not a TIFF file"): they mean nothing to the person reading the message."""
    text = re.sub(r"[,:]?\s*\w+=b(['\"]).*?(?<!\\)\1", "", str(e))
    return re.sub(r"\s*\bb(['\"]).*?(?<!\\)\1", "", text).strip(" :,") or type(e).__name__


def _read_tiff(path: Path, budget: int | None, state: TaskState) -> tuple[np.ndarray, dict]:
    import tifffile

    log = _ErrorLog()
    logger = logging.getLogger("tifffile")
    logger.addHandler(log)
    try:
        with tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            _check_dtype(series.dtype, path.name)
            check_budget(int(np.prod(series.shape)) * series.dtype.itemsize, budget, path.name)
            meta = dict(tif.shaped_metadata[0]) if tif.shaped_metadata else {}
            state.report(0.1, f"Reading {path.name}")
            data = series.asarray()
    except InputError:
        raise
    except Exception as e:  # tifffile raises many types for damaged files
        raise InputError(f"Cannot read {path.name}: the TIFF file is corrupt or truncated ({_plain(e)}).") from e
    finally:
        logger.removeHandler(log)
    if log.messages:
        raise InputError(f"Cannot read {path.name}: the TIFF file is corrupt or truncated "
                         f"({_plain(log.messages[0])}).")
    return data, meta


def _read_npy(path: Path, budget: int | None) -> np.ndarray:
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except Exception as e:
        raise InputError(f"Cannot read {path.name}: not a valid NumPy file ({e}).") from e
    _check_dtype(arr.dtype, path.name)
    check_budget(arr.nbytes, budget, path.name)
    try:
        return np.array(arr)
    except Exception as e:
        raise InputError(f"Cannot read {path.name}: the file is truncated ({e}).") from e


def _npy_header(f) -> tuple[tuple, np.dtype]:
    """Shape and dtype of an .npy stream without reading its data."""
    fmt = np.lib.format
    version = fmt.read_magic(f)
    read = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
    shape, _, dtype = read(f)
    return shape, dtype


def _read_npz(path: Path, budget: int | None, key: str | None) -> np.ndarray:
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n[:-4] for n in zf.namelist() if n.endswith(".npy")]
            if not names:
                raise InputError(f"{path.name} holds no arrays.")
            if key is None:
                # Take the largest array: NPZ files often carry small metadata arrays beside the volume.
                sizes = {}
                for n in names:
                    with zf.open(n + ".npy") as f:
                        shape, dtype = _npy_header(f)
                    sizes[n] = (int(np.prod(shape)) * dtype.itemsize, shape, dtype)
                key = max(sizes, key=lambda n: sizes[n][0])
                nbytes, _, dtype = sizes[key]
                _check_dtype(dtype, f"{path.name}[{key}]")
                check_budget(nbytes, budget, path.name)
            elif key not in names:
                raise InputError(f"{path.name} has no array '{key}' (it has {', '.join(names)}).")
        with np.load(path, allow_pickle=False) as z:
            arr = z[key]
    except InputError:
        raise
    except Exception as e:
        raise InputError(f"Cannot read {path.name}: not a valid or complete NPZ file ({e}).") from e
    _check_dtype(arr.dtype, path.name)
    return arr


def _read_raw(path: Path, shape, dtype, byteorder: str, budget: int | None) -> np.ndarray:
    if shape is None or dtype is None:
        raise InputError(f"{path.name} is a RAW file: give its shape (z, y, x) and data type.")
    shape = tuple(int(s) for s in shape)
    if len(shape) != 3 or min(shape) < 1:
        raise InputError(f"A RAW volume needs three positive dimensions, got {shape}.")
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise InputError(f"Unknown data type '{dtype}'.") from None
    _check_dtype(dt, "The RAW volume")
    if byteorder not in ("little", "big"):
        raise InputError(f"Byte order must be 'little' or 'big', not '{byteorder}'.")
    dt = dt.newbyteorder("<" if byteorder == "little" else ">")
    expected = int(np.prod(shape)) * dt.itemsize
    actual = path.stat().st_size
    if actual != expected:
        raise InputError(
            f"{path.name} has {actual} bytes, but shape {shape} of {dt.name} needs {expected} bytes. "
            "Check the shape, data type and header size.")
    check_budget(expected, budget, path.name)
    return np.fromfile(path, dtype=dt).reshape(shape).astype(dt.newbyteorder("="))


def _read_2d_any(path: Path) -> np.ndarray:
    """Read one 2D image file (8/16 bit, grey or colour) as a 2D array of grey values."""
    if not path.is_file():
        raise InputError(f"{path} does not exist.")
    if path.suffix.lower() in TIFF_SUFFIXES:
        a, _ = _read_tiff(path, None, ensure_state(None))
        a = np.squeeze(a)
        if a.ndim == 3 and a.shape[-1] in (3, 4):
            a = _to_grey(a)
        elif a.ndim == 3:
            raise InputError(f"{path.name} holds {a.shape[0]} pages; open it as a volume, or pick one slice.")
    else:
        import cv2

        buf = np.fromfile(path, dtype=np.uint8)  # cv2.imread cannot read non-ASCII paths on Windows
        a = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) if buf.size else None
        if a is None:
            raise InputError(f"Cannot read {path.name}: not a readable {path.suffix.lstrip('.').upper()} image, "
                             "or the file is corrupt or truncated.")
        if a.ndim == 3:
            a = a[..., [2, 1, 0] + ([3] if a.shape[-1] == 4 else [])]  # BGR(A) -> RGB(A)
            a = _to_grey(a)
    _check_dtype(a.dtype, path.name)
    return a


def read_image(path, *, pore: str = "auto") -> LoadedVolume:
    """Read a 2D image (PNG, TIFF, JPEG, BMP; 8/16 bit; grey or colour) as a binary 2D slice."""
    path = Path(path)
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise InputError(f"{path.name}: unsupported image type (use {', '.join(IMAGE_SUFFIXES)}).")
    return _finish(_read_2d_any(path), path, pore, 2, [])


def _read_folder(path: Path, budget: int | None, state: TaskState) -> np.ndarray:
    files = sorted((p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()),
                   key=lambda p: natural_key(p.name))
    if not files:
        raise InputError(f"The folder {path.name} holds no image slices ({', '.join(IMAGE_SUFFIXES)}).")
    first = _read_2d_any(files[0])
    check_budget(first.nbytes * len(files), budget, f"The folder {path.name}")
    out = np.empty((len(files),) + first.shape, first.dtype)
    out[0] = first
    for i, f in enumerate(files[1:], start=1):
        state.report(i / len(files), f"Reading {f.name}")
        a = _read_2d_any(f)
        if a.shape != first.shape:
            raise InputError(f"Slice {f.name} is {a.shape[1]}×{a.shape[0]}, but {files[0].name} is "
                             f"{first.shape[1]}×{first.shape[0]}: all slices must have one size.")
        out[i] = a.astype(first.dtype, copy=False)
    return out


def read_volume(path, *, raw_shape=None, raw_dtype=None, raw_byteorder: str = "little",
                pore: str = "auto", npz_key: str | None = None, memory_budget_bytes: int | None = None,
                state: TaskState | None = None) -> LoadedVolume:
    """Read a 3D volume and return it binary (uint8, axes z, y, x, 1 = pore).

    Accepts a multi-page TIFF, a folder of 2D slices (natural sort order), RAW (``raw_shape``
    (z, y, x), ``raw_dtype``, ``raw_byteorder``), NPY and NPZ. Grey-level data is binarised
    (see ``binarize``) and a notice says how. Every problem raises ``InputError``.
    """
    state = ensure_state(state)
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} does not exist.")
    notices: list[str] = []
    meta: dict = {}
    suffix = path.suffix.lower()
    state.report(0.0, f"Opening {path.name}")
    if path.is_dir():
        raw = _read_folder(path, memory_budget_bytes, state)
    elif suffix in TIFF_SUFFIXES:
        raw, meta = _read_tiff(path, memory_budget_bytes, state)
        raw = np.squeeze(raw)
        if raw.ndim == 4 and raw.shape[-1] in (3, 4):
            raw = _to_grey(raw)
            notices.append(f"{path.name}: colour stack converted to grey.")
    elif suffix == ".npy":
        raw = _read_npy(path, memory_budget_bytes)
    elif suffix == ".npz":
        raw = _read_npz(path, memory_budget_bytes, npz_key)
    elif suffix == ".raw":
        raw = _read_raw(path, raw_shape, raw_dtype, raw_byteorder, memory_budget_bytes)
    else:
        raise InputError(f"{path.name}: unsupported volume type (use a TIFF stack, a folder of slices, "
                         ".raw, .npy or .npz).")
    state.report(0.9, "Binarising")
    vs = meta.get("voxel_size_um")
    try:
        vs = float(vs) if vs is not None else None
    except (TypeError, ValueError):
        vs = None
    if vs is not None and not (math.isfinite(vs) and vs > 0):  # damaged metadata: as if not given
        vs = None
    return _finish(raw, path, pore, 3, notices, voxel_size_um=vs, metadata=meta)
