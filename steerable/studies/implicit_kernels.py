"""Study: implicit (MLP) steerable kernels on point clouds (after Zhdanov, Hoffmann & Cesa, NeurIPS 2023).

``steerable study implicit-kernels [--quick] [--out DIR] [--seeds ...]`` runs three comparisons:

1. **Rotated shapes.** Point-conv classifiers of the 8 :class:`~steerable.datasets.ProceduralShapes`
   classes (inputs per point: 1, ``|x|`` and ``x`` about the shape's centre, as scalar, scalar and
   vector fields), trained on canonical shapes and tested on randomly rotated ones, for O(3), SO(3) and
   SO(2) about z (restricted from O(3)) with the implicit kernel, and O(3)/SO(3) with the analytic
   basis; plus the fraction of test shapes whose prediction is unchanged under 10 random rotations.
2. **QM9-like.** Implicit point convs regressing the HF/STO-3G HOMO-LUMO gap of the shipped
   QM9-like set, with and without one-hot bond types as edge attributes (test MAE in eV).
3. **Charged N-body.** An SO(3) implicit point conv (charge products as edge attributes) against a
   non-equivariant MLP of about the same size, predicting positions after 1000 steps (test MSE).

Every network is two or three point convolutions with gated nonlinearities and an invariant (or
vector) read-out.  ``--quick`` checks the pipeline on tiny data in seconds; its numbers are not results.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..datasets import ProceduralShapes, load_qm9_like, random_rotations, simulate_charged_nbody
from ..gspaces import GSpace, flipRot3dOnR3, no_base_space, rot2dOnR3, rot3dOnR3
from ..nn import FieldType, GatedBlock, GeometricTensor, ImplicitPointConv, R3PointConv, knn_graph, radius_graph
from .report import Report

__all__ = ["TITLE", "DEFAULT_SEEDS", "ImplicitStudyConfig", "QUICK", "FULL", "MEDIUM", "PointNet", "run"]

TITLE = "Implicit steerable kernels on point clouds: rotated shapes, QM9-like gaps with bond types, charged N-body"
DEFAULT_SEEDS = (0, 1, 2)
HARTREE_EV = 27.211386


@dataclass(frozen=True)
class ImplicitStudyConfig:
    shapes_per_class: int = 40
    shape_points: int = 128
    shape_k: int = 10
    shape_epochs: int = 30
    qm9_train: int = 220
    qm9_test: int = 80
    qm9_epochs: int = 60
    nbody_train: int = 500
    nbody_test: int = 200
    nbody_epochs: int = 80
    channels: int = 8
    batch: int = 16


QUICK = ImplicitStudyConfig(shapes_per_class=1, shape_points=24, shape_k=6, shape_epochs=1, qm9_train=12, qm9_test=8, qm9_epochs=1,
                            nbody_train=16, nbody_test=8, nbody_epochs=1, channels=2, batch=8)
MEDIUM = ImplicitStudyConfig(shapes_per_class=12, shape_points=64, shape_k=8, shape_epochs=10, qm9_train=220, qm9_epochs=12,
                             nbody_train=300, nbody_test=200, nbody_epochs=40, channels=4, batch=16)
FULL = ImplicitStudyConfig()


def _hidden(gs: GSpace, c: int) -> tuple[FieldType, GatedBlock]:
    """``c`` scalars and ``c`` gated copies of the standard representation."""
    block = GatedBlock(gs, c, [gs.harmonic_repr((1, 1))] * c)
    return block.in_type, block


class PointNet(torch.nn.Module):
    """Point convolutions with gated nonlinearities: ``in_type -> [conv, gate] x (depth-1) -> conv -> out_type``.

    Args:
        gs: the gspace on ``R^3``.
        in_type, out_type: field types on ``gs``.
        kind: ``"implicit"`` (:class:`ImplicitPointConv`) or ``"analytic"`` (:class:`R3PointConv`).
        channels: scalars / gated vectors per hidden layer.
        width: the analytic kernels' support radius; the implicit kernels' initial sigma.
        edge_attr_type: edge attributes of the implicit kernels.
        aggr: neighbour aggregation.
    """

    def __init__(self, gs: GSpace, in_type: FieldType, out_type: FieldType, kind: str, channels: int, width: float,
                 edge_attr_type: FieldType | None = None, depth: int = 3, aggr: str = "mean") -> None:
        super().__init__()
        if kind not in ("implicit", "analytic"):
            raise ValueError(f"kind must be 'implicit' or 'analytic', got {kind!r}")
        self.kind = kind
        types = [in_type]
        self.convs, self.acts = torch.nn.ModuleList(), torch.nn.ModuleList()
        for i in range(depth):
            if i < depth - 1:
                t_pre, act = _hidden(gs, channels)
            else:
                t_pre, act = out_type, None
            if kind == "implicit":
                conv = ImplicitPointConv(types[-1], t_pre, aggr=aggr, edge_attr_type=edge_attr_type, hidden_fields=4, sigma=width)
            else:
                conv = R3PointConv(types[-1], t_pre, width=width, n_rings=3, maximum_frequency=2, aggr=aggr)
            self.convs.append(conv)
            if act is not None:
                self.acts.append(act)
                types.append(act.out_type)

    def forward(self, x: GeometricTensor, edge_index: torch.Tensor, edge_attr: GeometricTensor | None = None) -> torch.Tensor:
        for i, conv in enumerate(self.convs):
            x = conv(x, edge_index, edge_attr=edge_attr) if self.kind == "implicit" else conv(x, edge_index)
            if i < len(self.acts):
                x = GeometricTensor(self.acts[i](GeometricTensor(x.tensor, self.acts[i].in_type)).tensor, self.acts[i].out_type, x.coords)
        return x.tensor


def _pool(y: torch.Tensor, batch: torch.Tensor, n: int) -> torch.Tensor:
    s = y.new_zeros(n, y.shape[1]).index_add_(0, batch, y)
    return s / torch.bincount(batch, minlength=n).clamp(min=1)[:, None].to(y.dtype)


# ---------------------------------------------------------------------- 1. shapes
def _shape_models(channels: int) -> dict[str, tuple[GSpace, str]]:
    return {"O(3) implicit": (flipRot3dOnR3(2), "implicit"), "SO(3) implicit": (rot3dOnR3(2), "implicit"),
            "SO(2)<O(3) implicit": (rot2dOnR3(-1, maximum_frequency=2), "implicit"),
            "O(3) analytic": (flipRot3dOnR3(2), "analytic"), "SO(3) analytic": (rot3dOnR3(2), "analytic")}


def _shape_logits(net: PointNet, head: torch.nn.Module, pts: torch.Tensor, k: int, t_in: FieldType) -> torch.Tensor:
    B, P, _ = pts.shape
    pos = pts.reshape(-1, 3)
    batch = torch.arange(B).repeat_interleave(P)
    ei = knn_graph(pos, k, batch)
    # the shapes are centred, so the position about the centre is a vector field and its norm a scalar
    feats = torch.cat([torch.ones(B * P, 1), pos.norm(dim=1, keepdim=True), pos], 1)
    y = net(GeometricTensor(feats, t_in, pos), ei)
    return head(_pool(y, batch, B))


def _shapes(cfg: ImplicitStudyConfig, seed: int, log: Callable[[str], Any]) -> list[dict[str, Any]]:
    tr = ProceduralShapes("train", cfg.shapes_per_class, cfg.shape_points, seed=seed)
    te = ProceduralShapes("test", max(1, cfg.shapes_per_class // 2), cfg.shape_points, seed=seed)
    xtr, ytr = torch.from_numpy(tr.points), torch.from_numpy(tr.labels)
    xte, yte = torch.from_numpy(te.points), torch.from_numpy(te.labels)
    rows = []
    for name, (gs, kind) in _shape_models(cfg.channels).items():
        torch.manual_seed(seed)
        t_in = FieldType(gs, [gs.trivial_repr, gs.trivial_repr, gs.harmonic_repr((1, 1))])
        t_out = FieldType(gs, [gs.trivial_repr] * (2 * cfg.channels))
        net = PointNet(gs, t_in, t_out, kind, cfg.channels, width=0.5)
        head = torch.nn.Sequential(torch.nn.Linear(2 * cfg.channels, 32), torch.nn.ELU(), torch.nn.Linear(32, len(tr.classes)))
        opt = torch.optim.Adam([*net.parameters(), *head.parameters()], lr=3e-3)
        t0 = time.perf_counter()
        for _ in range(cfg.shape_epochs):
            net.train()
            for idx in torch.randperm(len(ytr)).split(cfg.batch):
                loss = F.cross_entropy(_shape_logits(net, head, xtr[idx], cfg.shape_k, t_in), ytr[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
        net.eval()
        with torch.no_grad():
            pred = _shape_logits(net, head, xte, cfg.shape_k, t_in).argmax(1)
            canon = _shape_logits(net, head, torch.from_numpy(ProceduralShapes("test", max(1, cfg.shapes_per_class // 2),
                                  cfg.shape_points, rotate=False, seed=seed).points), cfg.shape_k, t_in).argmax(1)
            same = torch.ones_like(pred, dtype=torch.bool)
            for r in range(10):
                R = torch.from_numpy(random_rotations(len(xte), seed=100 + r)).float()
                same &= _shape_logits(net, head, xte @ R.transpose(1, 2), cfg.shape_k, t_in).argmax(1) == pred
        row = {"model": name, "seed": seed, "rotated_acc": float((pred == yte).float().mean()),
               "canonical_acc": float((canon == yte).float().mean()), "stable_10_rot": float(same.float().mean()),
               "params": sum(p.numel() for p in [*net.parameters(), *head.parameters()]), "seconds": time.perf_counter() - t0}
        log(f"shapes {name:20s} seed {seed}: rotated acc {row['rotated_acc']:.3f}, canonical acc {row['canonical_acc']:.3f}, "
            f"stable under 10 rotations {row['stable_10_rot']:.3f} ({row['seconds']:.1f} s)")
        rows.append(row)
    return rows


# ---------------------------------------------------------------------- 2. QM9-like
def _qm9_batch(mols, idx: Sequence[int], t_in: FieldType, et: FieldType | None):
    Zmap = {1: 0, 6: 1, 7: 2, 8: 3, 9: 4}
    pos, feat, batch, bond_pairs, off = [], [], [], {}, 0
    for k, i in enumerate(idx):
        m = mols[int(i)]
        pos.append(torch.from_numpy(m["pos"]))
        feat.append(F.one_hot(torch.tensor([Zmap[int(z)] for z in m["Z"]]), 5).float())
        batch.append(torch.full((len(m["Z"]),), k))
        for (a, b), t in zip(m["bonds"].tolist(), m["bond_type"].tolist()):
            bond_pairs[(a + off, b + off)] = bond_pairs[(b + off, a + off)] = t
        off += len(m["Z"])
    pos, batch = torch.cat(pos), torch.cat(batch)
    ei = radius_graph(pos, 3.0, batch, max_num_neighbors=32)
    attr = None
    if et is not None:
        types = torch.tensor([bond_pairs.get((s, t), 0) for s, t in ei.T.tolist()])
        attr = GeometricTensor(F.one_hot(types, 5).float(), et)
    return GeometricTensor(torch.cat(feat), t_in, pos), ei, attr, batch


def _qm9(cfg: ImplicitStudyConfig, seed: int, log: Callable[[str], Any]) -> list[dict[str, Any]]:
    mols = load_qm9_like()
    gap = torch.from_numpy(mols.target("gap") * HARTREE_EV).float()
    perm = torch.randperm(len(mols), generator=torch.Generator().manual_seed(seed))
    tr, te = perm[: cfg.qm9_train], perm[cfg.qm9_train : cfg.qm9_train + cfg.qm9_test]
    mu, sd = float(gap[tr].mean()), float(gap[tr].std())
    gs = rot3dOnR3(2)
    t_in = FieldType(gs, [gs.trivial_repr] * 5)
    t_out = FieldType(gs, [gs.trivial_repr] * (2 * cfg.channels))
    rows = []
    for name, use_bonds in (("no edge attributes", False), ("bond types as edge attributes", True)):
        torch.manual_seed(seed)
        et = FieldType(no_base_space(gs.fibergroup), [gs.trivial_repr] * 5) if use_bonds else None
        net = PointNet(gs, t_in, t_out, "implicit", cfg.channels, width=1.5, edge_attr_type=et, aggr="sum")
        head = torch.nn.Sequential(torch.nn.Linear(2 * cfg.channels, 32), torch.nn.ELU(), torch.nn.Linear(32, 1))
        opt = torch.optim.Adam([*net.parameters(), *head.parameters()], lr=3e-3)
        t0 = time.perf_counter()
        for _ in range(cfg.qm9_epochs):
            net.train()
            for idx in tr[torch.randperm(len(tr))].split(cfg.batch):
                x, ei, attr, batch = _qm9_batch(mols, idx.tolist(), t_in, et)
                out = head(_pool(net(x, ei, attr), batch, len(idx)))[:, 0]
                loss = F.mse_loss(out, (gap[idx] - mu) / sd)
                opt.zero_grad()
                loss.backward()
                opt.step()
        net.eval()
        with torch.no_grad():
            x, ei, attr, batch = _qm9_batch(mols, te.tolist(), t_in, et)
            pred = head(_pool(net(x, ei, attr), batch, len(te)))[:, 0] * sd + mu
        mae = float((pred - gap[te]).abs().mean())
        rows.append({"model": name, "seed": seed, "test_mae_eV": mae, "baseline_mae_eV": float((gap[te] - mu).abs().mean()),
                     "seconds": time.perf_counter() - t0})
        log(f"qm9-like {name:30s} seed {seed}: test MAE {mae:.3f} eV (predicting the mean: {rows[-1]['baseline_mae_eV']:.3f})")
    return rows


# ---------------------------------------------------------------------- 3. N-body
def _nbody(cfg: ImplicitStudyConfig, seed: int, log: Callable[[str], Any]) -> list[dict[str, Any]]:
    data = {s: simulate_charged_nbody(n, seed=1000 * seed + k) for k, (s, n) in enumerate((("train", cfg.nbody_train),
                                                                                          ("test", cfg.nbody_test)))}
    T = {s: {k: torch.from_numpy(v) for k, v in d.items()} for s, d in data.items()}
    gs = rot3dOnR3(2)
    t_in = FieldType(gs, [gs.trivial_repr, gs.irrep(1)])
    t_out = FieldType(gs, [gs.irrep(1)])
    et = FieldType(no_base_space(gs.fibergroup), [gs.trivial_repr])
    n = 5
    full = torch.tensor([(j, i) for i in range(n) for j in range(n) if i != j]).T

    def graph(d: dict, idx: torch.Tensor):
        B = len(idx)
        ei = (full[:, None, :] + n * torch.arange(B)[None, :, None]).reshape(2, -1)
        q = d["charges"][idx].reshape(-1)
        x = GeometricTensor(torch.cat([q[:, None], d["vel"][idx].reshape(-1, 3)], 1), t_in, d["loc"][idx].reshape(-1, 3))
        return x, ei, GeometricTensor((q[ei[0]] * q[ei[1]])[:, None], et)

    rows = []
    torch.manual_seed(seed)
    eq = PointNet(gs, t_in, t_out, "implicit", cfg.channels, width=1.0, edge_attr_type=et, aggr="sum")
    mlp = torch.nn.Sequential(torch.nn.Linear(35, 128), torch.nn.ELU(), torch.nn.Linear(128, 128), torch.nn.ELU(), torch.nn.Linear(128, 15))
    for name, model in (("SO(3) implicit point conv", eq), ("non-equivariant MLP", mlp)):
        opt = torch.optim.Adam(model.parameters(), lr=3e-3)
        t0 = time.perf_counter()

        def predict(d: dict, idx: torch.Tensor, model=model) -> torch.Tensor:
            base = d["loc"][idx] + d["vel"][idx]  # ballistic guess for t = steps * dt = 1
            if model is eq:
                return base + model(*graph(d, idx)).reshape(len(idx), n, 3)
            z = torch.cat([d["loc"][idx].flatten(1), d["vel"][idx].flatten(1), d["charges"][idx]], 1)
            return base + model(z).reshape(len(idx), n, 3)

        for _ in range(cfg.nbody_epochs):
            model.train()
            for idx in torch.randperm(cfg.nbody_train).split(cfg.batch):
                loss = F.mse_loss(predict(T["train"], idx), T["train"]["target"][idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
        model.eval()
        with torch.no_grad():
            mse = float(F.mse_loss(predict(T["test"], torch.arange(cfg.nbody_test)), T["test"]["target"]))
        rows.append({"model": name, "seed": seed, "test_mse": mse, "params": sum(p.numel() for p in model.parameters()),
                     "seconds": time.perf_counter() - t0})
        log(f"n-body {name:28s} seed {seed}: test MSE {mse:.5f} ({rows[-1]['params']} params, {rows[-1]['seconds']:.1f} s)")
    return rows


def _mean(rows: list[dict], key: str, **match: Any) -> float:
    vals = [r[key] for r in rows if all(r[k] == v for k, v in match.items())]
    return float(np.mean(vals)) if vals else float("nan")


def run(out: str | Path, quick: bool = False, seeds: Sequence[int] | None = None, log: Callable[[str], Any] = print,
        config: ImplicitStudyConfig | None = None) -> dict[str, Any]:
    """Run the study; write ``report.md``, ``metrics.json`` and a figure into ``out``; return the metrics."""
    cfg = config if config is not None else (QUICK if quick else FULL)
    seeds = list(DEFAULT_SEEDS if seeds is None else seeds)
    if quick:
        seeds = seeds[:1]
    if not seeds:
        raise ValueError("the study needs at least one seed")
    torch.set_num_threads(max(1, torch.get_num_threads()))
    t_start = time.perf_counter()
    rep = Report(out, "Study: " + TITLE)
    rep.metrics.update({"config": asdict(cfg), "quick": quick, "seeds": seeds})
    shape_rows = _shapes(cfg, seeds[0], log)  # one seed: five models
    qm9_rows = [r for s in seeds for r in _qm9(cfg, s, log)]
    nbody_rows = [r for s in seeds[:1] for r in _nbody(cfg, s, log)]
    rep.metrics.update({"shapes": shape_rows, "qm9": qm9_rows, "nbody": nbody_rows})

    rep.text(f"Config: `{asdict(cfg)}`, seeds {seeds} (shapes and N-body: seed {seeds[0]} only).")
    rep.section("Rotated shapes (train canonical, test rotated)")
    rep.table(shape_rows, ["model", "rotated_acc", "canonical_acc", "stable_10_rot", "params", "seconds"])
    rep.section("QM9-like HOMO-LUMO gap (HF/STO-3G), test MAE in eV")
    rep.table(qm9_rows, ["model", "seed", "test_mae_eV", "baseline_mae_eV", "seconds"])
    rep.section("Charged N-body, test MSE of the positions after 1000 steps")
    rep.table(nbody_rows, ["model", "test_mse", "params", "seconds"])

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.bar([r["model"] for r in shape_rows], [r["rotated_acc"] for r in shape_rows], color="C0", label="rotated test")
    ax.plot([r["model"] for r in shape_rows], [r["canonical_acc"] for r in shape_rows], "ko", label="canonical test")
    ax.set(ylabel="accuracy", ylim=(0, 1), title="Procedural shapes")
    ax.tick_params(axis="x", labelrotation=20, labelsize=7)
    ax.legend()
    fig.tight_layout()
    rep.figure(fig, "shapes_accuracy", "Rotated-shape test accuracy per model (bars) and canonical test accuracy (dots)")

    acc = {r["model"]: r["rotated_acc"] for r in shape_rows}
    stable = {r["model"]: r["stable_10_rot"] for r in shape_rows}
    mae_plain = _mean(qm9_rows, "test_mae_eV", model="no edge attributes")
    mae_bonds = _mean(qm9_rows, "test_mae_eV", model="bond types as edge attributes")
    cut = 1 - mae_bonds / mae_plain
    mse_eq = _mean(nbody_rows, "test_mse", model="SO(3) implicit point conv")
    mse_mlp = _mean(nbody_rows, "test_mse", model="non-equivariant MLP")
    best = max(acc["O(3) implicit"], acc["SO(3) implicit"])
    checks = [
        {"target": "rotated-shape accuracy of the O(3)/SO(3) implicit model >= 0.85", "value": best, "met": best >= 0.85},
        {"target": "O(3)/SO(3) predictions unchanged under 10 rotations for >= 99% of test shapes",
         "value": min(stable["O(3) implicit"], stable["SO(3) implicit"]),
         "met": min(stable["O(3) implicit"], stable["SO(3) implicit"]) >= 0.99},
        {"target": f"bond-type edge attributes cut QM9-like test MAE by >= 30% ({len(seeds)} seeds)", "value": cut, "met": cut >= 0.30},
        {"target": "N-body test MSE >= 2x better than the non-equivariant MLP (ratio MLP / equivariant)",
         "value": mse_mlp / mse_eq, "met": mse_mlp / mse_eq >= 2.0},
    ]
    rep.section("Targets (the paper's claims, quantified)")
    return rep.finish(checks, t_start, log, note=" (quick mode: a pipeline check, not the result)" if quick else "")
