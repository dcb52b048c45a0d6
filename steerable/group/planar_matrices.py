"""The 2x2 rotation and reflection matrices of the planar irreps (escnn's ``psi``, ``chi``, ``psichi``).

``psi(theta, k, gamma) = R(k theta + gamma)``, ``chi(s) = diag(1, (-1)^s)`` (the reflection
``(x, y) -> (x, -y)`` for ``s = 1``) and ``psichi(theta, s, k, gamma) = psi(theta, k, gamma) chi(s)``:
the frequency-``k`` irreps of ``SO(2)`` and ``O(2)`` are ``psi(theta, k)`` and ``psichi(theta, s, k)``.

Example:
    >>> import numpy as np
    >>> from steerable.group import psi, chi, psichi
    >>> bool(np.allclose(psichi(0.3, 1, 2), psi(0.3, 2) @ chi(1)))
    True
"""
from __future__ import annotations

import numpy as np

__all__ = ["psi", "chi", "psichi"]


def psi(theta: float, k: int = 1, gamma: float = 0.0) -> np.ndarray:
    """The rotation matrix ``R(k theta + gamma)`` (2x2)."""
    x = k * theta + gamma
    c, s = np.cos(x), np.sin(x)
    return np.array([[c, -s], [s, c]])


def _flip_sign(s: int) -> float:
    if isinstance(s, bool) or s not in (0, 1):
        raise ValueError(f"the reflection index s must be 0 or 1, got {s!r}")
    return -1.0 if s else 1.0


def chi(s: int) -> np.ndarray:
    """``diag(1, -1)`` (the reflection of the y coordinate) for ``s = 1``; the identity for ``s = 0``."""
    return np.diag([1.0, _flip_sign(s)])


def psichi(theta: float, s: int, k: int = 1, gamma: float = 0.0) -> np.ndarray:
    """``psi(theta, k, gamma) @ chi(s)``: a rotation (``s = 0``) or the reflection across the line
    at angle ``(k theta + gamma) / 2`` (``s = 1``)."""
    return psi(theta, k, gamma) * np.array([1.0, _flip_sign(s)])
