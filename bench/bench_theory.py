"""steerable.theory: cost of the Fourier-domain norms against dense linear algebra, and of a full layer walk.

* ``schur_blocks`` + block norms of a C_N-regular ``Linear`` layer against ``numpy.linalg.norm(W, 2)`` on the dense
  matrix (ratios of minimum times over interleaved runs; the block route also gives every irrep's norm);
* ``conv_operator_norm`` (FFT of the filter, one small SVD per frequency) against the dense SVD of the circular
  convolution matrix on a small grid (the dense route is cubic in the grid size);
* ``measure_layers`` on the main job's C8 model (what ``steerable bound`` spends besides the forward passes).

Run: ``python3 bench/bench_theory.py``.
"""
from __future__ import annotations

import time

import numpy as np
import torch


def best(fn, reps: int = 5) -> float:
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return min(t)


def interleaved(a, b, rounds: int = 5) -> tuple[float, float]:
    ta, tb = [], []
    for _ in range(rounds):
        ta.append(best(a, 1))
        tb.append(best(b, 1))
    return min(ta), min(tb)


def main() -> int:
    from steerable import gspaces
    from steerable.models import build_model
    from steerable.nn import FieldType, Linear
    from steerable.theory import conv_operator_norm, measure_layers, schur_blocks

    torch.set_num_threads(1)
    print("Schur blocks vs dense spectral norm, Linear between c regular C_N fields (float64)")
    for N, c in ((8, 16), (16, 12)):
        gs = gspaces.rot2dOnR2(N)
        t = FieldType(gs, [gs.regular_repr] * c)
        W = Linear(t, t, bias=False).double().matrix()[0].detach().numpy()
        ri = t.representation
        ts, td = interleaved(lambda: schur_blocks(W, ri, ri).spectral_norm, lambda: np.linalg.norm(W, 2))
        print(f"  C{N}, {c} fields ({W.shape[0]}x{W.shape[1]}): blocks {1e3 * ts:.2f} ms, dense {1e3 * td:.2f} ms, ratio {ts / td:.2f}")
    print("FFT operator norm vs dense circular-convolution SVD, 8 -> 8 channels, 5x5 filter")
    rng = np.random.default_rng(0)
    filt = rng.normal(size=(8, 8, 5, 5))
    for n in (8, 12):
        def dense() -> float:
            M = np.zeros((8, n, n, 8, n, n))
            for u in range(5):
                for v in range(5):
                    for a in range(n):
                        for b in range(n):
                            M[:, a, b, :, (a + u) % n, (b + v) % n] += filt[:, :, u, v]
            return float(np.linalg.norm(M.reshape(8 * n * n, -1), 2))
        tf, td = interleaved(lambda: conv_operator_norm(torch.tensor(filt), (n, n)), dense, 3)
        print(f"  grid {n}x{n}: FFT {1e3 * tf:.2f} ms, dense {1e3 * td:.1f} ms, ratio {tf / td:.4f}")
    torch.manual_seed(0)
    net = build_model("c8")
    x = torch.randn(4, 1, 29, 29)
    tm = best(lambda: measure_layers(net, x), 2)
    print(f"measure_layers on the main job's c8 model ({sum(p.numel() for p in net.parameters()):,} parameters): {tm:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
