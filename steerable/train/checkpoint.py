"""Atomic, validated training checkpoints.

A checkpoint is a ``torch.save`` d dict holding only tensors and plain Python values, so it
loads with ``torch.load(weights_only=True)`` (no arbitrary code runs on load).  It is written
to a temporary file in the target directory, flushed to disk and renamed over the target
with ``os.replace``: a reader sees the old or the new checkpoint, never a torn one, even if
the writer is killed mid-write.

Example:
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "ckpt.pt"
    >>> save_checkpoint(p, {"model": "cnn", "model_kwargs": {}, "model_state": {}})
    >>> load_checkpoint(p)["model"]
    'cnn'
"""
from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = ["CheckpointError", "save_checkpoint", "load_checkpoint", "describe_file", "capture_rng", "restore_rng", "FORMAT"]

FORMAT = "steerable-train-checkpoint/1"


class CheckpointError(Exception):
    """A checkpoint is missing, unreadable, not ours, or does not fit the model (one-line message)."""


def save_checkpoint(path: str | os.PathLike[str], state: dict[str, Any]) -> None:
    """Write ``state`` (plus the format tag) to ``path`` atomically (tmp file + fsync + ``os.replace``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save({"format": FORMAT, **state}, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_checkpoint(path: str | os.PathLike[str], map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load and sanity-check a checkpoint; every failure is a :class:`CheckpointError`."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"checkpoint not found: {path}")
    if path.is_dir():
        if (path / "checkpoint.pt").is_file():
            path = path / "checkpoint.pt"
        else:
            raise CheckpointError(f"{path} is a directory without a checkpoint.pt")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception:  # torch raises many types for damaged files (RuntimeError, UnpicklingError, EOFError...)
        raise CheckpointError(f"{path} is not a readable checkpoint: {describe_file(path)}") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a steerable training checkpoint (expected format {FORMAT!r})")
    for key in ("model", "model_kwargs", "model_state"):
        if key not in state:
            raise CheckpointError(f"{path} is incomplete: missing {key!r}")
    return state


def describe_file(path: str | os.PathLike[str]) -> str:
    """What an unreadable checkpoint file is, in words: empty, a text file, a truncated or damaged
    torch archive, or some other binary file (for the one-line error of :func:`load_checkpoint`).

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.pt"; _ = p.write_text("hello")
        >>> describe_file(p)
        'a text file (5 bytes), not a torch checkpoint'
    """
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        return "an empty file (0 bytes)"
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"PK\x03\x04"):  # torch.save writes a zip archive
        with open(path, "rb") as fh:
            fh.seek(max(0, size - 65536))
            tail = fh.read()
        if b"PK\x05\x06" not in tail:  # no end-of-central-directory record: the end is missing
            return f"a torch archive truncated at byte {size} (the file's end is missing; was it copied completely?)"
        return f"a damaged torch archive ({size} bytes)"
    try:
        head.decode("utf-8")
        return f"a text file ({size} bytes), not a torch checkpoint"
    except UnicodeDecodeError:
        return f"a binary file of {size} bytes that is not a torch archive"


# ---------------------------------------------------------------------- RNG states
def capture_rng() -> dict[str, Any]:
    """The states of the Python, NumPy and torch (CPU and CUDA) generators, as tensors and plain values."""
    np_state = np.random.get_state()
    py_version, py_state, py_gauss = random.getstate()
    out: dict[str, Any] = {
        "python": {"version": py_version, "state": torch.tensor(py_state, dtype=torch.int64), "gauss": py_gauss},
        "numpy": {"kind": np_state[0], "keys": torch.from_numpy(np_state[1].astype(np.int64)), "pos": int(np_state[2]),
                  "has_gauss": int(np_state[3]), "cached_gaussian": float(np_state[4])},
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        out["cuda"] = torch.cuda.get_rng_state_all()
    return out


def restore_rng(state: dict[str, Any]) -> None:
    """Inverse of :func:`capture_rng`."""
    py = state["python"]
    random.setstate((py["version"], tuple(int(v) for v in py["state"].tolist()), py["gauss"]))
    n = state["numpy"]
    np.random.set_state((n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached_gaussian"]))
    torch.set_rng_state(state["torch"].cpu())
    if "cuda" in state and torch.cuda.is_available():
        cuda_states = state["cuda"]
        if len(cuda_states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all([s.cpu() for s in cuda_states])
