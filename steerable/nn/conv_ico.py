"""Icosahedral volumetric convolutions whose filters live on the orbits of the icosahedral group.

:class:`R3IcoConv` is :class:`~steerable.nn.R3Conv` with the filter basis
:class:`~steerable.kernels.OrbitConvBasis`: on each ring the kernel is defined on the vertices of
an icosahedron, dodecahedron or icosidodecahedron and spread into the voxel grid by a Gaussian,
instead of being a band-limited sum of spherical harmonics (see :mod:`steerable.kernels.orbit`).
The icosahedral group does not act on a voxel grid, so the layer is exactly equivariant only to
its 12 rotations that permute voxels (the tetrahedral subgroup: half turns about the axes, third
turns about the cube diagonals) and approximately to the others; :class:`~steerable.nn.R3Conv` on
the same types is usually the better-behaved choice off the grid.

Example:
    >>> import torch
    >>> from steerable import gspaces, nn
    >>> gs = gspaces.icoOnR3()
    >>> t_in = nn.FieldType(gs, [gs.trivial_repr])
    >>> t_out = nn.FieldType(gs, [gs.fibergroup.irrep(1)])
    >>> conv = nn.R3IcoConv(t_in, t_out, kernel_size=5, padding=2)
    >>> conv(t_in(torch.randn(1, 1, 9, 9, 9))).shape
    torch.Size([1, 3, 9, 9, 9])
"""
from __future__ import annotations

from typing import Callable, Sequence

from ..kernels import OrbitConvBasis
from ..gspaces.field_type import FieldType
from .conv import R3Conv, R3ConvTransposed

__all__ = ["R3IcoConv", "R3IcoConvTransposed"]


def _orbit_basis(in_type: FieldType, kernel_size: int, samples: str, rings: Sequence[float] | None,
                 sigma: float | Sequence[float] | None, basis_filter: Callable[[dict], bool] | None) -> OrbitConvBasis:
    if not isinstance(in_type, FieldType):
        raise TypeError(f"in_type must be a FieldType, got {type(in_type).__name__}")
    return OrbitConvBasis(in_type.gspace, kernel_size, samples=samples, rings=rings, sigma=sigma, filter=basis_filter)


class R3IcoConv(R3Conv):
    """Icosahedral-steerable 3D convolution with orbit kernels (escnn's arguments and order).

    Args:
        in_type, out_type: field types of ``icoOnR3()``.
        kernel_size, padding, stride, dilation, padding_mode, groups, bias, initialize: as
            :class:`~steerable.nn.R3Conv`.
        samples: ``'ico'`` (12 vertices of the icosahedron), ``'dodeca'`` (20 vertices of the
            dodecahedron) or ``'icosidodeca'`` (30 vertices of the icosidodecahedron) on each ring.
        sigma: the Gaussian width per ring (or one for all); rings: their radii (default:
            steerable's 3D rings for ``kernel_size``).
        recompute: accepted for escnn's signature (bases are built per layer, never cached on disk).
        basis_filter: optional predicate on a basis element's attributes.

    Shape: ``(B, in_type.size, D, H, W) -> (B, out_type.size, D', H', W')``.
    """

    def __init__(self, in_type: FieldType, out_type: FieldType, kernel_size: int, padding: int = 0, stride: int = 1,
                 dilation: int = 1, padding_mode: str = "zeros", groups: int = 1, bias: bool = True, samples: str = "ico",
                 sigma: float | Sequence[float] | None = None, rings: Sequence[float] | None = None, recompute: bool = False,
                 basis_filter: Callable[[dict], bool] | None = None, initialize: bool = True) -> None:
        basis = _orbit_basis(in_type, kernel_size, samples, rings, sigma, basis_filter)
        super().__init__(in_type, out_type, kernel_size, padding=padding, stride=stride, dilation=dilation,
                         padding_mode=padding_mode, groups=groups, bias=bias, recompute=recompute,
                         initialize=initialize, basis=basis)
        self.samples = samples


class R3IcoConvTransposed(R3ConvTransposed):
    """The transposed (upsampling) version of :class:`R3IcoConv`, with ``output_padding`` as
    :class:`~steerable.nn.R3ConvTransposed`; the other arguments as :class:`R3IcoConv`."""

    def __init__(self, in_type: FieldType, out_type: FieldType, kernel_size: int, padding: int = 0, output_padding: int = 0,
                 stride: int = 1, dilation: int = 1, groups: int = 1, bias: bool = True, samples: str = "ico",
                 sigma: float | Sequence[float] | None = None, rings: Sequence[float] | None = None, recompute: bool = False,
                 basis_filter: Callable[[dict], bool] | None = None, initialize: bool = True) -> None:
        basis = _orbit_basis(in_type, kernel_size, samples, rings, sigma, basis_filter)
        super().__init__(in_type, out_type, kernel_size, padding=padding, output_padding=output_padding, stride=stride,
                         dilation=dilation, groups=groups, bias=bias, recompute=recompute, initialize=initialize,
                         basis=basis)
        self.samples = samples
