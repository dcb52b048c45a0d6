r"""Self-supervised training of :class:`~steerable.lattice.neural.NeuralLatticeReducer` on bases drawn on the fly.

The loss is the mean log orthogonality defect of the reduced bases,
:math:`\sum_i \log\|Bq_i\| - \log|\det B|` (:math:`|\det Q| = 1`), back-propagated through the
straight-through rounding of the moves; no reduced bases are ever needed as labels.  Training is a
pure function of its :class:`LatticeTrainConfig` and the step count: the model, the optimiser and the
generator of the training bases are all restored from a state dict, so a run stopped and resumed
reaches the same weights as an uninterrupted one.  The learning rate decays on a cosine schedule and the
weights kept are the best on a fixed validation set (scored every ``val_every`` iterations, starting with
the untrained reducer): the straight-through gradient is biased, and the validation defect, not the
training loss, says whether a step helped.

Example:
    >>> cfg = LatticeTrainConfig(n=4, iterations=3, batch_size=8)
    >>> result = train_reducer(cfg)
    >>> result.state["iteration"], len(result.history)
    (3, 3)
"""
from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Callable

import torch

from .neural import NeuralLatticeReducer

__all__ = ["LatticeTrainConfig", "TrainResult", "random_bases", "train_reducer", "reducer_from_state", "MODEL_NAME"]

MODEL_NAME = "lattice-reducer"
BASIS_KINDS = ("gaussian",)


def random_bases(count: int, n: int, generator: torch.Generator | None = None, kind: str = "gaussian") -> torch.Tensor:
    """``count`` random bases ``(count, n, n)`` float64 with i.i.d. N(0, 1) entries (full rank with probability 1)."""
    if kind not in BASIS_KINDS:
        raise ValueError(f"basis kind must be one of {BASIS_KINDS}, got {kind!r}")
    return torch.randn(count, n, n, generator=generator, dtype=torch.float64)


@dataclass(frozen=True)
class LatticeTrainConfig:
    """What defines a training run (saved in the checkpoint; a resumed run must match it)."""

    n: int = 8
    iterations: int = 1500
    batch_size: int = 128
    lr: float = 3e-3
    hidden: int = 16
    moves: int | None = None      # moves per reduction T (default 4 n)
    seed: int = 0
    val_count: int = 256          # held-out bases scored every `val_every` iterations; the best weights are kept
    val_every: int = 50

    def validate(self) -> None:
        for name in ("n", "iterations", "batch_size", "hidden", "val_every"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < (2 if name == "n" else 1):
                raise ValueError(f"{name} must be a positive integer{' >= 2' if name == 'n' else ''}, got {v!r}")
        if isinstance(self.val_count, bool) or not isinstance(self.val_count, int) or self.val_count < 0:
            raise ValueError(f"val_count must be an integer >= 0, got {self.val_count!r}")
        if not (isinstance(self.lr, (int, float)) and self.lr > 0):
            raise ValueError(f"lr must be a positive number, got {self.lr!r}")

    def model_kwargs(self) -> dict[str, Any]:
        return {"n": self.n, "hidden": self.hidden, "steps": self.moves if self.moves is not None else 4 * self.n}


@dataclass
class TrainResult:
    """The trained model, its full state (a checkpoint dict) and the loss per iteration."""

    model: NeuralLatticeReducer
    state: dict[str, Any]
    history: list[float]


def reducer_from_state(state: dict[str, Any]) -> NeuralLatticeReducer:
    """Rebuild a reducer from a training state / checkpoint dict (``model_kwargs`` + ``model_state``)."""
    if state.get("model") != MODEL_NAME:
        raise ValueError(f"not a lattice reducer checkpoint (model {state.get('model')!r}, expected {MODEL_NAME!r})")
    model = NeuralLatticeReducer(**state["model_kwargs"])
    model.load_state_dict(state["model_state"])
    return model


def train_reducer(cfg: LatticeTrainConfig, state: dict[str, Any] | None = None,
                  checkpoint: Callable[[dict[str, Any]], None] | None = None, checkpoint_every: int = 100,
                  stop_after: int | None = None, log: Callable[[str], None] | None = None) -> TrainResult:
    """Train (or resume training of) a reducer on random Gaussian bases.

    Args:
        cfg: the run's configuration.
        state: a state returned by an earlier call (or loaded from its checkpoint) to resume from.
        checkpoint: called with the current state every ``checkpoint_every`` iterations and at the end.
        stop_after: stop after this many iterations of this call (as if interrupted), for testing resume.
        log: called with a progress line every ``checkpoint_every`` iterations.
    """
    cfg.validate()
    if state is not None and state.get("config") != dataclasses.asdict(cfg):
        raise ValueError(f"the checkpoint was trained with {state.get('config')}, not {dataclasses.asdict(cfg)}")
    torch.manual_seed(cfg.seed)
    model = NeuralLatticeReducer(**cfg.model_kwargs())
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    gen = torch.Generator().manual_seed(cfg.seed + 1)
    val = random_bases(cfg.val_count, cfg.n, torch.Generator().manual_seed(cfg.seed + 2)) if cfg.val_count else None

    def validate() -> float:
        with torch.no_grad():
            return float(model.loss(val)) if val is not None else -float(it)  # without a validation set: the latest

    it, history = 0, []
    if state is not None:
        model.load_state_dict(state["model_state"])
        opt.load_state_dict(state["optimizer_state"])
        gen.set_state(state["generator_state"])
        it, history = int(state["iteration"]), list(state["history"])
        best_val, best_state, val_history = float(state["best_val"]), state["best_state"], list(state["val_history"])
    else:
        best_val = validate()   # the untrained reducer (greedy Babai) is the bar training must clear
        best_state, val_history = copy.deepcopy(model.state_dict()), [(0, best_val)]

    def snapshot() -> dict[str, Any]:
        return {"model": MODEL_NAME, "model_kwargs": cfg.model_kwargs(), "model_state": model.state_dict(),
                "optimizer_state": opt.state_dict(), "generator_state": gen.get_state(), "iteration": it,
                "history": list(history), "config": dataclasses.asdict(cfg), "best_val": best_val,
                "best_state": best_state, "val_history": list(val_history)}

    done_here = 0
    model.train()
    while it < cfg.iterations and (stop_after is None or done_here < stop_after):
        for group in opt.param_groups:  # cosine decay, a function of the iteration only (resumable)
            group["lr"] = cfg.lr * 0.5 * (1 + math.cos(math.pi * it / cfg.iterations))
        loss = model.loss(random_bases(cfg.batch_size, cfg.n, gen))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        history.append(float(loss.detach()))
        it += 1
        done_here += 1
        if it % cfg.val_every == 0 or it == cfg.iterations:
            v = validate()
            val_history.append((it, v))
            if v < best_val:
                best_val, best_state = v, copy.deepcopy(model.state_dict())
        if it % checkpoint_every == 0:
            if log is not None:
                recent = history[-checkpoint_every:]
                log(f"iteration {it}/{cfg.iterations}: mean log-defect {sum(recent) / len(recent):.4f}, "
                    f"best validation {best_val:.4f}")
            if checkpoint is not None:
                checkpoint(snapshot())
    if it >= cfg.iterations:
        model.load_state_dict(best_state)   # the finished run's model is the best one on the validation set
    model.eval()
    final = snapshot()
    if checkpoint is not None:
        checkpoint(final)
    return TrainResult(model, final, history)
