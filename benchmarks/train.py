"""Benchmark of CPU training throughput: steps/s and samples/s per core of every training task, fp32 vs bf16.

Run from the repository root:

    python -m benchmarks.train                              # all tasks, fp32 and bf16, 10 timed steps each
    python -m benchmarks.train --tasks rock texture --steps 20 --threads 2
    python -m benchmarks.train --steps 1 --warmup 1 --tasks cleanup   # smoke run

Tasks, at the sizes of their shipped recipes (resources/models/*.md) and the commands' defaults:
rock GAN (rock_berea: width 8, crop 48, batch 8, pixel norm, porosity and profile terms on), DCGAN
baseline (dcgan_berea: nz 128, ngf 32, ndf 16, crop 64, batch 8), texture GAN (texture_rocks: crop 32,
batch 4, g-channels 32, three rock classes), cleanup U-Net (cleanup_unet: base width 8, depth 4, crop
256, batch 16, samples drawn in the process), VQ-VAE (video_mnist: 64² frames, width 64, D 64, n_c 2,
batch 64) and the latent video transformer (dim 128, 4 heads, 4 layers, 20-frame windows, batch 16; an
untrained VQ-VAE of the shipped size encodes the clips: the time does not depend on its weights).
The rock tasks read the training parts of ../shared/data/rocks (synthetic blobs when absent).

Each (task, precision) runs in a fresh subprocess with ``--threads`` torch threads (default 1, as the
shipped CPU recipes ran with OMP_NUM_THREADS=1): build the task exactly as the trainer does (seeded,
``Task.build``, a ``StepContext`` with the resolved precision), ``--warmup`` untimed steps, then
``--steps`` timed steps of ``Task.sample`` + ``Task.train_step`` (data included: it is part of a step).
No checkpoints or logs are written. samples/s per core = crops (frames, clips) per second / threads.
The load average before and after is recorded: a busy machine makes every number slower.
Results go to ``benchmarks/results/train.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))
from core.machine import load_average, machine_info, peak_rss_mib  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
ROCKS = ROOT.parent / "shared" / "data" / "rocks"
TASKS = ("rock", "baseline", "texture", "cleanup", "vqvae", "lvt")
LABELS = {"rock": "rock GAN", "baseline": "DCGAN baseline", "texture": "texture GAN", "cleanup": "cleanup U-Net",
          "vqvae": "VQ-VAE", "lvt": "latent video transformer"}
TARGET_SPEEDUP = 1.8  # issue 18: bf16 ≥ 1.8× fp32 where the CPU has bf16 units


def _volumes(names):
    """Training parts of the shared rock volumes, or synthetic blobs (same crops, other statistics)."""
    import numpy as np

    paths = [ROCKS / n for n in names]
    if all(p.is_file() for p in paths):
        from core.volumes.split import load_training_volumes

        vols, _ = load_training_volumes([str(p) for p in paths])
        return vols, ", ".join(names)
    from scipy import ndimage

    f = ndimage.gaussian_filter(np.random.default_rng(0).random((128, 128, 128)), 2.0)
    return [(f > np.quantile(f, 0.8)).astype(np.uint8)] * len(names), "synthetic blobs (shared data absent)"


def _task(name: str):
    """(task, batch size, lr, data description, model description) at the shipped recipe's sizes."""
    if name == "rock":
        from core.rock import RockGANConfig, RockGANTask

        cfg = RockGANConfig(channels=8, d_channels=8, z_channels=8, crop=48, decay=6.0, rec_weight=10.0,
                            porosity_weight=100.0, profile_weight=100.0, g_norm="pixel")
        vols, data = _volumes(["berea_400.tif"])
        return RockGANTask(cfg, vols), 8, 2e-4, data, cfg.to_dict()
    if name == "baseline":
        from core.volumes.baseline import DCGANConfig, DCGANTask

        cfg = DCGANConfig(nz=128, ngf=32, ndf=16, crop=64)
        vols, data = _volumes(["berea_400.tif"])
        return DCGANTask(cfg, vols), 8, 2e-4, data, cfg.to_dict()
    if name == "texture":
        from core.texture import TextureGANTask
        from core.texture.config import TextureGANConfig

        cfg = TextureGANConfig(crop=32, g_channels=32)
        names = ["berea_400.tif", "ketton_256.tif", "bentheimer_500.tif"]
        vols, data = _volumes(names)
        return TextureGANTask(cfg, {n.split("_")[0]: [v] for n, v in zip(names, vols)}), 4, 2e-4, data, cfg.to_dict()
    if name == "cleanup":
        from core.cleanup import UNetConfig
        from core.cleanup.task import CleanupTask

        cfg = UNetConfig()
        return CleanupTask(cfg, workers=0), 16, 1e-3, "synthetic drawings (256² crops)", cfg.to_dict()
    if name in ("vqvae", "lvt"):
        from core.video.config import LVTConfig, VQVAEConfig
        from core.video.task import LVTTask, VQVAETask

        vc = VQVAEConfig(channels=64, embed_dim=64, n_parts=2)
        if name == "vqvae":
            return VQVAETask(vc), 64, 3e-4, "Moving MNIST frames (training digits)", vc.to_dict()
        import torch

        from core.video.vqvae import VQVAE

        torch.manual_seed(0)
        cfg = LVTConfig(frames=20, context=10, height=vc.latent, width=vc.latent, n_parts=vc.n_parts,
                        codebook_size=vc.codebook_size, dim=128, heads=4, layers=4, vqvae=vc.to_dict())
        lvt_cfg = {k: v for k, v in cfg.to_dict().items() if k != "vqvae"}
        return (LVTTask(cfg, VQVAE(vc).eval(), None), 16, 3e-4, "Moving MNIST clips (training digits)", lvt_cfg)
    raise SystemExit(f"unknown task {name}")


def _child(name: str, precision: str, steps: int, warmup: int, threads: int) -> dict:
    import numpy as np
    import torch

    torch.set_num_threads(threads)
    from core.precision import resolve_precision
    from core.train import StepContext, TrainConfig
    from core.train.loop import seed_everything

    task, batch, lr, data, model = _task(name)
    device = torch.device("cpu")
    cfg = TrainConfig(steps=warmup + steps, batch_size=batch, lr=lr, device="cpu", precision=precision,
                      checkpoint_every=0, log_every=0, check_every=0, seed=0, out_dir="unused")
    seed_everything(0)
    nets, opts = task.build(device, cfg)
    for m in nets.values():
        m.train()
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    ctx = StepContext(nets, nets, opts, device, scaler, False, precision=resolve_precision(precision, device))
    rng = np.random.default_rng([0, 0])
    losses, times, sample_s = {}, [], 0.0
    for step in range(warmup + steps):
        t0 = time.perf_counter()
        b = task.sample(batch, rng)
        t1 = time.perf_counter()
        losses = task.train_step(b, step, ctx)
        t2 = time.perf_counter()
        if step >= warmup:
            times.append(t2 - t0)
            sample_s += t1 - t0
    close = getattr(task, "close", None)
    if close:
        close()
    total = sum(times)
    params = sum(p.numel() for m in nets.values() for p in m.parameters())
    return {"task": name, "precision": precision, "resolved": ctx.precision, "threads": torch.get_num_threads(),
            "batch": batch, "warmup": warmup, "steps": steps, "step_s": times,
            "steps_per_s": steps / total, "samples_per_s": steps * batch / total,
            "samples_per_s_per_core": steps * batch / total / torch.get_num_threads(),
            "data_fraction": sample_s / total, "params": params, "data": data, "model": model,
            "last_losses": {k: round(float(v), 5) for k, v in losses.items()}, "peak_rss_mib": peak_rss_mib()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", nargs="+", default=list(TASKS), choices=TASKS, help="tasks (default: all)")
    ap.add_argument("--precisions", nargs="+", default=["fp32", "bf16"], choices=["fp32", "bf16", "auto"],
                    help="precisions (default fp32 bf16)")
    ap.add_argument("--steps", type=int, default=10, help="timed steps per task and precision (default 10)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed steps first (default 2)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads per run (default 1)")
    ap.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        c = args.child
        print(json.dumps(_child(c[0], c[1], int(c[2]), int(c[3]), int(c[4]))))
        return 0

    command = "python -m benchmarks.train " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    load_before = load_average()
    rows = []
    for name, prec in [(t, p) for t in args.tasks for p in args.precisions]:
        print(f"measuring {LABELS[name]}, {prec} ...", file=sys.stderr, flush=True)
        env_cmd = [sys.executable, "-m", "benchmarks.train", "--child", name, prec, str(args.steps),
                   str(args.warmup), str(args.threads)]
        import os

        env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
        p = subprocess.run(env_cmd, cwd=ROOT, capture_output=True, text=True, env=env)
        if p.returncode != 0:
            rows.append({"task": name, "precision": prec, "error": (p.stderr or p.stdout).strip()[-400:]})
        else:
            rows.append(json.loads(p.stdout.strip().splitlines()[-1]))
        rows[-1]["load_avg_after"] = load_average()
    load_after = load_average()

    from core.precision import cpu_has_fast_bf16

    m = machine_info(torch_info=True)
    flags = _cpu_flags()
    m["cpu_model_name"], m["bf16_flags"], m["fast_bf16"] = _cpu_model_name(), flags, cpu_has_fast_bf16()
    date = _dt.datetime.now().isoformat(timespec="seconds")
    busy = (load_before or [0])[0] > 0.5 * (m["usable_cores"] or 1)
    note = (f"The machine was shared while this ran (1-min load average {load_before[0]} before, {load_after[0]} "
            f"after, on {m['usable_cores']} usable cores): other jobs were running, so these rates are lower "
            "than on an idle machine." if busy else
            f"Load average before {load_before}, after {load_after} (machine mostly idle).")
    fp32 = {r["task"]: r for r in rows if r.get("precision") == "fp32" and "error" not in r}
    lines = ["# CPU training throughput: every training task, fp32 and bf16", "",
             f"- date: {date}", f"- command: `{command}`",
             f"- machine: {m['cpu_model_name']}, {m['usable_cores']} usable cores, {m['ram_gib']} GiB "
             f"RAM, {m['platform']}, Python {m['python']}, torch {m['torch']}",
             f"- bf16 units: {', '.join(flags) if flags else 'none'} (native bf16: {'yes' if m['fast_bf16'] else 'no'})",
             f"- threads per run: {args.threads}; {args.warmup} warm-up + {args.steps} timed steps per row",
             f"- load average (1, 5, 15 min) before: {load_before}, after: {load_after}",
             f"- target (issue 18): bf16 ≥ {TARGET_SPEEDUP:g}× fp32 where the CPU has bf16 units", "", note, "",
             "| task | precision | batch | params | s/step (median) | steps/s | samples/s per core | "
             "× fp32 | data share | peak RSS MiB |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {LABELS[r['task']]} | {r['precision']} | | | error: {r['error'][:200]} | | | | | |")
            continue
        med = sorted(r["step_s"])[len(r["step_s"]) // 2]
        base = fp32.get(r["task"])
        ratio = f"{r['steps_per_s'] / base['steps_per_s']:.2f}" if base else ""
        prec = r["precision"] if r["precision"] == r["resolved"] else f"{r['precision']} → {r['resolved']}"
        lines.append(f"| {LABELS[r['task']]} | {prec} | {r['batch']} | {r['params'] / 1e3:.0f} k | {med:.3f} | "
                     f"{r['steps_per_s']:.3f} | {r['samples_per_s_per_core']:.2f} | {ratio} | "
                     f"{100 * r['data_fraction']:.0f} % | {r['peak_rss_mib']:.0f} |")
    lines += ["", "A step = drawing the batch (Task.sample) + Task.train_step (all of the task's forward, backward "
              "and optimiser steps), as in core.train.fit without checkpoints, logs or checks. bf16 = CPU bfloat16 "
              "autocast (weights, optimiser and losses stay float32). Data share = the part of the step spent "
              "drawing the batch. Sizes: see the docstring of benchmarks/train.py (the shipped recipes). "
              "Speed alone: whether bf16 keeps each task's quality is a separate A/B."]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "train.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (RESULTS / "train.json").write_text(json.dumps(
        {"date": date, "command": command, "machine": m, "load_avg_before": load_before,
         "load_avg_after": load_after, "busy_note": note, "target_speedup": TARGET_SPEEDUP, "rows": rows},
        indent=1), encoding="utf-8")
    print("\n".join(lines))
    return 0


def _cpu_model_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "unknown"


def _cpu_flags() -> list[str]:
    """The CPU's bfloat16-related flags (/proc/cpuinfo): AMX and AVX-512 BF16."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                have = set(line.split(":", 1)[1].split())
                return [f for f in ("amx_bf16", "amx_tile", "avx512_bf16", "avx512f") if f in have]
    except OSError:
        pass
    return []


if __name__ == "__main__":
    sys.exit(main())
