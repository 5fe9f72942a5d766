"""Benchmark of core.properties: wall time and peak memory per property and volume size.

Run from the repository root:

    python -m benchmarks.properties            # or: python benchmarks/properties.py
    python -m benchmarks.properties --sizes 64 128 --no-permeability

Each measurement runs in a fresh subprocess; peak memory is that process's peak resident set
size (``resource.getrusage(RUSAGE_SELF).ru_maxrss``, so NumPy's C allocations are included),
reported together with the resident size just before the measured call (imports + input volume).
Inputs are centred cubic crops of the *training* part (z < 300) of ``berea_400.tif``.
Results go to ``benchmarks/results/properties.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))
from core.machine import machine_info, peak_rss_mib  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "rocks" / "berea_400.tif"
VOXEL_UM = 5.345
TRAIN_Z = 300
RESULTS = ROOT / "benchmarks" / "results"
PROPS = ["porosity", "s2", "minkowski", "porosity+s2+minkowski", "permeability"]
TARGETS = {"porosity+s2+minkowski": 3.0, "permeability": 30.0}  # seconds at 200³




def _child(prop: str, size: int) -> dict:
    """Runs in the subprocess: load the crop, time one property, print JSON."""
    sys.path.insert(0, str(ROOT))
    import numpy as np
    import tifffile

    from core import properties as P

    if prop == "permeability":  # import the heavy libraries before the timed call
        import openpnm  # noqa: F401
        import porespy  # noqa: F401
    vol = tifffile.imread(DATA)
    z0 = (TRAIN_Z - size) // 2
    y0 = (vol.shape[1] - size) // 2
    x0 = (vol.shape[2] - size) // 2
    crop = np.ascontiguousarray(vol[z0:z0 + size, y0:y0 + size, x0:x0 + size])
    del vol
    funcs = {
        "porosity": lambda: P.porosity(crop),
        "s2": lambda: P.two_point_correlation(crop),
        "minkowski": lambda: P.minkowski_functionals(crop, VOXEL_UM),
        "porosity+s2+minkowski": lambda: P.measure(crop, VOXEL_UM, permeability=False),
        "permeability": lambda: P.permeability(crop, VOXEL_UM),
    }
    base = peak_rss_mib()
    t0 = time.perf_counter()
    out = funcs[prop]()
    wall = time.perf_counter() - t0
    peak = peak_rss_mib()
    info = {}
    if prop == "permeability":
        info = {k: round(out[k], 1) for k in ("x", "y", "z")}
    elif prop == "porosity":
        info = {"porosity": round(out, 4)}
    return {"property": prop, "size": size, "wall_s": wall, "rss_before_mib": base,
            "peak_rss_mib": peak, "info": info}




def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 128, 200])
    ap.add_argument("--no-permeability", action="store_true")
    ap.add_argument("--child", nargs=2, metavar=("PROP", "SIZE"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.child[0], int(args.child[1]))))
        return 0
    if not DATA.exists():
        print(f"Missing input {DATA}; cannot benchmark.", file=sys.stderr)
        return 1
    props = [p for p in PROPS if not (args.no_permeability and p == "permeability")]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    rows = []
    for size in args.sizes:
        for prop in props:
            cmd = [sys.executable, str(Path(__file__).resolve()), "--child", prop, str(size)]
            proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                print(proc.stderr[-2000:], file=sys.stderr)
                rows.append({"property": prop, "size": size, "error": proc.stderr.strip()[-300:]})
                continue
            row = json.loads(proc.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(f"{prop:24s} {size:4d}³  {row['wall_s']:8.3f} s  peak {row['peak_rss_mib']:7.0f} MiB"
                  f"  (before call {row['rss_before_mib']:.0f} MiB) {row['info'] or ''}", flush=True)
    report = {
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, "-m", "benchmarks.properties"] + (argv if argv is not None else sys.argv[1:])),
        "machine": machine_info(torch_info=False),
        "input": f"centred crops of berea_400.tif[z < {TRAIN_Z}], voxel {VOXEL_UM} µm",
        "targets_s_at_200": TARGETS,
        "results": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "properties.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    m = report["machine"]
    lines = [
        "# core.properties benchmark", "",
        f"- date: {report['date']}",
        f"- command: `{report['command']}` (from the repository root)",
        f"- machine: {m['platform']}; CPU: {m['cpu']}; {m['logical_cores']} logical cores "
        f"({m['usable_cores']} usable); Python {m['python']}, NumPy {m['numpy']}",
        f"- input: {report['input']}",
        "- each row: a fresh subprocess; peak = ru_maxrss of that process (includes the Python "
        "interpreter, imports and the loaded 400³ volume; 'before' is the same before the call)",
        f"- targets at 200³: porosity+S2+Minkowski ≤ {TARGETS['porosity+s2+minkowski']} s, "
        f"permeability ≤ {TARGETS['permeability']} s, peak memory < 4 GB",
        "", "| property | size | wall time (s) | peak RSS (MiB) | RSS before call (MiB) | result |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['property']} | {r['size']}³ | error | | | {r['error'][:80]} |")
        else:
            lines.append(f"| {r['property']} | {r['size']}³ | {r['wall_s']:.3f} | {r['peak_rss_mib']:.0f} | "
                         f"{r['rss_before_mib']:.0f} | {r['info'] or ''} |")
    (RESULTS / "properties.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"Wrote {RESULTS / 'properties.md'} and .json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
