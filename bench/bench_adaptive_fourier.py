"""Forward time and peak memory of the Fourier ELU: fixed grid N=16 vs adaptive grid N=4 vs plain torch ELU.

SO(2) fields of band limit ``L`` (default 1: 3 coefficients, so N=4 is above the minimum 2L+1),
``--fields`` fields, batch ``--batch``, ``--size`` x ``--size`` images.  Each round runs every
candidate once (interleaved); printed are the medians over ``--reps`` rounds, the ratios to the
fixed N=16 layer and to torch ELU on a tensor of the same size, and the peak bytes of the tensors
alive at once during one forward (``steerable.studies.adaptive_fourier.peak_bytes``).  Adaptive
rows are given for the three canonicalisation granularities.  CUDA is used with ``--device cuda``.

Usage:  python bench/bench_adaptive_fourier.py [--reps 30] [--fields 16] [--batch 32] [--size 32] [--L 1] [--quick]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from steerable.gspaces import rot2dOnR2  # noqa: E402
from steerable.nn import FourierELU, GeometricTensor  # noqa: E402
from steerable.studies.adaptive_fourier import peak_bytes  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--reps", type=int, default=30)
    p.add_argument("--fields", type=int, default=16)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--size", type=int, default=32)
    p.add_argument("--L", type=int, default=1)
    p.add_argument("--device", default="cpu")
    p.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    a = p.parse_args(argv)
    if a.quick:
        a.reps, a.fields, a.batch, a.size = 3, 4, 4, 8
    dev = torch.device(a.device)
    gs = rot2dOnR2(-1)
    layers = {"fixed N=16": FourierELU(gs, a.fields, a.L, N=16)}
    for can in ("field", "location", "sample"):
        layers[f"adaptive N=4 ({can})"] = FourierELU(gs, a.fields, a.L, N=4, sampling="adaptive", canonicalize=can)
    layers["fixed N=4"] = FourierELU(gs, a.fields, a.L, N=4)
    x = torch.randn(a.batch, layers["fixed N=16"].in_type.size, a.size, a.size, device=dev)
    for m in layers.values():
        m.to(dev)
    fns = {k: (lambda m=m: m(GeometricTensor(x, m.in_type)).tensor) for k, m in layers.items()}
    fns["torch ELU"] = lambda: F.elu(x)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    times: dict[str, list[float]] = {k: [] for k in fns}
    with torch.no_grad():
        for f in fns.values():
            f()
        for _ in range(a.reps):
            for k, f in fns.items():
                sync()
                t0 = time.perf_counter()
                f()
                sync()
                times[k].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"SO(2), L={a.L}, {a.fields} fields, batch {a.batch}, {a.size}x{a.size}, {a.reps} interleaved rounds, "
          f"{torch.get_num_threads()} threads, {dev}")
    print(f"{'candidate':<26} {'ms':>9} {'/fixed16':>9} {'/torchELU':>10} {'peak MB':>9}")
    for k in fns:
        mb = peak_bytes(fns[k]) / 2 ** 20
        print(f"{k:<26} {1e3 * med[k]:9.3f} {med[k] / med['fixed N=16']:9.3f} {med[k] / med['torch ELU']:10.2f} {mb:9.3f}")


if __name__ == "__main__":
    main()
