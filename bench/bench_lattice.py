"""Benchmark of lattice reduction (a script, not a test): time per lattice and mean log-defect, side by side.

1. Random Gaussian bases, n in {4, 8, 16}: size reduction, this package's LLL(0.75) and LLL(0.99), fpylll's
   LLL(0.99) (where installed; scaled to integers by 2^30, conversion included in its time) and the neural
   reducer (untrained unless --model gives checkpoints; batched).  Timing rounds are interleaved across the
   reducers, best of --repeats.  Prints the ratios neural / fpylll and own LLL / fpylll.
2. A 32 x 32 grid of correlated n = 8 channels: joint reduction (GridReducer, coarse-to-fine sharing of the
   neighbours' Q) against per-lattice inference with the same reducer: time per lattice and defect.

Run:  python3 bench/bench_lattice.py [--count 1000] [--repeats 3] [--model CKPT ...]
"""
from __future__ import annotations

import argparse
import time

import torch

from steerable.lattice import log_defect
from steerable.lattice.evaluate import default_reducers, have_fpylll, score_reducers
from steerable.lattice.grid import GridReducer, correlated_grid
from steerable.lattice.neural import NeuralLatticeReducer
from steerable.lattice.training import random_bases, reducer_from_state


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dims", type=int, nargs="+", default=[4, 8, 16])
    ap.add_argument("--model", nargs="*", default=[], help="trained reducer checkpoints")
    args = ap.parse_args()
    trained = {}
    for p in args.model:
        m = reducer_from_state(torch.load(p, weights_only=True)).eval()
        trained[m.n] = m
    print(f"torch threads {torch.get_num_threads()}; fpylll {'installed' if have_fpylll() else 'NOT installed'}")
    print(f"{'n':>3} {'method':<22} {'mean log-defect':>16} {'ms / lattice':>13}")
    for n in args.dims:
        B = random_bases(args.count if n < 16 else max(1, args.count // 2), n, torch.Generator().manual_seed(10_000 + n))
        reds = default_reducers(trained.get(n, NeuralLatticeReducer(n).eval()))
        rows = {s.name: s for s in score_reducers(B, reds, repeats=args.repeats)}
        for s in rows.values():
            print(f"{n:>3} {s.name:<22} {s.mean_log_defect:>16.4f} {s.ms_per_lattice:>13.4f}", flush=True)
        if "fpylll LLL(0.99)" in rows:
            f = rows["fpylll LLL(0.99)"].ms_per_lattice
            print(f"{n:>3} ratios: neural / fpylll {rows['neural'].ms_per_lattice / f:.2f}x, "
                  f"own LLL(0.99) / fpylll {rows['LLL(0.99)'].ms_per_lattice / f:.2f}x")
    n, S = 8, 32
    H = correlated_grid(S, n, 8.0, 0.5, torch.Generator().manual_seed(1))
    red = trained.get(n, NeuralLatticeReducer(n).eval())
    joint = GridReducer(red, stride=4)
    tp = tj = float("inf")
    for _ in range(args.repeats):  # interleaved
        t0 = time.perf_counter()
        with torch.no_grad():
            per, _ = red(H.reshape(-1, n, n))
        tp = min(tp, time.perf_counter() - t0)
        t0 = time.perf_counter()
        jo, _ = joint(H)
        tj = min(tj, time.perf_counter() - t0)
    m = S * S
    print(f"grid {S}x{S}, n={n}: per-lattice {1000 * tp / m:.4f} ms, log-defect {float(log_defect(per).mean()):.4f}; "
          f"joint {1000 * tj / m:.4f} ms, log-defect {float(log_defect(jo).mean()):.4f}; cost ratio {tp / tj:.2f}x")


if __name__ == "__main__":
    main()
