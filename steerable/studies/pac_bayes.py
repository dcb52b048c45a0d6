"""Study: PAC-Bayes bounds against group size for C_N CNNs (after Behboodi, Cesa & Cohen, NeurIPS 2022).

``steerable study pac-bayes [--quick] [--out DIR] [--seeds ...]`` trains, for N in {1, 2, 4, 8, 16}, a
three-conv C_N CNN (regular fields, 5x5 and 3x3 kernels, ReLU, 3x3 stride-2 max pools, group max pool, global average,
plain linear head) with the number of fields chosen so every model has about the same parameter
count, on a small rotated-digits training set (the embedded digits, rotated, downsampled to 17x17)
to (near) zero training error.  For each model it measures the test - train error gap and the
complexity terms of :func:`~steerable.theory.nbs18_bound` and :func:`~steerable.theory.equivariant_bound`
at gamma = the 10th percentile of the training margins, and reports Spearman correlations of
each (seed mean) with N.  The equivariant bound is the one derived in :mod:`steerable.theory.bounds`
from NBS18 (the paper's own theorem could not be read), so its trend, not its value, is the point.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F

from .. import gspaces
from ..nn import FieldType, R2Conv
from ..theory import bounds_from_layers, margin_loss, margin_quantile, margins, measure_layers
from ..train import load_data
from .report import Report

__all__ = ["TITLE", "DEFAULT_SEEDS", "PacBayesConfig", "QUICK", "FULL", "CNModel", "run"]

TITLE = "PAC-Bayes bounds (NBS18 vs equivariant) and the generalisation gap against group size N"
DEFAULT_SEEDS = (0, 1, 2)


@dataclass(frozen=True)
class PacBayesConfig:
    """Sizes of one run of the study."""

    groups: tuple[int, ...] = (1, 2, 4, 8, 16)
    params: int = 10000
    n_train: int = 500
    n_test: int = 1000
    image_size: int = 17  # odd sizes 17 -> 9 -> 5 keep the stride-2 pools centred: exact rot90 invariance
    max_epochs: int = 60
    target_train_acc: float = 0.998
    batch_size: int = 50
    lr: float = 1e-2
    margin_quantile: float = 0.1
    delta: float = 0.05


FULL = PacBayesConfig()
# quick: a pipeline check, far from 100% training accuracy
QUICK = PacBayesConfig(groups=(1, 2, 4), params=1500, n_train=100, n_test=150, max_epochs=12)


class CNModel(torch.nn.Module):
    """``trivial -> c regular -> c regular -> c regular`` C_N convs (5x5, 5x5, 3x3), ReLU, 3x3 stride-2 max pools, group max, linear head.

    Args:
        N: the group order; fields: ``c`` regular fields per conv.
    """

    def __init__(self, N: int, fields: int, classes: int = 10) -> None:
        super().__init__()
        gs = gspaces.rot2dOnR2(N)
        self.N = N
        self.t0 = FieldType(gs, [gs.trivial_repr])
        self.t1 = FieldType(gs, [gs.regular_repr] * fields)
        self.conv1 = R2Conv(self.t0, self.t1, 5, padding=2, bias=False)
        self.conv2 = R2Conv(self.t1, self.t1, 5, padding=2, bias=False)
        self.conv3 = R2Conv(self.t1, self.t1, 3, padding=1, bias=False)
        self.fc = torch.nn.Linear(fields, classes, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.max_pool2d(F.relu(self.conv1(self.t0(x)).tensor), 3, 2, 1)
        h = F.max_pool2d(F.relu(self.conv2(self.t1(h)).tensor), 3, 2, 1)
        h = F.relu(self.conv3(self.t1(h)).tensor)
        b, _, H, W = h.shape
        h = h.reshape(b, -1, self.N, H, W).amax(2).mean((2, 3))  # invariant: max over the group, mean over space
        return self.fc(h)


def _count(N: int, fields: int) -> int:
    return sum(p.numel() for p in CNModel(N, fields).parameters())


def _fields_for(N: int, params: int) -> int:
    """The field count whose model is closest to ``params`` parameters (the count grows ~ fields^2)."""
    one, two = _count(N, 1), _count(N, 2)
    a = (two - 2 * one) / 2.0  # count(c) = a c^2 + b c
    b = one - a
    c = (-b + math.sqrt(b * b + 4 * a * params)) / (2 * a) if a > 0 else params / max(b, 1)
    cands = {max(1, math.floor(c)), max(1, math.ceil(c))}
    return min(cands, key=lambda k: abs(_count(N, k) - params))


def _data(cfg: PacBayesConfig) -> tuple[torch.Tensor, ...]:
    d = load_data("mnist-rot", n_train=cfg.n_train, n_test=cfg.n_test, seed=0)
    size = (cfg.image_size, cfg.image_size)
    shrink = lambda x: F.interpolate(x, size=size, mode="bilinear", antialias=True, align_corners=False)
    xtr, xte = shrink(d.x_train), shrink(d.x_test)
    mu, sd = xtr.mean(), xtr.std()  # standardised with the training statistics: faster fitting
    return (xtr - mu) / sd, d.y_train, (xte - mu) / sd, d.y_test


def _train(model: CNModel, x: torch.Tensor, y: torch.Tensor, cfg: PacBayesConfig, seed: int) -> tuple[int, float]:
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    steps = cfg.max_epochs * math.ceil(len(y) / cfg.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, cfg.lr, total_steps=steps)  # warm-up then anneal: fits to ~100%
    acc = 0.0
    for epoch in range(1, cfg.max_epochs + 1):
        model.train()
        for idx in torch.randperm(len(y), generator=g).split(cfg.batch_size):
            opt.zero_grad()
            F.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
            sched.step()
        model.eval()
        with torch.no_grad():
            acc = float((model(x).argmax(1) == y).double().mean())
        if acc >= cfg.target_train_acc:
            break
    return epoch, acc


def _spearman(xs: Sequence[float], ys: Sequence[float]) -> float:
    from scipy.stats import spearmanr

    if len(xs) < 3:
        return float("nan")
    return float(spearmanr(xs, ys).statistic)


def run(out: str | Path, quick: bool = False, seeds: Sequence[int] = DEFAULT_SEEDS,
        log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run the study; write ``report.md``, ``metrics.json`` and figures into ``out``; return the metrics."""
    cfg = QUICK if quick else FULL
    seeds = list(seeds)[:1] if quick else list(seeds)
    if not seeds:
        raise ValueError("the study needs at least one seed")
    t_start = time.perf_counter()
    rep = Report(out, "Study: " + TITLE)
    rep.metrics.update({"config": asdict(cfg), "quick": quick, "seeds": seeds})
    xtr, ytr, xte, yte = _data(cfg)
    B = float(xtr.double().flatten(1).norm(dim=1).max())
    rows = []
    for N in cfg.groups:
        fields = _fields_for(N, cfg.params)
        for seed in seeds:
            torch.manual_seed(seed)
            model = CNModel(N, fields)
            t0 = time.perf_counter()
            epochs, acc = _train(model, xtr, ytr, cfg, seed)
            m = margins(model, (xtr, ytr))
            test_err = float((margins(model, (xte, yte)) <= 0).double().mean())
            train_err = float((m <= 0).double().mean())
            if float(torch.quantile(m, cfg.margin_quantile)) > 0:
                gamma, rule = margin_quantile(m, cfg.margin_quantile), "all"
            else:  # an under-trained model (quick mode): the quantile of the positive margins, and said so
                gamma, rule = margin_quantile(m[m > 0], cfg.margin_quantile), "positive"
            layers, lip = measure_layers(model, xtr[:4])
            loss = margin_loss(m, gamma)
            nb = bounds_from_layers("nbs18", layers, lip, B, len(ytr), gamma, cfg.delta, loss)
            eq = bounds_from_layers("equivariant", layers, lip, B, len(ytr), gamma, cfg.delta, loss)
            row = {"N": N, "seed": seed, "fields": fields, "params": _count(N, fields), "epochs": epochs,
                   "train_err": train_err, "test_err": test_err, "gap": test_err - train_err, "gamma": gamma, "gamma_of": rule,
                   "log10_nbs18": math.log10(nb.complexity), "log10_equivariant": math.log10(eq.complexity),
                   "log10_norm_product": math.log10(nb.norm_product), "nbs18_tail": nb.tail_term, "equivariant_tail": eq.tail_term,
                   "nbs18_sum": nb.sum_term, "equivariant_sum": eq.sum_term, "seconds": time.perf_counter() - t0}
            rows.append(row)
            log(f"C{N:<2} seed {seed}: {fields} fields, {row['params']} params, {epochs} epochs, train err {train_err:.3f}, "
                f"test err {test_err:.3f}, gamma {gamma:.3g}, log10 NBS18 {row['log10_nbs18']:.3f}, "
                f"log10 equivariant {row['log10_equivariant']:.3f} ({row['seconds']:.1f} s)")
    keys = ["train_err", "test_err", "gap", "log10_nbs18", "log10_equivariant", "log10_norm_product", "params", "epochs"]
    mean = [{"N": N, **{k: sum(r[k] for r in rows if r["N"] == N) / len(seeds) for k in keys}} for N in cfg.groups]
    Ns = [float(r["N"]) for r in mean]
    rho = {k: _spearman(Ns, [r[k] for r in mean]) for k in ("log10_equivariant", "gap", "log10_nbs18")}
    rep.metrics.update({"runs": rows, "mean": mean, "spearman_vs_N": rho})

    rep.text("C_N CNNs at about equal parameter count, trained on "
             f"{cfg.n_train} rotated digits ({cfg.image_size}x{cfg.image_size}), tested on {cfg.n_test}; "
             f"gamma = the {cfg.margin_quantile:g}-quantile of the training margins (column gamma_of: 'positive' where that "
             "quantile was not positive and the quantile of the positive margins was used), delta = {cfg.delta:g}. "
             "Complexity terms are the bounds' second term (the bound on the generalisation gap); "
             "the equivariant one is derived from NBS18 in `steerable.theory.bounds`, not transcribed from the paper.")
    rep.section("Seed means per group")
    rep.table(mean, ["N", "params", "epochs", "train_err", "test_err", "gap", "log10_nbs18", "log10_equivariant", "log10_norm_product"])
    rep.section("All runs")
    rep.table(rows, ["N", "seed", "fields", "params", "epochs", "train_err", "test_err", "gap", "gamma", "gamma_of", "log10_nbs18",
                     "log10_equivariant", "nbs18_tail", "equivariant_tail"])

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    axes[0].plot(Ns, [r["log10_nbs18"] for r in mean], "o-", label="NBS18 term")
    axes[0].plot(Ns, [r["log10_equivariant"] for r in mean], "s-", label="equivariant term")
    axes[0].set(xscale="log", xlabel="N (group order)", ylabel="log10 complexity term", title="Bound terms")
    axes[0].legend()
    axes[1].plot(Ns, [r["gap"] for r in mean], "o-", color="C2")
    axes[1].set(xscale="log", xlabel="N (group order)", ylabel="test - train error", title="Measured gap")
    rep.figure(fig, "bounds_vs_N", "Bound terms (log scale) and measured generalisation gap against N (seed means)")

    rep.section("Targets (the paper's claims, quantified)")
    checks = [
        {"target": "equivariant term decreases with N: Spearman rho <= -0.9", "value": rho["log10_equivariant"],
         "met": rho["log10_equivariant"] <= -0.9},
        {"target": "measured gap decreases with N: rho <= -0.6", "value": rho["gap"], "met": rho["gap"] <= -0.6},
        {"target": "NBS18 term does not decrease with N: rho >= 0", "value": rho["log10_nbs18"], "met": rho["log10_nbs18"] >= 0},
        {"target": "near-100% training accuracy (mean train error <= 2%)", "value": max(r["train_err"] for r in mean),
         "met": max(r["train_err"] for r in mean) <= 0.02},
    ]
    return rep.finish(checks, t_start, log, note=" (quick mode: a pipeline check, not the result)" if quick else "")
