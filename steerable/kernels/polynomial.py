"""Homogeneous harmonic polynomials on R^3: ``p_l(x) = |x|^l Y_l(x / |x|)`` for ``l <= L``.

Each block is a polynomial of degree ``l`` in ``x`` (no singularity at the origin) and
transforms as the ``SO(3)`` irrep of frequency ``l``:

    p_l(R x) = D_l(R) p_l(x)          (D_l: steerable.group.so3_group().irrep(l)).

``Y_l`` are :func:`steerable.group.so3_math.spherical_harmonics` (sphere-average normalised),
so the basis is the same as the irreps' (escnn's generator uses its own normalisation per ``l``).

Example:
    >>> import torch
    >>> from steerable.kernels import HarmonicPolynomialR3Generator
    >>> HarmonicPolynomialR3Generator(2)(torch.randn(5, 3)).shape
    torch.Size([5, 9])
"""
from __future__ import annotations

import torch

from ..group import Representation, directsum, so3_group
from ..group.so3_math import spherical_harmonics

__all__ = ["HarmonicPolynomialR3Generator"]


class HarmonicPolynomialR3Generator(torch.nn.Module):
    """Maps points ``(N, 3)`` to the harmonic polynomials of degree ``<= L``: ``(N, (L + 1)^2)``.

    Args:
        L: the highest degree (``>= 0``).

    Attributes:
        G: ``SO(3)``;  rho: the representation ``(+)_(l <= L) D_l`` the output transforms by;  d: 3.
    """

    def __init__(self, L: int) -> None:
        super().__init__()
        if isinstance(L, bool) or not isinstance(L, int) or L < 0:
            raise ValueError(f"L must be a non-negative int, got {L!r}")
        self.L, self.d = L, 3
        self.G = so3_group(max(L, 1))
        self.rho: Representation = directsum([self.G.irrep(l) for l in range(L + 1)])

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        if points.dim() != 2 or points.shape[1] != 3:
            raise ValueError(f"points must have shape (N, 3), got {tuple(points.shape)}")
        r = points.norm(dim=1, keepdim=True)
        return torch.cat([spherical_harmonics(l, points) * r**l for l in range(self.L + 1)], 1)

    def extra_repr(self) -> str:
        return f"L={self.L}"
