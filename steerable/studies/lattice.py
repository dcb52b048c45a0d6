"""Study: neural lattice reduction against LLL and size reduction (Marchetti, Cesa, Kumar Pratik, Behboodi 2023).

``steerable study lattice [--quick] [--out DIR] [--seeds ...]`` trains a
:class:`~steerable.lattice.neural.NeuralLatticeReducer` per dimension and seed (self-supervised, bases drawn on the
fly), then measures on held-out random Gaussian bases, n in {4, 8, 16}: mean log orthogonality defect and wall-clock
time per lattice (batched) of the neural reducer, LLL(0.75), LLL(0.99), size reduction and, where installed, fpylll's
LLL(0.99); LR-aided zero-forcing MIMO detection (16-QAM, Rayleigh t x t channels as n = 2t lattices), symbol
error rate against SNR, for n = 4 and 8; and joint against per-lattice reduction on a grid of correlated lattices.
It writes ``report.md``, ``metrics.json`` and PNG figures into ``--out`` and checks the paper's claims as the
reproduction targets state them.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import torch

from ..lattice import log_defect
from ..lattice.evaluate import default_reducers, have_fpylll, score_reducers
from ..lattice.grid import GridReducer, correlated_grid
from ..lattice.neural import NeuralLatticeReducer
from ..lattice.mimo import mimo_channels, snr_at_ser, symbol_error_rate
from ..lattice.training import LatticeTrainConfig, random_bases, train_reducer
from .report import Report

__all__ = ["TITLE", "DEFAULT_SEEDS", "LatticeStudyConfig", "QUICK", "FULL", "run"]

TITLE = "Neural lattice reduction vs LLL (defect, time, LR-aided MIMO detection)"
DEFAULT_SEEDS = (0, 1, 2)   # the full run; --quick trains seed 0 only


@dataclass(frozen=True)
class LatticeStudyConfig:
    """Sizes of one run of the study."""

    dims: tuple[int, ...] = (4, 8, 16)
    iterations: dict[int, int] = field(default_factory=lambda: {4: 400, 8: 600, 16: 150})
    batch_size: int = 128
    test_count: dict[int, int] = field(default_factory=lambda: {4: 2000, 8: 2000, 16: 1000})
    repeats: int = 3
    mimo_t: tuple[int, ...] = (2, 4)
    mimo_channels: int = 2000
    mimo_vectors: int = 25
    snr_db: tuple[float, ...] = tuple(float(s) for s in range(8, 37, 2))
    qam: int = 16
    grid_size: int = 32
    grid_corr_length: float = 8.0


FULL = LatticeStudyConfig()
QUICK = LatticeStudyConfig(iterations={4: 10, 8: 10, 16: 0}, test_count={4: 100, 8: 100, 16: 30}, repeats=1,
                           mimo_channels=150, mimo_vectors=10, snr_db=tuple(float(s) for s in range(10, 35, 4)),
                           grid_size=12)

TARGETS = {4: 1.10, 8: 1.25}   # neural mean log-defect <= factor x LLL(0.99)'s


def _train(n: int, cfg: LatticeStudyConfig, seed: int, log: Callable[[str], None]) -> tuple[Any, list[float], float]:
    t0 = time.perf_counter()
    if cfg.iterations.get(n, 0) == 0:  # untrained: the greedy Babai reducer the network starts from
        return NeuralLatticeReducer(n).eval(), [], 0.0
    tc = LatticeTrainConfig(n=n, iterations=cfg.iterations[n], batch_size=cfg.batch_size, seed=seed)
    res = train_reducer(tc, checkpoint_every=max(1, tc.iterations // 5),
                        log=lambda s: log(f"  n={n} seed={seed}: {s}"))
    return res.model, res.history, time.perf_counter() - t0


def _grid_section(rep: Report, cfg: LatticeStudyConfig, models: dict[int, list[Any]]) -> dict[str, float] | None:
    n = 8
    if n not in models:
        return None
    S = cfg.grid_size
    H = correlated_grid(S, n, cfg.grid_corr_length, 0.5, torch.Generator().manual_seed(40_000))
    red = models[n][0]
    joint = GridReducer(red, stride=4)
    tp = tj = math.inf
    for _ in range(cfg.repeats):  # interleaved, best of
        t0 = time.perf_counter()
        with torch.no_grad():
            per = red(H.reshape(-1, n, n))[0]
        tp = min(tp, time.perf_counter() - t0)
        t0 = time.perf_counter()
        jo = joint(H)[0]
        tj = min(tj, time.perf_counter() - t0)
    res = {"grid": S, "corr_length": cfg.grid_corr_length, "per_lattice_ms": 1000 * tp / S**2,
           "joint_ms": 1000 * tj / S**2, "cost_ratio": tp / tj,
           "per_lattice_log_defect": float(log_defect(per).mean()), "joint_log_defect": float(log_defect(jo).mean())}
    rep.section(f"Joint reduction of a {S} x {S} grid of correlated n = {n} lattices")
    rep.text("Kronecker-correlated channels (antenna correlation 0.5) varying smoothly over the grid (Gaussian "
             f"smoothing, width {cfg.grid_corr_length} steps). Joint: the stride-4 sub-grid is reduced from scratch, "
             "finer levels start from their best already-reduced neighbour's Q and finish with the same neural "
             "reducer. (This shares the neighbours' outputs coarse-to-fine; it is not a learned convolutional network.)")
    rep.table([{"method": "per-lattice neural", "ms / lattice": res["per_lattice_ms"], "mean log-defect": res["per_lattice_log_defect"]},
               {"method": "joint (GridReducer)", "ms / lattice": res["joint_ms"], "mean log-defect": res["joint_log_defect"]}],
              ["method", "ms / lattice", "mean log-defect"])
    rep.metrics["grid"] = res
    return res


def run(out: str | Path, quick: bool = False, seeds: Sequence[int] | None = None,
        log: Callable[[str], None] = print, config: LatticeStudyConfig | None = None) -> dict[str, Any]:
    """Run the study and write its report into ``out``; returns the metrics (also in ``out/metrics.json``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cfg = config or (QUICK if quick else FULL)
    seeds = list(seeds) if seeds else (list(DEFAULT_SEEDS[:1]) if quick else list(DEFAULT_SEEDS))
    t_start = time.perf_counter()
    rep = Report(out, "Study: " + TITLE)
    rep.metrics.update({"config": asdict(cfg), "quick": quick, "seeds": seeds, "fpylll": have_fpylll(),
                        "torch_threads": torch.get_num_threads()})
    rep.text("Random bases with i.i.d. N(0, 1) entries (columns are basis vectors); log-defect = "
             "sum_i log||b_i|| - log|det B| (0 for orthogonal bases). Times are wall-clock per lattice on this "
             f"machine's CPU with {torch.get_num_threads()} torch thread(s), batched, best of {cfg.repeats}. "
             f"Neural reducers trained per dimension and seed (seeds {seeds}), iterations {cfg.iterations} of "
             f"{cfg.batch_size} bases." + ("" if have_fpylll() else " fpylll is not installed: its row is missing."))

    # ------------------------------------------------------------------ defect and time
    models: dict[int, list[Any]] = {}
    curves: dict[int, list[list[float]]] = {}
    table, defect_rows = [], {}
    for n in cfg.dims:
        log(f"n = {n}: training {len(seeds)} reducer(s)")
        trained = [_train(n, cfg, s, log) for s in seeds]
        models[n] = [m for m, _, _ in trained]
        curves[n] = [h for _, h, _ in trained]
        B = random_bases(cfg.test_count[n], n, torch.Generator().manual_seed(10_000 + n))
        reds = default_reducers(neural=None)
        for i, m in enumerate(models[n]):
            reds[f"neural (seed {seeds[i]})"] = m
        scores = score_reducers(B, reds, repeats=cfg.repeats)
        raw = log_defect(B)
        rows = [{"n": n, "method": "unreduced", "mean log-defect": float(raw.mean()),
                 "± sem": float(raw.std() / math.sqrt(len(raw))), "ms / lattice": 0.0}]
        rows += [{"n": n, "method": s.name, "mean log-defect": s.mean_log_defect, "± sem": s.sem_log_defect,
                  "ms / lattice": s.ms_per_lattice} for s in scores]
        neural = [s for s in scores if s.name.startswith("neural")]
        rows.append({"n": n, "method": "neural (mean over seeds)",
                     "mean log-defect": sum(s.mean_log_defect for s in neural) / len(neural),
                     "± sem": float("nan"), "ms / lattice": sum(s.ms_per_lattice for s in neural) / len(neural)})
        for r in rows:
            log(f"  n={n:>2} {r['method']:<26} log-defect {r['mean log-defect']:.4f}  {r['ms / lattice']:.4f} ms/lattice")
        table += rows
        defect_rows[n] = {r["method"]: r for r in rows}
        train_s = [s for _, _, s in trained]
        rep.metrics.setdefault("defect", {})[str(n)] = {r["method"]: {k: r[k] for k in ("mean log-defect", "± sem", "ms / lattice")}
                                                        for r in rows}
        rep.metrics["defect"][str(n)]["train_seconds"] = train_s

    rep.section("Mean log-defect and time per lattice")
    rep.table(table, ["n", "method", "mean log-defect", "± sem", "ms / lattice"])

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    methods = [m for m in defect_rows[cfg.dims[0]] if not m.startswith("neural (seed")]
    for i, m in enumerate(methods):  # one colour per method in both panels
        axes[0].plot(cfg.dims, [defect_rows[n][m]["mean log-defect"] for n in cfg.dims], "o-", color=f"C{i}", label=m)
        if m != "unreduced":
            axes[1].plot(cfg.dims, [defect_rows[n][m]["ms / lattice"] for n in cfg.dims], "o-", color=f"C{i}", label=m)
    axes[0].set(xlabel="n", ylabel="mean log orthogonality defect", title="Reduction quality")
    axes[1].set(xlabel="n", ylabel="ms per lattice (batched)", yscale="log", title="Cost")
    for ax in axes:
        ax.set_xticks(list(cfg.dims))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    rep.figure(fig, "defect_time", "Mean log-defect (left) and wall-clock time per lattice (right) against dimension")

    if any(curves[n] and curves[n][0] for n in cfg.dims):
        fig, ax = plt.subplots(figsize=(6, 4))
        for n in cfg.dims:
            for i, h in enumerate(curves[n]):
                if h:
                    k = max(1, len(h) // 50)
                    sm = [sum(h[j:j + k]) / len(h[j:j + k]) for j in range(0, len(h), k)]
                    ax.plot([k * (j + 1) for j in range(len(sm))], sm, label=f"n={n} seed {seeds[i]}")
        ax.set(xlabel="iteration", ylabel="training loss (mean log-defect)", title="Self-supervised training")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        rep.figure(fig, "training", "Training loss of the neural reducers")

    # ------------------------------------------------------------------ MIMO
    rep.section(f"LR-aided zero-forcing detection, {cfg.qam}-QAM, Rayleigh channels")
    mimo: dict[str, Any] = {}
    fig, axes = plt.subplots(1, len(cfg.mimo_t), figsize=(5.5 * len(cfg.mimo_t), 4), squeeze=False)
    for ax, t in zip(axes[0], cfg.mimo_t):
        n = 2 * t
        H = mimo_channels(cfg.mimo_channels, t, torch.Generator().manual_seed(20_000 + n))
        eye = torch.eye(n, dtype=torch.int64).expand(H.shape[0], n, n)
        qs: dict[str, torch.Tensor] = {"ZF (no reduction)": eye}
        for name, red in default_reducers(with_fpylll=False).items():
            if name != "size reduction":
                qs[f"{name}-aided"] = red(H)[1]
        if n in models:
            with torch.no_grad():
                qs["neural-aided"] = models[n][0](H)[1]
        curves_n, at = {}, {}
        for name, Q in qs.items():
            ser = symbol_error_rate(H, Q, cfg.snr_db, cfg.qam, cfg.mimo_vectors, torch.Generator().manual_seed(30_000 + n))
            curves_n[name] = ser
            at[name] = snr_at_ser(cfg.snr_db, ser, 1e-2)
            ax.semilogy(cfg.snr_db, [max(s, 1e-6) for s in ser], "o-", ms=3, label=name)
            log(f"  MIMO n={n} {name:<22} SNR at SER 1e-2: {at[name]:.2f} dB")
        ax.axhline(1e-2, color="gray", lw=0.8, ls=":")
        ax.set(xlabel="SNR (dB)", ylabel="symbol error rate", title=f"{t}x{t} MIMO (n = {n})", ylim=(1e-4, 1))
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
        mimo[str(n)] = {"snr_db": list(cfg.snr_db), "ser": curves_n, "snr_at_ser_1e-2": at}
    rep.figure(fig, "mimo_ser", "Symbol error rate against SNR, LR-aided zero forcing")
    rep.table([{"n": int(n), "detector": k, "SNR at SER 1e-2 (dB)": v} for n, d in mimo.items() for k, v in d["snr_at_ser_1e-2"].items()],
              ["n", "detector", "SNR at SER 1e-2 (dB)"])
    rep.metrics["mimo"] = mimo

    # ------------------------------------------------------------------ correlated grid
    grid = _grid_section(rep, cfg, models)

    # ------------------------------------------------------------------ the claims
    rep.section("Targets (the paper's claims, quantified)")
    checks = []
    for n, factor in TARGETS.items():
        if n in defect_rows:
            d = defect_rows[n]
            ratio = d["neural (mean over seeds)"]["mean log-defect"] / d["LLL(0.99)"]["mean log-defect"]
            checks.append({"target": f"n={n}: neural log-defect <= {factor} x LLL(0.99)", "value": f"{ratio:.3f} x",
                           "met": ratio <= factor})
            beats = d["neural (mean over seeds)"]["mean log-defect"] < d["size reduction"]["mean log-defect"]
            checks.append({"target": f"n={n}: neural better than size reduction", "value":
                           f"{d['neural (mean over seeds)']['mean log-defect']:.3f} vs {d['size reduction']['mean log-defect']:.3f}",
                           "met": beats})
    if 8 in defect_rows:
        d = defect_rows[8]
        ref = "fpylll LLL(0.99)" if "fpylll LLL(0.99)" in d else "LLL(0.99)"
        tr = d["neural (mean over seeds)"]["ms / lattice"] / d[ref]["ms / lattice"]
        checks.append({"target": f"n=8: neural time per lattice <= 3 x {ref}", "value":
                       f"{d['neural (mean over seeds)']['ms / lattice']:.4f} vs {d[ref]['ms / lattice']:.4f} ms ({tr:.2f} x)",
                       "met": tr <= 3.0})
    for n, dm in mimo.items():
        a = dm["snr_at_ser_1e-2"]
        if "neural-aided" in a:
            gap = a["neural-aided"] - a["LLL(0.99)-aided"]
            checks.append({"target": f"MIMO n={n}: neural-aided within 1 dB of LLL(0.99)-aided at SER 1e-2",
                           "value": f"{gap:+.2f} dB", "met": bool(gap <= 1.0)})
    if grid is not None:
        checks.append({"target": "grid n=8: joint reduction >= 2 x cheaper per lattice at no worse defect",
                       "value": f"{grid['cost_ratio']:.2f} x cheaper, log-defect {grid['joint_log_defect']:.4f} vs "
                                f"{grid['per_lattice_log_defect']:.4f}",
                       "met": bool(grid["cost_ratio"] >= 2 and grid["joint_log_defect"] <= grid["per_lattice_log_defect"])})
    return rep.finish(checks, t_start, log)
