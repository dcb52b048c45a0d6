"""Convolutions whose kernel is an :class:`~steerable.nn.ImplicitKernel` (an equivariant MLP).

* :class:`ImplicitPointConv`: ``y_t = b + aggr_s k(x_t - x_s, e_st) f_s`` on a point cloud, the
  edge attributes ``e`` a :class:`GeometricTensor` of the kernel's ``edge_attr_type``.
* :class:`ImplicitR2Conv` / :class:`ImplicitR3Conv`: the kernel sampled on the centred
  ``kernel_size^d`` grid, then one ``conv2d``/``conv3d``.

Both inherit the kernel's steerability ``k(A(g) x, g e) = rho_out(g) k(x, e) rho_in(g)^T``:
the point convolution is equivariant for every ``g``, the grid ones for grid-exact ``g``.

Example:
    >>> import torch
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.nn import FieldType, GeometricTensor, ImplicitR2Conv
    >>> gs = rot2dOnR2(4)
    >>> t = FieldType(gs, [gs.regular_repr])
    >>> ImplicitR2Conv(t, t, 5, padding=2)(GeometricTensor(torch.randn(2, 4, 9, 9), t)).shape
    torch.Size([2, 4, 9, 9])
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..gspaces.field_type import FieldType, GeometricTensor
from ..kernels.harmonics import grid_points
from ._fields import trivial_block_columns
from .implicit import ImplicitKernel
from .module import EquivariantModule
from .point_conv import PointConvBase

__all__ = ["ImplicitPointConv", "ImplicitR2Conv", "ImplicitR3Conv"]

_KERNEL_ARGS = """
        edge_attr_type, hidden_fields, n_layers, L, batch_norm, sigma, n_radial: the kernel's MLP
            (:class:`~steerable.nn.ImplicitKernel`)."""


class ImplicitPointConv(PointConvBase):
    __doc__ = """Point convolution with an implicit (MLP) steerable kernel, on ``R^2`` or ``R^3``.

    Args:
        in_type, out_type: field types on a gspace over ``R^2`` or ``R^3``.
        bias: a bias on the trivial components of the output.
        aggr: ``"sum"`` or ``"mean"`` over the neighbours.""" + _KERNEL_ARGS + """

    Shape: ``forward(x, edge_index, edge_delta=None, edge_attr=None)``: ``x`` ``(N, in.size)`` with
    ``coords`` ``(N, d)``, ``edge_index`` ``(2, E)``, ``edge_attr`` ``(E, edge_attr_type.size)``;
    output ``(N, out.size)``.  Memory: one ``(E, out.size, in.size)`` kernel.

    Example:
        >>> import torch
        >>> from steerable.gspaces import rot3dOnR3
        >>> from steerable.nn import FieldType, GeometricTensor, ImplicitPointConv, knn_graph
        >>> gs = rot3dOnR3()
        >>> t = FieldType(gs, [gs.trivial_repr, gs.irrep(1)])
        >>> pos = torch.randn(20, 3)
        >>> ImplicitPointConv(t, t)(GeometricTensor(torch.randn(20, 4), t, pos), knn_graph(pos, 5)).shape
        torch.Size([20, 4])
    """

    def __init__(self, in_type: FieldType, out_type: FieldType, bias: bool = True, aggr: str = "sum",
                 edge_attr_type: FieldType | None = None, hidden_fields: int = 8, n_layers: int = 3, L: int = 2,
                 batch_norm: bool = True, sigma: float = 1.0, n_radial: int = 4) -> None:
        if isinstance(in_type, FieldType):
            self._dim = in_type.gspace.dimensionality
        super().__init__(in_type, out_type, bias, aggr)
        self.kernel = ImplicitKernel(in_type.gspace, in_type, out_type, edge_attr_type, hidden_fields, n_layers, L,
                                     batch_norm, sigma, n_radial)

    def forward(self, x: GeometricTensor, edge_index: torch.Tensor, edge_delta: torch.Tensor | None = None,
                edge_attr: GeometricTensor | None = None) -> GeometricTensor:
        src, dst, delta = self._edges(x, edge_index, edge_delta)
        k = self.kernel(delta, edge_attr).to(x.tensor.dtype)  # (E, out, in)
        msg = torch.einsum("eoi,ei->eo", k, x.tensor[src])
        y = x.tensor.new_zeros(x.tensor.shape[0], self.out_type.size).index_add_(0, dst, msg)
        return self._finish(y, dst, x)


class _ImplicitRdConv(EquivariantModule):
    _dim = 2

    def __init__(self, in_type: FieldType, out_type: FieldType, kernel_size: int, padding: int = 0, stride: int = 1,
                 dilation: int = 1, bias: bool = True, edge_attr_type: None = None, hidden_fields: int = 8,
                 n_layers: int = 3, L: int = 2, batch_norm: bool = True, sigma: float | None = None, n_radial: int = 4) -> None:
        super().__init__()
        for name, t in (("in_type", in_type), ("out_type", out_type)):
            if not isinstance(t, FieldType):
                raise TypeError(f"{name} must be a FieldType, got {type(t).__name__}")
        if in_type.gspace.dimensionality != self._dim:
            raise ValueError(f"{type(self).__name__} needs a gspace on R^{self._dim}, got {in_type.gspace}")
        if isinstance(kernel_size, bool) or not isinstance(kernel_size, int) or kernel_size < 1:
            raise ValueError(f"kernel_size must be a positive int, got {kernel_size!r}")
        if edge_attr_type is not None:
            raise ValueError(f"{type(self).__name__} has no edges: edge_attr_type must be None (use ImplicitPointConv)")
        self.in_type, self.out_type = in_type, out_type
        self.kernel_size, self.padding, self.stride, self.dilation = kernel_size, padding, stride, dilation
        # default shell width: half the kernel's radius, so the corners are not cut off
        sigma = max(1.0, (kernel_size - 1) / 2) if sigma is None else sigma
        self.kernel = ImplicitKernel(in_type.gspace, in_type, out_type, None, hidden_fields, n_layers, L, batch_norm, sigma, n_radial)
        self.register_buffer("points", torch.from_numpy(grid_points(kernel_size, self._dim)).float(), persistent=False)
        self.register_buffer("bias_expansion", torch.from_numpy(trivial_block_columns(out_type)).float(), persistent=False)
        self.bias = torch.nn.Parameter(torch.zeros(self.bias_expansion.shape[1])) if bias and self.bias_expansion.shape[1] else None

    @property
    def filter(self) -> torch.Tensor:
        """The kernel on the grid: ``(out.size, in.size, *kernel_shape)``."""
        k = self.kernel(self.points.to(self.kernel.log_sigma.dtype))  # (P, out, in)
        return k.permute(1, 2, 0).reshape(self.out_type.size, self.in_type.size, *(self.kernel_size,) * self._dim)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        t = self._check_input(x).tensor
        if t.dim() != 2 + self._dim:
            raise ValueError(f"{type(self).__name__} expects (batch, {self.in_type.size}, {self._dim} spatial axes), got {tuple(t.shape)}")
        b = None if self.bias is None else (self.bias_expansion @ self.bias).to(t.dtype)
        fn = F.conv2d if self._dim == 2 else F.conv3d
        return GeometricTensor(fn(t, self.filter.to(t.dtype), b, self.stride, self.padding, self.dilation), self.out_type)

    def extra_repr(self) -> str:
        return f"{self.in_type} -> {self.out_type}, kernel_size={self.kernel_size}, padding={self.padding}, stride={self.stride}"


class ImplicitR2Conv(_ImplicitRdConv):
    __doc__ = """Steerable 2D convolution whose filter is an :class:`~steerable.nn.ImplicitKernel` on the grid.

    Args:
        in_type, out_type: field types on a gspace over ``R^2``.
        kernel_size, padding, stride, dilation, bias: as ``R2Conv``.""" + _KERNEL_ARGS + """
            ``sigma`` defaults to ``max(1, (kernel_size - 1) / 2)``; ``edge_attr_type`` must be ``None``.

    Shape: ``(B, in.size, H, W) -> (B, out.size, H', W')`` as ``torch.nn.Conv2d``.
    """
    _dim = 2


class ImplicitR3Conv(_ImplicitRdConv):
    __doc__ = """Steerable 3D convolution whose filter is an :class:`~steerable.nn.ImplicitKernel` (see :class:`ImplicitR2Conv`).

    Example:
        >>> import torch
        >>> from steerable.gspaces import octaOnR3
        >>> from steerable.nn import FieldType, GeometricTensor, ImplicitR3Conv
        >>> gs = octaOnR3()
        >>> t = FieldType(gs, [gs.trivial_repr])
        >>> ImplicitR3Conv(t, t, 3, padding=1)(GeometricTensor(torch.randn(1, 1, 5, 5, 5), t)).shape
        torch.Size([1, 1, 5, 5, 5])
    """
    _dim = 3
