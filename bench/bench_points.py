"""Point-convolution benchmark: steerable's analytic and implicit point convs vs a plain torch message
passing layer and e3nn's tensor-product convolution (optional), forward and forward+backward time
and peak memory, on one random graph, runs interleaved so the ratios share the machine's state.

Layer: SO(3), irreps l <= 2 with ``--channels`` copies each (16x0e + 16x1o + 16x2e by default,
144 dimensions) in and out, ``--points`` points in a unit-density cube with ``--k``-nearest-neighbour
edges (10k points, k = 30: 300k edges).

* steerable analytic: :class:`~steerable.nn.R3PointConv` (3 rings, harmonics l <= 2).
* steerable implicit: :class:`~steerable.nn.ImplicitPointConv` -- it materialises one
  ``(E, C_out, C_in)`` kernel, so it runs with ``--implicit-channels`` (default 4) copies per irrep.
* plain torch: ``y_t = sum_s W [f_s, x_t - x_s]`` (one ``Linear`` per edge, ``index_add_``): the cheapest
  non-equivariant point conv of the same widths.
* e3nn (``pip install e3nn``; skipped with a message otherwise): spherical harmonics l <= 2 of the
  edge, a ``uvu`` tensor product whose per-edge path weights come from a radial MLP on 8 Gaussian
  features of ``|x|`` (the NequIP-style convolution), scatter-sum, then an ``o3.Linear`` mixing channels.

Peak memory is the CPU allocator's high-water mark of the process's resident set, read from
``/proc/self/status`` (``VmHWM``) and reset between measurements where the kernel allows it
(``/proc/self/clear_refs``); with ``--device cuda`` it is ``torch.cuda.max_memory_allocated``.

Run: ``python3 bench/bench_points.py [--points 10000 --k 30 --channels 16 --repeats 3 --device cpu]``.
"""
from __future__ import annotations

import argparse
import time
from typing import Callable

import torch


def _rss_peak_reset() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM to the current RSS
    except OSError:
        pass


def _rss_peak_mib() -> float:
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def layers(channels: int, implicit_channels: int, device: torch.device) -> dict[str, tuple[torch.nn.Module, Callable, int]]:
    from steerable.gspaces import rot3dOnR3
    from steerable.nn import FieldType, GeometricTensor, ImplicitPointConv, R3PointConv

    gs = rot3dOnR3(2)
    t = FieldType(gs, [gs.irrep(l) for l in range(3) for _ in range(channels)])
    ti = FieldType(gs, [gs.irrep(l) for l in range(3) for _ in range(implicit_channels)])
    out: dict[str, tuple[torch.nn.Module, Callable, int]] = {}
    an = R3PointConv(t, t, width=1.0, n_rings=3, maximum_frequency=2).to(device)
    out["steerable analytic"] = (an, lambda f, pos, ei, m=an, t=t: m(GeometricTensor(f, t, pos), ei).tensor, t.size)
    im = ImplicitPointConv(ti, ti, hidden_fields=4, batch_norm=False).to(device)
    out[f"steerable implicit ({implicit_channels}/irrep)"] = (
        im, lambda f, pos, ei, m=im, t=ti: m(GeometricTensor(f, t, pos), ei).tensor, ti.size)

    class Plain(torch.nn.Module):
        def __init__(self, c: int) -> None:
            super().__init__()
            self.lin = torch.nn.Linear(c + 3, c)

        def forward(self, f, pos, ei):
            msg = self.lin(torch.cat([f[ei[0]], pos[ei[1]] - pos[ei[0]]], 1))
            return torch.zeros_like(f).index_add_(0, ei[1], msg)

    pl = Plain(t.size).to(device)
    out["plain torch"] = (pl, pl, t.size)
    try:
        from e3nn import o3
    except ImportError:
        print("e3nn is not installed (pip install e3nn): its convolution is skipped")
        return out
    irreps = o3.Irreps(f"{channels}x0e + {channels}x1o + {channels}x2e")
    sh = o3.Irreps.spherical_harmonics(2)
    mid, instr = [], []
    for i, (mul, ir_in) in enumerate(irreps):
        for j, (_, ir_sh) in enumerate(sh):
            for ir_out in ir_in * ir_sh:
                if ir_out in irreps:
                    instr.append((i, j, len(mid), "uvu", True))
                    mid.append((mul, ir_out))
    mid = o3.Irreps(mid)
    mid_sorted, p, _ = mid.sort()
    instr = [(i1, i2, p[i_out], mode, tr) for i1, i2, i_out, mode, tr in instr]

    class E3nnConv(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.tp = o3.TensorProduct(irreps, sh, mid_sorted, instr, shared_weights=False, internal_weights=False)
            self.radial = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.SiLU(), torch.nn.Linear(32, self.tp.weight_numel))
            self.lin = o3.Linear(mid_sorted, irreps)
            self.register_buffer("centres", torch.linspace(0, 1.5, 8))

        def forward(self, f, pos, ei):
            vec = pos[ei[1]] - pos[ei[0]]
            Y = o3.spherical_harmonics(sh, vec, normalize=True, normalization="component")
            rbf = torch.exp(-((vec.norm(dim=1, keepdim=True) - self.centres) / 0.2) ** 2)
            msg = self.tp(f[ei[0]], Y, self.radial(rbf))
            agg = msg.new_zeros(f.shape[0], msg.shape[1]).index_add_(0, ei[1], msg)
            return self.lin(agg)

    e3 = E3nnConv().to(device)
    out["e3nn uvu tensor product"] = (e3, e3, irreps.dim)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=10_000)
    ap.add_argument("--k", type=int, default=30)
    ap.add_argument("--channels", type=int, default=16)
    ap.add_argument("--implicit-channels", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    dev = torch.device(a.device)
    from steerable.nn import knn_graph

    torch.manual_seed(0)
    pos = torch.rand(a.points, 3, device=dev) * a.points ** (1 / 3)  # unit density: ~1 point per unit volume
    t0 = time.perf_counter()
    ei = knn_graph(pos, a.k)
    print(f"graph: {a.points} points, {ei.shape[1]} edges (knn_graph {time.perf_counter() - t0:.2f} s), threads {torch.get_num_threads()}")
    models = layers(a.channels, a.implicit_channels, dev)
    times: dict[tuple[str, str], list[float]] = {}
    peaks: dict[tuple[str, str], float] = {}

    def sync() -> None:
        if dev.type == "cuda":
            torch.cuda.synchronize()

    for rep in range(a.repeats + 1):  # the first round warms up and is not counted
        for name, (m, fn, c) in models.items():  # interleaved: every round runs every model
            f = torch.randn(a.points, c, device=dev, requires_grad=True)
            for mode in ("forward", "forward+backward"):
                if dev.type == "cuda":
                    torch.cuda.reset_peak_memory_stats()
                _rss_peak_reset()
                sync()
                t = time.perf_counter()
                if mode == "forward":
                    with torch.no_grad():
                        y = fn(f, pos, ei)
                else:
                    y = fn(f, pos, ei)
                    y.square().mean().backward()
                sync()
                dt = time.perf_counter() - t
                del y
                mem = torch.cuda.max_memory_allocated() / 2**20 if dev.type == "cuda" else _rss_peak_mib()
                print(f"  round {rep}{' (warm-up)' if not rep else ''}: {name} {mode} {dt:.3f} s, peak {mem:.0f} MiB", flush=True)
                if rep:
                    times.setdefault((name, mode), []).append(dt)
                    peaks[(name, mode)] = max(peaks.get((name, mode), 0.0), mem)
    ref = {mode: min(times[("plain torch", mode)]) for mode in ("forward", "forward+backward")}
    e3 = {mode: min(times[(n, mode)]) for (n, mode) in times if n.startswith("e3nn")}
    print(f"{'layer':34s} {'mode':17s} {'min time s':>10s} {'/ plain':>8s} {'/ e3nn':>8s} {'peak MiB':>9s}")
    for (name, mode), ts in times.items():
        best = min(ts)
        r_e3 = f"{best / e3[mode]:8.2f}" if mode in e3 else f"{'-':>8s}"
        print(f"{name:34s} {mode:17s} {best:10.3f} {best / ref[mode]:8.2f} {r_e3} {peaks[(name, mode)]:9.0f}")
    if dev.type == "cpu":
        print("peak MiB on CPU is the process's resident high-water mark (includes the graph and the other models)")


if __name__ == "__main__":
    main()
