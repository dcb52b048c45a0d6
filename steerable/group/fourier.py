"""Harmonic analysis on compact groups: band-limited Fourier transforms on a grid.

A band-limited signal on ``G`` is ``f(g) = sum_psi sum_(i, j<d/e) F_psi[i, j] sqrt(d_psi) psi(g)[i, j]``
with coefficients ordered as the irreps of ``G.bl_regular_representation(L)`` (or of
``G.regular_representation`` for finite groups).  Left translation ``f(h^-1 g)`` maps
``F_psi`` to ``psi(h) F_psi``, so the coefficient vector transforms by that representation.

``A = fourier_matrix(G, grid, L)`` samples a signal from its coefficients (``f = A F``);
``inverse_fourier_matrix`` is its least-squares inverse, ``A^+``, exact (``A^+ A = I``) as
soon as the grid determines band-limited signals.  (Naming follows the usual group-CNN
convention: the *inverse* Fourier transform goes from coefficients to samples.)

Example:
    >>> from steerable.group import so2_group, FourierTransform
    >>> G = so2_group(3)
    >>> ft = FourierTransform(G, G.grid("regular", 8), L=3)
    >>> ft.A.shape
    (8, 7)
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from .constructions import _fourier_matrix, fourier_columns
from .group import Group, GroupElement

__all__ = ["fourier_matrix", "inverse_fourier_matrix", "FourierTransform"]


def fourier_matrix(G: Group, elements: Sequence[GroupElement], L: int | None = None) -> np.ndarray:
    """``A[n, c]``: the ``c``-th Fourier basis function at the ``n``-th grid element."""
    if G.continuous and L is None:
        raise ValueError(f"{G.name} is continuous: a band limit L is required")
    for g in elements:
        G._check_element(g)
    return _fourier_matrix(G, list(elements), fourier_columns(G, L))


def inverse_fourier_matrix(G: Group, elements: Sequence[GroupElement], L: int | None = None) -> np.ndarray:
    """``A^+`` with ``A^+ A = I``; raises if the grid is too small to determine the coefficients."""
    A = fourier_matrix(G, elements, L)
    if A.shape[0] < A.shape[1] or np.linalg.matrix_rank(A, tol=1e-8 * max(A.shape)) < A.shape[1]:
        raise ValueError(
            f"a grid of {A.shape[0]} elements cannot determine the {A.shape[1]} Fourier coefficients "
            f"of {G.name} up to frequency {L}; use a larger grid"
        )
    return np.linalg.pinv(A)


class FourierTransform:
    """Samples <-> coefficients of band-limited signals on ``G`` over a fixed grid.

    Attributes:
        A: ``(n, D)`` sampling matrix (``samples = A @ coeffs``).
        A_pinv: ``(D, n)`` its least-squares inverse (``coeffs = A_pinv @ samples``).
    """

    def __init__(self, G: Group, elements: Sequence[GroupElement], L: int | None = None) -> None:
        self.group = G
        self.elements = list(elements)
        self.L = L
        self.A = fourier_matrix(G, self.elements, L)
        self.A_pinv = inverse_fourier_matrix(G, self.elements, L)

    def inverse(self, coeffs: torch.Tensor | np.ndarray, dim: int = -1):
        """Coefficients -> samples on the grid, along axis ``dim``."""
        return _apply(self.A, coeffs, dim)

    def forward(self, samples: torch.Tensor | np.ndarray, dim: int = -1):
        """Samples on the grid -> coefficients (least squares), along axis ``dim``."""
        return _apply(self.A_pinv, samples, dim)


def _apply(M: np.ndarray, x, dim: int):
    if isinstance(x, torch.Tensor):
        Mt = torch.as_tensor(M, dtype=x.dtype, device=x.device)
        return torch.movedim(torch.tensordot(Mt, torch.movedim(x, dim, 0), dims=([1], [0])), 0, dim)
    return np.moveaxis(np.tensordot(M, np.moveaxis(np.asarray(x), dim, 0), axes=([1], [0])), 0, dim)
