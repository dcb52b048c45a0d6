"""Vector-field nonlinearity: a regular field of ``C_N`` becomes the vector of its strongest rotation.

For a regular field ``x = (x_0, ..., x_{N-1})`` (channel ``k`` is the response to the rotation
by ``theta_k = 2 pi k / N``) the output is the frequency-1 field

    y = relu(x_m) (cos theta_m, sin theta_m),      m = argmax_k x_k.

Rotating by ``theta_1`` shifts the channels cyclically (``m -> m + 1``), which rotates ``y`` by
``theta_1``: ``y(g . x) = psi_1(g) y(x)``, exactly (away from ties of the maximum).

Example:
    >>> import torch
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.nn import FieldType, GeometricTensor, VectorFieldNonLinearity
    >>> gs = rot2dOnR2(4)
    >>> nl = VectorFieldNonLinearity(FieldType(gs, [gs.regular_repr]))
    >>> nl(GeometricTensor(torch.tensor([[0.0, 3.0, 1.0, 0.0]]), nl.in_type)).tensor.round(decimals=4)
    tensor([[0., 3.]])
"""
from __future__ import annotations

import torch

from ...group.cyclic_dihedral import CyclicGroup
from .._fields import check_field_type
from ..exported.activations import VectorFieldActivation
from ...gspaces.field_type import FieldType, GeometricTensor
from ..module import EquivariantModule

__all__ = ["VectorFieldNonLinearity"]


class VectorFieldNonLinearity(EquivariantModule):
    """``x -> relu(max_k x_k) (cos theta_m, sin theta_m)`` per regular field of ``C_N`` (module docs).

    Args:
        in_type: regular fields of a cyclic group ``C_N`` (``rot2dOnR2(N)``).

    ``out_type`` has one frequency-1 irrep field per input field.  Gradients flow through the
    maximum only (as for max pooling).
    """

    def __init__(self, in_type: FieldType) -> None:
        super().__init__()
        check_field_type(in_type, layer="VectorFieldNonLinearity")
        G = in_type.fibergroup
        if not isinstance(G, CyclicGroup) or G.order() < 3:
            raise ValueError(f"VectorFieldNonLinearity needs a cyclic group C_N with N >= 3, got {G.name}")
        bad = [i for i, r in enumerate(in_type.representations) if r != G.regular_representation]
        if bad:
            raise ValueError(f"VectorFieldNonLinearity needs regular fields of {G.name}; field {bad[0]} of {in_type} has "
                             f"representation {in_type.representations[bad[0]].name!r}")
        self.in_type = in_type
        self.out_type = FieldType(in_type.gspace, len(in_type) * [G.irrep(1)])
        self._plain = VectorFieldActivation(G.order(), persistent=False)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        return GeometricTensor(self._plain(x.tensor), self.out_type, x.coords)

    def export(self) -> torch.nn.Module:
        """A :class:`~steerable.nn.exported.VectorFieldActivation` (torch only)."""
        return VectorFieldActivation(self._plain.N)

    def extra_repr(self) -> str:
        return f"{self.in_type} -> {self.out_type}"
