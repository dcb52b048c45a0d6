"""Dropout of channels or of whole fields.

Both layers are the identity in eval mode; in training mode their random masks are
equivariant in distribution: the law of ``layer(g . x)`` equals the law of ``g . layer(x)``.

Example:
    >>> import torch
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.nn import FieldType, GeometricTensor, FieldDropout
    >>> gs = rot2dOnR2(8)
    >>> t = FieldType(gs, [gs.regular_repr])
    >>> FieldDropout(t, 0.5).eval()(GeometricTensor(torch.ones(1, 8), t)).tensor.sum().item()
    8.0
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ._fields import check_field_type, check_probability, field_index, require_permutation
from .exported.layers import FieldDropoutMap
from ..gspaces.field_type import FieldType, GeometricTensor
from .module import EquivariantModule

__all__ = ["PointwiseDropout", "FieldDropout"]


class PointwiseDropout(EquivariantModule):
    """Elementwise dropout (``torch.nn.Dropout``) on fields that are permutation representations.

    A mask of i.i.d. Bernoulli entries has the same law after permuting channels and pixels,
    so the layer is equivariant in distribution; in eval mode it is the identity.

    Args:
        in_type: field type; every field must be a permutation representation.
        p: probability of zeroing an entry (survivors are scaled by ``1 / (1 - p)``).
        inplace: as in ``torch.nn.Dropout``.

    Example:
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, PointwiseDropout
        >>> gs = rot2dOnR2(4)
        >>> PointwiseDropout(FieldType(gs, [gs.regular_repr]), p=0.1)
        PointwiseDropout(p=0.1)
    """

    def __init__(self, in_type: FieldType, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        self.in_type = self.out_type = check_field_type(in_type, layer="PointwiseDropout")
        require_permutation(in_type, "PointwiseDropout")
        self.p = check_probability(p, "PointwiseDropout")
        self.inplace = inplace

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        return GeometricTensor(F.dropout(x.tensor, self.p, self.training, self.inplace), self.out_type)

    def export(self) -> torch.nn.Module:
        return torch.nn.Dropout(self.p, self.inplace).train(self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}" + (", inplace=True" if self.inplace else "")



class FieldDropout(EquivariantModule):
    """Drops whole fields: one Bernoulli draw per (sample, field), shared by its channels and locations.

    Scaling a field by a scalar commutes with any ``rho(g)``, and the mask does not depend on
    the location, so this works for every representation (equivariant in distribution).

    Example:
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, FieldDropout
        >>> gs = rot2dOnR2(-1)
        >>> FieldDropout(FieldType(gs, 3 * [gs.irrep(1)]), p=0.2).p
        0.2
    """

    def __init__(self, in_type: FieldType, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        self.in_type = self.out_type = check_field_type(in_type, layer="FieldDropout")
        self.p = check_probability(p, "FieldDropout")
        self.inplace = inplace  # accepted for escnn compatibility; the output is always a new tensor
        self._plain = FieldDropoutMap(field_index(in_type), len(in_type), self.p, persistent=False)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        self._plain.train(self.training)
        return GeometricTensor(self._plain(x.tensor), self.out_type)

    def export(self) -> torch.nn.Module:
        m = FieldDropoutMap(self._plain.fidx, len(self.in_type), self.p)
        return m.train(self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"

