"""Benchmark of video continuation on CPU: 10 frames at 64², with and without the KV cache, VQ-VAE
frames per second, peak memory.

Run from the repository root:

    python -m benchmarks.video                       # both configs, 1 thread, ~4-5 min on a busy 2-core box
    python -m benchmarks.video --configs small --threads 1 2

Configs (timing does not depend on the weights, so **untrained** weights are used):

* ``default``: ``VQVAEConfig()`` (64², grid factor 8 → 8² latents, n_c 2, K 256, 64 channels: 128 codes
  per frame) + ``LVTConfig()`` (one causal window of 20 frames with 10 given, dim 128, 4 heads, 4 layers).
* ``small``: n_c 1 (64 codes per frame), the same transformer.
* ``grid16``: grid factor 4 (16² latents), n_c 1 (256 codes per frame), transformer dim 128, 4 heads,
  4 layers: the finer grid, for comparison.

Measurements, each in a **fresh subprocess** (peak memory = that process's ``ru_maxrss``: interpreter,
torch, model and activations):

* ``cache``: ``core.video.sampling.continue_clip`` end to end (encode 10 context frames of the
  fixed test set, sample 10 frames with the KV cache (greedy), decode), timed once after building the
  model; the 10 given and 10 new frames fill one window.
* ``nocache``: the uncached sampler recomputes the whole prefix for every token; 10 frames take hours
  for the default config, so it is **extrapolated**: one forward of the prefix is timed at three
  positions i (start of the predicted part, middle, end of the window), a quadratic in i is fitted
  through them and summed over all sampled positions of all windows (the uncached sampler does
  exactly one forward of i+1 tokens per sampled token i). The ratio nocache/cache uses the
  measured cached time of the same run.
* ``vqvae``: encode + decode of batches of 16 frames at 64², frames per second.

The machine is shared (other people's jobs run on the same 2 cores), so the load average at the
start is recorded; torch threads are set per measurement (``--threads``; 1 by default, since with
2 threads on a loaded 2-core machine the threads wait for each other and sampling gets many times
slower). Results go to ``benchmarks/results/video.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))
from core.machine import machine_info, peak_rss_mib  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
FRAMES = 10
TARGET_S = 10.0  # issue 16: 10 frames from 10 in at most 10 s on this CPU
CONFIGS = {
    "default": {"vq": {}, "lvt": {}},
    "small": {"vq": {"n_parts": 1}, "lvt": {"dim": 128, "heads": 4, "layers": 4}},
    "grid16": {"vq": {"n_parts": 1, "downsample": 4}, "lvt": {"dim": 128, "heads": 4, "layers": 4}},
    # the default design with the previous-frame inputs (codes of the 3×3 neighbourhood in the 2 frames before)
    "prev2": {"vq": {}, "lvt": {"prev_frames": 2, "prev_radius": 1}},
}




def _build(name: str):
    import torch

    from core.video.config import LVTConfig, VQVAEConfig
    from core.video.loader import LoadedLVT
    from core.video.model import LatentVideoTransformer
    from core.video.vqvae import VQVAE

    torch.manual_seed(0)
    c = CONFIGS[name]
    vc = VQVAEConfig(**c["vq"])
    cfg = LVTConfig(**{"height": vc.latent, "width": vc.latent, "n_parts": vc.n_parts,
                       "codebook_size": vc.codebook_size, **c["lvt"], "vqvae": vc.to_dict()})
    n_params = None
    model = LatentVideoTransformer(cfg).eval()
    vq = VQVAE(vc).eval()
    n_params = {"lvt": sum(p.numel() for p in model.parameters()), "vqvae": sum(p.numel() for p in vq.parameters())}
    return LoadedLVT(model, vq, f"untrained {name}", 0), n_params


def _child(spec: dict) -> dict:
    import numpy as np
    import torch

    torch.set_num_threads(int(spec["threads"]))
    what = spec["what"]
    if what == "vqvae":  # the VQ-VAE alone, so that its peak memory is its own
        from core.video.vqvae import VQVAE, VQVAEConfig

        torch.manual_seed(0)
        vq = VQVAE(VQVAEConfig(**CONFIGS[spec["config"]]["vq"])).eval()
        out = {"n_params": {"vqvae": sum(p.numel() for p in vq.parameters())}, "threads": torch.get_num_threads()}
    else:
        loaded, n_params = _build(spec["config"])
        cfg = loaded.model.cfg
        out = {"n_params": n_params, "tokens_per_frame": cfg.tokens_per_frame, "window_tokens": cfg.length,
               "threads": torch.get_num_threads(), "rss_after_build_mib": peak_rss_mib()}
    if what == "cache":
        from core.video.mnist import fixed_test_set
        from core.video.sampling import continue_clip

        ctx = fixed_test_set(1, frames=10)[0]
        t = time.perf_counter()
        clip = continue_clip(loaded, ctx, FRAMES, seed=0)
        out["seconds"] = time.perf_counter() - t
        out["frames_out"] = int(clip.shape[1] - len(ctx))
    elif what == "nocache":
        model = loaded.model
        L, P = cfg.length, cfg.context * cfg.tokens_per_frame
        tok = torch.randint(0, cfg.codebook_size, (1, L), generator=torch.Generator().manual_seed(0))
        pos = [P, (P + L - 1) // 2, L - 1]
        times = []
        with torch.no_grad():
            model(tok[:, :64])  # warm-up
            for i in pos:
                t = time.perf_counter()
                model(tok[:, :i + 1])
                times.append(time.perf_counter() - t)
        coef = np.polyfit(np.array(pos, float), np.array(times), 2)
        per_window = float(np.polyval(coef, np.arange(P, L, dtype=float)).sum())
        n_win = math.ceil(FRAMES / (cfg.frames - cfg.context))  # windows after the first start with context only
        out.update(seconds=per_window * n_win, extrapolated=True, positions=pos, forward_seconds=times,
                   windows=n_win)
    elif what == "vqvae":
        x = torch.rand(16, 1, vq.cfg.size, vq.cfg.size)
        with torch.no_grad():
            vq.decode(vq.encode(x))  # warm-up
            reps, t = 0, time.perf_counter()
            while reps < 3 or time.perf_counter() - t < 3.0:
                vq.decode(vq.encode(x))
                reps += 1
            dt = time.perf_counter() - t
        out.update(fps=16 * reps / dt, seconds=dt, frames=16 * reps)
    else:
        raise ValueError(what)
    out["peak_rss_mib"] = peak_rss_mib()
    return out


def _run_child(spec: dict, timeout: float) -> dict:
    t = time.perf_counter()
    try:
        p = subprocess.run([sys.executable, "-m", "benchmarks.video", "--child", json.dumps(spec)], cwd=ROOT,
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {**spec, "timed_out": True, "limit_s": timeout}
    if p.returncode != 0:
        return {**spec, "error": p.stderr.strip().splitlines()[-1] if p.stderr.strip() else f"exit {p.returncode}"}
    res = json.loads(p.stdout.strip().splitlines()[-1])
    return {**spec, **res, "wall_s": time.perf_counter() - t}




def _markdown(res: dict) -> str:
    m = res["machine"]
    lines = ["# Video continuation benchmark (CPU)", "",
             f"Date {res['date']}; command `{res['command']}`; {m['cpu']}, {m['logical_cores']} cores, Python {m['python']}, "
             f"torch {m['torch']}.",
             f"**The machine was busy**: load average at start {res['load_average_start']} on {m['logical_cores']} cores "
             "(other people's jobs); times are upper bounds for an idle machine.",
             "Untrained weights (timing does not depend on the weights). Each measurement ran in a fresh "
             "subprocess; peak memory is its ru_maxrss (whole process).", "",
             f"| config | threads | params (LVT / VQ-VAE) | codes per frame | {FRAMES} frames with cache (s) | "
             f"{FRAMES} frames without cache (s) | speed-up of the cache | VQ-VAE frames/s (enc+dec) | "
             f"peak memory MiB (cache / no cache / VQ-VAE) | target ≤ {TARGET_S:.0f} s |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in res["rows"]:
        c, n, v = row.get("cache", {}), row.get("nocache", {}), row.get("vqvae", {})

        def sec(d):
            if d.get("timed_out"):
                return f"> {d['limit_s']:.0f} (stopped)"
            if "seconds" not in d:
                return "—" if not d.get("error") else f"error: {d['error']}"
            return f"{d['seconds']:.1f}" + (" (extrapolated)" if d.get("extrapolated") else "")

        def mem(d):
            return f"{d['peak_rss_mib']:.0f}" if "peak_rss_mib" in d else "—"

        p = c.get("n_params") or n.get("n_params") or {}
        ratio = f"{n['seconds'] / c['seconds']:.0f}×" if "seconds" in c and "seconds" in n else "—"
        fps = f"{v['fps']:.0f}" if "fps" in v else "—"
        target = ("yes" if c["seconds"] <= TARGET_S else "no") if "seconds" in c else "—"
        params = f"{p.get('lvt', 0) / 1e6:.2f} M / {p.get('vqvae', 0) / 1e6:.2f} M" if p else "—"
        lines.append(f"| {row['config']} | {row['threads']} | {params} | {c.get('tokens_per_frame', '—')} | {sec(c)} | "
                     f"{sec(n)} | {ratio} | {fps} | {mem(c)} / {mem(n)} / {mem(v)} | {target} |")
    lines += ["", "Notes:", "",
              f"- With the cache: `continue_clip` end to end (encode the 10 context frames, sample {FRAMES} frames, "
              "decode), greedy; 10 given + 10 new frames are one window of the default configs.",
              "- Without the cache: extrapolated from three timed prefix forwards per window (quadratic fit over the "
              "position, summed over every sampled token of every window); running it for real takes hours for "
              "the default config.",
              "- `rss_after_build_mib` in the JSON is the memory after building the model; the VQ-VAE run "
              "builds the VQ-VAE only.",
              "- Threads: torch.set_num_threads per measurement. On this shared 2-core machine 2 threads were "
              "much slower than 1 in a check before this run (cached sampling, small config: about 32 ms per "
              "token with 2 threads against 1.4 ms with 1, at load average about 5): the threads wait on cores "
              "busy with other jobs. Rerun with `--threads 1 2` on an idle machine to compare.",
              "- Configs: " + "; ".join(f"`{k}`: VQ-VAE {v['vq'] or 'defaults'}, LVT {v['lvt'] or 'defaults'}"
                                        for k, v in CONFIGS.items()), ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.video", description=__doc__.split("\n\n")[0])
    ap.add_argument("--configs", nargs="+", default=["small", "default", "grid16"], choices=list(CONFIGS))
    ap.add_argument("--threads", nargs="+", type=int, default=[1])
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per measurement (default 300)")
    ap.add_argument("--out", default=str(RESULTS / "video"), help="results stem (.md and .json are written)")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(_child(json.loads(args.child))))
        return 0
    load = os.getloadavg()
    started = time.perf_counter()
    res = {"date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "command": "python -m benchmarks.video " + " ".join(argv if argv is not None else sys.argv[1:]),
           "load_average_start": [round(x, 2) for x in load], "machine": machine_info(torch_info=True), "untrained_weights": True,
           "frames": FRAMES, "target_s": TARGET_S, "configs": CONFIGS, "rows": []}
    for threads in args.threads:
        for name in args.configs:
            row = {"config": name, "threads": threads}
            for what in ("cache", "nocache", "vqvae"):
                r = _run_child({"config": name, "what": what, "threads": threads}, args.timeout)
                row[what] = r
                print(f"{name} threads={threads} {what}: " + json.dumps({k: r.get(k) for k in (
                    "seconds", "fps", "peak_rss_mib", "timed_out", "error") if k in r}), flush=True)
            res["rows"].append(row)
    res["total_s"] = time.perf_counter() - started
    res["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    out.with_suffix(".md").write_text(_markdown(res), encoding="utf-8")
    print(f"wrote {out.with_suffix('.md')} and {out.with_suffix('.json')} in {res['total_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
