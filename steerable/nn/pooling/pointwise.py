"""Pointwise spatial pooling: torch's max/average/adaptive pooling on every channel.

Spatial pooling commutes with the grid symmetries only when the pooling windows are mapped
onto pooling windows.  On a grid of side ``n`` (centred coordinates, as everywhere in
steerable) with kernel ``k``, stride ``s``, padding ``p`` and dilation ``d``, the windows are
symmetric about the centre iff

    (n + 2 p - d (k - 1) - 1) % s == 0

(the last window ends exactly where the padded grid ends).  Then every 90 degree rotation and
every axis flip of the input permutes the windows, and the output grid is the input grid
scaled by ``s`` about the centre, so ``pool(g . x) = g . pool(x)`` exactly.  Examples:
``n=9, k=3, s=1, p=1`` (any odd/even ``n`` with stride 1 and symmetric padding);
``n=9, k=3, s=2, p=1`` (odd ``n``); ``n=8, k=2, s=2, p=0`` (even ``n``: the 2x2 blocks tile the
grid symmetrically); but *not* ``n=9, k=2, s=2`` (the last row/column is dropped) or
``n=8, k=3, s=2, p=1``.  Adaptive pooling is always symmetric (torch's windows
``[floor(i n / m), ceil((i + 1) n / m))`` are mirror images of each other).

Pointwise max pooling only commutes with ``rho(g)`` for permutation representations; average
pooling is the same linear map on every channel, so it commutes with any ``rho(g)``.

Example:
    >>> import torch
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.nn import FieldType, GeometricTensor, PointwiseMaxPool2D
    >>> gs = rot2dOnR2(8)
    >>> t = FieldType(gs, [gs.regular_repr])
    >>> PointwiseMaxPool2D(t, 3, stride=2, padding=1)(GeometricTensor(torch.randn(1, 8, 9, 9), t)).shape
    torch.Size([1, 8, 5, 5])
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from .._fields import IntOrTuple, check_field_type, check_spatial_dims, meta_shape, require_permutation
from ...gspaces.field_type import FieldType, GeometricTensor
from ..module import EquivariantModule

__all__ = [
    "PointwiseMaxPool2D", "PointwiseMaxPool3D", "PointwiseAvgPool2D", "PointwiseAvgPool3D",
    "PointwiseAdaptiveAvgPool2D", "PointwiseAdaptiveAvgPool3D", "PointwiseAdaptiveMaxPool2D", "PointwiseAdaptiveMaxPool3D",
    "PointwiseMaxPool", "PointwiseAvgPool", "PointwiseAdaptiveAvgPool", "PointwiseAdaptiveMaxPool",
]


# ---------------------------------------------------------------------- pointwise spatial pooling
class _PointwisePool(EquivariantModule):
    _dim = 2
    _permutation_only = True

    def __init__(self, in_type: FieldType) -> None:
        super().__init__()
        name = type(self).__name__
        self.in_type = self.out_type = check_field_type(in_type, dim=self._dim, layer=name)
        if self._permutation_only:
            require_permutation(in_type, name)

    def _pool(self, t: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        check_spatial_dims(self, x.tensor, self._dim)
        return GeometricTensor(self._pool(x.tensor), self.out_type)

    def evaluate_output_shape(self, input_shape: Sequence[int]) -> tuple[int, ...]:
        super().evaluate_output_shape(input_shape)
        if len(input_shape) != self._dim + 2:
            raise ValueError(f"{type(self).__name__} expects an input shape with {self._dim} spatial axes, got {tuple(input_shape)}")
        return meta_shape(self._pool, input_shape)


class _MaxPool(_PointwisePool):
    def __init__(self, in_type: FieldType, kernel_size: IntOrTuple, stride: IntOrTuple | None = None,
                 padding: IntOrTuple = 0, dilation: IntOrTuple = 1, ceil_mode: bool = False) -> None:
        super().__init__(in_type)
        self.kernel_size, self.stride, self.padding = kernel_size, stride if stride is not None else kernel_size, padding
        self.dilation, self.ceil_mode = dilation, ceil_mode

    def _pool(self, t: torch.Tensor) -> torch.Tensor:
        fn = F.max_pool2d if self._dim == 2 else F.max_pool3d
        return fn(t, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode)

    def export(self) -> torch.nn.Module:
        cls = torch.nn.MaxPool2d if self._dim == 2 else torch.nn.MaxPool3d
        return cls(self.kernel_size, self.stride, self.padding, self.dilation, ceil_mode=self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"{self.in_type}, kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class PointwiseMaxPool2D(_MaxPool):
    """Channel-wise ``max_pool2d`` for fields that are permutation representations (trivial, regular, quotient).

    ``max`` over a window commutes with permuting channels, and with the grid symmetries when
    the windows are symmetric (see the module docstring).  Arguments as ``torch.nn.MaxPool2d``.

    Example:
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, PointwiseMaxPool2D
        >>> gs = rot2dOnR2(4)
        >>> PointwiseMaxPool2D(FieldType(gs, [gs.regular_repr]), 2).evaluate_output_shape((1, 4, 8, 8))
        (1, 4, 4, 4)
    """

    _dim = 2


class PointwiseMaxPool3D(_MaxPool):
    """Channel-wise ``max_pool3d`` for permutation-representation fields (see :class:`PointwiseMaxPool2D`)."""

    _dim = 3


class _AvgPool(_PointwisePool):
    _permutation_only = False

    def __init__(self, in_type: FieldType, kernel_size: IntOrTuple, stride: IntOrTuple | None = None,
                 padding: IntOrTuple = 0, ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__(in_type)
        self.kernel_size, self.stride, self.padding = kernel_size, stride if stride is not None else kernel_size, padding
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def _pool(self, t: torch.Tensor) -> torch.Tensor:
        fn = F.avg_pool2d if self._dim == 2 else F.avg_pool3d
        return fn(t, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)

    def export(self) -> torch.nn.Module:
        cls = torch.nn.AvgPool2d if self._dim == 2 else torch.nn.AvgPool3d
        return cls(self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)

    def extra_repr(self) -> str:
        return f"{self.in_type}, kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class PointwiseAvgPool2D(_AvgPool):
    """Channel-wise ``avg_pool2d``; linear and identical on every channel, so valid for any field type.

    Arguments as ``torch.nn.AvgPool2d``; exactly equivariant for symmetric windows (module docstring).

    Example:
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, PointwiseAvgPool2D
        >>> gs = rot2dOnR2(-1)
        >>> PointwiseAvgPool2D(FieldType(gs, [gs.irrep(1)]), 3, 2, 1).evaluate_output_shape((1, 2, 9, 9))
        (1, 2, 5, 5)
    """

    _dim = 2


class PointwiseAvgPool3D(_AvgPool):
    """Channel-wise ``avg_pool3d`` (any field type; see :class:`PointwiseAvgPool2D`)."""

    _dim = 3


class _AdaptivePool(_PointwisePool):
    _max = False

    def __init__(self, in_type: FieldType, output_size: IntOrTuple) -> None:
        super().__init__(in_type)
        self.output_size = output_size

    def _pool(self, t: torch.Tensor) -> torch.Tensor:
        fn = {(2, False): F.adaptive_avg_pool2d, (3, False): F.adaptive_avg_pool3d,
              (2, True): F.adaptive_max_pool2d, (3, True): F.adaptive_max_pool3d}[(self._dim, self._max)]
        return fn(t, self.output_size)

    def export(self) -> torch.nn.Module:
        cls = {(2, False): torch.nn.AdaptiveAvgPool2d, (3, False): torch.nn.AdaptiveAvgPool3d,
               (2, True): torch.nn.AdaptiveMaxPool2d, (3, True): torch.nn.AdaptiveMaxPool3d}[(self._dim, self._max)]
        return cls(self.output_size)

    def extra_repr(self) -> str:
        return f"{self.in_type}, output_size={self.output_size}"


class PointwiseAdaptiveAvgPool2D(_AdaptivePool):
    """Channel-wise ``adaptive_avg_pool2d`` (any field type).

    Torch's adaptive windows are symmetric about the centre, so with a square input and a
    square ``output_size`` the layer commutes exactly with the grid rotations and flips.

    Example:
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, PointwiseAdaptiveAvgPool2D
        >>> gs = rot2dOnR2(8)
        >>> PointwiseAdaptiveAvgPool2D(FieldType(gs, [gs.regular_repr]), 1).evaluate_output_shape((2, 8, 9, 9))
        (2, 8, 1, 1)
    """

    _dim = 2
    _permutation_only = False


class PointwiseAdaptiveAvgPool3D(_AdaptivePool):
    """Channel-wise ``adaptive_avg_pool3d`` (any field type)."""

    _dim = 3
    _permutation_only = False


class PointwiseAdaptiveMaxPool2D(_AdaptivePool):
    """Channel-wise ``adaptive_max_pool2d`` (permutation-representation fields only)."""

    _dim = 2
    _max = True


class PointwiseAdaptiveMaxPool3D(_AdaptivePool):
    """Channel-wise ``adaptive_max_pool3d`` (permutation-representation fields only)."""

    _dim = 3
    _max = True


PointwiseMaxPool = PointwiseMaxPool2D
PointwiseAvgPool = PointwiseAvgPool2D
PointwiseAdaptiveAvgPool = PointwiseAdaptiveAvgPool2D
PointwiseAdaptiveMaxPool = PointwiseAdaptiveMaxPool2D
