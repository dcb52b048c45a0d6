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

    def _closed_form_tensor(self, id_a: tuple, id_b: tuple) -> tuple[list[tuple], np.ndarray]:
        self._irrep_info(id_a), self._irrep_info(id_b)  # ValueError for ids that are no irreps
        return _planar_tensor(self, id_a, id_b)

    def standard_matrix(self, g: GroupElement) -> np.ndarray:
        """The 2x2 orthogonal matrix by which ``g`` acts on the plane: ``R(theta) F^f``."""
        self._check_element(g)
        f, t = self._flip(g.value), self._angle(g.value)
        return _rot(t) @ (_F if f else np.eye(2))


_S2 = 1 / math.sqrt(2.0)
# Columns (q_c, q_s) of kron(R(a t), R(b t)) (row-major (i, j) -> 2 i + j) on which it acts as
# R((a + b) t): the real and imaginary parts of z_a z_b; as R((a - b) t): of z_a conj(z_b).
_SUM = np.array([[_S2, 0.0], [0.0, _S2], [0.0, _S2], [-_S2, 0.0]])
_DIFF = np.array([[_S2, 0.0], [0.0, -_S2], [0.0, _S2], [_S2, 0.0]])


def _planar_tensor(group: "_PlanarGroup", id_a: tuple, id_b: tuple) -> tuple[list[tuple], np.ndarray]:
    """Closed-form Clebsch-Gordan decomposition of planar irreps by frequency addition.

    A planar irrep is ``chi(f) cos(k t)`` (1-dim, ``k in {0, N/2}``) or ``R(k t) F^f`` (2-dim).
    ``R(a t) (x) R(b t) = R((a+b) t) (+) R((a-b) t)`` in the columns ``_SUM``/``_DIFF`` (flips act
    as ``F`` on both); a 1-dim factor shifts the frequency (``cos(N t / 2) R(b t) = R((b + N/2) t)``)
    and a sign character is absorbed by the basis change ``J`` (``J R F^f J^T = (-1)^f R F^f``).
    Frequencies are then reduced to irrep ids: ``-k`` (or ``N - k``) by flipping the sign of the
    second column, ``0`` and ``N/2`` split into two 1-dim irreps.
    """
    N = getattr(group, "N", None)
    flips = group.flips

    def jk(id: tuple) -> tuple[int, int]:
        return id if flips else (0, id[0])

    def size(id: tuple) -> int:
        return group._irrep_info(id)["size"]

    def make(j: int, k: int) -> tuple:
        return (j, k) if flips else (k,)

    pieces: list[tuple[tuple, np.ndarray]] = []

    def add_2d(k: int, Q: np.ndarray) -> None:
        Q = Q.copy()
        if N is not None:
            k %= N
            if 2 * k > N:
                k, Q[:, 1] = N - k, -Q[:, 1]
        elif k < 0:
            k, Q[:, 1] = -k, -Q[:, 1]
        if k == 0 or (N is not None and 2 * k == N):
            # R(k t) F^f = diag(cos k t, (-1)^f cos k t): two 1-dim irreps
            pieces.append((make(0, k), Q[:, :1]))
            pieces.append((make(1 if flips else 0, k), Q[:, 1:]))
        else:
            pieces.append((make(1, k), Q))

    (ja, ka), (jb, kb) = jk(id_a), jk(id_b)
    sa, sb = size(id_a), size(id_b)
    if sa == 1 and sb == 1:
        k = ka + kb
        if N is not None:
            k %= N
        pieces.append((make((ja + jb) % 2, k), np.ones((1, 1))))
    elif sa == 2 and sb == 2:
        add_2d(ka + kb, _SUM)
        add_2d(ka - kb, _DIFF)
    else:
        (j1, k1), k2 = ((ja, ka), kb) if sa == 1 else ((jb, kb), ka)
        # a sign character (j1 = 1) on a 2-dim irrep: conjugate by J; cos(k1 t) shifts by k1
        Q = _J.copy() if (flips and j1 == 1) else np.eye(2)
        add_2d(k2 + k1, Q)
    pieces.sort(key=lambda p: group._irrep_sort_key(p[0]))
    return [i for i, _ in pieces], np.concatenate([Q for _, Q in pieces], axis=1)
