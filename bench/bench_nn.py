"""Speed and memory of steerable convolutions against torch.nn.Conv2d of the same shape.

For C8 and D8 with 16 regular fields in and out (128 channels), 5x5 kernels, batch 32,
64x64 inputs and 2 threads, prints the ratios (steerable / Conv2d, medians of interleaved
runs) of

* eval-mode forward time, steady state (the equivariant layer caches its expanded filter: one conv2d),
* train-mode forward + backward time (adds the filter expansion from basis coefficients),
* memory of one training step: bytes autograd saves for backward plus the output,

and, when escnn can be imported (e.g. run this script with the interpreter of a venv that
has escnn installed), escnn's ratios measured in the same loop.

Usage:  python bench/bench_nn.py [--reps 10] [--batch 32] [--size 64] [--quick]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _build(kind: str, group: str, fields: int, k: int):
    """A layer of the given kind ('conv2d', 'steerable', 'escnn') and a matching input maker."""
    N = int(group[1:])
    if kind == "conv2d":
        c = fields * (2 * N if group[0] == "d" else N)
        return torch.nn.Conv2d(c, c, k, padding=k // 2), (lambda t: t), (lambda y: y)
    if kind == "steerable":
        sys.path.insert(0, ROOT)
        from steerable.gspaces import flipRot2dOnR2, rot2dOnR2
        from steerable.nn import FieldType, GeometricTensor, R2Conv

        gs = rot2dOnR2(N) if group[0] == "c" else flipRot2dOnR2(N, axis=0.0)
        t = FieldType(gs, fields * [gs.regular_repr])
        return R2Conv(t, t, k, padding=k // 2), (lambda x: GeometricTensor(x, t)), (lambda y: y.tensor)
    from escnn import gspaces as egs
    from escnn import nn as enn

    gs = egs.rot2dOnR2(N) if group[0] == "c" else egs.flipRot2dOnR2(N, axis=0.0)
    t = enn.FieldType(gs, fields * [gs.regular_repr])
    return enn.R2Conv(t, t, k, padding=k // 2), (lambda x: enn.GeometricTensor(x, t)), (lambda y: y.tensor)


def _time(fn, reps: int) -> float:
    t = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t) / reps


def speed(group: str, kinds: list[str], batch: int, size: int, reps: int, fields: int, k: int) -> dict:
    layers = {kd: _build(kd, group, fields, k) for kd in kinds}
    c = layers["conv2d"][0].in_channels
    x = torch.randn(batch, c, size, size)
    res: dict[str, dict[str, list[float]]] = {kd: {"eval": [], "train": []} for kd in kinds}
    for kd, (layer, wrap, unwrap) in layers.items():  # warm-up (filter caches, allocator)
        layer.eval()
        with torch.no_grad():
            unwrap(layer(wrap(x)))
    for _ in range(reps):  # interleave the kinds so load changes hit all of them alike
        for kd, (layer, wrap, unwrap) in layers.items():
            layer.eval()
            with torch.no_grad():
                # steady-state inference: escnn expands its filter inside .eval(), steerable on the first
                # forward after it; one untimed forward puts both on their cached filter
                unwrap(layer(wrap(x)))
                res[kd]["eval"].append(_time(lambda: unwrap(layer(wrap(x))), 1))
            layer.train()
            xx = x.clone().requires_grad_(True)

            def step():
                layer.zero_grad(set_to_none=True)
                unwrap(layer(wrap(xx))).square().mean().backward()

            res[kd]["train"].append(_time(step, 1))
    # the minimum over interleaved runs is the best estimate of a kernel's own cost on a shared,
    # noisy machine (load only ever adds time); medians are printed beside it
    return {kd: {m: (min(v), statistics.median(v)) for m, v in r.items()} for kd, r in res.items()}


def activation_bytes(kind: str, group: str, batch: int, size: int, fields: int, k: int) -> int:
    """Bytes kept alive for backward by one training step: tensors saved by autograd + output.

    This is the memory a training step adds on top of parameters and input, counted exactly
    (each storage once) with ``saved_tensors_hooks``; it is deterministic, unlike RSS on CPU.
    """
    layer, wrap, unwrap = _build(kind, group, fields, k)
    c = layer.in_channels if kind == "conv2d" else layer.in_type.size
    x = torch.randn(batch, c, size, size, requires_grad=True)
    layer.train()
    seen: set[tuple[int, int]] = set()
    total = 0

    def pack(t: torch.Tensor) -> torch.Tensor:
        nonlocal total
        key = (t.untyped_storage().data_ptr(), t.untyped_storage().nbytes())
        if key not in seen:
            seen.add(key)
            total += t.untyped_storage().nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        y = unwrap(layer(wrap(x)))
    total += y.numel() * y.element_size()
    y.square().mean().backward()
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--fields", type=int, default=16)
    ap.add_argument("--kernel", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    a = ap.parse_args()
    if a.quick:
        a.reps, a.batch, a.size, a.fields = 2, 4, 16, 4
    torch.set_num_threads(a.threads)
    kinds = ["conv2d", "steerable"]
    try:
        import escnn  # noqa: F401

        kinds.append("escnn")
    except Exception:
        print("escnn is not importable in this interpreter: its columns are omitted")
    print(f"batch {a.batch}, {a.size}x{a.size}, {a.fields} regular fields in and out, kernel {a.kernel}, "
          f"{a.threads} threads, {a.reps} interleaved runs; ratio = min time / Conv2d min time (ratio of medians)")
    header = f"{'group':6s} {'metric':22s} " + " ".join(f"{kd:>16s}" for kd in kinds[1:])
    print(header)
    for group in ("c8", "d8"):
        sp = speed(group, kinds, a.batch, a.size, a.reps, a.fields, a.kernel)
        mem = {kd: activation_bytes(kd, group, a.batch, a.size, a.fields, a.kernel) for kd in kinds}
        for metric in ("eval", "train"):
            name = "eval forward" if metric == "eval" else "train forward+backward"
            ratios = [f"{sp[kd][metric][0] / sp['conv2d'][metric][0]:6.3f} ({sp[kd][metric][1] / sp['conv2d'][metric][1]:5.3f})"
                      for kd in kinds[1:]]
            print(f"{group:6s} {name:22s} " + " ".join(f"{r:>16s}" for r in ratios)
                  + f"   (conv2d min {sp['conv2d'][metric][0] * 1e3:.1f} ms)")
        print(f"{group:6s} {'train-step memory':22s} " + " ".join(f"{mem[kd] / max(mem['conv2d'], 1):16.3f}" for kd in kinds[1:])
              + f"   (conv2d {mem['conv2d'] / 2**20:.1f} MiB saved for backward + output)")
    print("targets: eval <= 1.05, train <= 1.30, memory <= 1.20")


if __name__ == "__main__":
    main()
