"""Norm nonlinearities: rescale each field by a function of its (invariant) norm.

Representations are orthogonal, so ``|rho(g) f| = |f|`` and any map ``f -> s(|f|) f`` commutes
with ``rho(g)``; it works for fields of every representation.  With ``n = |f|`` and a learnable
bias ``b`` per field:

* ``'n_relu'``:    ``y = relu(n + b) / n * f``   (keeps the direction, thresholds the length)
* ``'n_sigmoid'``: ``y = sigmoid(n + b) * f``     (a smooth invariant gate)
* ``'squash'``:    ``y = n^2 / (1 + n^2) * f / n``  (no bias)

The norm is computed as ``sqrt(max(n^2, 1e-12))``, so ``f = 0`` gives ``y = 0`` with finite
gradients (no NaN) in both passes.

Example:
    >>> import torch
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.nn import FieldType, GeometricTensor, NormNonLinearity
    >>> gs = rot2dOnR2(-1)
    >>> nl = NormNonLinearity(FieldType(gs, [gs.irrep(1)]), "squash")
    >>> nl(GeometricTensor(torch.tensor([[3.0, 4.0]]), nl.in_type)).tensor  # |f| = 5 -> 25/26
    tensor([[0.5769, 0.7692]])
"""
from __future__ import annotations

import torch

from ...gspaces.field_type import FieldType, GeometricTensor
from ..module import EquivariantModule
from .._fields import check_field_type, field_index
from ..exported.activations import NormActivation, norm_activation

__all__ = ["NormNonLinearity"]

_FUNCTIONS = ("n_relu", "n_sigmoid", "squash")


class NormNonLinearity(EquivariantModule):
    """``f -> s(|f|) f`` on every field, with a learnable bias per field.

    Args:
        in_type: the field type (any orthogonal representations).
        function: ``'n_relu'`` (default), ``'n_sigmoid'`` or ``'squash'`` (see the module docs).
        bias: learn a bias ``b`` per field, initialised at 0, added to the norm before the
            function; ignored by ``'squash'``, which has none.  (With ``b = 0``, ``'n_relu'`` is
            the identity; a negative ``b`` makes it a threshold on the norm.)

    ``out_type == in_type``.
    """

    def __init__(self, in_type: FieldType, function: str = "n_relu", bias: bool = True) -> None:
        super().__init__()
        check_field_type(in_type)
        if function not in _FUNCTIONS:
            raise ValueError(f"function must be one of {_FUNCTIONS}, got {function!r}")
        self.in_type = self.out_type = in_type
        self.function = function
        self.nfields = len(in_type)
        self.register_buffer("field_of_channel", field_index(in_type), persistent=False)
        if bias and function != "squash":
            self.bias = torch.nn.Parameter(torch.zeros(len(in_type)))
        else:
            self.register_parameter("bias", None)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        y = norm_activation(x.tensor, self.field_of_channel, self.nfields, self.bias, self.function)
        return GeometricTensor(y, self.out_type, x.coords)

    def export(self) -> torch.nn.Module:
        """A :class:`~steerable.nn.exported.NormActivation` (torch only)."""
        bias = None if self.bias is None else self.bias.detach()
        return NormActivation(self.field_of_channel, self.nfields, bias, self.function)

    def extra_repr(self) -> str:
        return f"{self.in_type}, function={self.function}, bias={self.bias is not None}"
