"""Study: equivariant MobileNetV2 with INT8 quantisation on histology patches (after Mohamed, Cesa, Cohen & Welling 2020).

``steerable study mobilenet [--quick] [--out DIR] [--seeds ...]`` trains the plain MobileNetV2 and
C_N / D_N MobileNetV2s at about equal parameter count (the ``channels='params'`` rule of
:func:`~steerable.models.mobilenet_v2`, four-stage ``'tiny'`` stage table) on the histology proxy
(:class:`~steerable.datasets.HistologyProxy`: upright training tiles from the left half of
scikit-image's IHC slide, test tiles from the right half at uniformly random angles), then
quantises each exported model to INT8 with per-field, per-channel and per-tensor weight scales
and reports accuracy, AUC, the largest logit change under the 8 D4 elements, weight bytes, MACs
and CPU latency at batch 1 and 64 (FP32 vs INT8, measured interleaved).  PCam itself cannot be
downloaded offline; Fashion-MNIST is not part of this study.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F

from ..models import count_macs, mobilenet_v2
from ..quantization import accuracy_auc, d4_invariance, latency_ms, quantize, state_dict_bytes
from .report import Report

__all__ = ["TITLE", "DEFAULT_SEEDS", "MobileNetStudyConfig", "QUICK", "MEDIUM", "FULL", "run"]

TITLE = "Equivariant MobileNetV2 and INT8 quantisation on histology patches (plain vs C_N / D_N, FP32 vs INT8)"
DEFAULT_SEEDS = (0, 1, 2)


@dataclass(frozen=True)
class MobileNetStudyConfig:
    """Sizes of one run of the study."""

    groups: tuple[str, ...] = ("trivial", "c8", "d4")
    n_train: int = 2000
    n_test: int = 1000
    image_size: int = 33  # 2^5 + 1: every stride-2 layer sees an odd side, the grid symmetries stay exact
    width_mult: float = 0.5
    last_channel: int = 128
    epochs: int = 20
    batch_size: int = 64
    lr: float = 2e-3
    n_calibration: int = 256
    schemes: tuple[str, ...] = ("per-field", "per-channel", "per-tensor")
    latency_repeats: int = 10


FULL = MobileNetStudyConfig()
# a pipeline check: one seed, one epoch, small tiles; far from converged
QUICK = MobileNetStudyConfig(groups=("trivial", "d4"), n_train=64, n_test=48, image_size=17, width_mult=0.25, last_channel=32,
                             epochs=1, n_calibration=16, schemes=("per-field",), latency_repeats=2)
#: the size of the run reported in the README (about 10 minutes on a loaded 2-core CPU)
MEDIUM = MobileNetStudyConfig(groups=("trivial", "d4"), n_train=1000, n_test=500, width_mult=0.25, last_channel=64, epochs=6,
                              n_calibration=128, latency_repeats=6)


def _train(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, cfg: MobileNetStudyConfig, seed: int) -> float:
    opt = torch.optim.Adam(model.parameters(), cfg.lr)
    steps = cfg.epochs * math.ceil(len(x) / cfg.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, cfg.lr, total_steps=steps)
    g = torch.Generator().manual_seed(seed)
    model.train()
    loss = torch.tensor(float("nan"))
    for _ in range(cfg.epochs):
        perm = torch.randperm(len(x), generator=g)
        for i in range(0, len(x), cfg.batch_size):
            idx = perm[i:i + cfg.batch_size]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    model.eval()
    return float(loss.detach())


def run(out: str | Path, quick: bool = False, seeds: Sequence[int] | None = None,
        log: Callable[[str], None] = print, config: MobileNetStudyConfig | None = None) -> dict[str, Any]:
    """Run the study; write ``report.md``, ``metrics.json`` and a figure into ``out``; return the metrics."""
    cfg = config or (QUICK if quick else FULL)
    seeds = list(DEFAULT_SEEDS if seeds is None else seeds)
    seeds = seeds[:1] if quick else seeds
    if not seeds:
        raise ValueError("the study needs at least one seed")
    t_start = time.perf_counter()
    rep = Report(out, "Study: " + TITLE)
    rep.metrics.update({"config": asdict(cfg), "quick": quick, "seeds": seeds})
    from ..datasets import HistologyProxy

    tr = HistologyProxy("train", n_train=cfg.n_train, seed=0, size=cfg.image_size, orientation_train="none")
    te = HistologyProxy("test", n_test=cfg.n_test, seed=0, size=cfg.image_size, orientation_test="continuous")
    xtr, ytr, xte, yte = tr.images, tr.labels, te.images, te.labels
    shape = (1, 3, cfg.image_size, cfg.image_size)
    rows, qrows, lat_rows = [], [], []
    for group in cfg.groups:
        for seed in seeds:
            torch.manual_seed(seed)
            model = mobilenet_v2(group, num_classes=2, width_mult=cfg.width_mult, setting="tiny", last_channel=cfg.last_channel)
            t0 = time.perf_counter()
            loss = _train(model, xtr, ytr, cfg, seed)
            plain = model.export()
            acc, auc = accuracy_auc(plain, xte, yte)
            cost = count_macs(plain, shape)
            row = {"model": group, "seed": seed, "params": sum(p.numel() for p in model.parameters()), "macs": cost.macs,
                   "train_loss": loss, "acc_fp32": acc, "auc_fp32": auc, "d4_change_fp32": d4_invariance(plain, xte[:64]),
                   "weight_bytes_fp32": cost.weight_bytes, "file_bytes_fp32": state_dict_bytes(plain),
                   "seconds": time.perf_counter() - t0}
            for scheme in cfg.schemes:
                q = quantize(plain, xtr[:cfg.n_calibration], scheme=scheme)
                qa, qauc = accuracy_auc(q, xte, yte)
                qrows.append({"model": group, "seed": seed, "scheme": scheme, "acc_int8": qa, "acc_fp32": acc,
                              "acc_drop_pp": 100 * (acc - qa), "auc_int8": qauc, "d4_change_int8": d4_invariance(q, xte[:64]),
                              "weight_bytes_int8": count_macs(q, shape).weight_bytes, "file_bytes_int8": state_dict_bytes(q)})
                qrows[-1]["size_ratio"] = row["weight_bytes_fp32"] / qrows[-1]["weight_bytes_int8"]
                qrows[-1]["file_ratio"] = row["file_bytes_fp32"] / qrows[-1]["file_bytes_int8"]
                if scheme == cfg.schemes[0] and seed == seeds[0]:
                    l1 = latency_ms({"fp32": plain, "int8": q}, shape, cfg.latency_repeats)
                    l64 = latency_ms({"fp32": plain, "int8": q}, (64, *shape[1:]), max(2, cfg.latency_repeats // 2))
                    lat_rows.append({"model": group, "fp32_b1_ms": l1["fp32"], "int8_b1_ms": l1["int8"], "fp32_b64_ms": l64["fp32"],
                                     "int8_b64_ms": l64["int8"], "int8/fp32_b64": l64["int8"] / l64["fp32"]})
            rows.append(row)
            log(f"{group:<7} seed {seed}: {row['params']:,} params, {row['macs']:,} MACs, FP32 acc {acc:.4f} AUC {auc:.4f}, "
                f"INT8 ({cfg.schemes[0]}) acc {qrows[-len(cfg.schemes)]['acc_int8']:.4f} ({row['seconds']:.1f} s)")
    mean = []
    for group in cfg.groups:
        rs = [r for r in rows if r["model"] == group]
        mean.append({"model": group, "params": rs[0]["params"], "macs": rs[0]["macs"],
                     **{k: sum(r[k] for r in rs) / len(rs) for k in ("acc_fp32", "auc_fp32", "d4_change_fp32")}})
    qmean = []
    for group in cfg.groups:
        for scheme in cfg.schemes:
            rs = [r for r in qrows if r["model"] == group and r["scheme"] == scheme]
            qmean.append({"model": group, "scheme": scheme, **{k: sum(r[k] for r in rs) / len(rs) for k in
                          ("acc_fp32", "acc_int8", "acc_drop_pp", "auc_int8", "d4_change_int8", "size_ratio", "file_ratio")}})
    rep.metrics.update({"runs": rows, "quantised": qrows, "latency": lat_rows, "mean": mean, "quantised_mean": qmean})

    rep.text(f"Histology proxy: {cfg.n_train} upright training tiles, {cfg.n_test} test tiles at random angles, "
             f"{cfg.image_size}x{cfg.image_size} RGB, label = central-disk haematoxylin density above the slide median. "
             f"MobileNetV2 'tiny' (4 stages), width_mult {cfg.width_mult}, last layer {cfg.last_channel} (plain channels), "
             f"{cfg.epochs} epochs of Adam (one-cycle, lr {cfg.lr}), seeds {seeds}. INT8: static post-training quantisation "
             f"(torch.ao FX, x86 backend), {cfg.n_calibration} calibration tiles. d4_change: the largest logit change "
             "under the 8 D4 elements on 64 test tiles. size_ratio: FP32 / INT8 weight bytes (count_macs: weights, scales "
             "and biases); file_ratio: the same for the saved state dicts (which also hold per-op quantisation parameters "
             "and pickling overhead, large for models this small).")
    rep.section("FP32, seed means")
    rep.table(mean, ["model", "params", "macs", "acc_fp32", "auc_fp32", "d4_change_fp32"])
    rep.section("INT8, seed means")
    rep.table(qmean, ["model", "scheme", "acc_fp32", "acc_int8", "acc_drop_pp", "auc_int8", "d4_change_int8", "size_ratio",
                      "file_ratio"])
    rep.section("CPU latency (median ms, FP32 and INT8 interleaved, first seed)")
    rep.table(lat_rows, ["model", "fp32_b1_ms", "int8_b1_ms", "fp32_b64_ms", "int8_b64_ms", "int8/fp32_b64"])
    rep.section("All runs")
    rep.table(rows, ["model", "seed", "params", "macs", "train_loss", "acc_fp32", "auc_fp32", "d4_change_fp32", "seconds"])

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    names = [m["model"] for m in mean]
    ax.bar(range(len(names)), [100 * m["acc_fp32"] for m in mean], width=0.35, label="FP32")
    first = [q for q in qmean if q["scheme"] == cfg.schemes[0]]
    ax.bar([i + 0.35 for i in range(len(names))], [100 * q["acc_int8"] for q in first], width=0.35, label=f"INT8 {cfg.schemes[0]}")
    ax.set(xticks=[i + 0.17 for i in range(len(names))], xticklabels=names, ylabel="test accuracy (%), rotated tiles",
           ylim=(40, 100), title="MobileNetV2 on the histology proxy")
    ax.legend()
    rep.figure(fig, "accuracy", "Test accuracy on rotated tiles (seed means), FP32 and INT8")

    rep.section("Targets (the paper's claims, quantified)")
    plain_acc = next((m["acc_fp32"] for m in mean if m["model"] == "trivial"), float("nan"))
    eq = [m for m in mean if m["model"] != "trivial"]
    best_gain = max((100 * (m["acc_fp32"] - plain_acc) for m in eq), default=float("nan"))
    drops = [abs(q["acc_drop_pp"]) for q in qmean if q["scheme"] == "per-field"]
    ratios = [q["size_ratio"] for q in qmean if q["scheme"] == "per-field"]
    lat = [r["int8/fp32_b64"] for r in lat_rows]
    eq_inv = [q["d4_change_int8"] for q in qrows if q["scheme"] == "per-field" and q["model"] in ("d4", "d8")]
    checks = [
        {"target": "equivariant >= plain + 1 pp on rotated test tiles (best group, seed means)", "value": best_gain,
         "met": best_gain >= 1.0},
        {"target": "INT8 (per-field) within 1 pp of FP32 (worst model, seed means)", "value": max(drops), "met": max(drops) <= 1.0},
        {"target": "INT8 weights >= 4x smaller (weight bytes, worst model)", "value": min(ratios), "met": min(ratios) >= 4.0},
        {"target": "INT8 latency <= 0.6x FP32 at batch 64 (worst model)", "value": max(lat), "met": max(lat) <= 0.6},
    ]
    if eq_inv:
        checks.append({"target": "D4 model INT8 (per-field) logits invariant under D4: change 0 (integer arithmetic)",
                       "value": max(eq_inv), "met": max(eq_inv) == 0.0})
    return rep.finish(checks, t_start, log)
