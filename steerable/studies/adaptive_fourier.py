"""Study: Fourier nonlinearities on fixed vs adaptive grids (after Inal & Cesa, 2024, "Adaptive Sampling for
Continuous Group Equivariant Neural Networks").

``steerable study adaptive-fourier [--quick] [--out DIR] [--seeds ...]`` measures

1. layer level: the relative equivariance error ``|f(rho(g) x) - rho(g) f(x)| / |f(x)|`` of
   ``FourierPointwise`` (ReLU) and ``FourierELU`` against the grid size ``N``, fixed and adaptive
   grids, on random continuous ``(x, g)`` pairs in float64: ``SO(2)``/``O(2)`` with band limits 2
   and 4, ``SO(3)`` with ``L = 2`` on Thomson grids of 24 (refused: fewer samples than the 35
   coefficients), 60 and 120 elements and with ``L = 1`` on 24;
2. model level: an ``SO(2)`` steerable CNN (three 5x5/5x5/3x3 ``R2Conv``, band limit 1 Fourier ELUs,
   2x2 average pools, invariant head) on the embedded rotated digits with fixed ``N = 16``, fixed
   ``N = 4`` and adaptive ``N = 4`` grids: test error, logit invariance error under continuous
   rotations of the test images, forward time and peak memory of the first nonlinearity;
3. a 3D case: an ``SO(3)`` network without spatial axes (``Linear`` + Fourier ELU, band limit 1) classifying
   randomly rotated synthetic point clouds from rotation-equivariant moment features, fixed vs
   adaptive at a 12-element grid (and fixed at 60), with exact rotations of the input.

The counter of frames that fell back to the fixed grid (norm below ``eps``) is reported everywhere.
"""
from __future__ import annotations

import math
import time
import weakref
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from .. import gspaces
from ..datasets import rotate_image
from ..nn import FieldType, FourierELU, FourierPointwise, GeometricTensor, Linear, R2Conv
from ..nn.nonlinearities.adaptive import _equivalent
from ..train import load_data
from .report import Report

__all__ = ["TITLE", "DEFAULT_SEEDS", "AdaptiveFourierConfig", "QUICK", "MEDIUM", "FULL", "layer_errors", "SO2Net", "SO3PointNet",
           "peak_bytes", "time_and_memory", "run"]

TITLE = "Fourier nonlinearities: fixed vs adaptive (input-dependent) group grids"
DEFAULT_SEEDS = (0, 1, 2)


@dataclass(frozen=True)
class AdaptiveFourierConfig:
    """Sizes of one run of the study."""

    pairs: int = 1000
    planar_N: tuple[int, ...] = (5, 6, 8, 9, 12, 16, 24, 32, 48, 64)
    bands: tuple[int, ...] = (2, 4)
    so3_grids: tuple[int, ...] = (24, 60, 120)
    n_train: int = 4000
    n_test: int = 1000
    image_size: int = 16  # even: the 2x2 average pools commute with quarter turns
    fields: int = 8
    epochs: int = 12
    batch_size: int = 64
    lr: float = 3e-3
    invariance_images: int = 200
    invariance_angles: int = 8
    timing_reps: int = 30
    n3d_train: int = 2000
    n3d_test: int = 1000
    epochs3d: int = 40


FULL = AdaptiveFourierConfig()
#: the size of the recorded run in docs/studies/adaptive-fourier (fits a shared 2-core CPU in ~15 min)
MEDIUM = AdaptiveFourierConfig(n_train=2000, fields=6, epochs=8, n3d_train=1000, n3d_test=500, epochs3d=30)
QUICK = AdaptiveFourierConfig(pairs=30, planar_N=(5, 8, 16), bands=(2,), so3_grids=(24, 60), n_train=128,
                              n_test=64, fields=3, epochs=1, invariance_images=8, invariance_angles=2, timing_reps=2,
                              n3d_train=100, n3d_test=100, epochs3d=2)


# ------------------------------------------------------------------------------------------- layer level
def layer_errors(layer: FourierPointwise, pairs: int, seed: int = 0) -> dict[str, float]:
    """Mean and max relative equivariance error over ``pairs`` random ``(x, g)`` (float64, one field), and fallbacks."""
    layer = layer.double()
    G = layer.in_type.fibergroup
    rng = np.random.default_rng(seed)
    x = torch.from_numpy(rng.standard_normal((pairs, layer.in_type.size)))
    gs = [G.sample(rng) for _ in range(pairs)]
    R_in = torch.from_numpy(np.stack([layer.in_type.representation(g) for g in gs]))
    R_out = torch.from_numpy(np.stack([layer.out_type.representation(g) for g in gs]))
    y = layer(GeometricTensor(x, layer.in_type)).tensor
    fallbacks = int(layer.fallback_count or 0)
    y_g = layer(GeometricTensor(torch.einsum("pij,pj->pi", R_in, x), layer.in_type)).tensor
    diff = (y_g - torch.einsum("pij,pj->pi", R_out, y)).norm(dim=1)
    # relative to the larger of |f(x)|, |f(g x)|: a ReLU can map a whole signal to 0 (then both are 0 only if equal)
    scale = torch.maximum(y.norm(dim=1), y_g.norm(dim=1))
    err = torch.where(scale > 0, diff / scale.clamp_min(1e-300), torch.zeros_like(diff))
    return {"mean_err": float(err.mean()), "max_err": float(err.max()), "fallbacks": fallbacks + int(layer.fallback_count or 0)}


def _layer_study(cfg: AdaptiveFourierConfig, log: Callable[[str], Any]) -> list[dict[str, Any]]:
    rows = []
    planar = {"SO(2)": gspaces.rot2dOnR2(-1, maximum_frequency=8), "O(2)": gspaces.flipRot2dOnR2(-1, maximum_frequency=8)}
    for gname, gs in planar.items():
        for L in cfg.bands:
            for N in [n for n in cfg.planar_N if n >= 2 * L + 1]:
                for act, cls in (("relu", FourierPointwise), ("elu", FourierELU)):
                    for sampling in ("fixed", "adaptive"):
                        e = layer_errors(cls(gs, 1, L, N=N, sampling=sampling), cfg.pairs)
                        rows.append({"group": gname, "L": L, "N": N, "grid": N * (2 if gname == "O(2)" else 1),
                                     "act": act, "sampling": sampling, **e})
        log(f"layer level {gname}: {len(rows)} rows")
    gs3 = gspaces.rot3dOnR3(maximum_frequency=4)
    for L, grids in ((2, cfg.so3_grids), (1, (24,))):
        for N in grids:
            for act, cls in (("relu", FourierPointwise), ("elu", FourierELU)):
                for sampling in ("fixed", "adaptive"):
                    row: dict[str, Any] = {"group": "SO(3)", "L": L, "N": N, "grid": N, "act": act, "sampling": sampling}
                    try:
                        layer = cls(gs3, 1, L, grid_kind="thomson", N=N, sampling=sampling)
                    except ValueError as exc:  # below the minimum: the layer refuses, and the study says so
                        rows.append({**row, "mean_err": float("nan"), "max_err": float("nan"), "fallbacks": 0,
                                     "note": str(exc).split(";")[0]})
                        continue
                    rows.append({**row, **layer_errors(layer, cfg.pairs), "note": ""})
    log(f"layer level SO(3): {len(rows)} rows")
    return rows


# ------------------------------------------------------------------------------------------- memory / time
class _LiveBytes(TorchDispatchMode):
    """Peak bytes of tensors created by the ops run under it and alive at once (CPU or GPU)."""

    def __init__(self) -> None:
        super().__init__()
        self.live, self.peak = 0, 0
        self._seen: set[int] = set()

    def _free(self, key: int, nbytes: int) -> None:
        self._seen.discard(key)
        self.live -= nbytes

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        out = func(*args, **(kwargs or {}))
        for t in tree_leaves(out):
            if isinstance(t, torch.Tensor) and t.data_ptr() not in self._seen and t.untyped_storage().nbytes() > 0:
                key, nbytes = t.data_ptr(), t.untyped_storage().nbytes()
                self._seen.add(key)
                self.live += nbytes
                self.peak = max(self.peak, self.live)
                weakref.finalize(t, self._free, key, nbytes)
        return out


def peak_bytes(fn: Callable[[], Any]) -> int:
    """Peak bytes of the tensors ``fn()`` allocates that are alive at the same time (its output included)."""
    with torch.no_grad(), _LiveBytes() as mode:
        out = fn()
    del out
    return mode.peak


def time_and_memory(fns: dict[str, Callable[[], Any]], reps: int) -> dict[str, dict[str, float]]:
    """Median forward seconds (``reps`` rounds, the candidates interleaved in each round) and peak bytes."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    with torch.no_grad():
        for f in fns.values():
            f()  # warm-up
        for _ in range(reps):
            for k, f in fns.items():
                t0 = time.perf_counter()
                f()
                times[k].append(time.perf_counter() - t0)
    return {k: {"seconds": float(np.median(times[k])), "peak_bytes": float(peak_bytes(fns[k]))} for k in fns}


# ------------------------------------------------------------------------------------------- rotated digits
def _invariants(t: torch.Tensor, fields: int, D: int) -> torch.Tensor:
    """Per field of band limit 1 (``SO(2)``: coefficients ``[c_0, c_1 (2)]``): ``c_0`` and ``|c_1|``."""
    c = t.reshape(t.shape[0], fields, D, *t.shape[2:])
    return torch.cat([c[:, :, 0], c[:, :, 1:].norm(dim=2)], 1)


class SO2Net(torch.nn.Module):
    """``R2Conv`` 5x5 -> Fourier ELU -> avgpool 2 -> 5x5 -> ELU -> avgpool 2 -> 3x3 -> ELU -> invariants -> linear.

    Args:
        N: grid size of the Fourier ELUs (band limit 1); sampling: ``'fixed'`` or ``'adaptive'``;
        fields: band-limited fields per layer.
    """

    def __init__(self, N: int, sampling: str, fields: int, classes: int = 10) -> None:
        super().__init__()
        gs = gspaces.rot2dOnR2(-1, maximum_frequency=4)
        self.fields = fields
        self.t0 = FieldType(gs, [gs.trivial_repr])
        self.nls = torch.nn.ModuleList([FourierELU(gs, fields, 1, N=N, sampling=sampling) for _ in range(3)])
        t = self.nls[0].in_type
        self.convs = torch.nn.ModuleList([R2Conv(self.t0, t, 5, padding=2), R2Conv(t, t, 5, padding=2),
                                          R2Conv(t, t, 3, padding=1)])
        self.fc = torch.nn.Linear(2 * fields, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = GeometricTensor(x, self.t0)
        for k, (conv, nl) in enumerate(zip(self.convs, self.nls)):
            h = nl(conv(h))
            if k < 2:
                h = GeometricTensor(F.avg_pool2d(h.tensor, 2), h.type)
        return self.fc(_invariants(h.tensor, self.fields, 3).mean((2, 3)))

    def fallbacks(self) -> tuple[int, int]:
        """(frames that fell back to the fixed grid, frames) in the last forward (0, 0 for fixed grids)."""
        if self.nls[0].adaptive is None:
            return 0, 0
        return (sum(int(nl.adaptive.last_fallbacks) for nl in self.nls), sum(int(nl.adaptive.last_frames) for nl in self.nls))


def _disc(size: int) -> torch.Tensor:
    r = torch.arange(size) - (size - 1) / 2
    return ((r[:, None] ** 2 + r[None, :] ** 2) <= ((size - 1) / 2) ** 2).float()


def _digits(cfg: AdaptiveFourierConfig) -> tuple[torch.Tensor, ...]:
    d = load_data("mnist-rot", n_train=cfg.n_train, n_test=cfg.n_test, seed=0)
    size = (cfg.image_size, cfg.image_size)
    mask = _disc(cfg.image_size)  # content inside the disc: rotations do not clip it
    shrink = lambda x: F.interpolate(x, size=size, mode="bilinear", antialias=True, align_corners=False) * mask  # noqa: E731
    xtr, xte = shrink(d.x_train), shrink(d.x_test)
    sd = xtr.std()  # scaled, not shifted: the background stays 0 under rotation
    return xtr / sd, d.y_train, xte / sd, d.y_test


def _fit(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int, batch: int, lr: float, seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = max(1, epochs * math.ceil(len(y) / batch))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=steps)
    model.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(y), generator=g).split(batch):
            opt.zero_grad()
            F.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
            sched.step()
    model.eval()


def _logit_invariance(model: SO2Net, x: torch.Tensor, angles: Sequence[float]) -> float:
    """Mean over images and angles of ``|logits(rot x) - logits(x)| / |logits(x)|`` (rotations: cubic interpolation)."""
    mask = _disc(x.shape[-1])
    with torch.no_grad():
        ref = model(x)
        errs = []
        for a in angles:
            xr = torch.from_numpy(np.stack([rotate_image(im[0].numpy(), a, order=3) for im in x]))[:, None].float() * mask
            errs.append(((model(xr) - ref).norm(dim=1) / ref.norm(dim=1)).mean())
    return float(torch.stack(errs).mean())


MODELS = {"fixed N=16": (16, "fixed"), "fixed N=4": (4, "fixed"), "adaptive N=4": (4, "adaptive")}


def _mnist_study(cfg: AdaptiveFourierConfig, seeds: Sequence[int], log: Callable[[str], Any]) -> list[dict[str, Any]]:
    xtr, ytr, xte, yte = _digits(cfg)
    rng = np.random.default_rng(123)
    angles = rng.uniform(0, 2 * math.pi, cfg.invariance_angles).tolist()
    x_inv = xte[: cfg.invariance_images]
    rows = []
    for seed in seeds:
        for name, (N, sampling) in MODELS.items():
            torch.manual_seed(seed)
            model = SO2Net(N, sampling, cfg.fields)
            t0 = time.perf_counter()
            _fit(model, xtr, ytr, cfg.epochs, cfg.batch_size, cfg.lr, seed)
            with torch.no_grad():
                test_err = float((model(xte).argmax(1) != yte).double().mean())
                fallbacks, frames = model.fallbacks()
            rows.append({"model": name, "seed": seed, "test_err": test_err, "logit_inv_err": _logit_invariance(model, x_inv, angles),
                         "fallbacks_last_forward": fallbacks, "frames_last_forward": frames, "seconds": time.perf_counter() - t0})
            log(f"digits {name} seed {seed}: test err {test_err:.4f}, logit invariance err {rows[-1]['logit_inv_err']:.3g} "
                f"({rows[-1]['seconds']:.1f} s)")
    # the first nonlinearity's forward on a batch of first-layer features, side by side
    gs = gspaces.rot2dOnR2(-1, maximum_frequency=4)
    feats = torch.randn(cfg.batch_size, 3 * cfg.fields, cfg.image_size, cfg.image_size, generator=torch.Generator().manual_seed(0))
    fns: dict[str, Callable[[], Any]] = {}
    for name, (N, sampling) in MODELS.items():
        nl = FourierELU(gs, cfg.fields, 1, N=N, sampling=sampling)
        fns[name] = (lambda nl=nl: nl(GeometricTensor(feats, nl.in_type)))
    fns["torch ELU"] = lambda: F.elu(feats)
    cost = time_and_memory(fns, cfg.timing_reps)
    for r in rows:
        r.update(nl_seconds=cost[r["model"]]["seconds"], nl_peak_bytes=cost[r["model"]]["peak_bytes"])
    rows.append({"model": "torch ELU", "seed": -1, "nl_seconds": cost["torch ELU"]["seconds"],
                 "nl_peak_bytes": cost["torch ELU"]["peak_bytes"]})
    return rows


# ------------------------------------------------------------------------------------------- 3D
def _clouds(n: int, seed: int, classes: int = 4, points: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """``(clouds (n, points, 3), labels)``: noisy, randomly rotated copies of ``classes`` fixed random templates."""
    templates = np.random.default_rng(99).standard_normal((classes, points, 3))
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    q = rng.standard_normal((n, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    w, a, b, c = q.T
    R = np.stack([np.stack([1 - 2 * (b * b + c * c), 2 * (a * b - c * w), 2 * (a * c + b * w)], -1),
                  np.stack([2 * (a * b + c * w), 1 - 2 * (a * a + c * c), 2 * (b * c - a * w)], -1),
                  np.stack([2 * (a * c - b * w), 2 * (b * c + a * w), 1 - 2 * (a * a + b * b)], -1)], 1)
    clouds = templates[y] + 0.15 * rng.standard_normal((n, points, 3))
    return np.einsum("nij,npj->npi", R, clouds), y


class SO3PointNet(torch.nn.Module):
    """Moment features (one band-limit-1 field) -> ``Linear`` -> Fourier ELU -> ``Linear`` -> Fourier ELU -> invariants -> linear."""

    def __init__(self, N: int, sampling: str, fields: int = 8, classes: int = 4) -> None:
        super().__init__()
        gs = gspaces.rot3dOnR3(maximum_frequency=2)  # used on (batch, channels) tensors: no spatial axes
        self.fields = fields
        self.nls = torch.nn.ModuleList([FourierELU(gs, fields, 1, grid_kind="thomson", N=N, sampling=sampling)
                                        for _ in range(2)])
        self.t_in = FourierELU.field_type(gs, 1, 1)
        self.lin = torch.nn.ModuleList([Linear(self.t_in, self.nls[0].in_type), Linear(self.nls[0].out_type, self.nls[1].in_type)])
        self.fc = torch.nn.Linear(4 * fields, classes)
        G = gs.fibergroup
        # the standard basis -> the basis of the l=1 irrep in the fields
        _, P = _equivalent(G, G.standard_matrix, [G.irrep(1)])
        self.register_buffer("to_irrep", torch.from_numpy(P.T).float(), persistent=False)

    def features(self, clouds: torch.Tensor) -> torch.Tensor:
        """``(n, 10)``: ``[mean |p|^2, m_0, m_1, m_2]`` with ``m_k = mean p |p|^k`` (in the irrep basis)."""
        r = clouds.norm(dim=-1, keepdim=True)
        vecs = [(clouds * r ** k).mean(1) @ self.to_irrep.t() for k in range(3)]
        return torch.cat([r.square().mean(1), torch.stack(vecs, 1).reshape(-1, 9)], 1)  # copy after copy

    def forward(self, clouds: torch.Tensor) -> torch.Tensor:
        h = GeometricTensor(self.features(clouds), self.t_in)
        for lin, nl in zip(self.lin, self.nls):
            h = nl(lin(h))
        c = h.tensor.reshape(-1, self.fields, 10)
        inv = torch.cat([c[:, :, 0], c[:, :, 1:].reshape(-1, self.fields, 3, 3).norm(dim=3).flatten(1)], 1)
        return self.fc(inv)


def _so3_study(cfg: AdaptiveFourierConfig, seeds: Sequence[int], log: Callable[[str], Any]) -> list[dict[str, Any]]:
    xtr, ytr = (torch.from_numpy(a) for a in _clouds(cfg.n3d_train, 1))
    xte, yte = (torch.from_numpy(a) for a in _clouds(cfg.n3d_test, 2))
    xtr, xte = xtr.float(), xte.float()
    G = gspaces.rot3dOnR3().fibergroup
    Rs = torch.from_numpy(np.stack([G.standard_matrix(G.sample(500 + k)) for k in range(8)])).float()
    rows = []
    for seed in seeds:
        for name, (N, sampling) in {"fixed N=12": (12, "fixed"), "adaptive N=12": (12, "adaptive"),
                                    "fixed N=60": (60, "fixed")}.items():
            torch.manual_seed(seed)
            model = SO3PointNet(N, sampling)
            _fit(model, xtr, ytr.long(), cfg.epochs3d, 100, 1e-2, seed)
            with torch.no_grad():
                ref = model(xte)
                test_err = float((ref.argmax(1) != yte).double().mean())
                inv = float(torch.stack([((model(xte @ R.t()) - ref).norm(dim=1) / ref.norm(dim=1)).mean() for R in Rs]).mean())
            rows.append({"model": name, "seed": seed, "test_err": test_err, "logit_inv_err": inv,
                         "fallbacks_last_forward": sum(int(nl.fallback_count or 0) for nl in model.nls)})
            log(f"3D {name} seed {seed}: test err {test_err:.4f}, logit invariance err {inv:.3g}")
    return rows


# ------------------------------------------------------------------------------------------- run
def _mean(rows: list[dict[str, Any]], model: str, key: str) -> float:
    vals = [r[key] for r in rows if r["model"] == model and key in r and r.get("seed", 0) >= 0]
    return float(np.mean(vals)) if vals else float("nan")


def run(out: str | Path, quick: bool = False, seeds: Sequence[int] | None = None,
        log: Callable[[str], None] = print, config: AdaptiveFourierConfig | None = None) -> dict[str, Any]:
    """Run the study; write ``report.md``, ``metrics.json`` and figures into ``out``; return the metrics.

    ``config`` overrides the quick/full sizes (a medium run)."""
    cfg = config or (QUICK if quick else FULL)
    seeds = list(DEFAULT_SEEDS if seeds is None else seeds)
    seeds = seeds[:1] if quick else seeds
    if not seeds:
        raise ValueError("the study needs at least one seed")
    t_start = time.perf_counter()
    rep = Report(out, "Study: " + TITLE)
    rep.metrics.update({"config": asdict(cfg), "quick": quick, "seeds": seeds})

    layer = _layer_study(cfg, log)
    digits = _mnist_study(cfg, seeds, log)
    cloud = _so3_study(cfg, seeds, log)
    rep.metrics.update({"layer": layer, "digits": digits, "so3": cloud})

    rep.text(f"Layer level: {cfg.pairs} random (x, g) pairs per row, float64, one field; error = |f(g x) - g f(x)| / |f(x)|. "
             f"Digits: {cfg.n_train} train / {cfg.n_test} test rotated digits at {cfg.image_size}x{cfg.image_size}, "
             f"{cfg.fields} fields, {cfg.epochs} epochs, seeds {seeds}; logit invariance over {cfg.invariance_images} test "
             f"images and {cfg.invariance_angles} random angles (cubic interpolation, which itself breaks invariance a little). "
             f"3D: {cfg.n3d_train}/{cfg.n3d_test} synthetic clouds (4 classes), exact rotations.")
    rep.section("Layer level: relative equivariance error vs N")
    rep.table(layer, ["group", "L", "N", "grid", "act", "sampling", "mean_err", "max_err", "fallbacks"])

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    combos = [(g, L) for g in ("SO(2)", "O(2)") for L in cfg.bands]
    fig, axes = plt.subplots(1, len(combos), figsize=(4.2 * len(combos), 3.6), squeeze=False)
    for ax, (g, L) in zip(axes[0], combos):
        for act in ("relu", "elu"):
            for sampling, style in (("fixed", "o-"), ("adaptive", "s--")):
                pts = [(r["N"], max(r["mean_err"], 1e-17)) for r in layer
                       if r["group"] == g and r["L"] == L and r["act"] == act and r["sampling"] == sampling]
                ax.plot(*zip(*pts), style, label=f"{sampling} {act}")
        ax.set(xscale="log", yscale="log", xlabel="N", ylabel="mean relative error", title=f"{g}, L={L}")
        ax.legend(fontsize=7)
    rep.figure(fig, "error_vs_N", "Equivariance error vs grid size N, fixed and adaptive grids (log-log)")

    rep.section("Rotated digits: fixed N=16, fixed N=4, adaptive N=4")
    names = list(MODELS) + ["torch ELU"]
    summary = [{"model": m, "test_err": _mean(digits, m, "test_err"), "logit_inv_err": _mean(digits, m, "logit_inv_err"),
                "nl_ms": 1e3 * next(r["nl_seconds"] for r in digits if r["model"] == m),
                "nl_peak_MB": next(r["nl_peak_bytes"] for r in digits if r["model"] == m) / 2 ** 20} for m in names]
    rep.table(summary, ["model", "test_err", "logit_inv_err", "nl_ms", "nl_peak_MB"])
    rep.table([r for r in digits if r["seed"] >= 0], ["model", "seed", "test_err", "logit_inv_err", "fallbacks_last_forward",
                                                     "frames_last_forward"])
    rep.text("Fallbacks: frames of the last forward (the whole test set) whose frequency-1 norm was below eps, "
             "e.g. on the zero background, where the features are (nearly) invariant and the fixed grid is used.")
    rep.section("3D: SO(3) on synthetic point clouds")
    rep.table([{"model": m, "test_err": _mean(cloud, m, "test_err"), "logit_inv_err": _mean(cloud, m, "logit_inv_err")}
               for m in ("fixed N=12", "adaptive N=12", "fixed N=60")], ["model", "test_err", "logit_inv_err"])
    rep.metrics["digits_summary"] = summary

    ad = [r for r in layer if r["sampling"] == "adaptive" and not math.isnan(r["max_err"])]
    fixed_min = [r for r in layer if r["sampling"] == "fixed" and r["group"] != "SO(3)" and r["N"] == 2 * r["L"] + 1]
    s = {r["model"]: r for r in summary}
    checks = [
        {"target": "adaptive layer error <= 1e-9 (float64) for every N >= 2L+1 and SO(3) grid", "value": max(r["max_err"] for r in ad),
         "met": max(r["max_err"] for r in ad) <= 1e-9},
        {"target": "fixed layer error at N = 2L+1 >= 1e-2", "value": min(r["mean_err"] for r in fixed_min),
         "met": min(r["mean_err"] for r in fixed_min) >= 1e-2},
        {"target": "adaptive N=4 test error within 1 point of fixed N=16 (seed mean)",
         "value": s["adaptive N=4"]["test_err"] - s["fixed N=16"]["test_err"],
         "met": s["adaptive N=4"]["test_err"] - s["fixed N=16"]["test_err"] <= 0.01},
        {"target": "adaptive N=4 nonlinearity time <= 0.5x fixed N=16", "value": s["adaptive N=4"]["nl_ms"] / s["fixed N=16"]["nl_ms"],
         "met": s["adaptive N=4"]["nl_ms"] / s["fixed N=16"]["nl_ms"] <= 0.5},
        {"target": "adaptive N=4 logit invariance error >= 10x below fixed N=4",
         "value": s["fixed N=4"]["logit_inv_err"] / s["adaptive N=4"]["logit_inv_err"],
         "met": s["fixed N=4"]["logit_inv_err"] / s["adaptive N=4"]["logit_inv_err"] >= 10},
        {"target": "3D: adaptive N=12 logit invariance error >= 10x below fixed N=12",
         "value": _mean(cloud, "fixed N=12", "logit_inv_err") / _mean(cloud, "adaptive N=12", "logit_inv_err"),
         "met": _mean(cloud, "fixed N=12", "logit_inv_err") / _mean(cloud, "adaptive N=12", "logit_inv_err") >= 10},
    ]
    rep.section("Targets (the paper's claims, quantified)")
    return rep.finish(checks, t_start, log, note=" (quick mode: a pipeline check, not the result)" if quick else "")
