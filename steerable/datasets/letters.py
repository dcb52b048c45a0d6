"""Noisy point-cloud letters with endpoint / regular / junction labels (generated, seeded, offline).

Each letter is a union of straight strokes in the unit box (its *skeleton*, a graph whose vertices of degree 1 are
endpoints and of degree >= 3 junctions). ``n_points`` points are drawn uniformly by arc length along the strokes,
a random rotation and a scale in ``[0.8, 1.2]`` are applied and isotropic Gaussian noise of standard deviation
``noise`` is added. A point is labelled *junction* (2) if it lies within ``label_radius`` of a junction of the
skeleton, else *endpoint* (0) if within ``label_radius`` of an endpoint, else *regular* (1); distances are taken
before noise, in the letter's own (unscaled) frame.

Example:
    >>> ds = PointCloudLetters(10, seed=0)
    >>> pts, labels, letter = ds[0]
    >>> pts.shape, labels.shape
    ((200, 2), (200,))
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["LETTER_STROKES", "LABEL_NAMES", "PointCloudLetters", "sample_letter"]

#: Strokes of each letter, as ``((x0, y0), (x1, y1))`` segments.
LETTER_STROKES: dict[str, tuple[tuple[tuple[float, float], tuple[float, float]], ...]] = {
    "I": (((0.0, 0.0), (0.0, 1.0)),),
    "L": (((0.0, 1.0), (0.0, 0.0)), ((0.0, 0.0), (0.6, 0.0))),
    "T": (((-0.5, 1.0), (0.0, 1.0)), ((0.0, 1.0), (0.5, 1.0)), ((0.0, 1.0), (0.0, 0.0))),
    "X": (((-0.5, 0.0), (0.0, 0.5)), ((0.0, 0.5), (0.5, 1.0)), ((-0.5, 1.0), (0.0, 0.5)), ((0.0, 0.5), (0.5, 0.0))),
    "Y": (((-0.5, 1.0), (0.0, 0.5)), ((0.5, 1.0), (0.0, 0.5)), ((0.0, 0.5), (0.0, 0.0))),
}
LABEL_NAMES = ("endpoint", "regular", "junction")


def _skeleton_nodes(strokes: Sequence) -> tuple[np.ndarray, np.ndarray]:
    ends = np.array([p for s in strokes for p in s], dtype=float).round(9)
    nodes, count = np.unique(ends, axis=0, return_counts=True)
    return nodes[count == 1], nodes[count >= 3]


def sample_letter(letter: str, n_points: int, noise: float, rng: np.random.Generator,
                  label_radius: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """One noisy letter: points ``(n_points, 2)`` float64 and labels ``(n_points,)`` int64 (0/1/2)."""
    if letter not in LETTER_STROKES:
        raise ValueError(f"unknown letter {letter!r}; known: {''.join(LETTER_STROKES)}")
    if n_points < 2 or noise < 0:
        raise ValueError(f"need n_points >= 2 and noise >= 0, got {n_points}, {noise}")
    strokes = np.array(LETTER_STROKES[letter], dtype=float)          # (s, 2, 2)
    lengths = np.linalg.norm(strokes[:, 1] - strokes[:, 0], axis=1)
    which = rng.choice(len(strokes), size=n_points, p=lengths / lengths.sum())
    t = rng.random(n_points)[:, None]
    clean = strokes[which, 0] + t * (strokes[which, 1] - strokes[which, 0])
    endpoints, junctions = _skeleton_nodes(LETTER_STROKES[letter])
    dist = lambda nodes: (np.linalg.norm(clean[:, None] - nodes[None], axis=2).min(1)  # noqa: E731
                          if len(nodes) else np.full(n_points, np.inf))
    labels = np.ones(n_points, dtype=np.int64)
    labels[dist(endpoints) < label_radius] = 0
    labels[dist(junctions) < label_radius] = 2
    a = rng.uniform(0, 2 * np.pi)
    R = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]) * rng.uniform(0.8, 1.2)
    pts = (clean - clean.mean(0)) @ R.T + noise * rng.standard_normal(clean.shape)
    return pts, labels


class PointCloudLetters:
    """A seeded list of noisy point-cloud letters; item ``i`` is ``(points (n, 2), labels (n,), letter)``.

    Args:
        num_letters: how many letters (cycling through ``letters``).
        n_points: points per letter (200).
        noise: standard deviation of the Gaussian noise (0.01).
        letters: which letters, default ``"ILTXY"``.
        seed: the generator's seed; the same seed gives the same data.
        label_radius: radius around skeleton endpoints/junctions that labels them (0.1).
    """

    def __init__(self, num_letters: int, n_points: int = 200, noise: float = 0.01, letters: str = "ILTXY",
                 seed: int = 0, label_radius: float = 0.1) -> None:
        if num_letters < 1:
            raise ValueError(f"num_letters must be >= 1, got {num_letters}")
        rng = np.random.default_rng(seed)
        self.letters = [letters[i % len(letters)] for i in range(num_letters)]
        self.items = [sample_letter(c, n_points, noise, rng, label_radius) + (c,) for c in self.letters]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray, str]:
        return self.items[i]
