"""Study: learning the degree of equivariance per layer (after Veefkind & Cesa, ICML 2024).

``steerable study learned-equivariance [--quick] [--out DIR] [--seeds ...]`` trains, at about equal
parameter count, a plain CNN, the fully equivariant steerable CNN and the same CNN with relaxed
convolutions (:class:`steerable.partial.models.PartialCNN`, one likelihood per layer, the paper's
regulariser with weights 5/3/3) on

* DDMNIST with independently rotated digits (two digits side by side, 100 classes, features pooled
  to a left and a right cell so the order of the digits is seen), and
* MNIST with rotations limited to ``+-theta`` for each ``theta`` of the run,

and reports the test accuracy (mean and spread over seeds), the learnt likelihood of every layer
(``lambda(90 deg) / lambda(e)``, ``lambda(180 deg) / lambda(e)`` and the circular spread
``1 - |E_lambda e^{i t}|`` over rotations: ``1`` for uniform, ``0`` for a point mass) with plots,
and whether the spread grows with ``theta``.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..datasets import double_mnist, limited_rotation_mnist, load_digits_source
from ..partial import likelihood_profiles, plot_likelihood_profiles, regularization
from ..partial.models import PartialCNN
from .report import Report

__all__ = ["TITLE", "DEFAULT_SEEDS", "LearnedEquivarianceConfig", "QUICK", "MEDIUM", "FULL", "PlainCNN", "run"]

TITLE = "Learning the degree of equivariance per layer: plain vs equivariant vs learned-degree CNNs"
DEFAULT_SEEDS = (0, 1, 2)


@dataclass(frozen=True)
class LearnedEquivarianceConfig:
    """Sizes of one run of the study."""

    group: str = "so2"
    params: int = 8000
    digit_size: int = 14
    dd_per_class_train: int = 20
    dd_per_class_test: int = 10
    thetas: tuple[float, ...] = (0.0, 45.0, 90.0, 180.0)
    rot_train: int = 2000
    rot_test: int = 1000
    epochs: int = 6
    batch_size: int = 64
    lr: float = 3e-3
    w_align: float = 5.0
    w_kl: float = 3.0
    w_uniform: float = 3.0
    ddmnist: bool = True
    band_limit: int = 2
    output_band_limit: int = 1


# full: sized for a 2-core CPU (about 36 min measured-by-extrapolation from the medium run below)
FULL = LearnedEquivarianceConfig()
#: the medium run whose numbers the README quotes (2 seeds, about 10 min on a contended 2-core CPU)
MEDIUM = LearnedEquivarianceConfig(dd_per_class_train=15, dd_per_class_test=5, thetas=(0.0, 45.0, 180.0), rot_train=1000,
                                   rot_test=500, epochs=4)
# quick: a pipeline check (tiny data, one epoch, the fastest group); its numbers mean nothing
QUICK = LearnedEquivarianceConfig(group="c4", params=1500, dd_per_class_train=1, dd_per_class_test=1, thetas=(45.0,),
                                  rot_train=100, rot_test=100, epochs=1, batch_size=50)


class PlainCNN(nn.Module):
    """The conventional baseline with :class:`PartialCNN`'s layout: ``conv(5)-BN-ELU-pool`` x2,
    ``conv(3)-BN-ELU``, average pooling to ``pool_grid``, ``BN-ELU-Linear`` head."""

    def __init__(self, channels: int, num_classes: int, pool_grid: tuple[int, int] = (1, 1)) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c_in = 1
        for i, k in enumerate((5, 5, 3)):
            layers += [nn.Conv2d(c_in, channels, k, padding=k // 2, bias=False), nn.BatchNorm2d(channels), nn.ELU()]
            if i < 2:
                layers.append(nn.AvgPool2d(2, ceil_mode=True))
            c_in = channels
        self.features = nn.Sequential(*layers)
        self.pool_grid = pool_grid
        n = channels * pool_grid[0] * pool_grid[1]
        self.head = nn.Sequential(nn.BatchNorm1d(n), nn.ELU(), nn.Linear(n, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(F.adaptive_avg_pool2d(self.features(x), self.pool_grid).flatten(1))


def _count(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def _closest(build: Callable[[int], nn.Module], target: int) -> int:
    """The width ``n`` in 1..256 whose model has the parameter count closest to ``target`` (log scale).

    With equal widths per block the count is exactly quadratic in ``n`` (conv-to-conv blocks
    ``n^2``, the first block, norms and head ``n``), so three small builds give it for every ``n``.
    """
    P = [_count(build(n)) for n in (1, 2, 3)]
    a = (P[2] - 2 * P[1] + P[0]) / 2
    b = P[1] - P[0] - 3 * a
    c = P[0] - a - b
    return min(range(1, 257), key=lambda n: abs(math.log(max(a * n * n + b * n + c, 1) / target)))


def _models(cfg: LearnedEquivarianceConfig, classes: int, size: tuple[int, int], grid: tuple[int, int]) -> dict[str, Callable[[], nn.Module]]:
    kw = dict(num_classes=classes, image_size=size, pool_grid=grid)
    n_plain = _closest(lambda c: PlainCNN(c, classes, grid), cfg.params)
    n_eq = _closest(lambda n: PartialCNN(cfg.group, fields=[n] * 3, relaxed=False, **kw), cfg.params)
    rel = dict(kw, band_limit=cfg.band_limit, output_band_limit=cfg.output_band_limit)
    n_rel = _closest(lambda n: PartialCNN(cfg.group, fields=[n] * 3, relaxed=True, **rel), cfg.params)
    return {"plain CNN": lambda: PlainCNN(n_plain, classes, grid),
            f"equivariant {cfg.group}": lambda: PartialCNN(cfg.group, fields=[n_eq] * 3, relaxed=False, **kw),
            f"learned-degree {cfg.group}": lambda: PartialCNN(cfg.group, fields=[n_rel] * 3, relaxed=True, **rel)}


def _train_eval(model: nn.Module, data: tuple, cfg: LearnedEquivarianceConfig, seed: int) -> float:
    (xtr, ytr), (xte, yte) = data
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    g = torch.Generator().manual_seed(seed)
    for _ in range(cfg.epochs):
        model.train()
        order = torch.randperm(len(ytr), generator=g)
        for i in range(0, len(ytr) - 1, cfg.batch_size):
            idx = order[i : i + cfg.batch_size]
            if len(idx) < 2:
                continue
            loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
            loss = loss + regularization(model, cfg.w_align, cfg.w_kl, cfg.w_uniform)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(xte[i : i + 500]).argmax(1) for i in range(0, len(yte), 500)])
    return float((pred == yte).double().mean())


def _lambda_stats(model: nn.Module) -> list[dict[str, float]]:
    """Per layer: ``lambda(90)/lambda(e)``, ``lambda(180)/lambda(e)`` and the circular spread over rotations."""
    out = []
    for p in likelihood_profiles(model, n=360):
        v, a = p.values["rotation"], p.angles
        at = lambda deg: float(np.interp(math.radians(deg), a, v))  # noqa: E731  (finite groups: exact grid angles)
        e = at(0.0)
        spread = 1.0 - abs(complex(np.sum(v * np.exp(1j * a)) / np.sum(v)))
        out.append({"r90": at(90.0) / e, "r180": at(180.0) / e, "spread": spread, "entropy": p.entropy})
    return out


def _spearman(x: Sequence[float], y: Sequence[float]) -> float:
    rx, ry = np.argsort(np.argsort(x)), np.argsort(np.argsort(y))
    if np.std(rx) == 0 or np.std(ry) == 0:
        return float("nan")
    return float(np.corrcoef(rx, ry)[0, 1])


def _tasks(cfg: LearnedEquivarianceConfig, seed: int, digits: tuple) -> list[tuple[str, float | None, tuple, int, tuple, tuple]]:
    """``(name, theta, data, classes, image size, pool grid)`` per task; data seeded by ``seed``."""
    tasks = []
    if cfg.ddmnist:
        tr, te = double_mnist("rotate", n_per_class_train=cfg.dd_per_class_train, n_per_class_test=cfg.dd_per_class_test,
                              digit_size=cfg.digit_size, seed=seed, digits=digits)
        tasks.append(("DDMNIST rotate", None, ((tr.images, tr.labels), (te.images, te.labels)), 100,
                      (cfg.digit_size, 2 * cfg.digit_size), (1, 2)))
    for th in cfg.thetas:
        tr, te = limited_rotation_mnist(th, cfg.rot_train, cfg.rot_test, digit_size=cfg.digit_size, seed=seed, digits=digits)
        tasks.append((f"MNIST +-{th:g} deg", th, ((tr.images, tr.labels), (te.images, te.labels)), 10,
                      (cfg.digit_size, cfg.digit_size), (1, 1)))
    return tasks


def run(out: str | Path, quick: bool = False, seeds: Sequence[int] | None = None, log: Callable[[str], None] = print,
        config: LearnedEquivarianceConfig | None = None) -> dict[str, Any]:
    """Run the study; write ``report.md``, ``metrics.json`` and figures into ``out``; return the metrics."""
    cfg = config or (QUICK if quick else FULL)
    seeds = list(DEFAULT_SEEDS if seeds is None else seeds)
    if quick:
        seeds = seeds[:1]
    if not seeds:
        raise ValueError("the study needs at least one seed")
    t_start = time.perf_counter()
    rep = Report(out, "Study: " + TITLE)
    rep.metrics.update({"config": asdict(cfg), "quick": quick, "seeds": seeds})
    rows: list[dict[str, Any]] = []
    profiles: dict[str, Any] = {}
    digits = load_digits_source("auto")  # once for every task and seed
    for seed in seeds:
        for task, theta, data, classes, size, grid in _tasks(cfg, seed, digits):
            for name, build in _models(cfg, classes, size, grid).items():
                torch.manual_seed(seed)
                model = build()
                t0 = time.perf_counter()
                acc = _train_eval(model, data, cfg, seed)
                row: dict[str, Any] = {"task": task, "theta": theta, "model": name, "seed": seed, "params": _count(model),
                                       "test_acc": acc, "seconds": time.perf_counter() - t0}
                if getattr(model, "likelihoods", None):
                    row["lambda"] = _lambda_stats(model)
                    if seed == seeds[0]:
                        profiles[task] = likelihood_profiles(model)
                rows.append(row)
                lam = "".join(f" L{i}: r90 {s['r90']:.2f} r180 {s['r180']:.2f} spread {s['spread']:.3f};"
                              for i, s in enumerate(row.get("lambda", [])))
                log(f"{task:<16} {name:<22} seed {seed}: {row['params']} params, test acc {acc:.4f} "
                    f"({row['seconds']:.1f} s){lam}")
    tasks = list(dict.fromkeys(r["task"] for r in rows))
    models = list(dict.fromkeys(r["model"] for r in rows))
    summary = []
    for t in tasks:
        for m in models:
            accs = [r["test_acc"] for r in rows if r["task"] == t and r["model"] == m]
            params = [r["params"] for r in rows if r["task"] == t and r["model"] == m][0]
            summary.append({"task": t, "model": m, "params": params, "mean_acc": float(np.mean(accs)),
                            "std_acc": float(np.std(accs)), "min_acc": float(np.min(accs)), "max_acc": float(np.max(accs))})
    lam_rows = []
    for t in tasks:
        stats = [r["lambda"] for r in rows if r["task"] == t and "lambda" in r]
        for layer in range(len(stats[0])):
            theta = next(r["theta"] for r in rows if r["task"] == t)
            lam_rows.append({"task": t, "theta": theta, "layer": layer, **{k: float(np.mean([s[layer][k] for s in stats]))
                                                          for k in ("r90", "r180", "spread", "entropy")}})
    rep.metrics.update({"runs": rows, "summary": summary, "lambda": lam_rows})

    rep.text(f"Group {cfg.group}; about {cfg.params} parameters per model (widths fitted per task); digits "
             f"{cfg.digit_size}x{cfg.digit_size}; DDMNIST {cfg.dd_per_class_train}/{cfg.dd_per_class_test} images per class "
             f"(train/test, 100 classes); limited-rotation MNIST {cfg.rot_train}/{cfg.rot_test} digits; {cfg.epochs} epochs of "
             f"Adam (lr {cfg.lr:g}, batch {cfg.batch_size}); regulariser weights align {cfg.w_align:g}, KL {cfg.w_kl:g}, "
             f"uniform {cfg.w_uniform:g}; seeds {seeds}.")
    rep.section("Test accuracy (mean, spread over seeds)")
    rep.table(summary, ["task", "model", "params", "mean_acc", "std_acc", "min_acc", "max_acc"])
    rep.section("Learnt likelihoods (seed means per layer)")
    rep.text("r90 = lambda(90 deg)/lambda(e), r180 = lambda(180 deg)/lambda(e); spread = 1 - |E_lambda exp(i t)| "
             "over the rotations (1: uniform, 0: a point mass at the identity); entropy relative to the Haar measure.")
    rep.table(lam_rows, ["task", "layer", "r90", "r180", "spread", "entropy"])
    for t, prof in profiles.items():
        rep.figure(plot_likelihood_profiles(prof, f"{t}: learnt lambda per layer (seed {seeds[0]})"),
                   "lambda_" + "".join(c if c.isalnum() else "_" for c in t), f"{t}: the learnt likelihood of each layer")

    checks = []
    learned, others = models[2], models[:2]

    def mean(t: str, m: str) -> float:
        return next(s["mean_acc"] for s in summary if s["task"] == t and s["model"] == m)

    for t in [t for t in tasks if t.startswith("DDMNIST") or "+-45 " in t]:
        best = max(mean(t, m) for m in others)
        checks.append({"target": f"{t}: learned-degree acc >= max(plain, equivariant) = {best:.4f}",
                       "value": f"{mean(t, learned):.4f}", "met": mean(t, learned) >= best})
        layers = [r for r in lam_rows if r["task"] == t]
        checks.append({"target": f"{t}: first layer lambda(90)/lambda(e) >= 0.5", "value": f"{layers[0]['r90']:.3f}",
                       "met": layers[0]["r90"] >= 0.5})
        checks.append({"target": f"{t}: last layer lambda(180)/lambda(e) <= 0.3", "value": f"{layers[-1]['r180']:.3f}",
                       "met": layers[-1]["r180"] <= 0.3})
    last = max(r["layer"] for r in lam_rows)
    rot = [(r["theta"], r["spread"]) for r in lam_rows if r["layer"] == last and r["theta"] is not None]
    if len(rot) >= 2:
        rho = _spearman([a for a, _ in rot], [s for _, s in rot])
        checks.append({"target": "last-layer spread grows with theta (Spearman > 0)", "value": f"{rho:.3f}",
                       "met": bool(rho > 0)})
    return rep.finish(checks, t_start, log, " (quick mode: a pipeline check, not a result)" if quick else "")
