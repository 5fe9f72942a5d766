"""Benchmark of 3D generation: wall time and peak memory per output size, ours vs SliceGAN-sized vs DCGAN.

Run from the repository root:

    python -m benchmarks.rock                     # 64³, 128³, 256³ on CPU (and CUDA when present)
    python -m benchmarks.rock --sizes 64 128 --devices cpu
    python -m benchmarks.rock --agreement 64 96 128 --checkpoint runs/rock-berea/last.pt  # tiled vs whole

Generators (timing does not depend on the weights, so untrained ones are used unless a shipped
model exists in resources/models/rock_berea.pt):

* ours8 / ours16 / ours32: the rock GAN (core.rock) with channels 8 or 16
  (RockGANConfig(channels=N, d_channels=16, crop=32)) and 32 (the default config), one volume from
  one size×size slice (a slice of berea_400.tif's training part), ``core.rock.generate`` end to
  end (encode, generate, threshold, copy to NumPy); tiled above 64³ (core.rock.tiled, default
  tile budget). ours16-whole: the same with ``tiled=False`` (one whole pass: the "before").
  ours8-pixel / ours8-group: width 8 with the given G norm (shipped weights when the shipped Berea
  model has it): PixelNorm models are tiled by core.rock.slabs, GroupNorm ones by core.rock.tiled.
* slicegan: a SliceGAN-sized generator (Kench & Cooper 2021): five ConvTranspose3d, kernel 4,
  stride 2, padding [2, 2, 2, 2, 3], channels 32 → 1024 → 512 → 128 → 32 → 2, BatchNorm + ReLU,
  softmax over the two phases; latent 32 × l³ with l = (size + 64) / 32 (4³ → 64³).
* dcgan: the Mosser et al. 2017 baseline (core.volumes.baseline, default config nz 512, ngf 64).

Each measurement runs in a fresh subprocess (one warm-up generation at 32³ first, so one-off
library start-up is not timed); peak memory is that process's ``ru_maxrss`` (whole process:
interpreter, torch, model and activations) on CPU, ``torch.cuda.max_memory_allocated`` on CUDA.
A child is capped at ``--cap-gib`` of address space (RLIMIT_AS) so that an oversized run fails
instead of starving the shared machine; a capped run is reported as such.
Results go to ``benchmarks/results/rock.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))
from core.machine import machine_info, peak_rss_mib  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "rocks" / "berea_400.tif"
SHIPPED = ROOT / "resources" / "models" / "rock_berea.pt"
RESULTS = ROOT / "benchmarks" / "results"
MODELS = ["ours8", "ours8-pixel", "ours8-group", "ours16", "ours32", "ours16-whole", "slicegan", "dcgan"]
DEFAULT_MODELS = ["ours8", "ours8-pixel", "ours8-group", "ours16", "ours32", "ours16-whole", "slicegan"]
TARGET_S, TARGET_GB = 5.0, 3.0  # ours at 256³ on the 2-core CPU




def slicegan_generator(size: int):
    """SliceGAN-sized generator and its latent shape for a ``size``³ output (size ≡ 0 mod 32)."""
    import torch
    from torch import nn

    ch, pad = [32, 1024, 512, 128, 32, 2], [2, 2, 2, 2, 3]
    layers = []
    for i in range(5):
        layers.append(nn.ConvTranspose3d(ch[i], ch[i + 1], 4, 2, pad[i], bias=False))
        if i < 4:
            layers += [nn.BatchNorm3d(ch[i + 1]), nn.ReLU()]
    net = nn.Sequential(*layers).eval()
    lz = (size + 64) // 32
    return net, (1, 32, lz, lz, lz), torch


def _child(model: str, size: int, device: str, cap_gib: float) -> dict:
    """Runs in the subprocess: build the generator, warm up, time one generation, print JSON."""
    if cap_gib > 0 and device == "cpu":
        import resource

        cap = int(cap_gib * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    sys.path.insert(0, str(ROOT))
    import numpy as np
    import torch

    dev = torch.device(device)
    info: dict = {}
    if model.startswith("ours"):
        from core.rock import RockGANConfig, RockModel, generate, load_model

        width = int(re.match(r"ours(\d+)", model).group(1))
        cfg = RockGANConfig(channels=width, d_channels=16, crop=32) if width != 32 else RockGANConfig()
        norm = re.search(r"-(pixel|group)", model)
        if norm:  # a given G norm: the shipped model only when it has that norm
            cfg = RockGANConfig.from_dict({**cfg.to_dict(), "g_norm": norm.group(1)})
        shipped = load_model(SHIPPED, device=dev) if SHIPPED.is_file() else None
        if shipped is not None and shipped.config.channels == cfg.channels and (
                not norm or shipped.config.g_norm == cfg.g_norm):
            m = shipped
            info["weights"] = SHIPPED.name
        else:
            m = RockModel.from_config(cfg, seed=0, device=dev)
            info["weights"] = f"untrained, channels {cfg.channels}, {cfg.g_norm} norm"
        tiled = False if model.endswith("whole") else None
        tiler = "tiled (slabs)" if m.config.g_norm == "pixel" else "tiled"
        info["path"] = "whole pass" if tiled is False else (tiler if size**3 > 64**3 else "whole pass (≤ 64³)")
        info["config"] = m.config.to_dict()
        if DATA.is_file():
            import tifffile

            with tifffile.TiffFile(DATA) as tf:
                page = tf.pages[150].asarray()  # a training-part slice (z < 300)
            s = np.ascontiguousarray(page[:size, :size]).astype(np.uint8)
        else:
            s = (np.random.default_rng(0).random((size, size)) > 0.8).astype(np.uint8)

        def run(n):
            return generate(m, s[:n, :n], n, 1, seed=0, tiled=tiled)[0]
        params = sum(p.numel() for p in m.generator.parameters()) + sum(p.numel() for p in m.encoder.parameters())
    elif model == "slicegan":
        def run(n):
            net, zshape, _ = slicegan_generator(n)
            net = net.to(dev)
            with torch.no_grad():
                z = torch.randn(zshape, generator=torch.Generator().manual_seed(0)).to(dev)
                out = torch.softmax(net(z), 1)[0, 1]
                return (out > 0.5).to(torch.uint8).cpu().numpy()
        params = sum(p.numel() for p in slicegan_generator(64)[0].parameters())
        info["weights"] = "untrained (SliceGAN sizes)"
    else:
        from core.volumes.baseline import BaselineModel, DCGANConfig, generate_baseline

        bm = BaselineModel.from_config(DCGANConfig(), seed=0, device=dev)
        info["weights"] = "untrained, default DCGANConfig"
        info["config"] = bm.config.to_dict()

        def run(n):
            return generate_baseline(bm, n, 1, seed=0)[0]
        params = sum(p.numel() for p in bm.generator.parameters())
    torch.set_grad_enabled(False)
    run(32 if model != "dcgan" else 16)  # warm-up (library start-up, kernel selection)
    if dev.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    base = peak_rss_mib()
    t0 = time.perf_counter()
    vol = run(size)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    wall = time.perf_counter() - t0
    row = {"model": model, "size": size, "device": device, "wall_s": wall, "rss_before_mib": base,
           "peak_rss_mib": peak_rss_mib(), "params": int(params), "shape": list(vol.shape),
           "porosity": round(float(vol.mean()), 4), "threads": torch.get_num_threads(), **info}
    if dev.type == "cuda":
        row["cuda_peak_mib"] = torch.cuda.max_memory_allocated() / 2**20
    return row




def _extrapolate(rows: list[dict], model: str, size: int, device: str) -> dict | None:
    """Time and peak of ``model`` at ``size`` scaled from its largest smaller measured size."""
    prev = [r for r in rows if r["model"] == model and r["device"] == device and "error" not in r and r["size"] < size]
    if not prev:
        return None
    r = max(prev, key=lambda q: q["size"])
    f = (size / r["size"]) ** 3
    act = max(r["peak_rss_mib"] - r["rss_before_mib"], 0.0)
    return {"from": r["size"], "wall_s": r["wall_s"] * f, "peak_rss_mib": r["rss_before_mib"] + act * f}


def _load_note(load0, cores) -> str:
    """Why the times may be pessimistic: the 1-minute load average at the start against the cores."""
    if not load0 or not cores or load0[0] < 0.5:
        return " (an otherwise idle machine)."
    return (f". The machine was busy at the start ({load0[0]:.1f} runnable tasks on {cores} cores): the times are "
            "pessimistic, not those of an idle machine.")


def _fmt_row(r: dict) -> str:
    if "extrapolated" in r:
        e = r["extrapolated"]
        return (f"| {r['model']} | {r['size']}³ | {r['device']} | ~{e['wall_s']:.0f} (extrapolated from {e['from']}³, "
                f"not run) | ~{e['peak_rss_mib']:.0f} (extrapolated) | | |")
    if "error" in r:
        return f"| {r['model']} | {r['size']}³ | {r['device']} | error: {r['error'][:200]} | | | |"
    mem = f"{r['peak_rss_mib']:.0f}" + (f" (CUDA {r['cuda_peak_mib']:.0f})" if "cuda_peak_mib" in r else "")
    return (f"| {r['model']} | {r['size']}³ | {r['device']} | {r['wall_s']:.2f} | {mem} | {r['rss_before_mib']:.0f} | "
            f"{r['params'] / 1e6:.2f} M | {r.get('path', '')} |")


def _agreement(args, load0) -> int:
    """Voxel agreement and porosity of the tiled path (default settings) against the whole pass."""
    import numpy as np

    from core.rock import RockGANConfig, RockModel, generate, load_model

    if args.checkpoint:
        m, weights = load_model(args.checkpoint), f"{args.checkpoint} (step {load_model(args.checkpoint).step})"
    else:
        m, weights = RockModel.from_config(RockGANConfig(channels=16, d_channels=16, crop=32)), "untrained c=16"
    rows = []
    for size in args.agreement:
        if DATA.is_file():
            import tifffile

            with tifffile.TiffFile(DATA) as tf:
                s = np.ascontiguousarray(tf.pages[150].asarray()[:size, :size])
        else:
            s = (np.random.default_rng(0).random((size, size)) > 0.8).astype(np.uint8)
        for seed in range(args.seeds):
            t0 = time.perf_counter()
            a = generate(m, s, size, 1, seed=seed, tiled=True, paste=False)[0]
            t1 = time.perf_counter()
            b = generate(m, s, size, 1, seed=seed, tiled=False, paste=False)[0]
            t2 = time.perf_counter()
            rows.append({"size": size, "seed": seed, "agreement": float((a == b).mean()),
                         "porosity_tiled": float(a.mean()), "porosity_whole": float(b.mean()),
                         "tiled_s": t1 - t0, "whole_s": t2 - t1})
            print(rows[-1], flush=True)
    lines = ["## Tiled vs whole pass (frozen GroupNorm statistics)", "",
             f"- command: `python -m benchmarks.rock --agreement {' '.join(map(str, args.agreement))}"
             + (f" --checkpoint {args.checkpoint}`" if args.checkpoint else "`"),
             f"- date: {_dt.datetime.now().astimezone().isoformat(timespec='seconds')}; weights: {weights}; "
             f"load average at start {load0}" + _load_note(load0, os.cpu_count()),
             "- tiled = ``generate(..., tiled=True)`` defaults (exact coarse/mid statistics, float16 caches, "
             "sampled fine statistics); whole = one pass with true GroupNorm; voxels after thresholding", "",
             "| size | seed | agreement | porosity tiled | porosity whole | tiled (s) | whole (s) |",
             "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['size']}³ | {r['seed']} | {100 * r['agreement']:.3f} % | {r['porosity_tiled']:.4f} | "
              f"{r['porosity_whole']:.4f} | {r['tiled_s']:.2f} | {r['whole_s']:.2f} |" for r in rows]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "rock_agreement.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (RESULTS / "rock_agreement.json").write_text(json.dumps({"weights": weights, "rows": rows}, indent=2) + "\n")
    print(f"Wrote {RESULTS / 'rock_agreement.md'}")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 128, 256])
    ap.add_argument("--models", nargs="+", default=DEFAULT_MODELS, choices=MODELS)
    ap.add_argument("--agreement", type=int, nargs="+", default=None,
                    help="instead: tiled vs whole-pass voxel agreement at these sizes")
    ap.add_argument("--checkpoint", default=None, help="weights for --agreement (default: untrained c=16)")
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--devices", nargs="+", default=None, help="default: cpu, plus cuda when present")
    ap.add_argument("--cap-gib", type=float, default=8.0, help="address-space cap per CPU child (0 = none)")
    ap.add_argument("--child", nargs=4, metavar=("MODEL", "SIZE", "DEVICE", "CAP"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.child[0], int(args.child[1]), args.child[2], float(args.child[3]))))
        return 0
    import torch

    load0 = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    if args.agreement:
        return _agreement(args, load0)
    devices = args.devices or (["cpu"] + (["cuda"] if torch.cuda.is_available() else []))
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    rows = []
    for device in devices:
        for size in args.sizes:
            for model in args.models:
                est = _extrapolate(rows, model, size, device)
                if est and device == "cpu" and args.cap_gib > 0 and est["peak_rss_mib"] > args.cap_gib * 1024:
                    err = (f"not run: extrapolated from {est['from']}³ (time and activation memory ∝ voxels) to "
                           f"~{est['wall_s']:.0f} s and ~{est['peak_rss_mib'] / 1024:.1f} GiB peak, over the "
                           f"{args.cap_gib:g} GiB cap of this shared machine")
                    rows.append({"model": model, "size": size, "device": device, "error": err, "extrapolated": est})
                    print(f"{model:9s} {size:4d}³ {device:5s}  {err}", flush=True)
                    continue
                cmd = [sys.executable, str(Path(__file__).resolve()), "--child", model, str(size), device,
                       str(args.cap_gib)]
                proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
                if proc.returncode != 0:
                    err = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"
                    if "alloc" in err.lower() or "memory" in err.lower() or proc.returncode < 0:
                        err = f"over the {args.cap_gib:g} GiB memory cap ({err[-120:]})"
                    rows.append({"model": model, "size": size, "device": device, "error": err})
                    print(f"{model:9s} {size:4d}³ {device:5s}  error: {err}", flush=True)
                    continue
                row = json.loads(proc.stdout.strip().splitlines()[-1])
                rows.append(row)
                print(f"{model:9s} {size:4d}³ {device:5s} {row['wall_s']:8.2f} s  peak {row['peak_rss_mib']:7.0f} MiB"
                      + (f" (CUDA {row['cuda_peak_mib']:.0f} MiB)" if "cuda_peak_mib" in row else ""), flush=True)
    ours = [m for m in args.models if m.startswith("ours") and not m.endswith("whole")]
    ratios = []
    for device in devices:
        for size in args.sizes:
            by = {r["model"]: (r["extrapolated"] if "extrapolated" in r else r) for r in rows
                  if r["size"] == size and r["device"] == device and ("error" not in r or "extrapolated" in r)}
            for name in ours:
                if name in by and "slicegan" in by and "wall_s" in by["slicegan"]:
                    ratios.append({"model": name, "size": size, "device": device,
                                   "ours_extrapolated": "from" in by[name],
                                   "time_ours_over_slicegan": by[name]["wall_s"] / by["slicegan"]["wall_s"],
                                   "peak_ours_over_slicegan": by[name]["peak_rss_mib"] / by["slicegan"]["peak_rss_mib"]})
    report = {
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, "-m", "benchmarks.rock"]
                            + (argv if argv is not None else sys.argv[1:])),
        "machine": machine_info(torch_info=True),
        "load_average_at_start_1_5_15": load0,
        "load_average_at_end_1_5_15": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        "target": f"ours at 256³ on the 2-core CPU: ≤ {TARGET_S:g} s, peak < {TARGET_GB:g} GB",
        "results": rows, "ratios": ratios,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "rock.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    m = report["machine"]
    lines = [
        "# 3D generation benchmark (core.rock)", "",
        f"- date: {report['date']}",
        f"- command: `{report['command']}` (from the repository root)",
        f"- machine: {m['platform']}; CPU: {m['cpu']}; {m['logical_cores']} logical cores ({m['usable_cores']} "
        f"usable); {m['ram_gib']} GiB RAM; Python {m['python']}, torch {m['torch']}; CUDA: {m['cuda'] or 'none'}",
        "- one generated volume per row, each in a fresh subprocess after a small warm-up generation; peak = "
        "ru_maxrss of that process (interpreter + torch + model + activations), 'before' = the same just "
        "before the timed call",
        "- ours: core.rock.generate, weights: "
        + ", ".join(f"{k} {v}" for k, v in {r["model"]: r["weights"] for r in rows
                                             if r["model"].startswith("ours") and "weights" in r}.items())
        + "; "
        "slicegan: five ConvTranspose3d (k 4, s 2, p 2,2,2,2,3; 32→1024→512→128→32→2) from a 32×l³ latent; "
        "dcgan: the Mosser et al. 2017 baseline (nz 512, ngf 64). Weights do not change the timings.",
        f"- load average (1, 5, 15 min) at start: {report['load_average_at_start_1_5_15']}, at end: "
        f"{report['load_average_at_end_1_5_15']}" + _load_note(load0, m.get("usable_cores")),
        "- ours: the first row of a size is what ``generate`` does by default; `path` says whole or tiled",
        f"- target: {report['target']}", "",
        "| model | size | device | wall time (s) | peak RSS (MiB) | RSS before (MiB) | parameters | path |",
        "|---|---|---|---|---|---|---|---|",
    ] + [_fmt_row(r) for r in rows]
    if ratios:
        lines += ["", "| model | size | device | time ours / SliceGAN | peak ours / SliceGAN |", "|---|---|---|---|---|"]
        lines += [f"| {q['model']} | {q['size']}³ | {q['device']} | {'~' if q['ours_extrapolated'] else ''}"
                  f"{q['time_ours_over_slicegan']:.2f} | {'~' if q['ours_extrapolated'] else ''}"
                  f"{q['peak_ours_over_slicegan']:.2f} |" for q in ratios]
    for name in ours:
        t = next((r for r in rows if r["model"] == name and r["size"] == 256 and r["device"] == "cpu"), None)
        if t is None:
            continue
        ok_t = "error" not in t and t["wall_s"] <= TARGET_S
        ok_m = "error" not in t and t["peak_rss_mib"] * 2**20 < TARGET_GB * 1e9
        lines += ["", f"Target ({name}, 256³, CPU, ≤ {TARGET_S:g} s and < {TARGET_GB:g} GB), as measured: time"
                  f" {'met' if ok_t else 'NOT met'}, memory {'met' if ok_m else 'NOT met'}"
                  + (" (extrapolated)." if "extrapolated" in t else ".")]
    old = RESULTS / "rock_agreement.md"
    if old.is_file():
        lines += ["", old.read_text(encoding="utf-8").strip()]
    (RESULTS / "rock.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"Wrote {RESULTS / 'rock.md'} and .json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
