"""Harmonic polynomial features of 3D points: coordinates in, ``p_l(x)`` for ``l <= L`` out.

For points ``x`` transforming by the standard representation of ``G = SO(3)`` or ``O(3)``
(a field type on ``no_base_space(G)``), the output ``(p_0(x), ..., p_L(x))`` with
``p_l(x) = |x|^l Y_l(x / |x|)`` transforms by ``(+)_l psi_l``, ``psi_l`` the irrep of frequency
``l`` (for ``O(3)`` with parity ``l mod 2``): ``p(g x) = rho(g) p(x)``.

Example:
    >>> import torch
    >>> from steerable.nn import HarmonicPolynomialR3
    >>> layer = HarmonicPolynomialR3(2)
    >>> layer(layer.in_type(torch.randn(5, 3))).shape
    torch.Size([5, 9])
"""
from __future__ import annotations

from typing import Sequence

from ..group import SO3, Group, directsum, o3_group, so3_group
from ..gspaces import no_base_space
from ..kernels import HarmonicPolynomialR3Generator
from ..gspaces.field_type import FieldType, GeometricTensor
from .module import EquivariantModule

__all__ = ["HarmonicPolynomialR3"]


class HarmonicPolynomialR3(EquivariantModule):
    """Maps 3D points ``(N, 3)`` to their harmonic polynomials of degree ``<= L``, ``(N, (L + 1)^2)``.

    Args:
        L: the highest degree.
        group: ``"so3"``, ``"o3"``, or an ``SO(3)``/``O(3)`` group.

    Shape: input ``(N, 3)`` (a field of ``in_type``), output ``(N, (L + 1)^2)`` of ``out_type``.
    """

    def __init__(self, L: int, group: Group | str = "so3") -> None:
        super().__init__()
        if group == "so3":
            group = so3_group(max(L, 1))
        elif group == "o3":
            group = o3_group(max(L, 1))
        if not isinstance(group, SO3):  # O(3) subclasses SO(3) here
            raise ValueError(f"group must be 'so3', 'o3' or an SO(3)/O(3) group, got {group!r}")
        self.G, self.L = group, L
        self.harmonics_generator = HarmonicPolynomialR3Generator(L)
        self.gspace = no_base_space(group)
        o3 = group.name == "O(3)"
        self.rho = directsum([group.irrep(l % 2, l) if o3 else group.irrep(l) for l in range(L + 1)])
        self.in_type = FieldType(self.gspace, [group.standard_representation()])
        self.out_type = FieldType(self.gspace, [self.rho])

    def forward(self, points: GeometricTensor) -> GeometricTensor:
        points = self._check_input(points)
        return GeometricTensor(self.harmonics_generator(points.tensor), self.out_type, coords=points.coords)

    def evaluate_output_shape(self, input_shape: Sequence[int]) -> tuple[int, ...]:
        super().evaluate_output_shape(input_shape)
        return (input_shape[0], self.out_type.size)

    def extra_repr(self) -> str:
        return f"L={self.L}, group={self.G.name}"
