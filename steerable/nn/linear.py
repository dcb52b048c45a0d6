"""Equivariant linear maps between field types (no spatial extent).

``Linear`` maps ``(batch, in.size)`` or ``(batch, in.size, *spatial)`` tensors pointwise with a
matrix ``W`` satisfying ``W rho_in(g) = rho_out(g) W`` (an intertwiner), parametrised by a basis
of intertwiners: the steerable kernel basis at the single point ``x = 0``.

Example:
    >>> import torch
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.nn import FieldType, GeometricTensor, Linear
    >>> gs = rot2dOnR2(4)
    >>> lin = Linear(FieldType(gs, [gs.regular_repr]), FieldType(gs, 3 * [gs.trivial_repr]))
    >>> lin(GeometricTensor(torch.randn(5, 4), lin.in_type)).shape
    torch.Size([5, 3])
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..kernels import IntertwinerBasis, SteerableConvBasis
from ._fields import check_field_type, trivial_block_columns
from .basis_expansion import BlocksBasisExpansion
from ..gspaces.field_type import FieldType
from ..gspaces.field_type import GeometricTensor
from .module import EquivariantModule

__all__ = ["Linear"]


class Linear(EquivariantModule):
    """``y = W x + b`` with ``W`` an intertwiner and ``b`` on the trivial components only.

    Args:
        in_type, out_type: field types on the same gspace.
        bias: learn a bias on the trivial irreps of ``out_type``.
        basisexpansion: escnn's basis-expansion kind; only ``'blocks'`` exists.
        recompute: accepted for escnn compatibility: ``W`` is expanded from the weights at every
            call in both modes (no cached copy that could go stale).
        initialize: He-initialise the weights (default); ``False`` leaves them at zero.

    Shape: ``(B, in.size, *S) -> (B, out.size, *S)``.
    """

    def __init__(self, in_type: FieldType, out_type: FieldType, bias: bool = True, basisexpansion: str = "blocks",
                 recompute: bool = False, initialize: bool = True) -> None:
        super().__init__()
        check_field_type(in_type, "in_type", layer="Linear")
        check_field_type(out_type, "out_type", layer="Linear")
        if basisexpansion != "blocks":
            raise ValueError(f"Linear: basisexpansion must be 'blocks', got {basisexpansion!r}")
        self.recompute = bool(recompute)
        self.in_type, self.out_type = in_type, out_type
        # on a base space the basis at its origin; without one (no_base_space) the intertwiners themselves
        # (there are no harmonics on R^0)
        basis = IntertwinerBasis(in_type.gspace) if in_type.gspace.dimensionality == 0 else SteerableConvBasis(in_type.gspace, 1)
        self.basisexpansion = BlocksBasisExpansion(in_type, out_type, basis)
        self.weights = torch.nn.Parameter(torch.zeros(self.basisexpansion.dimension))
        self._bias_expansion64 = torch.from_numpy(trivial_block_columns(out_type))
        self.register_buffer("bias_expansion", self._bias_expansion64.float(), persistent=False)
        has_bias = bias and self.bias_expansion.shape[1] > 0
        self.bias = torch.nn.Parameter(torch.zeros(self.bias_expansion.shape[1])) if has_bias else None
        if initialize:
            self.basisexpansion.initialize(self.weights.data)

    def _apply(self, fn, recurse: bool = True):
        super()._apply(fn, recurse)
        if self.bias_expansion.dtype == torch.float64:  # exact values, not widened float32 ones
            self.bias_expansion = self._bias_expansion64.to(self.bias_expansion.device)
        return self

    def matrix(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        W = self.basisexpansion(self.weights).reshape(self.out_type.size, self.in_type.size)
        b = None if self.bias is None else self.bias_expansion.to(self.bias.dtype) @ self.bias
        return W, b

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        W, b = self.matrix()
        t = torch.movedim(x.tensor, 1, -1)
        y = F.linear(t, W.to(t.dtype), None if b is None else b.to(t.dtype))
        return GeometricTensor(torch.movedim(y, -1, 1), self.out_type, x.coords)  # pointwise: same points

    def export(self) -> torch.nn.Module:
        """A ``torch.nn.Linear`` acting on ``(batch, in.size)`` tensors."""
        W, b = self.matrix()
        lin = torch.nn.Linear(self.in_type.size, self.out_type.size, bias=b is not None)
        with torch.no_grad():
            lin.weight.copy_(W)
            if b is not None:
                lin.bias.copy_(b)
        return lin

    def extra_repr(self) -> str:
        return f"{self.in_type} -> {self.out_type}, bias={self.bias is not None}"
