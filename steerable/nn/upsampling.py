"""Upsampling of feature maps: the same interpolation on every channel.

Interpolation acts identically on each channel, so it commutes with any channel mixing
``rho(g)``; it is exactly equivariant under the grid symmetries for integer scale factors and
approximately under other rotations of smooth signals.

Example:
    >>> import torch
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.nn import FieldType, GeometricTensor, R2Upsampling
    >>> gs = rot2dOnR2(8)
    >>> t = FieldType(gs, [gs.regular_repr])
    >>> R2Upsampling(t, scale_factor=2)(GeometricTensor(torch.randn(1, 8, 5, 5), t)).shape
    torch.Size([1, 8, 10, 10])
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from ._fields import check_field_type, check_spatial_dims, meta_shape
from ..gspaces.field_type import FieldType, GeometricTensor
from .module import EquivariantModule

__all__ = ["R2Upsampling", "R3Upsampling"]


class _Upsampling(EquivariantModule):
    _dim = 2
    _modes: tuple[str, ...] = ()

    def __init__(self, in_type: FieldType, scale_factor: float | None = None, size: int | Sequence[int] | None = None,
                 mode: str = "bilinear", align_corners: bool = False) -> None:
        super().__init__()
        name = type(self).__name__
        self.in_type = self.out_type = check_field_type(in_type, dim=self._dim, layer=name)
        if (scale_factor is None) == (size is None):
            raise ValueError(f"{name}: give exactly one of scale_factor and size, got scale_factor={scale_factor!r}, size={size!r}")
        if mode not in self._modes:
            raise ValueError(f"{name}: mode must be one of {self._modes}, got {mode!r}")
        if mode == "nearest" and align_corners:
            raise ValueError(f"{name}: align_corners only applies to interpolating modes, not 'nearest'")
        if scale_factor is not None and (not isinstance(scale_factor, (int, float)) or scale_factor <= 0):
            raise ValueError(f"{name}: scale_factor must be a positive number, got {scale_factor!r}")
        self.scale_factor, self.size, self.mode = scale_factor, size, mode
        self.align_corners = None if mode == "nearest" else bool(align_corners)

    def _up(self, t: torch.Tensor) -> torch.Tensor:
        return F.interpolate(t, size=self.size, scale_factor=self.scale_factor, mode=self.mode, align_corners=self.align_corners)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        check_spatial_dims(self, x.tensor, self._dim)
        return GeometricTensor(self._up(x.tensor), self.out_type)

    def evaluate_output_shape(self, input_shape: Sequence[int]) -> tuple[int, ...]:
        super().evaluate_output_shape(input_shape)
        return meta_shape(self._up, input_shape)

    def export(self) -> torch.nn.Module:
        return torch.nn.Upsample(size=self.size, scale_factor=self.scale_factor, mode=self.mode, align_corners=self.align_corners)

    def extra_repr(self) -> str:
        s = f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        return s + f", mode={self.mode!r}" + (f", align_corners={self.align_corners}" if self.mode != "nearest" else "")



class R2Upsampling(_Upsampling):
    """``F.interpolate`` on every channel of a 2D feature map (any field types).

    The interpolation acts identically on each channel, so it commutes with ``rho(g)``; it
    commutes with the 90 degree rotations and flips of the grid when the sampling is symmetric
    (integer ``scale_factor``, or ``mode='bilinear'``), and approximately with other rotations
    of smooth signals.

    Args:
        in_type: field type on a gspace over R^2.
        scale_factor, size: exactly one of them, as in ``torch.nn.Upsample``.
        mode: ``'bilinear'`` (default), ``'bicubic'`` or ``'nearest'``.
        align_corners: as in ``torch.nn.Upsample`` (interpolating modes only).

    Example:
        >>> import torch
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, R2Upsampling
        >>> gs = rot2dOnR2(4)
        >>> R2Upsampling(FieldType(gs, [gs.regular_repr]), size=9).evaluate_output_shape((1, 4, 5, 5))
        (1, 4, 9, 9)
    """

    _dim = 2
    _modes = ("bilinear", "bicubic", "nearest")



class R3Upsampling(_Upsampling):
    """``F.interpolate`` on every channel of a 3D feature map; modes ``'trilinear'`` (default) or ``'nearest'``.

    Example:
        >>> from steerable.gspaces import rot3dOnR3
        >>> from steerable.nn import FieldType, R3Upsampling
        >>> gs = rot3dOnR3()
        >>> R3Upsampling(FieldType(gs, [gs.irrep(1)]), scale_factor=2).evaluate_output_shape((1, 3, 4, 4, 4))
        (1, 3, 8, 8, 8)
    """

    _dim = 3
    _modes = ("trilinear", "nearest")

    def __init__(self, in_type: FieldType, scale_factor: float | None = None, size: int | Sequence[int] | None = None,
                 mode: str = "trilinear", align_corners: bool = False) -> None:
        super().__init__(in_type, scale_factor, size, mode, align_corners)

