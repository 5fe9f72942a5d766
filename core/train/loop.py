"""``fit(task, cfg)``: the one training loop every method uses.

Order inside a step: sample → task.train_step → scaler.update → log → check → checkpoint →
progress report (which is also where a cancel request is noticed). Checkpoints happen at fixed
step numbers on every rank, so the collective calls inside them (gathering RNG states) line up.
"""

from __future__ import annotations

import shutil
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from .. import __version__
from ..denormals import flushed_denormals
from ..errors import Cancelled, InputError
from ..io import atomic_path
from ..jobs import TaskState, ensure_state, seed_everything, select_device
from ..precision import resolve_precision
from ..shipped import run_checkpoint
from . import distributed as D
from .checkpoint import LAST, capture_rng, load_checkpoint, prune, restore_rng, save_checkpoint, step_name
from .config import TrainConfig
from .csvlog import CsvLog
from .task import StepContext, Task

RANK_SEED_STRIDE = 1_000_003  # a prime, so the per-rank seeds of nearby base seeds do not collide


@dataclass
class TrainResult:
    """What a finished (or cancelled) run left behind."""

    step: int
    out_dir: Path
    checkpoint: Path | None
    losses: dict = field(default_factory=dict)   # the last logged mean losses
    checks: dict = field(default_factory=dict)   # the last check() results
    resumed_from: int | None = None
    notices: list[str] = field(default_factory=list)
    time_limited: bool = False  # stopped by max_minutes before cfg.steps (resume to go on)


def _fmt_duration(s: float) -> str:
    s = int(round(s))
    if s >= 3600:
        return f"{s // 3600} h {s % 3600 // 60:02d} min"
    return f"{s // 60} min {s % 60:02d} s" if s >= 60 else f"{s} s"


def _seed_rank(seed: int, rank: int) -> None:
    """Per-rank torch/numpy/python streams (noise differs between ranks; rank 0 keeps ``seed``)."""
    seed_everything((seed + RANK_SEED_STRIDE * rank) % 2**31)


def _param_sum(models: dict) -> float:
    with torch.no_grad():
        return float(sum(p.double().sum().item() for m in models.values() for p in m.parameters()))


def _cancel_requested(state: TaskState) -> bool:
    try:
        state.check()
        return False
    except Cancelled:
        return True


def _open_run(task: Task, cfg: TrainConfig, out: Path, notices: list[str]) -> dict | None:
    """The checkpoint to resume from, or None for a fresh run; never silently overwrite a run."""
    last = out / LAST
    if not last.is_file():
        if cfg.resume:
            notices.append(f"No checkpoint in {out}; starting a new run.")
        return None
    if not cfg.resume:
        raise InputError(f"{out} already holds a training run ({LAST}). Resume it (--resume) or choose another output folder.")
    ck = load_checkpoint(last, kind=task.kind, max_version=task.format_version)
    if ck["config"] != task.config_dict():
        raise InputError(f"The run in {out} was started with another model configuration; resume it with the "
                         "same settings, or choose another output folder.")
    return ck


def _keep_run_init(cfg: TrainConfig, ck: dict, notices: list[str]) -> TrainConfig:
    """A resumed run keeps the ``--init`` source it was started from (its checkpoints and model card name
    it), whatever ``--init`` says now: its weights are the run's own, not a new start."""
    own = str((ck.get("train_config") or {}).get("init_from", "") or "")
    if cfg.init_from and cfg.init_from != own:
        notices.append(f"--init {cfg.init_from} is not used: a resumed run continues its own weights"
                       + (f" (started from {own})." if own else "."))
    return replace(cfg, init_from=own) if cfg.init_from != own else cfg


def _open_init(task: Task, cfg: TrainConfig, notices: list[str]) -> dict | None:
    """The model whose weights a new run starts from (``cfg.init_from``), of the task's kind.

    Settings may differ (a new loss weight or crop is what fine-tuning is for): they are named in a
    notice; weights that do not fit the model built now are refused when they are loaded.
    """
    if not cfg.init_from:
        return None
    src = run_checkpoint(cfg.init_from)
    init = load_checkpoint(src, kind=task.kind, max_version=task.format_version)
    now = task.config_dict()
    diff = ", ".join(f"{k} {init['config'].get(k, '(unset)')} → {v}" for k, v in now.items()
                     if init["config"].get(k) != v)
    if diff:
        notices.append(f"Settings changed from {src.name}: {diff}.")
    return init


def _load_init(raw: dict, init: dict, source: str, notices: list[str]) -> None:
    """Copy the init model's weights into the freshly built models (float16 exports are cast back)."""
    fresh = [k for k in raw if k not in init["models"]]
    for k, m in raw.items():
        if k in init["models"]:
            try:
                state = init["models"][k]
                grow = getattr(m, "grow_state_dict", None)
                if grow is not None:  # a model that can take a smaller one's weights (the U-Net widens them)
                    state = grow(state, init["config"])
                    if state is not init["models"][k]:
                        notices.append(f"The {k} of {source} was widened to the settings asked for "
                                       "(same function; its copied channels part as they train).")
                allowed = tuple(getattr(m, "NEW_WEIGHTS_OK", ()))
                if allowed:  # a model that grew new inputs may start them fresh; nothing else may be missing
                    missing, unexpected = m.load_state_dict(state, strict=False)
                    bad = [x for x in missing if not x.startswith(allowed)] + list(unexpected)
                    if bad:
                        raise RuntimeError("state_dict mismatch:\n  " + ", ".join(bad[:6]))
                    if missing:
                        notices.append(f"New inputs of the {k} start fresh: "
                                       f"{', '.join(sorted({x.split('.')[0] for x in missing}))}.")
                else:
                    m.load_state_dict(state)  # copy_ casts each tensor to the parameter's dtype
            except RuntimeError as e:
                first = str(e).strip().splitlines()[1:2] or [str(e)[:200]]
                raise InputError(f"The {k} in {source} has another architecture than the one asked for "
                                 f"({first[0].strip()}); give the settings it was trained with.") from None
    notices.append(f"Started from the weights of {source} (trained {init.get('step', '?')} steps)"
                   + (f"; {', '.join(fresh)} start fresh (not in that file)." if fresh else "."))


def fit(task: Task, cfg: TrainConfig, *, state: TaskState | None = None) -> TrainResult:
    """Train ``task`` for ``cfg.steps`` steps (continuing ``cfg.out_dir`` when ``cfg.resume``).

    On cancel (``state`` reports Cancelled) a checkpoint of the last finished step is written
    and Cancelled is raised again with its path. Under torchrun (WORLD_SIZE > 1) each process
    runs this; only rank 0 writes files.
    """
    state = ensure_state(state)
    info, device = D.setup(select_device(cfg.device))
    ok = False
    try:
        with flushed_denormals():  # subnormals are 10–20× slower on CPUs (core.denormals)
            result = _fit(task, cfg, state, info, device)
        ok = True
        return result
    except Cancelled:
        ok = True  # every rank stopped at the same step and saved together
        raise
    finally:
        D.teardown(info, ok)


def _fit(task: Task, cfg: TrainConfig, state: TaskState, info: D.DistInfo, device: torch.device) -> TrainResult:
    out = Path(cfg.out_dir)
    notices: list[str] = []
    ck = _open_run(task, cfg, out, notices)
    if ck:
        cfg = _keep_run_init(cfg, ck, notices)
    init = None if ck else _open_init(task, cfg, notices)  # a resumed run already carries its own weights
    seed = int(ck["seed"]) if ck else int(cfg.seed)  # a resumed run keeps its own seed
    if ck and int(cfg.seed) != seed:
        notices.append(f"Resuming with the run's own seed {seed} (not {cfg.seed}).")

    seed_everything(seed)  # identical initial weights on every rank (DDP also broadcasts rank 0's)
    raw, opts = task.build(device, cfg)
    use_amp = bool(cfg.amp) and device.type == "cuda"
    scaler = torch.amp.GradScaler(device.type, enabled=use_amp)
    _seed_rank(seed, info.rank)
    data_rng = np.random.default_rng([seed, info.rank])  # each rank samples its own crops

    start, elapsed0 = 0, 0.0
    if ck:
        for k, m in raw.items():
            m.load_state_dict(ck["models"][k])
        for k, o in opts.items():
            o.load_state_dict(ck["optimizers"][k])
        if ck.get("scaler"):
            scaler.load_state_dict(ck["scaler"])
        start, elapsed0 = int(ck["step"]), float(ck.get("elapsed_s", 0.0))
        rngs = ck.get("rng") or []
        if len(rngs) == info.world_size:
            restore_rng(rngs[info.rank], data_rng)
        else:  # other process count than when saved: fresh but reproducible streams
            _seed_rank(seed + start, info.rank)
            data_rng = np.random.default_rng([seed, info.rank, start])
            notices.append(f"The run was saved with {len(rngs)} process(es), now {info.world_size}: "
                           "random streams restart (the result will differ from an uninterrupted run).")
        notices.append(f"Resuming from step {start}.")
    elif init:
        _load_init(raw, init, Path(cfg.init_from).name, notices)

    nets = {k: D.wrap(m, info, device) for k, m in raw.items()}
    precision = resolve_precision(cfg.precision, device) if device.type == "cpu" else "fp32"
    ctx = StepContext(nets, raw, opts, device, scaler, use_amp, info.rank, info.world_size, precision=precision)
    if precision == "bf16" and not ck:
        notices.append("Training in bfloat16 on the CPU (autocast; weights and optimiser stay float32).")
    log = CsvLog(out / "log.csv")
    if info.is_main:
        out.mkdir(parents=True, exist_ok=True)
        log.truncate_after(start)

    def save(step: int, elapsed: float) -> Path | None:
        # Every rank contributes its RNG state (a collective), rank 0 writes. The per-rank sums
        # of the weights show that DDP kept the replicas identical (they must all be equal).
        ranks = D.gather({"rng": capture_rng(data_rng), "param_sum": _param_sum(raw)}, info)
        rngs = [r["rng"] for r in ranks]
        if not info.is_main:
            return None
        payload = {
            "kind": task.kind, "format_version": task.format_version, "package_version": __version__,
            "config": task.config_dict(), "train_config": cfg.to_dict(), "step": step, "seed": seed,
            "world_size": info.world_size, "elapsed_s": elapsed, "precision": precision,  # as resolved ("auto")
            "models": {k: m.state_dict() for k, m in raw.items()},
            "optimizers": {k: o.state_dict() for k, o in opts.items()},
            "scaler": scaler.state_dict() if use_amp else None, "rng": rngs,
            "rank_param_sums": [r["param_sum"] for r in ranks],
        }
        p = save_checkpoint(out / step_name(step), payload)
        with atomic_path(out / LAST) as tmp:
            shutil.copyfile(p, tmp)
        prune(out, cfg.keep_checkpoints)
        return out / LAST

    for m in raw.values():
        m.train()
    check = getattr(task, "check", None)
    sums: dict[str, float] = defaultdict(float)
    n_sum, losses, checks, saved_at, ckpt = 0, {}, {}, -1, None
    t0, step, cancelled, timed_out = time.monotonic(), start, False, False
    limit_s = float(cfg.max_minutes) * 60.0
    while step < cfg.steps:
        # A cancel seen by any rank stops all of them here, at the same step, so that the
        # checkpoint below can still gather from every rank (no rank is left in a collective).
        # The time limit is decided the same way (clocks of ranks differ slightly).
        if D.any_across(_cancel_requested(state), info, device):
            cancelled = True
            break
        if limit_s and step > start and D.any_across(time.monotonic() - t0 >= limit_s, info, device):
            timed_out = True
            break
        batch = task.sample(cfg.batch_size, data_rng)
        step_losses = task.train_step(batch, step, ctx)
        scaler.update()  # once per step, after all the task's optimiser steps
        step += 1
        for k, v in step_losses.items():
            sums[k] += float(v)
        n_sum += 1
        elapsed = elapsed0 + time.monotonic() - t0
        if (cfg.log_every and step % cfg.log_every == 0) or step == cfg.steps:
            losses = D.mean_across({k: v / n_sum for k, v in sums.items()}, info, device)
            sums, n_sum = defaultdict(float), 0
            if info.is_main:
                log.write(step, elapsed, "loss", losses)
        # A check can cost several steps' time (the rock GAN's draws volumes three crops deep): not when a
        # stop is pending, which waits for nothing but this step's checkpoint (rank 0 only: no collective).
        if (check is not None and info.is_main and cfg.check_every and step % cfg.check_every == 0
                and not _cancel_requested(state)):
            with torch.no_grad():
                checks = check(step, ctx) or {}
            for m in raw.values():
                m.train()  # a check may switch models to eval
            if checks:
                log.write(step, elapsed, "check", checks)
        if (cfg.checkpoint_every and step % cfg.checkpoint_every == 0) or step == cfg.steps:
            ckpt, saved_at = save(step, elapsed), step
        rate = (time.monotonic() - t0) / (step - start)
        shown = " · ".join(f"{k} {v:.4g}" for k, v in losses.items())
        try:
            state.report(step / cfg.steps, f"step {step}/{cfg.steps}" + (f" · {shown}" if shown else "")
                         + f" · ETA {_fmt_duration(rate * (cfg.steps - step))}")
        except Cancelled:
            pass  # acted on at the top of the loop, by all ranks together
    if cancelled:
        if saved_at != step:
            ckpt = save(step, elapsed0 + time.monotonic() - t0)
        where = f"; checkpoint of step {step} saved: {ckpt}" if ckpt else ""
        raise Cancelled(f"Training cancelled at step {step}{where}. Resume it with --resume.")
    if timed_out:
        if saved_at != step:
            ckpt = save(step, elapsed0 + time.monotonic() - t0)
        notices.append(f"Time limit of {cfg.max_minutes:g} min reached at step {step} of {cfg.steps}; "
                       "checkpoint saved (resume with --resume to go on).")
    return TrainResult(step, out, ckpt, losses, checks, start if ck else None, notices, timed_out)
