"""``steerable lattice train|reduce|bench``: train a neural lattice reducer, reduce bases from a file, compare reducers.

* ``train --n 8``: self-supervised training on random bases; OUT/checkpoint.pt (every ``--checkpoint-every``
  iterations, ``--resume`` continues to the same weights) and OUT/metrics.json (held-out defects).
* ``reduce FILE``: bases from ``.npy`` (``(n, n)`` or ``(m, n, n)``) or text (``n`` columns; ``m n`` rows are ``m``
  stacked bases), basis vectors as columns; prints the log-defects and writes ``--out`` (``.npz`` with
  ``reduced`` and ``Q``).
* ``bench``: mean log-defect and time per lattice of the reducers side by side.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "run"]


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> argparse.ArgumentParser:
    from ..lattice.training import LatticeTrainConfig

    d = LatticeTrainConfig()
    p = sub.add_parser("lattice", help="neural lattice reduction: train, reduce FILE, bench",
                       description="Neural lattice reduction (invariant to rotations and scale, equivariant to signed "
                                   "permutations of the basis) and the LLL baselines.")
    lsub = p.add_subparsers(dest="lattice_command", metavar="ACTION")
    t = lsub.add_parser("train", help="train a reducer self-supervised on random bases (checkpointed; --resume)")
    t.add_argument("--n", type=int, default=d.n, help=f"lattice dimension (default {d.n})")
    t.add_argument("--iterations", type=int, default=d.iterations, help=f"optimisation steps (default {d.iterations})")
    t.add_argument("--batch-size", type=int, default=d.batch_size, help=f"bases per step (default {d.batch_size})")
    t.add_argument("--lr", type=float, default=d.lr, help=f"Adam learning rate (default {d.lr})")
    t.add_argument("--hidden", type=int, default=d.hidden, help=f"network width (default {d.hidden})")
    t.add_argument("--moves", type=int, default=None, help="Gauss moves per reduction (default 4 n)")
    t.add_argument("--seed", type=int, default=d.seed, help="seed of initialisation and training bases (default 0)")
    t.add_argument("--out", default=None, help="output directory (default runs/lattice-nN-seedS)")
    t.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    t.add_argument("--checkpoint-every", type=int, default=100, help="iterations between checkpoints (default 100)")
    t.add_argument("--test-count", type=int, default=1000, help="held-out bases for the final metrics (default 1000)")
    t.add_argument("--stop-after", type=int, default=None, metavar="STEPS",
                   help="stop after STEPS iterations as if interrupted (checkpoint saved; for testing --resume)")
    r = lsub.add_parser("reduce", help="reduce the bases in FILE (.npy or text; basis vectors as columns)")
    r.add_argument("file", help=".npy with (n, n) or (m, n, n), or a text file of n columns")
    r.add_argument("--method", default=None, choices=["neural", "lll", "size"],
                   help="reducer (default: neural with --model, else lll)")
    r.add_argument("--model", default=None, help="checkpoint of a trained reducer (file or training directory)")
    r.add_argument("--delta", type=float, default=0.99, help="LLL parameter in (0.25, 1] (default 0.99)")
    r.add_argument("--out", default=None, help="write reduced bases and Q to this .npz")
    b = lsub.add_parser("bench", help="mean log-defect and time per lattice: neural vs LLL vs size reduction")
    b.add_argument("--n", type=int, nargs="+", default=[4, 8], help="dimensions (default 4 8)")
    b.add_argument("--count", type=int, default=1000, help="random bases per dimension (default 1000)")
    b.add_argument("--model", nargs="*", default=[], help="checkpoints of trained reducers (default: untrained)")
    b.add_argument("--repeats", type=int, default=3, help="timing repeats, best kept (default 3)")
    return p


def _fail(msg: str) -> int:
    print(f"steerable lattice: error: {' '.join(msg.split())}", file=sys.stderr)
    return 2


def _load_model(path: str) -> Any:
    from ..lattice.training import reducer_from_state
    from ..train import load_checkpoint

    return reducer_from_state(load_checkpoint(path)).eval()


def _read_bases(path: str) -> Any:
    import numpy as np

    p = Path(path)
    if not p.is_file():
        raise ValueError(f"no such file: {path}")
    try:
        a = np.load(p, allow_pickle=False) if p.suffix == ".npy" else np.loadtxt(p, ndmin=2)
    except (ValueError, OSError) as exc:
        raise ValueError(f"cannot read bases from {path}: {exc}") from None
    if a.ndim == 2 and a.shape[0] != a.shape[1]:
        n = a.shape[1]
        if a.shape[0] % n:
            raise ValueError(f"{path}: {a.shape[0]} rows of {n} numbers are not whole {n} x {n} bases")
        a = a.reshape(-1, n, n)
    return a


def _train(args: argparse.Namespace) -> int:
    import dataclasses

    import torch

    from ..lattice import lll, log_defect, size_reduce
    from ..lattice.training import LatticeTrainConfig, random_bases, train_reducer
    from ..train import CheckpointError, load_checkpoint, save_checkpoint

    cfg = LatticeTrainConfig(n=args.n, iterations=args.iterations, batch_size=args.batch_size, lr=args.lr,
                             hidden=args.hidden, moves=args.moves, seed=args.seed)
    out = Path(args.out or f"runs/lattice-n{args.n}-seed{args.seed}")
    ckpt = out / "checkpoint.pt"
    state = None
    if args.resume:
        try:
            state = load_checkpoint(ckpt)
        except CheckpointError as exc:
            return _fail(str(exc))
    try:
        res = train_reducer(cfg, state=state, checkpoint=lambda s: save_checkpoint(ckpt, s),
                            checkpoint_every=args.checkpoint_every, stop_after=args.stop_after,
                            log=lambda s: print(s, flush=True))
    except ValueError as exc:
        return _fail(str(exc))
    if res.state["iteration"] < cfg.iterations:
        print(f"stopped after iteration {res.state['iteration']}; checkpoint {ckpt} (continue with --resume)")
        return 0
    B = random_bases(args.test_count, cfg.n, torch.Generator().manual_seed(10_000 + cfg.n))
    with torch.no_grad():
        metrics = {"config": dataclasses.asdict(cfg), "test_count": args.test_count,
                   "neural": float(log_defect(res.model(B)[0]).mean()), "LLL(0.99)": float(log_defect(lll(B, 0.99)[0]).mean()),
                   "size reduction": float(log_defect(size_reduce(B)[0]).mean()), "unreduced": float(log_defect(B).mean())}
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    print(f"done: held-out mean log-defect neural {metrics['neural']:.4f}, LLL(0.99) {metrics['LLL(0.99)']:.4f}, "
          f"size reduction {metrics['size reduction']:.4f}, unreduced {metrics['unreduced']:.4f}; checkpoint {ckpt}")
    return 0


def _reduce(args: argparse.Namespace) -> int:
    import numpy as np
    import torch

    from ..lattice import as_basis, lll, log_defect, size_reduce
    from ..train import CheckpointError

    method = args.method or ("neural" if args.model else "lll")
    try:
        B = as_basis(torch.as_tensor(_read_bases(args.file)), name=f"the bases in {args.file}").to(torch.float64)
        if method == "neural":
            if not args.model:
                raise ValueError("--method neural needs --model CHECKPOINT (train one with: steerable lattice train)")
            with torch.no_grad():
                reduced, Q = _load_model(args.model)(B)
        elif method == "lll":
            reduced, Q = lll(B, args.delta)
        else:
            reduced, Q = size_reduce(B)
    except (ValueError, TypeError, CheckpointError) as exc:
        return _fail(str(exc))
    before, after = log_defect(B).reshape(-1), log_defect(reduced).reshape(-1)
    print(f"{before.numel()} basis(es) of dimension {B.shape[-1]}, method {method}: mean log-defect "
          f"{float(before.mean()):.4f} -> {float(after.mean()):.4f}")
    if before.numel() <= 10:
        for i, (a, b) in enumerate(zip(before.tolist(), after.tolist())):
            print(f"  basis {i}: log-defect {a:.4f} -> {b:.4f}")
    if args.out:
        np.savez(args.out, reduced=reduced.numpy(), Q=Q.numpy())
        print(f"wrote {args.out} (reduced, Q)")
    return 0


def _bench(args: argparse.Namespace) -> int:
    import torch

    from ..lattice.evaluate import default_reducers, score_reducers
    from ..lattice.neural import NeuralLatticeReducer
    from ..lattice.training import random_bases
    from ..train import CheckpointError

    try:
        trained = {m.n: m for m in (_load_model(p) for p in args.model)}
    except (ValueError, CheckpointError) as exc:
        return _fail(str(exc))
    print(f"{'n':>3} {'method':<22} {'mean log-defect':>16} {'ms / lattice':>13}")
    for n in args.n:
        if n < 2:
            return _fail(f"--n must be >= 2, got {n}")
        neural = trained.get(n, NeuralLatticeReducer(n).eval())
        B = random_bases(args.count, n, torch.Generator().manual_seed(10_000 + n))
        name = "neural" if n in trained else "neural (untrained)"
        reds = default_reducers(None)
        reds[name] = neural
        for s in score_reducers(B, reds, repeats=args.repeats):
            print(f"{n:>3} {s.name:<22} {s.mean_log_defect:>16.4f} {s.ms_per_lattice:>13.4f}", flush=True)
    return 0


def run(args: argparse.Namespace) -> int:
    action = getattr(args, "lattice_command", None)
    if action is None:
        return _fail("an action is needed: train, reduce or bench (see steerable lattice --help)")
    return {"train": _train, "reduce": _reduce, "bench": _bench}[action](args)
