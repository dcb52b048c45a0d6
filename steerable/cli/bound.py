"""``steerable bound CHECKPOINT [--margin-quantile 0.1] [--delta 0.05] [--json]``: PAC-Bayes bounds of a trained model.

Prints one row per linear layer (operator norm, parameter norm, the two perturbation tail
scales, and the Fourier blocks of its 1x1 part: irrep, multiplicities ``m_out x m_in``, type,
block norm) and both bounds of :mod:`steerable.theory.bounds` with every term, at the margin
``gamma`` = the given quantile of the training margins.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

__all__ = ["add_parser", "run"]


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> argparse.ArgumentParser:
    p = sub.add_parser("bound", help="PAC-Bayes generalisation bounds (NBS18 and equivariant) of a checkpoint",
                       description="Compute the NBS18 and the equivariant (Fourier-domain) PAC-Bayes margin bounds of a "
                                   "trained checkpoint on its training data, with a per-layer table of norms and irrep blocks.")
    p.add_argument("checkpoint", help="checkpoint file or run directory (with checkpoint.pt)")
    p.add_argument("--margin-quantile", type=float, default=0.1, help="gamma = this quantile of the training margins (default 0.1)")
    p.add_argument("--delta", type=float, default=0.05, help="confidence: the bound holds with probability 1 - delta (default 0.05)")
    p.add_argument("--n-train", type=int, default=2000, help="training images to evaluate (default 2000; 0: all)")
    p.add_argument("--data-root", default=None, help="directory with dataset files (as for train)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    return p


def _fail(msg: str) -> int:
    print(f"steerable bound: error: {' '.join(msg.split())}", file=sys.stderr)
    return 2


def _blocks(lay: Any) -> list[dict[str, Any]]:
    if lay.schur is None:
        return []
    return [{"irrep": list(b.irrep), "type": b.type, "d": b.d, "m_out": b.m_out, "m_in": b.m_in, "norm": b.spectral_norm}
            for b in lay.schur.blocks]


def run(args: argparse.Namespace) -> int:
    from ..theory import bounds_from_layers, margin_loss, margin_quantile, margins, measure_layers
    from ..train import CheckpointError, DataUnavailable, build_from_checkpoint, load_checkpoint, load_data

    t0 = time.perf_counter()
    for name, v in (("--margin-quantile", args.margin_quantile), ("--delta", args.delta)):
        if not 0.0 < v < 1.0:
            return _fail(f"{name} must be in (0, 1), got {v}")
    try:
        state = load_checkpoint(args.checkpoint)
        model = build_from_checkpoint(state).eval()
    except (CheckpointError, ValueError) as exc:
        return _fail(str(exc))
    cfg = state.get("config", {})
    n = cfg.get("n_train") if args.n_train == 0 else args.n_train
    if cfg.get("n_train") is not None and n is not None:
        n = min(n, cfg["n_train"])
    try:
        data = load_data(cfg.get("dataset", "mnist-rot"), n_train=n, n_test=2, seed=cfg.get("data_seed", 0),
                         root=args.data_root or cfg.get("data_root"))
    except (DataUnavailable, ValueError) as exc:
        return _fail(str(exc))
    x, y = data.x_train, data.y_train
    if len(y) < 2:
        return _fail(f"the training set has {len(y)} images; the bound needs at least 2")
    dtype = next(model.parameters()).dtype
    try:
        m = margins(model, (x, y), dtype=dtype)
        gamma = margin_quantile(m, args.margin_quantile)
        layers, lip = measure_layers(model, x[:4].to(dtype))
    except ValueError as exc:
        return _fail(str(exc))
    B = float(x.double().flatten(1).norm(dim=1).max())
    loss = margin_loss(m, gamma)
    res = {kind: bounds_from_layers(kind, layers, lip, B, len(y), gamma, args.delta, loss) for kind in ("nbs18", "equivariant")}
    train_err = float((m <= 0).double().mean())
    rows = []
    for lay, (_, _, _, s_d), (_, _, _, s_e) in zip(layers, res["nbs18"].per_layer, res["equivariant"].per_layer):
        rows.append({"layer": lay.name, "kind": lay.kind, "equivariant": lay.equivariant, "n_in": lay.n_in, "n_out": lay.n_out,
                     "taps": lay.taps, "grid": list(lay.grid), "operator_norm": lay.spectral, "frobenius_sq": lay.dense_sq,
                     "param_sq": lay.param_sq, "s_nbs18": s_d, "s_equivariant": s_e, "blocks": _blocks(lay)})
    seconds = time.perf_counter() - t0
    if args.json:
        out = {"checkpoint": str(args.checkpoint), "model": state["model"], "n_train": len(y), "train_error": train_err,
               "gamma": gamma, "margin_quantile": args.margin_quantile, "delta": args.delta, "bn_lipschitz": lip, "layers": rows,
               "nbs18": res["nbs18"].as_dict(), "equivariant": res["equivariant"].as_dict(), "seconds": seconds}
        print(json.dumps(out, indent=1, default=float))
        return 0
    print(f"checkpoint {args.checkpoint}: model {state['model']}; {len(y)} training images, training error "
          f"{100 * train_err:.2f}%, gamma = {gamma:.4g} (the {args.margin_quantile:g}-quantile of the margins)")
    print(f"{'layer':<18} {'kind':<13} {'in->out':>11} {'taps':>4} {'||W||op':>9} {'||theta||^2':>11} {'s_nbs18':>8} {'s_equiv':>8}  "
          "Fourier blocks of the 1x1 part: irrep[m_out x m_in, type]=norm")
    for r in rows:
        blocks = " ".join(f"{tuple(b['irrep'])}[{b['m_out']}x{b['m_in']},{b['type']}]={b['norm']:.3g}" for b in r["blocks"][:6])
        more = f" (+{len(r['blocks']) - 6})" if len(r["blocks"]) > 6 else ""
        flag = "" if r["equivariant"] else "  (not equivariant: dense terms)"
        print(f"{r['layer']:<18} {r['kind']:<13} {str(r['n_in']) + '->' + str(r['n_out']):>11} {r['taps']:>4} {r['operator_norm']:>9.4g} "
              f"{r['param_sq']:>11.4g} {r['s_nbs18']:>8.4g} {r['s_equivariant']:>8.4g}  {blocks}{more}{flag}")
    print(f"batch-norm Lipschitz product {lip:.4g}; input norm B = {B:.4g}; m = {len(y)}; delta = {args.delta:g}")
    for kind, b in res.items():
        print(f"{kind:<12} bound {b.total:.4g} = margin loss {b.margin_loss:.4g} + complexity {b.complexity:.4g}  "
              f"[KL {b.kl:.4g}, norm product {b.norm_product:.4g}, sum term {b.sum_term:.4g}, tail term {b.tail_term:.4g}, "
              f"log term {b.log_term:.4g}, Lemma-2 condition {'holds' if b.lemma2_holds else 'FAILS'}]")
    print(f"equivariant / NBS18 complexity: {res['equivariant'].complexity / res['nbs18'].complexity:.4g}  ({seconds:.1f} s)")
    return 0
