"""MobileNetV2 on the CPU: FP32 vs INT8 latency (batch 1 and 64), and the D4 model vs the plain one at equal MACs.

``python3 bench/bench_mobilenet.py [--size 33] [--repeats 10] [--setting tiny|full]``

1. For the plain and the D4 MobileNetV2 (exported, BN folded), FP32 against INT8 (per-field,
   x86 backend) at batch 1 and 64: median milliseconds over rounds in which every model runs
   once (interleaved, so load changes hit all alike), and the INT8/FP32 ratio.
2. The D4 model with ``channels='macs'`` at the width multiplier whose MACs come closest to the
   plain model's at ``width_mult=1``: exported FP32 latency at batch 1 and the D4/plain ratio.

Prints one table per part; nothing is asserted (timings are not tests).
"""
from __future__ import annotations

import argparse

import numpy as np
import torch


def main() -> int:
    from steerable.models import count_macs, mobilenet_v2
    from steerable.quantization import latency_ms, quantize

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=33, help="image side (default 33)")
    p.add_argument("--repeats", type=int, default=10, help="interleaved rounds (default 10)")
    p.add_argument("--setting", default="tiny", choices=["tiny", "full"], help="stage table (default tiny)")
    p.add_argument("--width", type=float, default=0.5, help="width_mult of part 1 (default 0.5)")
    a = p.parse_args()
    torch.manual_seed(0)
    shape = (1, 3, a.size, a.size)
    cal = torch.rand(64, 3, a.size, a.size)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, images {a.size}x{a.size}, setting {a.setting}")

    models = {}
    for g in ("trivial", "d4"):
        plain = mobilenet_v2(g, width_mult=a.width, setting=a.setting).eval().export()
        models[f"{g} fp32"] = plain
        models[f"{g} int8"] = quantize(plain, cal, scheme="per-field")
    print("\n1. FP32 vs INT8 (median ms, interleaved)")
    print(f"{'model':<10} {'MACs':>13} {'fp32 b1':>9} {'int8 b1':>9} {'ratio':>6} {'fp32 b64':>9} {'int8 b64':>9} {'ratio':>6}")
    l1 = latency_ms(models, shape, a.repeats)
    l64 = latency_ms(models, (64, *shape[1:]), max(2, a.repeats // 2))
    for g in ("trivial", "d4"):
        macs = count_macs(models[f"{g} fp32"], shape).macs
        f1, i1, f64, i64 = l1[f"{g} fp32"], l1[f"{g} int8"], l64[f"{g} fp32"], l64[f"{g} int8"]
        print(f"{g:<10} {macs:>13,} {f1:>9.2f} {i1:>9.2f} {i1 / f1:>6.2f} {f64:>9.1f} {i64:>9.1f} {i64 / f64:>6.2f}")

    print("\n2. D4 (channels='macs') vs plain at equal MACs, exported FP32, batch 1")
    plain = mobilenet_v2("trivial", width_mult=1.0, setting=a.setting).eval().export()
    target = count_macs(plain, shape).macs
    best = None
    for w in np.arange(0.25, 1.51, 0.05):
        net = mobilenet_v2("d4", width_mult=float(w), setting=a.setting, channels="macs")
        m = count_macs(net, shape).macs
        if best is None or abs(np.log(m / target)) < abs(np.log(best[1] / target)):
            best = (float(w), m, net)
    w, m, net = best
    lat = latency_ms({"plain": plain, "d4": net.eval().export()}, shape, a.repeats)
    print(f"plain width 1.0: {target:,} MACs, {lat['plain']:.2f} ms;  d4 width {w:.2f}: {m:,} MACs "
          f"({m / target:.2f}x), {lat['d4']:.2f} ms;  d4/plain latency {lat['d4'] / lat['plain']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
