"""Benchmark of drawing cleanup: seconds per A4 page at 300 dpi (2480×3508) on CPU and peak memory.

Run from the repository root:

    python -m benchmarks.cleanup                       # default U-Net (UNetConfig()), 2 timed runs
    python -m benchmarks.cleanup --widths 8 16 --repeats 3

The page is one synthetic scan from the held-out stream (seed 2**61, all degradations), written
once as PNG. Each configuration is measured in a fresh subprocess: load the model (the shipped
resources/models/cleanup_unet.pt when present, else an untrained model of the same size: the time
does not depend on the weights), read the PNG, one warm-up on a 256² image, then ``repeats`` times:
``clean_image`` on the page in memory (tiled inference, default tile 1024 / overlap 64, threshold)
and ``clean_file`` end to end (read PNG → clean → write 1-bit PNG). Peak memory is the child's
peak resident set (VmHWM on Linux, else ``ru_maxrss``; the whole process: interpreter, torch,
model, page, tiles). The page is made in a separate process so no child inherits its memory. Threads: torch's
default (all usable cores). The load average before and after is recorded, because the machine
may be shared: a busy machine makes every number slower.
Results go to ``benchmarks/results/cleanup.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))
from core.machine import load_average, machine_info, peak_rss_mib  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
SHIPPED = ROOT / "resources" / "models" / "cleanup_unet.pt"
A4_300DPI = (3508, 2480)  # height, width
TARGET_S, TARGET_GIB = 5.0, 2.0


def _child(page: str, width: int, depth: int, repeats: int, tile: int, overlap: int, cap_gib: float,
           precision: str, views: int = 1) -> dict:
    if cap_gib > 0:
        import resource

        cap = int(cap_gib * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    sys.path.insert(0, str(ROOT))
    import numpy as np
    import torch

    from core.cleanup import CleanupModel, UNetConfig, clean_file, clean_image, load_model, read_pages
    from core.cleanup.model import count_params

    cfg = UNetConfig(base_width=width, depth=depth)
    info = {}
    if SHIPPED.is_file() and load_model(SHIPPED).config == cfg:
        model = load_model(SHIPPED, precision=precision, views=views)
        info["weights"] = SHIPPED.name
    else:
        model = CleanupModel.from_config(cfg, seed=0, precision=precision, views=views)
        info["weights"] = "untrained (same size; time does not depend on the weights)"
    grey = read_pages(page)[0]
    clean_image(model, np.ascontiguousarray(grey[:256, :256]), tile=tile, overlap=overlap)  # warm-up
    base = peak_rss_mib()
    mem_s, file_s, cpu_s = [], [], []
    with tempfile.TemporaryDirectory() as td:
        for r in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            ink = clean_image(model, grey, tile=tile, overlap=overlap)
            mem_s.append(time.perf_counter() - t0)
            cpu_s.append(time.process_time() - c0)
            t0 = time.perf_counter()
            clean_file(page, Path(td) / f"out{r}.png", model, tile=tile, overlap=overlap)
            file_s.append(time.perf_counter() - t0)
    return {"base_width": width, "depth": depth, "tile": tile, "overlap": overlap, "params": count_params(model.net),
            "shape": list(grey.shape), "ink_fraction": round(float(ink.mean()), 4),
            "clean_image_s": mem_s, "clean_file_s": file_s, "clean_image_cpu_s": cpu_s, "rss_after_load_mib": base,
            "peak_rss_mib": peak_rss_mib(), "threads": torch.get_num_threads(), "precision": model.precision, "views": model.views, **info}


def make_page(path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    import cv2

    from core.cleanup.synth import HELDOUT_SEED_BASE, make_pair

    scan, _ = make_pair(HELDOUT_SEED_BASE, *A4_300DPI)
    cv2.imwrite(str(path), scan)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--widths", type=int, nargs="+", default=[8], help="U-Net base widths (default: 8, the default model)")
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--tile", type=int, default=1024)
    ap.add_argument("--overlap", type=int, default=64)
    ap.add_argument("--cap-gib", type=float, default=8.0, help="address-space cap of a child (0 = none)")
    ap.add_argument("--precisions", nargs="+", default=["auto"], choices=["auto", "fp32", "bf16"],
                    help="inference precision(s) (default auto: bf16 on CPUs with native bfloat16)")
    ap.add_argument("--views", type=int, nargs="+", default=[1], choices=[1, 4, 8],
                    help="test-time views averaged (default 1; e.g. --views 1 4 8)")
    ap.add_argument("--child", nargs=9, help=argparse.SUPPRESS)
    ap.add_argument("--make-page", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        c = args.child
        print(json.dumps(_child(c[0], int(c[1]), int(c[2]), int(c[3]), int(c[4]), int(c[5]), float(c[6]), c[7], int(c[8]))))
        return 0
    if args.make_page:
        make_page(Path(args.make_page))
        return 0

    command = "python -m benchmarks.cleanup " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    load_before = load_average()
    rows = []
    with tempfile.TemporaryDirectory() as td:
        page = Path(td) / "a4_300dpi.png"
        # In its own process, so that this parent stays small (children inherit nothing big).
        subprocess.run([sys.executable, "-m", "benchmarks.cleanup", "--make-page", str(page)], cwd=ROOT, check=True)
        for w, prec, v in [(w, prec, v) for w in args.widths for prec in args.precisions for v in args.views]:
            cmd = [sys.executable, "-m", "benchmarks.cleanup", "--child", str(page), str(w), str(args.depth),
                   str(args.repeats), str(args.tile), str(args.overlap), str(args.cap_gib), prec, str(v)]
            print(f"measuring base width {w}, depth {args.depth}, {prec}, {v} view(s) ...", file=sys.stderr, flush=True)
            p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
            if p.returncode != 0:
                rows.append({"base_width": w, "depth": args.depth, "precision": prec, "views": v,
                             "error": (p.stderr or p.stdout).strip()[-400:]})
            else:
                rows.append(json.loads(p.stdout.strip().splitlines()[-1]))
            rows[-1]["load_avg_after"] = load_average()
    load_after = load_average()
    m = machine_info(torch_info=True)
    date = _dt.datetime.now().isoformat(timespec="seconds")
    busy = (load_before or [0])[0] > 0.5 * (m["usable_cores"] or 1)
    note = (f"The machine was shared while this ran (1-min load average {load_before[0]} before, {load_after[0]} "
            f"after, on {m['usable_cores']} usable cores): other jobs were running, so these times are slower "
            "than on an idle machine." if busy else
            f"Load average before {load_before}, after {load_after} (machine mostly idle).")
    lines = ["# Drawing cleanup benchmark: one A4 page at 300 dpi (2480×3508) on CPU", "",
             f"- date: {date}", f"- command: `{command}`",
             f"- machine: {m['cpu']}, {m['usable_cores']} usable cores, {m['ram_gib']} GiB RAM, "
             f"{m['platform']}, Python {m['python']}, torch {m['torch']}",
             f"- load average (1, 5, 15 min) before: {load_before}, after: {load_after}",
             f"- targets: ≤ {TARGET_S:g} s a page, < {TARGET_GIB:g} GiB peak", "", note, "",
             "| U-Net (base width, depth) | precision | views | params | tile / overlap | clean_image s (each run) | "
             "read+clean+write s (each run) | CPU s of clean_image (all threads) | idle estimate s | "
             "peak RSS MiB | threads | weights |",
             "|---|---|---:|---:|---|---|---|---|---:|---:|---:|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['base_width']}, {r['depth']} | {r['precision']} | {r.get('views', 1)} | | | error: {r['error'][:200]} | | | | | | |")
            continue
        fmt = lambda xs: ", ".join(f"{x:.2f}" for x in xs)  # noqa: E731
        lines.append(f"| {r['base_width']}, {r['depth']} | {r['precision']} | {r.get('views', 1)} | {r['params'] / 1e3:.0f} k | {r['tile']} / {r['overlap']} | "
                     f"{fmt(r['clean_image_s'])} | {fmt(r['clean_file_s'])} | {fmt(r['clean_image_cpu_s'])} | "
                     f"{min(r['clean_image_cpu_s']) / r['threads']:.1f} | {r['peak_rss_mib']:.0f} | "
                     f"{r['threads']} | {r['weights']} |")
    lines += ["", "Page: synthetic held-out scan (seed 2**61), written as an 8-bit grey PNG. clean_image: tiled "
              "U-Net inference + threshold on the page in memory; read+clean+write: core.cleanup.clean_file. "
              "Peak RSS: the whole child process (fresh per configuration), VmHWM (Linux) else ru_maxrss. "
              "Idle estimate = the smallest CPU time of clean_image divided by the threads: roughly the wall time "
              "on an idle machine with this many cores (a busy machine gives each run less than all cores). "
              "Precision auto = bfloat16 autocast on CPUs with native bfloat16 (AMX / AVX-512 BF16), else float32. "
              "Views: the U-Net's probabilities averaged over that many flipped/transposed copies of the page "
              "(core.cleanup.infer.VIEWS; one pass each)."]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "cleanup.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (RESULTS / "cleanup.json").write_text(json.dumps(
        {"date": date, "command": command, "machine": m, "load_avg_before": load_before,
         "load_avg_after": load_after, "busy_note": note, "targets": {"seconds": TARGET_S, "gib": TARGET_GIB},
         "rows": rows}, indent=1), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
