"""Pointwise nonlinearities: ``y_c = sigma(x_c)`` on every channel.

A pointwise map commutes with ``rho(g)`` for every ``g`` exactly when each ``rho(g)`` is a
permutation matrix, so these modules accept only fields whose representation is a permutation
representation (regular, quotient, trivial and their direct sums):

    sigma(rho(g) x) = rho(g) sigma(x).

Example:
    >>> import torch
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.nn import FieldType, GeometricTensor, ReLU
    >>> gs = rot2dOnR2(4)
    >>> relu = ReLU(FieldType(gs, [gs.regular_repr, gs.trivial_repr]))
    >>> relu(GeometricTensor(torch.tensor([[-1.0, 2.0, -3.0, 4.0, -5.0]]), relu.in_type)).tensor
    tensor([[0., 2., 0., 4., 0.]])
"""
from __future__ import annotations

import copy

import torch

from ...gspaces.field_type import FieldType, GeometricTensor
from ..module import EquivariantModule
from .._fields import check_field_type, require_permutation
from ._common import Activation, resolve_activation

__all__ = ["PointwiseNonLinearity", "ReLU", "ELU", "LeakyReLU"]


class PointwiseNonLinearity(EquivariantModule):
    """Applies an elementwise function to every channel of permutation-representation fields.

    Args:
        in_type: the field type; every representation must satisfy ``rep.is_permutation``.
        function: ``'p_relu'``, ``'p_elu'``, ``'p_leaky_relu'``, ``'p_sigmoid'``, ``'p_tanh'`` or
            an elementwise callable (a function or a ``torch.nn.Module``).

    ``out_type == in_type``.  Raises ``ValueError`` naming the first non-permutation field.
    """

    def __init__(self, in_type: FieldType, function: Activation = "p_relu") -> None:
        super().__init__()
        check_field_type(in_type)
        require_permutation(in_type, type(self).__name__, "NormNonLinearity, GatedNonLinearity1 or FourierPointwise")
        self.in_type = self.out_type = in_type
        self.function, self.act = resolve_activation(function, "p")

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        return GeometricTensor(self.act(x.tensor), self.out_type, x.coords)

    def export(self) -> torch.nn.Module:
        """The ``torch.nn`` activation (e.g. ``torch.nn.ReLU``) acting on raw tensors."""
        return copy.deepcopy(self.act)

    def extra_repr(self) -> str:
        return f"{self.in_type}, function={self.function}"


class ReLU(PointwiseNonLinearity):
    """``max(x, 0)`` channelwise on permutation-representation fields (``torch.nn.ReLU``)."""

    def __init__(self, in_type: FieldType, inplace: bool = False) -> None:
        super().__init__(in_type, torch.nn.ReLU(inplace=inplace))
        self.function = "relu"


class ELU(PointwiseNonLinearity):
    """``x if x > 0 else alpha (exp(x) - 1)`` channelwise on permutation-representation fields."""

    def __init__(self, in_type: FieldType, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__(in_type, torch.nn.ELU(alpha=alpha, inplace=inplace))
        self.function = "elu"


class LeakyReLU(PointwiseNonLinearity):
    """``x if x > 0 else negative_slope x`` channelwise on permutation-representation fields."""

    def __init__(self, in_type: FieldType, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__(in_type, torch.nn.LeakyReLU(negative_slope=negative_slope, inplace=inplace))
        self.function = "leaky_relu"

    def extra_repr(self) -> str:
        return f"{self.in_type}, negative_slope={self.act.negative_slope}"
