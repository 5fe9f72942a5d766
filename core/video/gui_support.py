"""Qt-free helpers for the GUI's Video tab: inputs, a cached model, generation, metrics, exports, training."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..jobs import TaskState, ensure_state
from ..metrics import psnr
from ..model_cache import cached_model
from ..shipped import run_checkpoint
from .metrics import as_unit, frame_mse

MAX_TEST_INDEX = 9999


def load_model(path, device: str = "cpu"):
    """A ``video-lvt`` model (a checkpoint or a run folder), kept in ``core.model_cache``."""
    from .loader import load_lvt

    p = run_checkpoint(path).resolve()
    return cached_model("video", p, device, lambda: load_lvt(p, device=device))


def model_info(loaded) -> dict:
    cfg = loaded.model.cfg
    return {"size": int(loaded.vqvae.cfg.size), "context": int(cfg.context), "window": int(cfg.frames),
            "step": int(loaded.step), "latent": int(cfg.height), "parts": int(cfg.n_parts)}


def model_text(info: dict) -> str:
    """One line on a loaded model for the tab's Model box."""
    return (f"{info['size']}×{info['size']} frames; needs ≥ {info['context']} context frames; "
            f"{info['window'] - info['context']} new frame(s) per window; step {info['step']}.")


def generation_device(preference: str) -> str:
    """The device a generation runs on for the user's ``preference`` (the CPU when it is unavailable)."""
    try:
        from ..jobs import select_device

        return str(select_device(preference))
    except Exception:  # noqa: BLE001 - the CPU always works
        return "cpu"


def sampling_text(temperature: float, seed: int) -> str:
    """How a continuation is chosen, for the "Generating…" line."""
    return "the most likely continuation" if temperature == 0 else f"temperature {temperature:g}, seed {seed}"


def test_sample(index: int, size: int) -> tuple[np.ndarray, list[str]]:
    """Moving MNIST test sequence ``index`` (test digits only) at ``size``×``size``."""
    from .mnist import fixed_test_set

    index = int(index)
    if not 0 <= index <= MAX_TEST_INDEX:
        raise InputError(f"The test sequence number must lie in 0 … {MAX_TEST_INDEX}.")
    return fixed_test_set(index + 1, size=size)[index], [f"Moving MNIST test sequence {index} (test digits only)."]


def read_input_clip(path, size: int | None) -> tuple[np.ndarray, list[str]]:
    from .clipio import read_clip

    return read_clip(path, size)


def check_context(frames: np.ndarray, context: int, model_context: int) -> list[str]:
    """Refuse a clip too short for ``context`` given frames; notices for the user."""
    if context < model_context:
        raise InputError(f"This model needs at least {model_context} context frames (got {context}).")
    if len(frames) < context:
        raise InputError(f"The clip has {len(frames)} frame(s), fewer than the {context} context frames asked for. "
                         "Lower the context frames or choose a longer clip.")
    notes = []
    if context > model_context:
        notes.append(f"The model looks at the last {model_context} of the {context} context frames.")
    return notes


@dataclass
class Generation:
    """What one Generate produced: ``clips`` (samples, context + n, H, W) uint8 and the real frames."""

    clips: np.ndarray
    real: np.ndarray          # (T_real, H, W): the whole input clip (may be shorter than clips)
    context: int
    n_frames: int
    seed: int
    model_path: str
    notices: list[str] = field(default_factory=list)
    temperature: float = 0.0  # 0: the most likely continuation (the seed is not used)
    top_k: int | None = None

    @property
    def samples(self) -> int:
        return int(self.clips.shape[0])

    @property
    def length(self) -> int:
        return int(self.clips.shape[1])

    @property
    def tag(self) -> str:
        """How it was made, for file names: 'greedy' or 'seedN' (sampled)."""
        return "greedy" if self.temperature == 0 else f"seed{self.seed}"

    def summary(self) -> str:
        """The "Done: …" line: frames given and made, samples, how they were chosen, and the notices."""
        how = ("most likely continuation (temperature 0)" if self.temperature == 0
               else f"temperature {self.temperature:g}" + (f", top-k {self.top_k}" if self.top_k else "")
               + f", seed {self.seed}")
        text = f"Done: {self.context} given + {self.n_frames} generated frame(s), {self.samples} sample(s), {how}."
        return text + (" " + " ".join(self.notices) if self.notices else "")

    def metrics(self) -> list[dict]:
        """``frame_metrics`` of each sample against the real frames."""
        return [frame_metrics(self.real, clip, self.context) for clip in self.clips]


def generate(model_path, frames: np.ndarray, context: int, n_frames: int, *, samples: int = 1, seed: int = 0,
             device: str = "cpu", temperature: float | None = None, top_k: int | None = None,
             state: TaskState | None = None) -> Generation:
    """Load (cached) the model, continue ``frames[:context]`` by ``n_frames`` frames (``samples`` times);
    temperature 0 (None for one sample) is the most likely continuation, above 0 sampled ones."""
    from .sampling import continue_clip, resolve_temperature

    state = ensure_state(state)
    temperature = resolve_temperature(temperature, int(samples))
    top_k = int(top_k) if top_k else None  # 0: all codes
    state.report(0.0, "loading the model")
    loaded = load_model(model_path, device)
    info = model_info(loaded)
    frames = np.asarray(frames)
    notes = check_context(frames, context, info["context"])
    if frames.shape[1:] != (info["size"], info["size"]):
        from .clipio import fit_frames

        frames = fit_frames(frames, info["size"], notes)
    clips = continue_clip(loaded, np.ascontiguousarray(frames[:context]), int(n_frames), samples=int(samples),
                          seed=int(seed), temperature=temperature, top_k=top_k, state=state.sub(0.02, 1.0))
    return Generation(clips=np.ascontiguousarray(clips), real=np.ascontiguousarray(frames), context=int(context),
                      n_frames=int(n_frames), seed=int(seed), model_path=str(model_path), notices=notes,
                      temperature=temperature, top_k=top_k)


def frame_metrics(real: np.ndarray, clip: np.ndarray, context: int) -> dict:
    """Per generated frame with a real counterpart: frame index, MSE (sum over pixels in [0, 1], as
    OpenSTL reports Moving MNIST) and PSNR (dB)."""
    n = max(context, min(len(real), len(clip)))
    a, b = as_unit(real[context:n]), as_unit(clip[context:n])
    # no MSE floor: a frame equal to the real one has PSNR +inf (the plot draws it at its cap)
    return {"frame": np.arange(context, n), "mse": frame_mse(b, a), "psnr": psnr(b, a, axis=(-2, -1))}


def export_clip(path, frames: np.ndarray, fps: float = 10.0) -> Path:
    """MP4 / GIF / NPY via clipio (atomic)."""
    from .clipio import write_clip

    return write_clip(path, np.ascontiguousarray(frames), fps=fps)


def export_pngs(folder, frames: np.ndarray, prefix: str = "frame") -> list[Path]:
    """One PNG per frame in ``folder`` (each written atomically)."""
    import cv2

    from ..io import atomic_path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i, f in enumerate(np.asarray(frames)):
        p = folder / f"{prefix}_{i:04d}.png"
        with atomic_path(p) as tmp:
            ok, buf = cv2.imencode(".png", np.ascontiguousarray(f))
            if not ok:
                raise InputError(f"Could not encode frame {i} as PNG.")
            Path(tmp).write_bytes(buf.tobytes())
        out.append(p)
    return out


# -- training (the GUI's Train panel) ---------------------------------------------------------
PRESETS = {
    # name: (VQ-VAE settings, transformer settings); "small" trains in minutes on a CPU
    "small": (dict(size=32, channels=16, embed_dim=16, n_parts=2, codebook_size=64, downsample=4),
              dict(frames=8, context=4, dim=64, heads=4, layers=2)),
    "standard": (dict(size=64, channels=64, embed_dim=64, n_parts=2, codebook_size=256, downsample=8),
                 dict(frames=20, context=10, dim=128, heads=4, layers=4)),
}


def check_training(out_dir: str, data_folder: str | None, resume: bool) -> None:
    """Refuse a Train press without a run folder, with a missing data folder, or onto a run not resumed."""
    if not out_dir:
        raise InputError("Choose a run folder first.")
    if data_folder and not Path(data_folder).is_dir():
        raise InputError(f"The data folder {data_folder} does not exist.")
    if not resume and any((Path(out_dir) / sub / "last.pt").is_file() for sub in ("vqvae", "lvt")):
        raise InputError(f"{out_dir} already holds a training run. Tick 'Resume' or choose another folder.")


def train_both(out_dir, *, preset: str = "small", vq_steps: int = 500, lvt_steps: int = 1000, batch: int = 8,
               data_folder=None, seed: int = 0, device: str = "auto", resume: bool = False,
               state: TaskState | None = None) -> Path:
    """Train the VQ-VAE (``out_dir/vqvae``) then the transformer (``out_dir/lvt``) on Moving MNIST training
    digits or the clips in ``data_folder``; returns the transformer's ``last.pt`` (what Generate loads)."""
    from ..train import TrainConfig
    from .clipio import read_clip_folder
    from .config import LVTConfig, VQVAEConfig
    from .train import train_lvt, train_vqvae

    state = ensure_state(state)
    if preset not in PRESETS:
        raise InputError(f"Unknown preset '{preset}' ({', '.join(PRESETS)}).")
    vq_kw, lvt_kw = PRESETS[preset]
    out = Path(out_dir)
    vcfg = VQVAEConfig(**vq_kw)
    clips = None
    if data_folder:
        clips, _ = read_clip_folder(data_folder, vcfg.size, lvt_kw["frames"])
    common = dict(batch_size=int(batch), checkpoint_every=max(int(min(vq_steps, lvt_steps)) // 4, 0), seed=int(seed),
                  device=device, resume=resume)
    vq_dir = out / "vqvae"
    if not (resume and (vq_dir / "last.pt").is_file() and _finished(vq_dir / "last.pt", vq_steps)):
        train_vqvae(vcfg, TrainConfig(steps=int(vq_steps), lr=1e-3, out_dir=str(vq_dir), **common), clips=clips,
                    state=state.sub(0.0, 0.4))
    state.report(0.4, "VQ-VAE trained; training the transformer")
    lcfg = LVTConfig(**lvt_kw)
    res = train_lvt(lcfg, vq_dir / "last.pt", TrainConfig(steps=int(lvt_steps), lr=3e-4, out_dir=str(out / "lvt"),
                                                          **common), clips=clips, state=state.sub(0.4, 1.0))
    return Path(res.checkpoint) if res.checkpoint else out / "lvt" / "last.pt"


def _finished(path: Path, steps: int) -> bool:
    from ..train import load_checkpoint

    try:
        return int(load_checkpoint(path).get("step", 0)) >= int(steps)
    except InputError:
        return False
