"""Data with partial symmetry, built from real digits: double-digit MNIST and limited-rotation MNIST.

* :func:`double_mnist` ("DDMNIST", Veefkind & Cesa 2024): two digits side by side on a
  ``s x 2s`` canvas (``s = digit_size``), 100 classes ``"00"``-``"99"`` (label ``10 a + b``),
  each digit transformed on its own: ``'none'``, ``'rotate'`` (uniform continuous angle),
  ``'c4'`` (multiples of 90 degrees) or ``'c3'`` (0/120/240 degrees), optionally flipped
  (``flip=True``: a horizontal flip with probability 1/2).  Locally each digit is symmetric,
  globally the order matters ("69" is not "96").
* :func:`limited_rotation_mnist`: single digits rotated by a uniform angle in
  ``[-max_angle, max_angle]`` (degrees), where a fully invariant model must confuse 6 and 9 and
  a partially equivariant one need not.

Train and test use disjoint digit images (the source is shuffled with ``seed`` and split 80/20
before any pairing); everything is seeded.  Digits are rotated at 28x28 (the source size) and
then resized to ``digit_size`` (``scipy.ndimage.zoom``, linear), values in [0, 1].

Example:
    >>> train, test = double_mnist(n_per_class_train=1, n_per_class_test=1, digit_size=14)  # doctest: +SKIP
    >>> tuple(train.images.shape), train.num_classes  # doctest: +SKIP
    ((100, 1, 14, 28), 100)
"""
from __future__ import annotations

import math

import numpy as np
import scipy.ndimage

from ._common import TensorImageDataset
from .rotated_mnist import rotate_image
from .sources import load_digits_source

__all__ = ["double_mnist", "limited_rotation_mnist", "DDMNIST_TRANSFORMS"]

#: the per-digit transformations of :func:`double_mnist`
DDMNIST_TRANSFORMS = ("none", "rotate", "c4", "c3")


class _Dataset(TensorImageDataset):
    def __init__(self, images: np.ndarray, labels: np.ndarray, num_classes: int) -> None:
        super().__init__(images, labels)
        self.num_classes = num_classes


def _pools(seed: int, source: str, digits: tuple[np.ndarray, np.ndarray] | None) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per class, the train and test digit images (float in [0, 1]), from a seeded 80/20 split."""
    x, y = load_digits_source(source) if digits is None else digits
    if x.ndim != 3 or x.shape[1:] != (28, 28) or y.shape != (len(x),):
        raise ValueError(f"digits must be (images (N, 28, 28), labels (N,)), got shapes {x.shape} and {y.shape}")
    order = np.random.default_rng(seed).permutation(len(y))
    cut = int(0.8 * len(y))
    tr, te = order[:cut], order[cut:]
    xf = x.astype(np.float32) / 255.0
    return ([xf[tr][y[tr] == c] for c in range(10)], [xf[te][y[te] == c] for c in range(10)])


def _angle(transform: str, rng: np.random.Generator) -> float:
    if transform == "none":
        return 0.0
    if transform == "rotate":
        return float(rng.uniform(0, 2 * math.pi))
    n = 4 if transform == "c4" else 3
    return 2 * math.pi * int(rng.integers(n)) / n


def _digit(img: np.ndarray, angle: float, flip: bool, size: int) -> np.ndarray:
    if flip:
        img = img[:, ::-1]
    if angle:
        img = rotate_image(np.ascontiguousarray(img), angle)
    if size != img.shape[0]:
        img = scipy.ndimage.zoom(img, size / img.shape[0], order=1)
    return np.clip(img, 0.0, 1.0)


def _check_int(name: str, v: object, low: int) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {v!r}")
    return int(v)


def double_mnist(transform: str = "rotate", flip: bool = False, n_per_class_train: int = 100, n_per_class_test: int = 50,
                 digit_size: int = 28, seed: int = 0, source: str = "auto",
                 digits: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[TensorImageDataset, TensorImageDataset]:
    """``(train, test)`` DDMNIST datasets (see the module docstring), images ``(N, 1, s, 2s)``, 100 classes.

    ``digits``: ``(uint8 images (N, 28, 28), labels)`` to use instead of loading ``source``.
    """
    if transform not in DDMNIST_TRANSFORMS:
        raise ValueError(f"transform must be one of {DDMNIST_TRANSFORMS}, got {transform!r}")
    n_tr, n_te = _check_int("n_per_class_train", n_per_class_train, 1), _check_int("n_per_class_test", n_per_class_test, 1)
    size = _check_int("digit_size", digit_size, 4)
    pools = _pools(seed, source, digits)
    out = []
    for split, (pool, n) in enumerate(zip(pools, (n_tr, n_te))):
        rng = np.random.default_rng([seed, split, 1])
        images, labels = [], []
        for label in range(100):
            for _ in range(n):
                halves = []
                for d in (label // 10, label % 10):
                    img = pool[d][rng.integers(len(pool[d]))]
                    halves.append(_digit(img, _angle(transform, rng), bool(flip and rng.random() < 0.5), size))
                images.append(np.concatenate(halves, axis=1))
                labels.append(label)
        out.append(_Dataset(np.stack(images), np.array(labels), 100))
    return out[0], out[1]


def limited_rotation_mnist(max_angle: float = 45.0, n_train: int = 2000, n_test: int = 1000, digit_size: int = 28,
                           seed: int = 0, source: str = "auto",
                           digits: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[TensorImageDataset, TensorImageDataset]:
    """``(train, test)`` of single digits rotated by uniform angles in ``[-max_angle, max_angle]`` degrees, 10 classes
    (``digits`` as :func:`double_mnist`)."""
    if isinstance(max_angle, bool) or not isinstance(max_angle, (int, float)) or not 0 <= max_angle <= 180:
        raise ValueError(f"max_angle must be a number of degrees in [0, 180], got {max_angle!r}")
    counts = (_check_int("n_train", n_train, 1), _check_int("n_test", n_test, 1))
    size = _check_int("digit_size", digit_size, 4)
    out = []
    for split, (pool, n) in enumerate(zip(_pools(seed, source, digits), counts)):
        rng = np.random.default_rng([seed, split, 2])
        x = np.concatenate(pool)
        y = np.concatenate([np.full(len(p), c) for c, p in enumerate(pool)])
        if n > len(y):
            raise ValueError(f"asked for {n} {'train' if split == 0 else 'test'} digits, the source has {len(y)}")
        pick = rng.permutation(len(y))[:n]
        angles = np.radians(rng.uniform(-max_angle, max_angle, n))
        out.append(_Dataset(np.stack([_digit(x[i], a, False, size) for i, a in zip(pick, angles)]), y[pick], 10))
    return out[0], out[1]
