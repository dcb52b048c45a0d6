"""CUDA benchmark: steerable R2Conv vs torch.nn.Conv2d (fp32 and AMP, channels_last), training
forward+backward, ratios of minimum times over interleaved runs.

Run on a machine with a GPU: ``python3 bench/bench_cuda.py``.  Without CUDA it exits with
status 2 and says so (nothing is measured on the CPU here: see ``bench_nn.py``).
"""
from __future__ import annotations

import sys

import torch


def cases():
    """``(label, steerable layer, plain Conv2d of the same shape, input channels)``."""
    from steerable import gspaces, nn
    out = []
    for label, gs, reprs in [("C8 regular", gspaces.rot2dOnR2(8), lambda gs: 16 * [gs.regular_repr]),
                             ("D8 regular", gspaces.flipRot2dOnR2(8), lambda gs: 16 * [gs.regular_repr]),
                             ("SO(2) irreps", gspaces.rot2dOnR2(-1, 3),
                              lambda gs: 16 * [gs.irrep(0), gs.irrep(1), gs.irrep(2), gs.irrep(3)])]:
        t = nn.FieldType(gs, reprs(gs))
        out.append((label, nn.R2Conv(t, t, 5, padding=2), torch.nn.Conv2d(t.size, t.size, 5, padding=2), t))
    return out


def time_step(fn, reps: int) -> float:
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(reps):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / reps


def main() -> int:
    if not torch.cuda.is_available():
        print("bench_cuda.py needs a CUDA device (torch.cuda.is_available() is False); nothing measured")
        return 2
    from steerable.nn import GeometricTensor
    dev = torch.device("cuda")
    for label, layer, plain, t in cases():
        layer, plain = layer.to(dev).train(), plain.to(dev).train()
        for amp in (False, True):
            for batch, size in ((1, 29), (32, 29)):
                x = torch.randn(batch, t.size, size, size, device=dev).to(memory_format=torch.channels_last)

                def eq(layer=layer, x=x, t=t, amp=amp):
                    with torch.autocast("cuda", enabled=amp):
                        y = layer(GeometricTensor(x, t)).tensor
                    y.float().sum().backward()

                def pl(plain=plain, x=x, amp=amp):
                    with torch.autocast("cuda", enabled=amp):
                        y = plain(x)
                    y.float().sum().backward()

                for f in (eq, pl):
                    time_step(f, 5)  # warm-up
                te, tp = [], []
                for _ in range(7):  # interleaved
                    te.append(time_step(eq, 20))
                    tp.append(time_step(pl, 20))
                print(f"{label:13s} {'AMP ' if amp else 'fp32'} batch {batch:2d} {size}x{size} channels_last: "
                      f"steerable/Conv2d train {min(te) / min(tp):.2f}x ({min(te):.3f} ms vs {min(tp):.3f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
