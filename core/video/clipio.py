"""Reading and writing clips: MP4/AVI/MOV (OpenCV), GIF (imageio), .npy, a folder of frames.

Clips are grey uint8 arrays (frames, H, W); colour is converted to grey and frames are cropped to
a centred square and resized to the model's size, each change reported as a notice. Every
unreadable input is an InputError with a plain message.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputError
from ..io import atomic_path

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
MAX_PIXELS = 4096 * 4096   # a frame above this is refused (memory), before it is resized
MAX_FRAMES = 10_000


def _grey(frames: np.ndarray, notices: list[str], bgr: bool = False) -> np.ndarray:
    import cv2

    if frames.ndim == 4:
        if frames.shape[-1] == 4:
            frames = frames[..., :3]
        if frames.shape[-1] == 1:
            return frames[..., 0]
        if frames.shape[-1] != 3:
            raise InputError(f"Frames with {frames.shape[-1]} channels are not supported (grey, RGB or RGBA).")
        code = cv2.COLOR_BGR2GRAY if bgr else cv2.COLOR_RGB2GRAY
        same = all(np.array_equal(frames[..., 0], frames[..., k]) for k in (1, 2))
        out = frames[..., 0].copy() if same else np.stack([cv2.cvtColor(np.ascontiguousarray(f), code) for f in frames])
        if not same:
            notices.append("Colour frames were converted to grey (the model works on grey frames).")
        return out
    if frames.ndim != 3:
        raise InputError(f"A clip must have 3 or 4 axes (frames, H, W[, channels]); got shape {frames.shape}.")
    return frames


def _to_uint8(a: np.ndarray, notices: list[str]) -> np.ndarray:
    if a.dtype == np.uint8:
        return a
    if a.dtype == bool:
        return a.astype(np.uint8) * 255
    if a.dtype.kind not in "uif":  # complex, text, objects: no grey values to scale
        raise InputError(f"Frames of type {a.dtype} are not images (use integer or float frames).")
    f = a.astype(np.float64)
    if np.issubdtype(a.dtype, np.floating) and np.nanmin(f) >= 0 and np.nanmax(f) <= 1:
        notices.append("Float frames in [0, 1] were scaled to 0–255.")
        return np.rint(np.nan_to_num(f) * 255).astype(np.uint8)
    lo, hi = np.nanmin(f), np.nanmax(f)
    notices.append(f"{a.dtype} frames (range {lo:g}–{hi:g}) were rescaled to 0–255.")
    return np.rint((np.nan_to_num(f) - lo) / max(hi - lo, 1e-12) * 255).astype(np.uint8)


def _read_video(path: Path) -> np.ndarray:
    import cv2

    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise InputError(f"{path.name} could not be opened as a video (damaged, or a codec OpenCV lacks).")
        frames = []
        while len(frames) < MAX_FRAMES:
            ok, f = cap.read()
            if not ok:
                break
            if f.shape[0] * f.shape[1] > MAX_PIXELS:
                raise InputError(f"{path.name} has {f.shape[1]}×{f.shape[0]} frames; at most {MAX_PIXELS} pixels per "
                                 "frame are read. Scale the clip down first.")
            frames.append(f)
    finally:
        cap.release()
    if not frames:
        raise InputError(f"{path.name} holds no readable frames.")
    return np.stack(frames)


def _read_gif(path: Path) -> np.ndarray:
    import imageio.v3 as iio

    try:
        a = iio.imread(path, index=None)
    except Exception as e:
        raise InputError(f"{path.name} could not be read as a GIF ({type(e).__name__}).") from None
    return a


def _read_folder(path: Path) -> tuple[np.ndarray, list[str]]:
    import cv2

    files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise InputError(f"The folder {path} holds no image frames ({', '.join(IMAGE_SUFFIXES)}).")
    frames = []
    for p in files[:MAX_FRAMES]:
        f = cv2.imread(str(p), cv2.IMREAD_GRAYSCALE)
        if f is None:
            raise InputError(f"{p.name} in {path} is not a readable image.")
        if frames and f.shape != frames[0].shape:
            raise InputError(f"{p.name} is {f.shape[1]}×{f.shape[0]} but the first frame is "
                             f"{frames[0].shape[1]}×{frames[0].shape[0]}: all frames must have one size.")
        frames.append(f)
    return np.stack(frames), [f"Read {len(frames)} frames from {path.name}/ in file-name order."]


def read_clip(path, size: int | None = None) -> tuple[np.ndarray, list[str]]:
    """A clip as grey uint8 (T, H, W) (resized to size×size when ``size`` is given) and its notices."""
    path = Path(path)
    notices: list[str] = []
    if not path.exists():
        raise InputError(f"{path} does not exist.")
    suffix = path.suffix.lower()
    if path.is_dir():
        frames, notices = _read_folder(path)
    elif suffix == ".npy":
        try:
            a = np.load(path, allow_pickle=False)
        except Exception as e:
            raise InputError(f"{path.name} is not a readable .npy array ({type(e).__name__}).") from None
        frames = _grey(_to_uint8(a, notices), notices)
    elif suffix == ".gif":
        frames = _grey(_read_gif(path), notices)
    elif suffix in VIDEO_SUFFIXES:
        frames = _grey(_read_video(path), notices, bgr=True)
    else:
        raise InputError(f"Unknown clip type '{path.suffix}': give MP4/AVI/MOV/MKV/WEBM, GIF, .npy or a folder of frames.")
    if frames.ndim == 2:  # a single still image
        frames = frames[None]
    if frames.shape[0] == 0 or frames.shape[1] < 1 or frames.shape[2] < 1:
        raise InputError(f"{path.name} holds no frames.")
    if frames.shape[1] * frames.shape[2] > MAX_PIXELS:
        raise InputError(f"{path.name} has {frames.shape[2]}×{frames.shape[1]} frames; at most {MAX_PIXELS} pixels "
                         "per frame are read. Scale the clip down first.")
    if frames.shape[0] > MAX_FRAMES:
        frames = frames[:MAX_FRAMES]
        notices.append(f"Only the first {MAX_FRAMES} frames were read.")
    if size is not None:
        frames = fit_frames(frames, size, notices)
    return np.ascontiguousarray(frames), notices


def fit_frames(frames: np.ndarray, size: int, notices: list[str]) -> np.ndarray:
    """Crop to a centred square and resize to size×size (area averaging when shrinking)."""
    import cv2

    t, h, w = frames.shape
    if (h, w) == (size, size):
        return frames
    e = min(h, w)
    if h != w:
        y0, x0 = (h - e) // 2, (w - e) // 2
        frames = frames[:, y0:y0 + e, x0:x0 + e]
        notices.append(f"Frames of {w}×{h} were cropped to the centred {e}×{e} square.")
    interp = cv2.INTER_AREA if e > size else cv2.INTER_LINEAR
    notices.append(f"Frames were resized from {e}×{e} to the model's {size}×{size}.")
    return np.stack([cv2.resize(np.ascontiguousarray(f), (size, size), interpolation=interp) for f in frames])


def write_clip(path, frames: np.ndarray, fps: float = 10.0) -> Path:
    """Write uint8 frames (T, H, W) as .npy, .gif or .mp4 (atomic)."""
    path = Path(path)
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim not in (3, 4):
        raise InputError("Frames to write must be uint8 (T, H, W) or (T, H, W, 3).")
    suffix = path.suffix.lower()
    if suffix not in (".npy", ".gif", ".mp4"):
        raise InputError(f"Unknown output type '{path.suffix}': use .mp4, .gif or .npy.")
    with atomic_path(path) as tmp:
        if suffix == ".npy":
            np.save(tmp, frames)
        elif suffix == ".gif":
            import imageio.v3 as iio

            iio.imwrite(tmp, frames, duration=1000.0 / fps, loop=0)
        else:
            import cv2

            h, w = frames.shape[1:3]
            wr = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h), isColor=True)
            if not wr.isOpened():
                raise InputError("This OpenCV cannot write MP4; write .gif or .npy instead.")
            for f in frames:
                wr.write(cv2.cvtColor(f, cv2.COLOR_GRAY2BGR) if f.ndim == 2 else f[..., ::-1].copy())
            wr.release()
    return path


def read_clip_folder(folder, size: int, min_frames: int) -> tuple[np.ndarray, list[str]]:
    """Training clips from a folder of clip files (or frame folders): (N, T, size, size) uint8, all cut to
    the shortest clip's length (at least ``min_frames``)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder of clips.")
    items = sorted(p for p in folder.iterdir() if p.is_dir() or p.suffix.lower() in VIDEO_SUFFIXES + (".gif", ".npy"))
    if not items:
        raise InputError(f"{folder} holds no clips (MP4/AVI/MOV/MKV/WEBM, GIF, .npy or frame folders).")
    clips, notices, short = [], [], []
    for p in items:
        c, _ = read_clip(p, size)
        (clips if len(c) >= min_frames else short).append(c if len(c) >= min_frames else p.name)
    if short:
        notices.append(f"Skipped {len(short)} clip(s) shorter than {min_frames} frames: {', '.join(short[:5])}"
                       + (" ..." if len(short) > 5 else ""))
    if not clips:
        raise InputError(f"No clip in {folder} has at least {min_frames} frames.")
    t = min(len(c) for c in clips)
    if any(len(c) != t for c in clips):
        notices.append(f"Clips were cut to the shortest length, {t} frames.")
    notices.append(f"{len(clips)} training clip(s) of {t} frames at {size}×{size}.")
    return np.stack([c[:t] for c in clips]), notices
