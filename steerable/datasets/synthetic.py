"""A tiny procedurally generated, rotation-structured 10-class image dataset.

Each class is a stroke figure (ring, bar, L, T, plus, Y, triangle, square, arrow, Z)
drawn with anti-aliased strokes at a random scale, stroke width, small vertex jitter
and sub-pixel offset. Rotations are applied to the figure's *vertices* before
drawing, so every orientation is rendered equally sharply (no interpolation), and
the class is rotation invariant while the image is not. It needs no files, builds in
well under a second, and serves tests and last-resort smoke runs.

Example:
    >>> ds = SyntheticRotated("train", n_train=30, seed=0)
    >>> ds.images.shape, int(ds.labels.max()) <= 9
    (torch.Size([30, 1, 29, 29]), True)
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch

from ._common import TensorImageDataset

__all__ = ["SyntheticRotated", "render_figure", "CLASS_NAMES"]

CLASS_NAMES = ("ring", "bar", "L", "T", "plus", "Y", "triangle", "square", "arrow", "Z")


def _polygon(n: int, radius: float, phase: float = 0.0) -> list[tuple[float, float]]:
    angles = [phase + 2 * math.pi * k / n for k in range(n)]
    pts = [(radius * math.cos(a), radius * math.sin(a)) for a in angles]
    return pts + [pts[0]]


# Polylines in a unit frame (x right, y up), at most ~1 from the centre.
_TEMPLATES: tuple[list[list[tuple[float, float]]], ...] = (
    [_polygon(24, 0.75)],
    [[(-0.9, 0.0), (0.9, 0.0)]],
    [[(-0.45, 0.8), (-0.45, -0.6), (0.6, -0.6)]],
    [[(-0.8, 0.7), (0.8, 0.7)], [(0.0, 0.7), (0.0, -0.85)]],
    [[(-0.8, 0.0), (0.8, 0.0)], [(0.0, -0.8), (0.0, 0.8)]],
    [[(0.0, 0.0), (0.85 * math.cos(a), 0.85 * math.sin(a))] for a in (math.pi / 2, 7 * math.pi / 6, 11 * math.pi / 6)],
    [_polygon(3, 0.85, math.pi / 2)],
    [_polygon(4, 0.85, math.pi / 4)],
    [[(-0.85, 0.0), (0.85, 0.0)], [(0.35, 0.45), (0.85, 0.0), (0.35, -0.45)]],
    [[(-0.65, 0.7), (0.65, 0.7), (-0.65, -0.7), (0.65, -0.7)]],
)


def _segments(label: int) -> np.ndarray:
    segs = [(p, q) for line in _TEMPLATES[label] for p, q in zip(line[:-1], line[1:])]
    return np.asarray(segs, dtype=np.float64)  # (S, 2, 2)


def render_figure(
    label: int,
    angle: float,
    size: int = 29,
    scale: float = 0.9,
    half_width: float = 1.0,
    offset: tuple[float, float] = (0.0, 0.0),
    jitter: np.ndarray | None = None,
) -> np.ndarray:
    """Draw figure ``label`` rotated counter-clockwise by ``angle`` radians.

    Returns a float32 ``(size, size)`` image in [0, 1]. ``jitter`` (``(S, 2, 2)``, in
    units of the figure radius) perturbs the segment end points.

    Example:
        >>> img = render_figure(1, 0.0, size=9, scale=1.0, half_width=0.5)
        >>> float(img[4, 4]), float(img[0, 0])
        (1.0, 0.0)
    """
    if not 0 <= label < len(_TEMPLATES):
        raise ValueError(f"expected a label in 0..{len(_TEMPLATES) - 1}, found {label}")
    segs = _segments(label)
    if jitter is not None:
        segs = segs + jitter
    c, s = math.cos(angle), math.sin(angle)
    rot = np.array([[c, -s], [s, c]])
    radius = scale * (size - 1) / 2
    pts = segs @ rot.T * radius + np.asarray(offset)  # (S, 2, 2), pixel units, x right / y up
    centre = (size - 1) / 2
    jj, ii = np.meshgrid(np.arange(size), np.arange(size))
    grid = np.stack([jj - centre, centre - ii], axis=-1).reshape(-1, 1, 2)  # (P, 1, 2)
    a, b = pts[None, :, 0], pts[None, :, 1]
    ab = b - a
    t = np.clip(((grid - a) * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-12), 0.0, 1.0)
    dist = np.linalg.norm(grid - (a + t[..., None] * ab), axis=-1).min(axis=1)
    return np.clip(half_width + 0.5 - dist, 0.0, 1.0).reshape(size, size).astype(np.float32)


class SyntheticRotated(TensorImageDataset):
    """Rotated stroke figures in 10 classes (see :data:`CLASS_NAMES`), generated from ``seed``.

    Args:
        split: ``"train"`` or ``"test"`` (drawn from independent streams of ``seed``).
        n_train, n_test: number of samples in each split (classes balanced up to one).
        size: image side length (odd sizes give a centre pixel).
        seed: same seed, same data.
        rotate_train: random train orientations; if ``False`` train figures are upright.
            Test figures are always at uniform random angles in [0, 2pi).
        transform: optional callable applied to each ``(1, H, W)`` image tensor.
        cache_dir, use_cache, root, source: accepted and ignored, so the same keyword
            arguments work for every name in :func:`~steerable.datasets.get_dataset`.

    Example:
        >>> ds = SyntheticRotated("test", n_test=10, seed=3)
        >>> len(ds), tuple(ds[0][0].shape)
        (10, (1, 29, 29))
    """

    def __init__(
        self,
        split: str = "train",
        n_train: int | None = 1000,
        n_test: int | None = 200,
        size: int = 29,
        seed: int = 0,
        rotate_train: bool = True,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
        pad_to: int | None = None,
        cache_dir: object = None,
        use_cache: bool = True,
        root: object = None,
        source: object = None,
    ) -> None:
        if split not in ("train", "test"):
            raise ValueError(f"expected split 'train' or 'test', found {split!r}")
        size = pad_to if pad_to is not None else size  # pad_to is the common name for the side length
        if not isinstance(size, (int, np.integer)) or size < 9:
            raise ValueError(f"expected an image size >= 9, found {size!r}")
        n = (1000 if n_train is None else n_train) if split == "train" else (200 if n_test is None else n_test)
        if not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"expected a non-negative sample count, found {n!r}")
        rng = np.random.default_rng([seed, 0 if split == "train" else 1])
        labels = rng.permutation(np.arange(n) % len(_TEMPLATES))
        rotate = rotate_train or split == "test"
        angles = rng.uniform(0.0, 2 * math.pi, size=n) if rotate else np.zeros(n)
        images = np.empty((n, size, size), np.float32)
        for k in range(n):
            segs_shape = _segments(int(labels[k])).shape
            images[k] = render_figure(
                int(labels[k]),
                float(angles[k]),
                size=size,
                scale=rng.uniform(0.7, 0.95),
                half_width=rng.uniform(0.6, 1.2),
                offset=tuple(rng.uniform(-1.0, 1.0, size=2)),
                jitter=rng.normal(0.0, 0.03, size=segs_shape),
            )
        super().__init__(images, labels, transform)
        self.split = split
        self.angles: torch.Tensor = torch.from_numpy(angles.astype(np.float64))
