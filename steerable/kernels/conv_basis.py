"""What a grid convolution expands its filter in: the :class:`ConvBasis` protocol.

A convolution between field types ``(+)_f rho_f`` needs, for every pair ``(rho_in, rho_out)``
of representations that occur, a kernel basis sampled on its grid.  A :class:`ConvBasis` owns

* the sampling grid (``kernel_shape``, :meth:`points`: the centred grid points ``(P, d)``),
* the radial profile and band limit (whatever its :meth:`pair` bases are made of),
* the coefficient layout inside each pair: :meth:`pair` returns a :class:`KernelBasis` whose
  ``dim`` elements, in their order, are the coefficients of one (input field, output field)
  pair of that kind; the convolution's expansion only stacks these blocks.

:class:`SteerableConvBasis` is the default (Wigner-Eckart harmonics on Gaussian rings,
normalised on the grid).  A subclass that implements :meth:`build_pair` (a numerical solver, a
learned or implicit kernel sampled on the grid) plugs into ``R2Conv(..., basis=...)``.

Example:
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.kernels import SteerableConvBasis
    >>> gs = rot2dOnR2(4)
    >>> basis = SteerableConvBasis(gs, kernel_size=5)
    >>> basis.sample_pair(gs.regular_repr, gs.regular_repr).shape[1:]
    torch.Size([4, 4, 5, 5])
"""
from __future__ import annotations

import abc
from typing import Any, Callable, Sequence

import torch

from ..group import Representation
from ..gspaces import GSpace
from .basis import KernelBasis
from .builders import kernels_on_point
from .harmonics import RingSpec, _kernel_sizes, grid_points
from .wigner_eckart import GridKernelBasis

__all__ = ["ConvBasis", "SteerableConvBasis", "IntertwinerBasis"]


class ConvBasis(abc.ABC):
    """A family of kernel bases on one sampling grid, one per pair of representations.

    Args:
        gspace: the group acting on ``R^d``.
        kernel_size: the grid, ``kernel_size^d`` points centred at the origin.

    Subclasses implement :meth:`build_pair`; :meth:`pair` builds each pair once and keeps it.
    """

    def __init__(self, gspace: GSpace, kernel_size: int) -> None:
        if not isinstance(gspace, GSpace):
            raise TypeError(f"gspace must be a GSpace, got {type(gspace).__name__}")
        self.gspace = gspace
        if gspace.dimensionality == 0:  # no base space: a single point, the "kernel" is one matrix
            if kernel_size != 1:
                raise ValueError(f"a gspace without base space ({gspace.name}) has kernels of size 1, got {kernel_size!r}")
            self.kernel_size = 1
        else:
            self.kernel_size = _kernel_sizes(kernel_size, gspace.dimensionality)[0]
        self.kernel_shape: tuple[int, ...] = (self.kernel_size,) * gspace.dimensionality
        self._pairs: dict[tuple[int, int], tuple[Representation, Representation, KernelBasis]] = {}

    def __getstate__(self) -> dict:
        # the per-pair bases are a cache: rebuilt on demand rather than pickled
        return {k: v for k, v in self.__dict__.items() if k != "_pairs"} | {"_pairs": {}}

    def points(self, dtype: torch.dtype = torch.float64, device: Any = None) -> torch.Tensor:
        """The grid points ``(P, d)``, in the (row-major) order of ``kernel_shape``."""
        if self.gspace.dimensionality == 0:
            return torch.zeros(1, 0, dtype=dtype, device=device)
        return torch.as_tensor(grid_points(self.kernel_size, self.gspace.dimensionality), dtype=dtype, device=device)

    @abc.abstractmethod
    def build_pair(self, in_repr: Representation, out_repr: Representation) -> KernelBasis:
        """A new basis of kernels ``in_repr -> out_repr`` (``EmptyBasisError`` if there is none)."""

    def pair(self, in_repr: Representation, out_repr: Representation) -> KernelBasis:
        """The basis of kernels ``in_repr -> out_repr`` (built once, then kept)."""
        key = (id(in_repr), id(out_repr))
        if key not in self._pairs:  # the value holds the representations, so their ids stay unique
            self._pairs[key] = (in_repr, out_repr, self.build_pair(in_repr, out_repr))
        return self._pairs[key][2]

    def sample_pair(self, in_repr: Representation, out_repr: Representation,
                    dtype: torch.dtype = torch.float64) -> torch.Tensor:
        """The pair's basis on the grid: ``(dim, out_repr.size, in_repr.size, *kernel_shape)``."""
        b = self.pair(in_repr, out_repr)
        K = b.sample(self.points(dtype))  # (P, dim, o, i)
        return K.permute(1, 2, 3, 0).reshape(b.dim, out_repr.size, in_repr.size, *self.kernel_shape)


class SteerableConvBasis(ConvBasis):
    """The default convolution basis: Wigner-Eckart kernels on Gaussian rings, normalised on the grid.

    Args:
        gspace, kernel_size: as :class:`ConvBasis`.
        rings, sigma, maximum_frequency, frequencies_cutoff: the radial profile and band limit
            (:meth:`RingSpec.default`; ``None`` gives steerable's defaults).
        filter: optional predicate on an element's attributes (escnn's ``basis_filter``).
        maximum_offset: keep only elements whose harmonic frequency ``k`` is ``+-k' + t N`` with
            ``|t| <= maximum_offset`` (``k'`` the frequency of the ``C_N``/``D_N`` irrep it
            restricts to); ``None`` keeps all.  Only meaningful for finite planar groups.

    Attributes:
        spec: the :class:`RingSpec` (radii, widths, highest frequency per ring).
    """

    def __init__(
        self,
        gspace: GSpace,
        kernel_size: int,
        rings: Sequence[float] | None = None,
        sigma: float | Sequence[float] | None = None,
        maximum_frequency: int | None = None,
        frequencies_cutoff: float | Callable[[float], float] | None = None,
        filter: Callable[[dict], bool] | None = None,
        maximum_offset: int | None = None,
    ) -> None:
        super().__init__(gspace, kernel_size)
        if maximum_offset is not None:
            if isinstance(maximum_offset, bool) or not isinstance(maximum_offset, int) or maximum_offset < 0:
                raise ValueError(f"maximum_offset must be a non-negative int or None, got {maximum_offset!r}")
            if gspace.dimensionality != 2:
                raise ValueError(f"maximum_offset is only defined for groups acting on R^2, got {gspace.name}")
        self._spec = RingSpec.default(kernel_size, gspace.dimensionality, rings, sigma, maximum_frequency, frequencies_cutoff)
        self._filter, self._maximum_offset = filter, maximum_offset

    # read-only: the bases built so far depend on them (a changed value would leave stale pairs)
    @property
    def spec(self) -> RingSpec:
        """The rings, their widths and band limits."""
        return self._spec

    @property
    def filter(self) -> Callable[[dict], bool] | None:
        """The basis-element filter (``basis_filter=`` of the convolutions), if any."""
        return self._filter

    @property
    def maximum_offset(self) -> int | None:
        """The largest aliased frequency offset kept for finite groups, if capped."""
        return self._maximum_offset

    def _keep(self, attr: dict) -> bool:
        if self.maximum_offset is not None and attr["offset"] > self.maximum_offset:
            return False
        return self.filter is None or bool(self.filter(attr))

    def build_pair(self, in_repr: Representation, out_repr: Representation) -> GridKernelBasis:
        keep = None if self.filter is None and self.maximum_offset is None else self._keep
        return GridKernelBasis(self.gspace, in_repr, out_repr, self.kernel_size, filter=keep, spec=self.spec)

    def __repr__(self) -> str:
        return (f"SteerableConvBasis({self.gspace.name}, kernel_size={self.kernel_size}, rings={self.spec.radii}, "
                f"sigma={self.spec.sigmas}, max_frequencies={self.spec.max_frequencies})")


class IntertwinerBasis(ConvBasis):
    """The equivariant linear maps ``W rho_in(g) = rho_out(g) W`` (Schur's lemma, per pair of irreps):
    the basis of a layer at a single point, e.g. :class:`~steerable.nn.Linear` on
    ``gspaces.no_base_space(G)`` or a ``1 x 1`` convolution.

    Args:
        gspace: any gspace; the maps do not depend on its base space.
    """

    def __init__(self, gspace: GSpace) -> None:
        super().__init__(gspace, 1)

    def build_pair(self, in_repr: Representation, out_repr: Representation) -> KernelBasis:
        return _AtEveryPoint(kernels_on_point(in_repr, out_repr))

    def __repr__(self) -> str:
        return f"IntertwinerBasis({self.gspace.name})"


class _AtEveryPoint(KernelBasis):
    """A basis on ``R^0`` read as constant kernels on the grid points of any ``R^d``."""

    def __init__(self, basis: KernelBasis) -> None:
        super().__init__(basis.dim, basis.shape)
        self.basis = basis

    def sample(self, points: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        return self._write(self.basis.sample(points.new_zeros(points.shape[0], 0)), out)

    def attributes_list(self) -> list[dict]:
        return self.basis.attributes_list()
