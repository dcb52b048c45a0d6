"""Benchmark: cold construction of steerable kernel bases (a script, not a test).

Each measurement runs in a fresh interpreter (cold caches: no intertwiner, Clebsch-Gordan or
restriction computed yet); the imports are done first and not timed; what is timed is building
the gspace, the representations and the basis (after a ``gc.collect()``: otherwise the first full
collection of the heap the imports left, about 0.1 s with torch loaded, falls inside the timing).
Runs are interleaved (a1 b1 c1 [escnn a1 b1 c1] a2 ...) so load drift on the machine hits every case alike; the median of ``--runs`` is shown.

Cases (target for our construction):

* (a) C8, regular -> regular, 5x5                                 (50 ms)
* (b) SO(2), irreps 0..3 (8 copies each) -> the same, 7x7         (50 ms)
* (c) SO(3), irreps l = 0..2 -> the same, 5x5x5                   (50 ms)

If ``/opt/escnn-venv/bin/python`` exists, escnn 1.0's ``R2Conv`` / ``R3Conv`` constructors (with
``initialize=False``: no weight initialisation) for the same field types are timed in the same
interleaved loop, with ``OMP_NUM_THREADS=1`` (escnn's py3nj uses OpenMP, which thrashes on a
loaded 2-core machine).  escnn builds its bases inside the conv constructor, one per DISTINCT
pair of representations, shared by all copies; for fairness ours times ``GridKernelBasis`` for the
distinct pair (the direct sum of the distinct irreps, or the regular representation) - the
copies reuse it.  The band limits differ (escnn's default rings / cutoffs vs ours), so the
basis sizes are shown too.

Run:  python3 bench/bench_kernels.py [--runs 5] [--no-escnn]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ESCNN_PYTHON = Path("/opt/escnn-venv/bin/python")

CASES = {
    "a": dict(title="C8 regular -> regular, 5x5", target_s=0.050),
    "b": dict(title="SO(2) irreps 0..3 (x8) -> same, 7x7", target_s=0.050),
    "c": dict(title="SO(3) irreps l=0..2 -> same, 5x5x5", target_s=0.050),
}
COPIES = {"a": 16, "b": 8, "c": 4}  # escnn field types: copies of the distinct representation(s)

OURS = """
import gc, json, time
from steerable.gspaces import rot2dOnR2, rot3dOnR3
from steerable.group import directsum
from steerable.kernels import GridKernelBasis
gc.collect()  # the imports' garbage: a full collection of torch's heap (~0.1 s) would land in the timing
t0 = time.perf_counter()
case = {case!r}
if case == "a":
    gs = rot2dOnR2(8)
    rho = gs.regular_repr
    ks = 5
elif case == "b":
    gs = rot2dOnR2(-1, maximum_frequency=3)
    rho = directsum([gs.irrep(k) for k in range(4)])
    ks = 7
else:
    gs = rot3dOnR3(2)
    rho = directsum([gs.irrep(l) for l in range(3)])
    ks = 5
basis = GridKernelBasis(gs, rho, rho, ks)
t1 = time.perf_counter()
print(json.dumps({{"s": t1 - t0, "dim": basis.dim, "size": rho.size}}))
"""

ESCNN = """
import gc, json, time
from escnn import gspaces, nn
gc.collect()  # the imports' garbage: a full collection of torch's heap (~0.1 s) would land in the timing
t0 = time.perf_counter()
case, copies = {case!r}, {copies}
if case == "a":
    gs = gspaces.rot2dOnR2(8)
    ft = nn.FieldType(gs, [gs.regular_repr] * copies)
    conv = nn.R2Conv(ft, ft, 5, initialize=False)
elif case == "b":
    gs = gspaces.rot2dOnR2(-1, maximum_frequency=3)
    ft = nn.FieldType(gs, [gs.irrep(k) for k in range(4)] * copies)
    conv = nn.R2Conv(ft, ft, 7, initialize=False)
else:
    gs = gspaces.rot3dOnR3(maximum_frequency=2)
    ft = nn.FieldType(gs, [gs.irrep(l) for l in range(3)] * copies)
    conv = nn.R3Conv(ft, ft, 5, initialize=False)
t1 = time.perf_counter()
print(json.dumps({{"s": t1 - t0, "dim": int(conv.basisexpansion.dimension()), "size": ft.size}}))
"""


def _run(python: str, code: str, env_extra: dict[str, str]) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(env_extra)
    res = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    if res.returncode != 0:
        raise RuntimeError(f"probe failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-escnn", action="store_true")
    args = ap.parse_args()
    escnn = ESCNN_PYTHON.exists() and not args.no_escnn

    probes: list[tuple[str, str, str, str, dict]] = []
    for c in CASES:
        probes.append(("ours", c, sys.executable, OURS.format(case=c), {}))
    if escnn:
        for c in CASES:
            probes.append(("escnn", c, str(ESCNN_PYTHON), ESCNN.format(case=c, copies=COPIES[c]), {"OMP_NUM_THREADS": "1"}))

    samples: dict[tuple[str, str], list[dict]] = {(who, c): [] for who, c, *_ in probes}
    t_start = time.perf_counter()
    for _ in range(args.runs):
        for who, c, python, code, env in probes:  # interleaved
            samples[(who, c)].append(_run(python, code, env))
    elapsed = time.perf_counter() - t_start

    print(f"cold kernel-basis construction: median of {args.runs} fresh interpreters, interleaved "
          f"(load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; {elapsed:.0f} s in all)")
    print("ours: steerable.kernels.GridKernelBasis for the distinct representation pair (gspace + representations + basis)")
    if escnn:
        print("escnn 1.0: R2Conv/R3Conv(initialize=False) constructor for the same field types, OMP_NUM_THREADS=1;")
        print("  escnn builds one basis per distinct representation pair and shares it between the copies,")
        print(f"  so copies ({', '.join(f'{c}: {n}' for c, n in COPIES.items())}) of a representation share one basis")
    print()
    header = f"{'case':40s} {'ours ms':>9s} {'target':>8s} {'ok':>4s} {'dim':>6s}"
    if escnn:
        header += f" {'escnn ms':>9s} {'dim/pair':>8s} {'ratio':>6s}"
    print(header)
    missed = []
    for c, info in CASES.items():
        ours = samples[("ours", c)]
        ms = 1e3 * statistics.median(s["s"] for s in ours)
        ok = ms <= 1e3 * info["target_s"]
        if not ok:
            missed.append(c)
        line = f"({c}) {info['title']:36s} {ms:9.1f} {1e3 * info['target_s']:8.0f} {'yes' if ok else 'NO':>4s} {ours[0]['dim']:6d}"
        if escnn:
            es = samples[("escnn", c)]
            ems = 1e3 * statistics.median(s["s"] for s in es)
            line += f" {ems:9.1f} {es[0]['dim'] // COPIES[c] ** 2:8d} {ems / ms:6.2f}"
        print(line)
    if escnn:
        print("\n(dim: basis size for one copy of the distinct pair; escnn's = its conv's parameters / copies^2 -")
        print(" its default rings and frequency cutoffs differ from ours; ratio = escnn ms / ours ms)")
    if missed:
        print(f"\ntargets missed: {', '.join(missed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
