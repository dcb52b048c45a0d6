"""Rotation-invariant disk (2D) and ball (3D) masks.

Example:
    >>> from steerable.nn.mask import build_mask
    >>> m = build_mask(5, sigma=0.0)
    >>> m[2, 2].item(), m[0, 0].item()
    (1.0, 0.0)
"""
from __future__ import annotations

import torch

from ._fields import check_field_type
from .exported.layers import MaskMap
from ..gspaces.field_type import FieldType, GeometricTensor
from .module import EquivariantModule

__all__ = ["MaskModule", "build_mask"]


def build_mask(S: int, dim: int = 2, margin: float = 0.0, sigma: float = 2.0, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """A smooth disk (``dim=2``) or ball (``dim=3``) on the centred ``S^dim`` grid.

    With ``c = (S - 1) / 2`` and radius ``R = c (1 - margin / 100)``, the mask is ``1`` for
    ``|p| <= R`` and ``exp(-(|p| - R)^2 / sigma^2)`` outside; it depends only on ``|p|``, so it
    is invariant under every rotation/reflection of the grid.
    """
    if S < 1:
        raise ValueError(f"mask size S must be a positive int, got {S!r}")
    c = (S - 1) / 2
    R = c * (1.0 - margin / 100.0)
    ax = torch.arange(S, dtype=torch.float64) - c
    grids = torch.meshgrid(*([ax] * dim), indexing="ij")
    r = torch.sqrt(sum(g**2 for g in grids))
    m = torch.where(r <= R, torch.ones_like(r), torch.exp(-((r - R) ** 2) / sigma**2)) if sigma > 0 else (r <= R).double()
    return m.to(dtype)



class MaskModule(EquivariantModule):
    """Multiply every channel by a smooth disk (2D) / ball (3D) mask of side ``S`` (see :func:`build_mask`).

    Pixels near the corners move off the grid under non-grid rotations; masking them makes
    rotated inputs comparable.  The mask is rotation invariant, so the layer is equivariant.

    Args:
        in_type: field type.
        S: the spatial side of the inputs (they must be ``S x S`` or ``S x S x S``).
        margin: margin in percent of the radius, as in escnn.
        sigma: width of the Gaussian fall-off outside the radius, in pixels.

    Example:
        >>> import torch
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, GeometricTensor, MaskModule
        >>> gs = rot2dOnR2(8); t = FieldType(gs, [gs.trivial_repr])
        >>> MaskModule(t, 9)(GeometricTensor(torch.ones(1, 1, 9, 9), t)).tensor[0, 0, 4, 4].item()
        1.0
    """

    def __init__(self, in_type: FieldType, S: int, margin: float = 0.0, sigma: float = 2.0) -> None:
        super().__init__()
        self.in_type = self.out_type = check_field_type(in_type, layer="MaskModule")
        if not isinstance(S, int) or S < 1:
            raise ValueError(f"MaskModule: S must be a positive int, got {S!r}")
        self.S, self.margin, self.sigma = S, float(margin), float(sigma)
        d = in_type.gspace.dimensionality
        self.register_buffer("mask", build_mask(S, d, margin, sigma), persistent=False)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        d = self.in_type.gspace.dimensionality
        if tuple(x.shape[2:]) != (self.S,) * d:
            raise ValueError(f"MaskModule expects spatial shape {(self.S,) * d}, got {tuple(x.shape[2:])}")
        return GeometricTensor(x.tensor * self.mask.to(x.dtype), self.out_type)

    def export(self) -> torch.nn.Module:
        return MaskMap(self.mask)

    def extra_repr(self) -> str:
        return f"S={self.S}, margin={self.margin}, sigma={self.sigma}"

