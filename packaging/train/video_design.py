"""Measure video designs briefly on this machine before one is trained long (issue 16).

    python packaging/train/video_design.py                       # the default designs, about an hour on 2 cores
    python packaging/train/video_design.py --vq-minutes 0.2 --vq 8x1x64 --lvt 64x2 --lvt-steps 2 \\
        --sample-frames 1 --out /tmp/design.md                   # a check that it runs (~1 min)

For each VQ-VAE design ``FxNxK`` (grid factor F: 64² frames → (64/F)² latents; N = n_c parts; K
entries per part codebook) the frame VQ-VAE is trained for ``--vq-minutes`` on Moving MNIST
(training digits, the trainer with ``--precision``), then measured on frames of the fixed test set
(test digits): reconstruction MSE per frame (sum over pixels, frames in [0, 1], as OpenSTL), PSNR,
bits per code (entropy of the code usage per part, at most log2 K), codebook use, codes per frame.

For each VQ-VAE design × transformer design ``DIMxLAYERS`` (heads = dim/32; one causal window of
``--frames`` frames with ``--context`` given): transformer training steps per second at batch
``--batch`` on random codes (AdamW, gradient clipping, bf16 autocast where ``--precision``
resolves to it), the time per batch of making the Moving MNIST clips and encoding them with the
trained VQ-VAE (float32, as the training task does), and the seconds to sample ``--sample-frames``
frames from 10 given ones (greedy, KV cache, float32, batch 1, untrained transformer weights:
timing does not depend on them). Writes a markdown table (and .json beside it) with machine,
command, date and load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import shlex
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from core.machine import load_average, machine_info  # noqa: E402
from core.metrics import psnr  # noqa: E402
from core.precision import cpu_autocast, resolve_precision  # noqa: E402
from core.train import TrainConfig, fit  # noqa: E402
from core.video.config import LVTConfig, VQVAEConfig  # noqa: E402
from core.video.layout import to_sequence  # noqa: E402
from core.video.loader import LoadedLVT  # noqa: E402
from core.video.metrics import MSE_FLOOR  # noqa: E402
from core.video.mnist import fixed_test_set, moving_mnist  # noqa: E402
from core.video.model import LatentVideoTransformer  # noqa: E402
from core.video.sampling import continue_clip  # noqa: E402
from core.video.task import VQVAETask  # noqa: E402
from core.video.vqvae import code_usage_bits, to_float  # noqa: E402

DEFAULT_VQ = ["8x1x256", "8x2x256", "8x4x256", "8x2x512", "4x1x256", "4x2x256"]
DEFAULT_LVT = ["128x4", "192x6", "256x8"]


def parse_vq(spec: str) -> tuple[int, int, int]:
    f, n, k = (int(v) for v in spec.lower().split("x"))
    return f, n, k


def parse_lvt(spec: str) -> tuple[int, int]:
    d, layers = (int(v) for v in spec.lower().split("x"))
    return d, layers


def train_vq(cfg: VQVAEConfig, args, out_dir: Path):
    """(trained VQ-VAE in eval mode, steps done, seconds) after ``args.vq_minutes`` of training."""
    t = time.perf_counter()
    tc = TrainConfig(steps=10**9, batch_size=args.vq_batch, lr=1e-3, checkpoint_every=0, log_every=50, seed=0,
                     device="cpu", precision=args.precision, out_dir=str(out_dir), max_minutes=args.vq_minutes)
    task = VQVAETask(cfg)
    res = fit(task, tc)
    from core.video.loader import load_vqvae

    vq, _ = load_vqvae(res.checkpoint)
    return vq, int(res.step), time.perf_counter() - t


@torch.no_grad()
def measure_vq(vq, frames: np.ndarray) -> dict:
    """Reconstruction and code statistics of ``frames`` (n, H, W) uint8."""
    x = to_float(frames)
    codes = torch.cat([vq.encode(x[i:i + 64]) for i in range(0, len(x), 64)])
    rec = torch.cat([vq.decode(codes[i:i + 64]) for i in range(0, len(codes), 64)])
    rec = torch.round(rec * 255) / 255  # as the user sees it (uint8)
    err = (rec - x).pow(2).sum(dim=(1, 2, 3))
    k = vq.cfg.codebook_size
    used = np.mean([codes[:, c].unique().numel() / k for c in range(vq.cfg.n_parts)])
    return {"mse_per_frame": float(err.mean()), "psnr": psnr(rec, x, mse_floor=MSE_FLOOR),
            "bits_per_code": code_usage_bits(codes, k), "max_bits": math.log2(k), "code_use": float(used),
            "codes_per_frame": int(codes[0].numel())}


def lvt_steps_per_s(cfg: LVTConfig, args, precision: str) -> tuple[float, int]:
    """(transformer training steps per second on random codes, parameters)."""
    torch.manual_seed(0)
    net = LatentVideoTransformer(cfg).train()
    opt = torch.optim.AdamW(net.parameters(), lr=3e-4, betas=(0.9, 0.95), weight_decay=0.01)
    tokens = torch.randint(0, cfg.codebook_size, (args.batch, cfg.length))

    def step():
        opt.zero_grad(set_to_none=True)
        with cpu_autocast(precision):
            logits = net(tokens)
            loss = F.cross_entropy(logits.float().transpose(1, 2), tokens)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()

    step()  # warm-up
    t = time.perf_counter()
    for _ in range(args.lvt_steps):
        step()
    return args.lvt_steps / (time.perf_counter() - t), sum(p.numel() for p in net.parameters())


@torch.no_grad()
def data_seconds(vq, args) -> float:
    """Seconds per batch to make ``args.batch`` training clips and encode them (float32)."""
    rng = np.random.default_rng(0)
    t = time.perf_counter()
    for _ in range(2):
        clips = moving_mnist(args.batch, seed=rng, split="train", frames=args.frames, size=vq.cfg.size)
        codes = vq.encode(to_float(clips))
        to_sequence(codes.reshape((args.batch, args.frames) + tuple(codes.shape[1:])))
    return (time.perf_counter() - t) / 2


def sample_seconds(cfg: LVTConfig, vq, args) -> float | None:
    """Seconds to continue 10 given test frames by ``args.sample_frames`` frames (greedy, cache, fp32)."""
    if args.sample_frames < 1:
        return None
    torch.manual_seed(0)
    loaded = LoadedLVT(LatentVideoTransformer(cfg).eval(), vq, "untrained", 0)
    clip = fixed_test_set(1, frames=cfg.context, size=vq.cfg.size)[0]
    t = time.perf_counter()
    continue_clip(loaded, clip, args.sample_frames)
    return time.perf_counter() - t


def markdown(res: dict) -> str:
    m, a = res["machine"], res["args"]
    lines = ["# Video designs measured briefly on the CPU", "",
             f"Date {res['date']}; command `{res['command']}`.", "",
             f"Machine: {m['cpu']}, {m['logical_cores']} logical cores, {m.get('ram_gib')} GiB RAM, Python "
             f"{m['python']}, torch {m.get('torch', '?')}; {a['threads']} torch thread(s); precision "
             f"{a['precision']} → {res['precision']}; load average at start {res['load_start']}, at the end "
             f"{res['load_end']} (other jobs on the machine make every figure pessimistic).", "",
             f"## Frame VQ-VAE after {a['vq_minutes']:g} min of training each", "",
             f"Batch {a['vq_batch']} frames, Adam 1e-3, channels {a['channels']}, embed dim {a['embed_dim']}; "
             f"measured on {res['test_frames']} frames of the fixed test set (test digits only).", "",
             "| design F×n_c×K | latent grid | codes per frame | steps | recon MSE per frame ↓ | PSNR (dB) ↑ | "
             "bits per code (usage entropy) / log2 K | codebook use | bits per frame (codes × entropy) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in res["vq"]:
        g = 64 // r["factor"]
        lines.append(f"| {r['design']} | {g}×{g} | {r['codes_per_frame']} | {r['steps']} | {r['mse_per_frame']:.2f} | "
                     f"{r['psnr']:.2f} | {r['bits_per_code']:.2f} / {r['max_bits']:.0f} | {100 * r['code_use']:.0f} % | "
                     f"{r['codes_per_frame'] * r['bits_per_code']:.0f} |")
    lines += ["", f"## Transformer: one causal window of {a['frames']} frames ({a['context']} given)", "",
              f"Training steps per second at batch {a['batch']} on random codes (AdamW, clipping; "
              f"{a['lvt_steps']} timed steps after one warm-up); data = making the batch's Moving MNIST clips and "
              f"encoding them with the VQ-VAE above (float32); a whole step ≈ 1 / (1/steps_per_s + data). "
              f"Sampling: {a['sample_frames']} frame(s) from 10 given, greedy, KV cache, float32, batch 1, untrained "
              "weights.", "",
              "| VQ design | dim × layers | params | tokens per window | LVT steps/s | data s/batch | whole steps/s | "
              "steps per hour | sampling s |",
              "|---|---|---|---|---|---|---|---|---|"]
    for r in res["lvt"]:
        whole = 1 / (1 / r["steps_per_s"] + r["data_s"])
        samp = "—" if r["sample_s"] is None else f"{r['sample_s']:.1f}"
        lines.append(f"| {r['vq']} | {r['dim']} × {r['layers']} | {r['params'] / 1e6:.2f} M | {r['tokens']} | "
                     f"{r['steps_per_s']:.3f} | {r['data_s']:.2f} | {whole:.3f} | {3600 * whole:.0f} | {samp} |")
    lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--vq", nargs="+", default=DEFAULT_VQ, metavar="FxNxK", help="VQ-VAE designs")
    ap.add_argument("--lvt", nargs="+", default=DEFAULT_LVT, metavar="DIMxLAYERS", help="transformer designs")
    ap.add_argument("--vq-minutes", type=float, default=3.0, help="VQ-VAE training per design (default 3)")
    ap.add_argument("--vq-batch", type=int, default=32)
    ap.add_argument("--channels", type=int, default=64)
    ap.add_argument("--embed-dim", type=int, default=64)
    ap.add_argument("--frames", type=int, default=20, help="transformer window in frames (default 20)")
    ap.add_argument("--context", type=int, default=10, help="given frames (default 10)")
    ap.add_argument("--batch", type=int, default=8, help="transformer batch (default 8)")
    ap.add_argument("--lvt-steps", type=int, default=3, help="timed transformer steps per design (default 3)")
    ap.add_argument("--sample-frames", type=int, default=10, help="frames sampled for the timing (0: skip)")
    ap.add_argument("--test-sequences", type=int, default=16, help="fixed test sequences for the VQ-VAE figures")
    ap.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=str(ROOT / "docs" / "results" / "video" / "design.md"))
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    precision = resolve_precision(args.precision, torch.device("cpu"))
    res = {"date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "command": "python packaging/train/video_design.py " + " ".join(
               shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv)),
           "machine": machine_info(torch_info=True), "load_start": load_average(), "args": vars(args),
           "precision": precision, "vq": [], "lvt": []}
    test = fixed_test_set(args.test_sequences)
    frames = test.reshape((-1,) + test.shape[2:])
    res["test_frames"] = len(frames)
    with tempfile.TemporaryDirectory(prefix="video_design_") as tmp:
        for spec in args.vq:
            f, n, k = parse_vq(spec)
            vcfg = VQVAEConfig(channels=args.channels, embed_dim=args.embed_dim, n_parts=n, codebook_size=k,
                               downsample=f)
            vq, steps, secs = train_vq(vcfg, args, Path(tmp) / spec)
            row = {"design": spec, "factor": f, "n_parts": n, "codebook_size": k, "steps": steps,
                   "train_s": secs, **measure_vq(vq, frames)}
            res["vq"].append(row)
            print(json.dumps(row), flush=True)
            data_s = data_seconds(vq, args)
            for lspec in args.lvt:
                d, layers = parse_lvt(lspec)
                cfg = LVTConfig(frames=args.frames, context=args.context, height=vcfg.latent, width=vcfg.latent,
                                n_parts=n, codebook_size=k, dim=d, heads=max(1, d // 32), layers=layers,
                                vqvae=vcfg.to_dict())
                sps, params = lvt_steps_per_s(cfg, args, precision)
                lrow = {"vq": spec, "dim": d, "layers": layers, "params": params, "tokens": cfg.length,
                        "steps_per_s": sps, "data_s": data_s, "sample_s": sample_seconds(cfg, vq, args)}
                res["lvt"].append(lrow)
                print(json.dumps(lrow), flush=True)
    res["load_end"] = load_average()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(markdown(res), encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out} and {out.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
