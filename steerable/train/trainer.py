"""The training loop: deterministic, resumable, interruptible, optionally distributed.

:func:`train` runs a :class:`~steerable.train.TrainConfig` to the end and returns a summary.
Guarantees:

* **Determinism.** The model is initialised from ``seed``; the data order of epoch ``e`` comes
  from ``(seed, e)`` alone (:func:`~steerable.train.data.epoch_order`); no ``DataLoader``
  workers or other hidden randomness.  Same config, same machine, same metrics.
* **Checkpoints.** After every epoch, and when SIGINT (Ctrl-C) or SIGTERM arrives, the model,
  optimiser, scheduler, grad-scaler and RNG states (torch, CUDA, NumPy, Python), the position
  in the data (epoch, step) and the partial epoch statistics are written atomically to
  ``OUT/checkpoint.pt``.  A signal is only *noted* by the handler; the loop finishes the current
  step, saves and stops (:class:`TrainingInterrupted`), so the checkpoint is always consistent.
  A second Ctrl-C aborts at once.
* **Resume.** ``train(cfg, resume=True)`` continues from ``OUT/checkpoint.pt``, mid-epoch if
  need be, and reaches the same final metrics as an uninterrupted run.  The learning-rate
  schedule (``lr * lr_decay ** epoch``) does not depend on the total number of epochs, so a run
  can also be extended with a larger ``epochs``.
* **Metrics** per epoch go to ``OUT/metrics.csv`` and ``OUT/metrics.json`` (atomically).
* **Devices.** ``device='auto'`` picks CUDA when available; ``amp`` uses float16 autocast with
  gradient scaling on GPU (bfloat16 autocast on CPU); ``compile`` wraps the model in
  ``torch.compile``.
* **DDP.** Under ``torchrun`` each process takes a slice of every global batch; gradients are
  averaged and the loss is scaled so an update equals single-process training on the global
  batch (batch-norm statistics are per process, as usual with DDP).
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from tqdm.auto import tqdm

from .models import build_model, check_model_kwargs, count_parameters, model_regularization
from .checkpoint import CheckpointError, capture_rng, load_checkpoint, restore_rng, save_checkpoint
from .config import TrainConfig
from .data import DataBundle, epoch_order, load_data
from .distributed import DistInfo, all_reduce_sum, init_distributed, local_slice, shutdown

__all__ = ["train", "evaluate", "TrainingInterrupted", "GracefulInterrupt", "resolve_device", "seed_everything",
           "model_kwargs_for", "build_from_checkpoint", "METRIC_FIELDS", "TIMING_FIELDS"]

METRIC_FIELDS = ("epoch", "train_loss", "train_acc", "test_loss", "test_acc", "test_error", "lr",
                 "epoch_time_s", "epoch_cpu_s", "samples_per_s")
#: fields that measure time, and so differ between otherwise identical runs; ``epoch_cpu_s`` is
#: the process's CPU time in the epoch's training steps (all threads): far below
#: ``epoch_time_s`` x threads means the machine was busy with other work
TIMING_FIELDS = ("epoch_time_s", "epoch_cpu_s", "samples_per_s")

CHECKPOINT_NAME = "checkpoint.pt"


class TrainingInterrupted(Exception):
    """Training stopped early on a signal (or ``stop_after``); a resumable checkpoint was saved."""

    def __init__(self, signal_name: str, checkpoint: Path | None, epoch: int, step: int) -> None:
        super().__init__(f"interrupted by {signal_name} at epoch {epoch + 1}, step {step}; "
                         f"checkpoint saved to {checkpoint}; continue with --resume")
        self.signal_name, self.checkpoint, self.epoch, self.step = signal_name, checkpoint, epoch, step

    @property
    def exit_code(self) -> int:
        return 143 if self.signal_name == "SIGTERM" else 130


class GracefulInterrupt:
    """While active, SIGINT/SIGTERM only set :attr:`requested`; a second SIGINT raises ``KeyboardInterrupt``."""

    def __init__(self) -> None:
        self.requested: str | None = None
        self._old: dict[int, Any] = {}

    def _handler(self, signum: int, frame: Any) -> None:
        if self.requested is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = signal.Signals(signum).name
        print(f"\n{self.requested} received: finishing the current step and saving a checkpoint "
              "(Ctrl-C again to abort without saving)", file=sys.stderr, flush=True)

    def __enter__(self) -> "GracefulInterrupt":
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc: Any) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)
        self._old.clear()


# ---------------------------------------------------------------------- helpers
def resolve_device(spec: str, local_rank: int = 0) -> torch.device:
    """``'auto'`` -> ``cuda`` (``cuda:LOCAL_RANK`` under DDP) when available, else ``cpu``."""
    if spec == "auto":
        spec = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        dev = torch.device(spec)
    except RuntimeError:
        raise ValueError(f"unknown device {spec!r}; expected auto, cpu, cuda or cuda:N") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError("device 'cuda' requested but CUDA is not available (use --device cpu or auto)")
        if dev.index is None:
            dev = torch.device("cuda", local_rank if local_rank < torch.cuda.device_count() else 0)
    elif dev.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError("device 'mps' requested but it is not available")
    return dev


def seed_everything(seed: int) -> None:
    import random

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def model_kwargs_for(cfg: TrainConfig, data: DataBundle) -> dict[str, Any]:
    """The full keyword arguments the model is built with (data shape + ``cfg.model_kwargs``)."""
    c, h, _ = data.image_shape
    return {"in_channels": int(c), "num_classes": int(data.num_classes), "image_size": int(h), **cfg.model_kwargs}


def build_from_checkpoint(state: dict[str, Any], model_name: str | None = None) -> torch.nn.Module:
    """Rebuild the model of a checkpoint and load its weights (``CheckpointError`` if they do not fit)."""
    name = state["model"]
    if model_name is not None:
        from .models import canonical_model_name

        try:
            want = canonical_model_name(model_name)
        except ValueError as exc:
            raise CheckpointError(str(exc)) from None
        if want != name:
            raise CheckpointError(f"this is a checkpoint of model {name!r}, not {want!r}")
        name = want
    try:
        model = build_model(name, **state["model_kwargs"])
    except (ValueError, TypeError) as exc:
        raise CheckpointError(f"cannot rebuild model {name!r} of the checkpoint: {exc}") from None
    try:
        model.load_state_dict(state["model_state"])
    except (RuntimeError, KeyError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise CheckpointError(f"checkpoint weights do not fit model {name!r}: {first[:200]}") from None
    return model


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_metrics(out: Path, history: list[dict[str, Any]], meta: dict[str, Any]) -> None:
    """``metrics.csv`` (one row per epoch) and ``metrics.json`` (meta + history), both atomic."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(METRIC_FIELDS))
    w.writeheader()
    for row in history:
        w.writerow({k: row.get(k) for k in METRIC_FIELDS})
    _atomic_write_text(out / "metrics.csv", buf.getvalue())
    doc = {**meta, "history": history, "final": history[-1] if history else None}
    _atomic_write_text(out / "metrics.json", json.dumps(doc, indent=2, default=str) + "\n")


@torch.no_grad()
def evaluate(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 500,
             device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32, amp: bool = False,
             info: DistInfo | None = None) -> tuple[float, float]:
    """``(mean cross-entropy, accuracy)`` of ``model`` in eval mode (sharded and summed under DDP)."""
    info = info or DistInfo()
    device = torch.device(device)
    was = model.training
    model.eval()
    sl = local_slice(len(y), info.rank, info.world_size)
    xs, ys = x[sl], y[sl]
    sums = torch.zeros(3, dtype=torch.float64, device=device)
    for i in range(0, len(ys), batch_size):
        xb = xs[i : i + batch_size].to(device=device, dtype=dtype)
        yb = ys[i : i + batch_size].to(device)
        with _autocast(device, amp):
            logits = model(xb)
        logits = logits.float()
        sums[0] += F.cross_entropy(logits, yb, reduction="sum").double()
        sums[1] += (logits.argmax(1) == yb).sum()
        sums[2] += len(yb)
    all_reduce_sum(sums, info)
    model.train(was)
    n = max(float(sums[2]), 1.0)
    return float(sums[0]) / n, float(sums[1]) / n


def _print_flush(s: str) -> None:
    print(s, flush=True)


def _autocast(device: torch.device, amp: bool):
    if not amp:
        return torch.autocast(device.type, enabled=False)
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.float16)
    return torch.autocast(device.type, dtype=torch.bfloat16)


def _gather_rng(info: DistInfo) -> list[dict[str, Any]]:
    mine = capture_rng()
    if not info.enabled:
        return [mine]
    out: list[Any] = [None] * info.world_size
    dist.all_gather_object(out, mine)
    return out


# ---------------------------------------------------------------------- training

def train(cfg: TrainConfig, resume: bool = False, progress: bool | None = None,
          log: Callable[[str], None] | None = None, stop_after: int | None = None,
          data: DataBundle | None = None) -> dict[str, Any]:
    """Train ``cfg`` (see module docs); returns ``{"history", "final", "params", "out", ...}``.

    Args:
        cfg: the run's configuration (on resume, the checkpoint's config is used, with
            ``epochs``, ``out``, ``device`` and ``compile`` taken from ``cfg``).
        resume: continue from ``cfg.out/checkpoint.pt``.
        progress: tqdm bars (default: when stderr is a terminal).
        log: receives one line per epoch (default ``print``; only process 0 logs).
        stop_after: behave as if interrupted after this many optimisation steps of this call.
        data: pre-loaded data (else loaded from the config).

    Raises:
        TrainingInterrupted: after saving a checkpoint on SIGINT/SIGTERM or ``stop_after``.
        CheckpointError: ``resume`` without a usable checkpoint.
    """
    out = Path(cfg.out)
    state: dict[str, Any] | None = None
    if resume:
        state = load_checkpoint(out / CHECKPOINT_NAME)
        saved = TrainConfig.from_dict(state["config"])
        for k in TrainConfig.RESUMABLE_OVERRIDES:
            setattr(saved, k, getattr(cfg, k))
        cfg = saved
    cfg.validate()
    dev0 = resolve_device(cfg.device)
    info = init_distributed(dev0.type)
    try:
        return _train(cfg, info, state, progress, log, stop_after, data)
    finally:
        shutdown(info)


def _train(cfg: TrainConfig, info: DistInfo, state: dict[str, Any] | None, progress: bool | None,
           log: Callable[[str], None] | None, stop_after: int | None, data: DataBundle | None) -> dict[str, Any]:
    out = Path(cfg.out)
    device = resolve_device(cfg.device, info.local_rank)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dtype = {"float32": torch.float32, "float64": torch.float64}[cfg.dtype]
    main = info.is_main
    say = (log or _print_flush) if main else (lambda s: None)
    if progress is None:
        progress = sys.stderr.isatty()
    progress = bool(progress) and main

    seed_everything(cfg.seed)
    if data is None:
        data = load_data(cfg.dataset, cfg.n_train, cfg.n_test, cfg.data_seed, cfg.data_root)
    mkw = model_kwargs_for(cfg, data) if state is None else dict(state["model_kwargs"])
    check_model_kwargs(cfg.model, **mkw)  # an unknown keyword (e.g. --model-arg foo=1) is a user error
    model = build_model(cfg.model, **mkw).to(device=device, dtype=dtype)
    if main:  # only now: a run that fails on its data or model leaves no empty directory behind
        out.mkdir(parents=True, exist_ok=True)
    if hasattr(model, "rebuild_kwargs"):  # pin resolved choices (field counts...) so the checkpoint rebuilds exactly
        mkw = {**mkw, **model.rebuild_kwargs()}
    n_params = count_parameters(model)
    if info.enabled:  # distinct dropout streams per process; the initial weights are equal (same seed)
        torch.manual_seed(cfg.seed + 1_000_003 * info.rank)

    train_module: torch.nn.Module = model
    if info.enabled:
        from torch.nn.parallel import DistributedDataParallel as DDP

        train_module = DDP(model, device_ids=[device.index] if device.type == "cuda" else None)
    if cfg.compile:
        train_module = torch.compile(train_module)
    if cfg.optimizer == "sgd":
        opt: torch.optim.Optimizer = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum,
                                                     weight_decay=cfg.weight_decay)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    decay = cfg.lr_decay
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda e: decay**e)
    use_scaler = cfg.amp and device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_scaler)

    start_epoch, start_step, partial, partial_time, partial_cpu = 0, 0, None, 0.0, 0.0
    history: list[dict[str, Any]] = []
    if state is not None:
        model.load_state_dict(state["model_state"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        if state.get("scaler") and use_scaler:
            scaler.load_state_dict(state["scaler"])
        rngs = state["rng"]
        restore_rng(rngs[info.rank] if len(rngs) == info.world_size else rngs[0])
        start_epoch, start_step = int(state["epoch"]), int(state["step"])
        partial = state.get("partial")
        partial_time = float(state.get("partial_time", 0.0))
        partial_cpu = float(state.get("partial_cpu", 0.0))
        history = list(state.get("history", []))
        say(f"resuming {cfg.model} from {out / CHECKPOINT_NAME}: epoch {start_epoch + 1}, step {start_step}")

    meta = {"config": cfg.to_dict(), "model": {"name": cfg.model, "kwargs": mkw, "params": n_params,
            **(model.describe() if hasattr(model, "describe") else {})},
            "data": data.info, "world_size": info.world_size, "device": str(device)}
    if state is None:
        say(f"model {cfg.model}: {n_params:,} parameters; data {data.name} ({data.info['n_train']} train / "
            f"{data.info['n_test']} test, {data.info['source']}); device {device}"
            + (f"; {info.world_size} processes" if info.enabled else ""))

    n = len(data.y_train)
    B = cfg.batch_size
    n_batches = math.ceil(n / B)
    steps_done = 0
    checkpoint_path = out / CHECKPOINT_NAME

    def snapshot(epoch: int, step: int, acc: torch.Tensor | None, elapsed: float, elapsed_cpu: float,
                 complete: bool) -> dict[str, Any]:
        return {
            "model": cfg.model, "model_kwargs": mkw, "model_state": model.state_dict(),
            "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
            "scaler": scaler.state_dict() if use_scaler else None, "epoch": epoch, "step": step,
            "partial": None if acc is None else acc.detach().cpu(), "partial_time": elapsed,
            "partial_cpu": elapsed_cpu,
            "history": history, "rng": _gather_rng(info), "config": cfg.to_dict(), "world_size": info.world_size,
            "params": n_params, "data": data.info, "complete": complete,
        }

    with GracefulInterrupt() as guard:
        for epoch in range(start_epoch, cfg.epochs):
            model.train()
            order = epoch_order(cfg.seed, epoch, n)
            first = start_step if epoch == start_epoch else 0
            acc = torch.zeros(3, dtype=torch.float64, device=device)
            if epoch == start_epoch and partial is not None and info.is_main:
                acc += partial.to(device)  # global sums of the steps before the interruption
            t0 = time.perf_counter() - (partial_time if epoch == start_epoch else 0.0)
            c0 = time.process_time() - (partial_cpu if epoch == start_epoch else 0.0)
            bar = tqdm(total=n_batches, initial=first, desc=f"{cfg.model} epoch {epoch + 1}/{cfg.epochs}",
                       disable=not progress, leave=False, dynamic_ncols=True, file=sys.stderr)
            for step in range(first, n_batches):
                idx = order[step * B : (step + 1) * B]
                if len(idx) < 2 * info.world_size:  # too few samples for batch norm: skipped (same in every run)
                    bar.update(1)
                    continue
                lidx = idx[local_slice(len(idx), info.rank, info.world_size)]
                xb = data.x_train[lidx].to(device=device, dtype=dtype, non_blocking=True)
                yb = data.y_train[lidx].to(device, non_blocking=True)
                with _autocast(device, cfg.amp):
                    logits = train_module(xb)
                losses = F.cross_entropy(logits.float(), yb, reduction="none")
                # DDP averages gradients over processes: scale so the result is the global-batch mean
                loss = losses.sum() * (info.world_size / len(idx))
                reg = model_regularization(model)  # learned-equivariance models: the likelihoods' regulariser
                if reg is not None:
                    loss = loss + reg  # the same on every process, so DDP's average leaves it as is
                opt.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                scaler.step(opt)
                scaler.update()
                with torch.no_grad():
                    acc += torch.stack([losses.sum().double(), (logits.argmax(1) == yb).sum().double(),
                                        torch.tensor(float(len(yb)), dtype=torch.float64, device=device)])
                bar.update(1)
                if progress and step % 10 == 0:
                    bar.set_postfix(loss=f"{float(losses.mean()):.3f}")
                steps_done += 1
                stop = guard.requested or ("stop_after" if stop_after is not None and steps_done >= stop_after else None)
                if info.enabled:
                    flag = torch.tensor([1.0 if stop else 0.0], device=device)
                    all_reduce_sum(flag, info)
                    stop = stop or ("SIGTERM" if float(flag) > 0 else None)
                if stop and step + 1 < n_batches:
                    bar.close()
                    total = all_reduce_sum(acc.clone(), info)
                    snap = snapshot(epoch, step + 1, total, time.perf_counter() - t0, time.process_time() - c0, False)
                    if main:
                        save_checkpoint(checkpoint_path, snap)
                        write_metrics(out, history, {**meta, "status": "interrupted"})
                    raise TrainingInterrupted(stop if stop != "stop_after" else "stop_after", checkpoint_path,
                                              epoch, step + 1)
            bar.close()
            all_reduce_sum(acc, info)
            train_time = time.perf_counter() - t0
            cpu_time = time.process_time() - c0
            test_loss, test_acc = evaluate(model, data.x_test, data.y_test, cfg.eval_batch_size, device, dtype,
                                           cfg.amp, info)
            cnt = max(float(acc[2]), 1.0)
            row = {
                "epoch": epoch + 1, "train_loss": float(acc[0]) / cnt, "train_acc": float(acc[1]) / cnt,
                "test_loss": test_loss, "test_acc": test_acc, "test_error": 1.0 - test_acc,
                "lr": opt.param_groups[0]["lr"], "epoch_time_s": round(train_time, 3),
                "epoch_cpu_s": round(cpu_time, 3),
                "samples_per_s": round(cnt / max(train_time, 1e-9), 1),
            }
            sched.step()
            history.append(row)
            complete = epoch + 1 == cfg.epochs
            snap = snapshot(epoch + 1, 0, None, 0.0, 0.0, complete)
            if main:
                save_checkpoint(checkpoint_path, snap)
                write_metrics(out, history, {**meta, "status": "complete" if complete else "running"})
            say(f"[{cfg.model}] epoch {epoch + 1}/{cfg.epochs}  train loss {row['train_loss']:.4f} "
                f"acc {row['train_acc']:.4f}  test loss {test_loss:.4f} err {row['test_error'] * 100:.2f}%  "
                f"({train_time:.1f}s)")
            stop = guard.requested or (
                "stop_after" if stop_after is not None and steps_done >= stop_after else None)
            if info.enabled:
                flag = torch.tensor([1.0 if stop else 0.0], device=device)
                all_reduce_sum(flag, info)
                stop = stop or ("SIGTERM" if float(flag) > 0 else None)
            if stop and not complete:
                raise TrainingInterrupted(stop, checkpoint_path, epoch + 1, 0)

    if main and not history and state is None:
        write_metrics(out, history, {**meta, "status": "complete"})
    return {"history": history, "final": history[-1] if history else None, "params": n_params, "out": str(out),
            "checkpoint": str(checkpoint_path), "model": model, "meta": meta}
