"""A learnable quadratic nonlinearity built from tensor products of fields.

For an input ``x`` with fields ``x_1, ..., x_n`` (representations ``rho_i``):

    u = W1 x + b1                              (equivariant Linear: in_type -> in_type)
    t_i = x_i (x) u_i = kron(x_i, u_i)         (transforms by rho_i (x) rho_i)
    y = W2 t + b2                              (equivariant Linear: (+)_i rho_i (x) rho_i -> out_type)

Each step commutes with the group (``kron(rho(g) x, rho(g) u) = (rho (x) rho)(g) kron(x, u)``),
so ``y`` is equivariant.  ``W1`` mixes fields before the product, so ``t`` contains products of
different fields; the bias ``b1`` (on the trivial components of ``u``) adds terms linear in
``x``.  Channel ``p d_i + q`` of ``t_i`` is ``x_i[p] u_i[q]``, the order of
``steerable.group.tensor_product``.  ``out_type`` may only contain irreps occurring in some
``rho_i (x) rho_i``; otherwise a ``ValueError`` is raised.  The width of ``t`` is
``sum_i d_i^2``: keep the input fields small.

Example:
    >>> import torch
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.nn import FieldType, GeometricTensor, TensorProductModule
    >>> gs = rot2dOnR2(4)
    >>> t = FieldType(gs, 2 * [gs.regular_repr])
    >>> tp = TensorProductModule(t, t)
    >>> tp(GeometricTensor(torch.randn(3, 8), t)).shape
    torch.Size([3, 8])
"""
from __future__ import annotations

import numpy as np
import torch

from ...group import Representation, tensor_product
from ...gspaces.field_type import FieldType, GeometricTensor
from ..linear import Linear
from ..module import EquivariantModule
from .._fields import check_field_type
from ..exported.activations import TensorProductMap, tensor_product_map

__all__ = ["TensorProductModule"]

def _square(rho: Representation) -> Representation:
    """``rho (x) rho``, decomposed into irreps."""
    return tensor_product(rho, rho, name=f"({rho.name})x({rho.name})")


class TensorProductModule(EquivariantModule):
    """``y = W2 [x_i (x) (W1 x + b1)_i]_i + b2`` with equivariant ``W1``, ``W2`` (see module docs).

    Args:
        in_type: the input field type (any representations).
        out_type: the output field type, on the same gspace.
        initialize: He-initialise the weights of both linear maps (default); ``False`` leaves them at zero.
        bias: learn the biases ``b1``, ``b2`` (only on trivial components).
    """

    def __init__(self, in_type: FieldType, out_type: FieldType, initialize: bool = True, bias: bool = True) -> None:
        super().__init__()
        check_field_type(in_type)
        check_field_type(out_type, "out_type")
        if in_type.gspace != out_type.gspace:
            raise ValueError(f"in_type and out_type must share a gspace: {in_type.gspace} vs {out_type.gspace}")
        self.in_type, self.out_type = in_type, out_type
        # one decomposition per distinct field, owned by this layer (no process-wide cache shared by layers)
        self._squares: dict[Representation, Representation] = {}
        for r in in_type.representations:
            if r not in self._squares:
                self._squares[r] = _square(r)
        self.product_type = FieldType(in_type.gspace, [self._squares[r] for r in in_type.representations])
        self.projection = Linear(in_type, in_type, bias=bias, initialize=initialize)
        try:
            self.linear = Linear(self.product_type, out_type, bias=bias, initialize=initialize)
        except ValueError as err:
            raise ValueError(f"TensorProductModule cannot map the tensor squares of {in_type} to {out_type}: "
                             f"{err}") from err
        left, right = [], []
        for s, r in zip(in_type.fields_start, in_type.representations):
            d = r.size
            p, q = np.meshgrid(np.arange(d), np.arange(d), indexing="ij")
            left.append(s + p.ravel())
            right.append(s + q.ravel())
        self.register_buffer("left", torch.from_numpy(np.concatenate(left)).long(), persistent=False)
        self.register_buffer("right", torch.from_numpy(np.concatenate(right)).long(), persistent=False)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        W1, b1 = self.projection.matrix()
        W2, b2 = self.linear.matrix()
        y = tensor_product_map(x.tensor, W1, b1, W2, b2, self.left, self.right)
        return GeometricTensor(y, self.out_type, x.coords)

    def export(self) -> torch.nn.Module:
        """A :class:`~steerable.nn.exported.TensorProductMap` (torch only)."""
        with torch.no_grad():
            W1, b1 = self.projection.matrix()
            W2, b2 = self.linear.matrix()
        return TensorProductMap(W1, b1, W2, b2, self.left, self.right)

    def extra_repr(self) -> str:
        return f"{self.in_type} -> {self.out_type}, product channels={self.product_type.size}"
