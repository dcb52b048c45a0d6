"""Shared machinery of the planar groups ``C_N``, ``D_N``, ``SO(2)`` and ``O(2)``.

Every element maps to ``(f, theta)`` in ``O(2)`` (``r_theta`` after ``f`` flips); irreps are
evaluated from that pair by one batched formula, see :mod:`steerable.group.planar`.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .compact import CompactGroup
from .group import GroupElement

TWO_PI = 2 * math.pi
_F = np.diag([1.0, -1.0])
_J = np.array([[0.0, -1.0], [1.0, 0.0]])
# Generic angles (irrational multiples of pi): one such rotation generates a dense subgroup of SO(2).
_GENERIC_ANGLES = (1.0, math.sqrt(2.0))


def _rot(theta: np.ndarray | float) -> np.ndarray:
    c, s = np.cos(theta), np.sin(theta)
    return np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)


def _wrap(theta: float) -> float:
    theta = float(theta) % TWO_PI
    return 0.0 if TWO_PI - theta < 1e-12 else theta


def _planar_matrix(name: str, value: Any, rotations_only: bool) -> tuple[int, float]:
    """``(f, theta)`` of a 2x2 orthogonal matrix ``R(theta) F^f``; ValueError for anything else."""
    m = np.asarray(value, dtype=np.float64)
    if m.shape != (2, 2) or not np.all(np.isfinite(m)) or np.abs(m.T @ m - np.eye(2)).max() > 1e-6:
        raise ValueError(f"a {name} matrix must be a 2x2 orthogonal matrix; got {value!r}")
    f = int(np.linalg.det(m) < 0)
    if f and rotations_only:
        raise ValueError(f"{name} has only rotations (det 1); got the reflection {value!r}")
    m = m @ _F if f else m
    return f, math.atan2(m[1, 0], m[0, 0])


def _finite_angle(name: str, theta: Any) -> float:
    theta = float(theta)
    if not math.isfinite(theta):
        raise ValueError(f"{name} angles must be finite, got {theta}")
    return theta


def _planar_irrep(j: int, k: int, size: int, f: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Batched ``psi_(j,k)(f, theta)``; ``f`` and ``theta`` are arrays of equal length."""
    if size == 1:
        return (np.cos(k * theta) * np.where(f == 1, (-1.0) ** j, 1.0))[:, None, None]
    R = _rot(k * theta)
    return np.where((f == 1)[:, None, None], R @ _F, R)


class _PlanarGroup(CompactGroup):
    """Shared machinery: every element maps to ``(f, theta)`` in ``O(2)``."""

    flips: bool = False

    def _angle(self, value: Any) -> float:
        raise NotImplementedError

    def _flip(self, value: Any) -> int:
        return 0

    def _ft(self, values: Any) -> tuple[np.ndarray, np.ndarray]:
        f = np.array([self._flip(v) for v in values], dtype=np.int64)
        t = np.array([self._angle(v) for v in values], dtype=np.float64)
        return f, t

    def _irrep_matrix(self, id: tuple, value: Any) -> np.ndarray:
        return self._irrep_matrices(id, [value])[0]

    def _irrep_matrices(self, id: tuple, values: Any) -> np.ndarray:
        size = self._irrep_info(id)["size"]
        j, k = (id if self.flips else (0, id[0]))
        f, t = self._ft(values)
        return _planar_irrep(j, k, size, f, t)

    def _irrep_sort_key(self, id: tuple) -> tuple:
        return (id[-1], id[0]) if self.flips else id

    def standard_matrix(self, g: GroupElement) -> np.ndarray:
        """The 2x2 orthogonal matrix by which ``g`` acts on the plane: ``R(theta) F^f``."""
        self._check_element(g)
        f, t = self._flip(g.value), self._angle(g.value)
        return _rot(t) @ (_F if f else np.eye(2))
