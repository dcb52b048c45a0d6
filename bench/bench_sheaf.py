"""Benchmark of sheaf construction (a script, not a test): a 10k-point cloud, its clique complex and sheaves.

Times, best of --repeats (interleaved): the k-NN clique complex up to triangles; the local homology sheaf
H_1(K, K∖St σ) on vertices and edges (open stars); the sheaf Laplacian; and, where gudhi is installed, gudhi's
Rips complex on the same edges for scale (it computes no local homology; the figure is for orientation only).
Also the thickened-star sheaf (Euclidean radius) on a 200-point letter, the size the study uses.

Run:  python3 bench/bench_sheaf.py [--points 10000] [--k 8] [--repeats 2]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from steerable.datasets.letters import PointCloudLetters
from steerable.sheaf import SimplicialComplex, local_homology_sheaf, sheaf_laplacian


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=10_000)
    ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    pts = np.random.default_rng(0).random((args.points, 3))
    best = {"complex": np.inf, "sheaf": np.inf, "laplacian": np.inf, "letter (r = 0.12)": np.inf}
    letter = PointCloudLetters(1, seed=0)[0][0]
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        K = SimplicialComplex.from_points(pts, k=args.k, max_dim=2)
        t1 = time.perf_counter()
        S = local_homology_sheaf(K, 1)
        t2 = time.perf_counter()
        L = sheaf_laplacian(S)
        t3 = time.perf_counter()
        KL = SimplicialComplex.from_points(letter, k=8, max_dim=2)
        t4 = time.perf_counter()
        local_homology_sheaf(KL, 1, radius=0.12, points=letter)
        t5 = time.perf_counter()
        for key, t in zip(best, (t1 - t0, t2 - t1, t3 - t2, t5 - t4)):
            best[key] = min(best[key], t)
    print(f"{args.points} points in [0,1]^3, k = {args.k}: complex {K.counts}, "
          f"vertex stalk dims {np.bincount(S.dims_of(0)).tolist()}, Laplacian {L.shape[0]}x{L.shape[1]} nnz {L.nnz}")
    for key, t in best.items():
        print(f"  {key:<20} {t:8.3f} s")
    print(f"  total 10k construction {best['complex'] + best['sheaf'] + best['laplacian']:.3f} s (target < 30 s)")
    try:
        import gudhi
    except ImportError:
        print("  gudhi not installed: no side-by-side Rips figure")
        return
    e = K.simplices[1]
    t0 = time.perf_counter()
    st = gudhi.SimplexTree()
    st.insert_batch(e.T, np.zeros(len(e)))
    for v in range(K.num_nodes):
        st.insert([v])
    st.expansion(2)
    print(f"  gudhi flag expansion to dim 2 of the same graph {time.perf_counter() - t0:8.3f} s "
          f"({st.num_simplices()} simplices; ours {sum(K.counts)})")


if __name__ == "__main__":
    main()
