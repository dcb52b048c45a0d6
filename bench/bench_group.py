"""Benchmark of the group layer's start-up costs (a script, not a test).

1. ``import steerable`` + ``import steerable.group`` against ``import torch`` alone, each in a fresh
   interpreter, interleaved, 5 runs each; medians of the in-process import time and of the whole
   process wall time.
2. Cold (fresh interpreter, after the imports) time to build the SO(3) irreps l = 0..8 (each
   evaluated at one element) and then every Clebsch-Gordan decomposition
   ``decompose_irreps_tensor(irrep(a), irrep(b))`` for a, b <= 4.

3. Cold C16 Clebsch-Gordan decompositions of all pairs of irreps, closed form against the
   numerical decomposition (fresh processes, interleaved), and cold ``endomorphism_basis()`` of
   the band-limited regular representations of SO(3) and O(3) at band 4 (time, array MB).

Run:  python3 bench/bench_group.py [--runs 5]
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
TARGET_IMPORT_S = 1.5
TARGET_IRREPS_CG_S = 1.0

IMPORT_SNIPPETS = {
    "torch": "import torch",
    "torch+scipy": "import torch\nimport scipy.linalg",
    "steerable": "import steerable\nimport steerable.group",
}

IMPORT_PROBE = """
import time, json
t0 = time.perf_counter()
{body}
print(json.dumps({{"import_s": time.perf_counter() - t0}}))
"""

COLD_PROBE = """
import time, json
import steerable.group as sg
t0 = time.perf_counter()
G = sg.so3_group(8)
g = G.sample(0)
for l in range(9):
    G.irrep(l)(g)
t1 = time.perf_counter()
for a in range(5):
    for b in range(5):
        sg.decompose_irreps_tensor(G.irrep(a), G.irrep(b))
t2 = time.perf_counter()
print(json.dumps({"irreps_s": t1 - t0, "cg_s": t2 - t1}))
"""


PLANAR_CG_PROBE = """
import time, json
import steerable.group as sg
from steerable.group.clebsch_gordan import numerical_decompose_irreps_tensor
G = sg.cyclic_group(16)
irr = G.irreps()
t0 = time.perf_counter()
for a in irr:
    for b in irr:
        {call}(a, b)
print(json.dumps({{"s": time.perf_counter() - t0}}))
"""

ENDO_PROBE = """
import time, json
import steerable.group as sg
G = sg.{factory}(4)
t0 = time.perf_counter()
E = G.bl_regular_representation(4).endomorphism_basis()
print(json.dumps({{"s": time.perf_counter() - t0, "mb": E.nbytes / 1e6}}))
"""


def bench_planar_cg_and_endomorphisms(runs: int) -> dict[str, float]:
    probes = {
        "C16 CG, closed form": PLANAR_CG_PROBE.format(call="sg.decompose_irreps_tensor"),
        "C16 CG, numerical": PLANAR_CG_PROBE.format(call="numerical_decompose_irreps_tensor"),
        "SO(3) bl_regular(4) endomorphisms": ENDO_PROBE.format(factory="so3_group"),
        "O(3) bl_regular(4) endomorphisms": ENDO_PROBE.format(factory="o3_group"),
    }
    got: dict[str, list[float]] = {k: [] for k in probes}
    mb: dict[str, float] = {}
    for _ in range(runs):
        for name, code in probes.items():  # interleaved
            out, _ = _run(code)
            got[name].append(out["s"])
            if "mb" in out:
                mb[name] = out["mb"]
    return {k: (statistics.median(v), mb.get(k)) for k, v in got.items()}


def _run(code: str) -> tuple[dict, float]:
    """Run ``code`` in a fresh interpreter; its JSON output and the process wall time."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise RuntimeError(f"probe failed:\n{res.stderr}")
    return json.loads(res.stdout.strip().splitlines()[-1]), wall


def bench_import(runs: int) -> dict[str, dict[str, float]]:
    samples: dict[str, dict[str, list[float]]] = {k: {"import_s": [], "wall_s": []} for k in IMPORT_SNIPPETS}
    _run(IMPORT_PROBE.format(body="import torch"))  # warm the OS file cache once, untimed
    for _ in range(runs):
        for name, body in IMPORT_SNIPPETS.items():  # interleaved: drift hits both equally
            out, wall = _run(IMPORT_PROBE.format(body=body))
            samples[name]["import_s"].append(out["import_s"])
            samples[name]["wall_s"].append(wall)
    return {k: {m: statistics.median(v) for m, v in d.items()} for k, d in samples.items()}


def bench_own_modules(runs: int) -> dict[str, float]:
    """Median self time of the ``steerable.*`` modules (``python -X importtime``): the library's
    own import cost, without torch/scipy/numpy, which load-dependent noise swamps otherwise."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    own: dict[str, list[float]] = {"steerable.group.*": [], "steerable.* (all)": []}
    for _ in range(runs):
        res = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import steerable, steerable.group"],
            capture_output=True, text=True, env=env, cwd=ROOT,
        )
        group = total = 0.0
        for line in res.stderr.splitlines():
            if not line.startswith("import time:") or "|" not in line:
                continue
            parts = [p.strip() for p in line[len("import time:"):].split("|")]
            if not parts[0].isdigit():
                continue
            name = parts[2]
            if name.startswith("steerable"):
                total += int(parts[0]) * 1e-6
                if name.startswith("steerable.group"):
                    group += int(parts[0]) * 1e-6
        own["steerable.group.*"].append(group)
        own["steerable.* (all)"].append(total)
    return {k: statistics.median(v) for k, v in own.items()}


def bench_cold(runs: int) -> dict[str, float]:
    got: dict[str, list[float]] = {"irreps_s": [], "cg_s": [], "wall_s": []}
    for _ in range(runs):
        out, wall = _run(COLD_PROBE)
        got["irreps_s"].append(out["irreps_s"])
        got["cg_s"].append(out["cg_s"])
        got["wall_s"].append(wall)
    med = {k: statistics.median(v) for k, v in got.items()}
    med["total_s"] = statistics.median([a + b for a, b in zip(got["irreps_s"], got["cg_s"])])
    return med


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    print(f"python {sys.version.split()[0]} on {os.cpu_count()} cores; medians of {args.runs} fresh processes\n")
    imp = bench_import(args.runs)
    extra = imp["steerable"]["import_s"] - imp["torch"]["import_s"]
    print("(1) import time")
    print(f"{'import':<36}{'in-process [s]':>16}{'process wall [s]':>18}")
    print(f"{'import torch':<36}{imp['torch']['import_s']:>16.3f}{imp['torch']['wall_s']:>18.3f}")
    print(f"{'import torch, scipy.linalg':<36}{imp['torch+scipy']['import_s']:>16.3f}{imp['torch+scipy']['wall_s']:>18.3f}")
    print(f"{'import steerable, steerable.group':<36}{imp['steerable']['import_s']:>16.3f}{imp['steerable']['wall_s']:>18.3f}")
    print(f"{'  of which beyond torch':<36}{extra:>16.3f}")
    for k, v in bench_own_modules(args.runs).items():
        print(f"{'  self time of ' + k:<36}{v:>16.3f}")
    ok = imp["steerable"]["import_s"] < TARGET_IMPORT_S
    print(f"target: import < {TARGET_IMPORT_S} s  ->  {'OK' if ok else 'MISSED'}")
    print(f"(load average now: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores)\n")

    cold = bench_cold(args.runs)
    print("(2) cold SO(3) irreps l=0..8 + CG decompositions a, b <= 4 (fresh process, after import)")
    print(f"{'step':<36}{'time [s]':>16}")
    print(f"{'irreps l=0..8, one evaluation each':<36}{cold['irreps_s']:>16.3f}")
    print(f"{'25 CG decompositions':<36}{cold['cg_s']:>16.3f}")
    print(f"{'total':<36}{cold['total_s']:>16.3f}")
    ok2 = cold["total_s"] < TARGET_IRREPS_CG_S
    print(f"target: irreps + CG < {TARGET_IRREPS_CG_S} s  ->  {'OK' if ok2 else 'MISSED'}\n")

    print("(3) cold planar CG (all 81 pairs of C16 irreps) and band-4 endomorphism bases")
    print(f"{'step':<40}{'time [s]':>12}{'array [MB]':>12}")
    res = bench_planar_cg_and_endomorphisms(args.runs)
    for name, (t, m) in res.items():
        print(f"{name:<40}{t:>12.4f}{'' if m is None else f'{m:.1f}':>12}")
    ratio = res["C16 CG, numerical"][0] / max(res["C16 CG, closed form"][0], 1e-9)
    print(f"closed form is {ratio:.0f}x faster than the numerical decomposition")


if __name__ == "__main__":
    main()
