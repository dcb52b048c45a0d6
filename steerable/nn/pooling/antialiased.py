"""Anti-aliased pooling: a Gaussian blur before subsampling (Zhang, "Making convolutional networks shift-invariant again").

Subsampling by ``stride`` aliases the frequencies above the new Nyquist limit, which breaks
equivariance for rotations that do not preserve the grid.  Blurring with an isotropic
Gaussian first removes them: the blur is identical on every channel and rotation invariant, so
it commutes with any ``rho(g)`` and, up to sampling, with every rotation.

* :class:`PointwiseAvgPoolAntialiased2D` / ``3D``: blur, then subsample (any field type);
* :class:`PointwiseMaxPoolAntialiased2D` / ``3D``: max pool with stride 1, then blur and subsample
  (permutation-representation fields only, because of the max).

Example:
    >>> import torch
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.nn import FieldType, GeometricTensor, PointwiseMaxPoolAntialiased2D
    >>> gs = rot2dOnR2(8)
    >>> t = FieldType(gs, [gs.regular_repr])
    >>> PointwiseMaxPoolAntialiased2D(t, 3, stride=2, padding=1)(GeometricTensor(torch.randn(1, 8, 9, 9), t)).shape
    torch.Size([1, 8, 5, 5])
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .._fields import IntOrTuple
from ..exported.layers import BlurPoolMap
from ...gspaces.field_type import FieldType
from .pointwise import _PointwisePool

__all__ = [
    "gaussian_filter", "PointwiseAvgPoolAntialiased2D", "PointwiseAvgPoolAntialiased3D",
    "PointwiseAvgPoolAntialiased", "PointwiseMaxPoolAntialiased2D", "PointwiseMaxPoolAntialiased3D",
    "PointwiseMaxPoolAntialiased",
]


def gaussian_filter(sigma: float, dim: int, radius: int | None = None, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Normalised isotropic Gaussian ``exp(-|p|^2 / (2 sigma^2))`` on the ``(2 r + 1)^dim`` grid, ``r = ceil(3 sigma)``."""
    r = max(1, int(math.ceil(3 * sigma))) if radius is None else radius
    ax = torch.arange(-r, r + 1, dtype=torch.float64)
    g = torch.exp(-(ax**2) / (2 * sigma**2))
    out = g
    for _ in range(dim - 1):
        out = out[..., None] * g
    return (out / out.sum()).to(dtype)


class _AvgPoolAntialiased(_PointwisePool):
    _permutation_only = False

    def __init__(self, in_type: FieldType, sigma: float, stride: int, padding: int | None = None) -> None:
        super().__init__(in_type)
        if not sigma > 0:
            raise ValueError(f"{type(self).__name__}: sigma must be positive, got {sigma!r}")
        if not isinstance(stride, int) or stride < 1:
            raise ValueError(f"{type(self).__name__}: stride must be a positive int, got {stride!r}")
        filt = gaussian_filter(sigma, self._dim, dtype=torch.float32)
        self.sigma, self.stride = float(sigma), stride
        self.filter_size = filt.shape[0]
        self.padding = (self.filter_size - 1) // 2 if padding is None else padding
        self._plain = BlurPoolMap(filt, stride, self.padding, persistent=False)

    def _pool(self, t: torch.Tensor) -> torch.Tensor:
        return self._plain(t)

    def export(self) -> torch.nn.Module:
        return BlurPoolMap(self._plain.filter, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"{self.in_type}, sigma={self.sigma}, stride={self.stride}, padding={self.padding}, filter_size={self.filter_size}"


class PointwiseAvgPoolAntialiased2D(_AvgPoolAntialiased):
    """Gaussian blur (std ``sigma``, side ``2 ceil(3 sigma) + 1``) followed by subsampling by ``stride``.

    The blur removes the frequencies that subsampling would alias, so the layer is close to
    equivariant also for rotations that do not preserve the grid (tested at 45 degrees on
    smooth, disk-masked inputs).  The filter is isotropic and identical on every channel, hence
    exact for the grid symmetries (with symmetric windows: default padding and odd ``n`` when
    ``stride=2``) and valid for any field type.

    Args:
        in_type: any field type on a gspace over R^2.
        sigma: standard deviation of the Gaussian, in pixels.
        stride: subsampling factor.
        padding: zero padding; default ``(filter_size - 1) // 2``.

    Example:
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, PointwiseAvgPoolAntialiased2D
        >>> gs = rot2dOnR2(8)
        >>> PointwiseAvgPoolAntialiased2D(FieldType(gs, [gs.regular_repr]), 0.66, 2).evaluate_output_shape((1, 8, 9, 9))
        (1, 8, 5, 5)
    """

    _dim = 2


class PointwiseAvgPoolAntialiased3D(_AvgPoolAntialiased):
    """3D version of :class:`PointwiseAvgPoolAntialiased2D`."""

    _dim = 3


class _MaxPoolAntialiased(_PointwisePool):
    def __init__(self, in_type: FieldType, kernel_size: IntOrTuple, stride: IntOrTuple | None = None,
                 padding: IntOrTuple = 0, dilation: IntOrTuple = 1, ceil_mode: bool = False, sigma: float = 0.6) -> None:
        super().__init__(in_type)
        name = type(self).__name__
        if not sigma > 0:
            raise ValueError(f"{name}: sigma must be positive, got {sigma!r}")
        stride = kernel_size if stride is None else stride
        if not isinstance(stride, int) or stride < 1:
            raise ValueError(f"{name}: stride must be a positive int, got {stride!r}")
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.ceil_mode, self.sigma = dilation, ceil_mode, float(sigma)
        filt = gaussian_filter(sigma, self._dim, dtype=torch.float32)
        self.filter_size = filt.shape[0]
        self._blur = BlurPoolMap(filt, stride, (self.filter_size - 1) // 2, persistent=False)

    def _max(self, t: torch.Tensor) -> torch.Tensor:
        fn = F.max_pool2d if self._dim == 2 else F.max_pool3d
        return fn(t, self.kernel_size, 1, self.padding, self.dilation, self.ceil_mode)

    def _pool(self, t: torch.Tensor) -> torch.Tensor:
        return self._blur(self._max(t))

    def export(self) -> torch.nn.Module:
        cls = torch.nn.MaxPool2d if self._dim == 2 else torch.nn.MaxPool3d
        return torch.nn.Sequential(cls(self.kernel_size, 1, self.padding, self.dilation, ceil_mode=self.ceil_mode),
                                   BlurPoolMap(self._blur.filter, self.stride, self._blur.padding))

    def extra_repr(self) -> str:
        return (f"{self.in_type}, kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, sigma={self.sigma}")


class PointwiseMaxPoolAntialiased2D(_MaxPoolAntialiased):
    """Max pooling with stride 1, then a Gaussian blur (std ``sigma``) subsampled by ``stride``.

    Taking the max with stride 1 keeps the output on the input grid; the isotropic blur then
    removes the frequencies that subsampling would alias.  The max commutes only with
    permutations of channels, so every field must be a permutation representation.  Exactly
    equivariant for the grid symmetries when the windows are symmetric (see
    :mod:`steerable.nn.pooling.pointwise`), close to equivariant for other rotations of smooth
    signals.

    Args:
        in_type: field type on a gspace over R^2 whose fields are permutation representations.
        kernel_size, padding, dilation, ceil_mode: of the stride-1 max pooling, as ``torch.nn.MaxPool2d``.
        stride: subsampling factor of the blur (default ``kernel_size``).
        sigma: standard deviation of the Gaussian, in pixels (filter side ``2 ceil(3 sigma) + 1``).

    Shape: ``(B, C, H, W) -> (B, C, H', W')`` with ``H_1 = H + 2 padding - dilation (kernel_size - 1)``
    after the max and ``H' = floor((H_1 - 1) / stride) + 1`` after the blur.

    Example:
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, PointwiseMaxPoolAntialiased2D
        >>> gs = rot2dOnR2(4)
        >>> PointwiseMaxPoolAntialiased2D(FieldType(gs, [gs.regular_repr]), 3, 2, 1).evaluate_output_shape((1, 4, 9, 9))
        (1, 4, 5, 5)
    """

    _dim = 2


class PointwiseMaxPoolAntialiased3D(_MaxPoolAntialiased):
    """3D version of :class:`PointwiseMaxPoolAntialiased2D`."""

    _dim = 3


PointwiseAvgPoolAntialiased = PointwiseAvgPoolAntialiased2D
PointwiseMaxPoolAntialiased = PointwiseMaxPoolAntialiased2D
