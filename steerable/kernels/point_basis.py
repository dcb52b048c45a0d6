"""Steerable kernel bases for point convolutions: continuous kernels at arbitrary relative positions.

A point convolution evaluates its kernel at the relative positions ``x_t - x_s`` of graph edges,
not on a pixel grid, so no aliasing rule applies: the basis is the Wigner-Eckart basis of
:mod:`.wigner_eckart` on rings of radii ``r_0 < ... < r_{R-1}`` (escnn's ``width``/``n_rings`` or
``rings``), with harmonic frequencies ``k <= frequencies_cutoff * r`` per ring (escnn's rule,
default cutoff ``3 / spacing``, ring spacing ``width / (n_rings - 1)``).  Every element satisfies

    k_b(A(g) x) = rho_out(g) k_b(x) rho_in(g)^T       exactly, for every g in G and every x,

and is normalised to unit mean squared Frobenius norm over the ball of radius
``r_{R-1} + 2 sigma`` (a seeded quadrature of 4096 points).

Example:
    >>> import torch
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.kernels import PointConvBasis
    >>> gs = rot2dOnR2(-1)
    >>> b = PointConvBasis(gs, width=1.0, n_rings=3).pair(gs.irrep(1), gs.irrep(1))
    >>> b.sample(torch.randn(5, 2)).shape[2:]
    torch.Size([2, 2])
"""
from __future__ import annotations


from typing import Callable, Sequence

import numpy as np
import torch

from ..group import Representation
from ..gspaces import GSpace
from .basis import EmptyBasisError
from .harmonics import RingSpec, _validated_cutoff, sample_harmonics
from .wigner_eckart import _check_reprs, _HarmonicKernelBasis, wigner_eckart_coefficients

__all__ = ["point_ring_spec", "PointKernelBasis", "PointConvBasis"]


def point_ring_spec(
    dim: int,
    width: float | None = None,
    n_rings: int | None = None,
    rings: Sequence[float] | None = None,
    sigma: float | Sequence[float] | None = None,
    frequencies_cutoff: float | Callable[[float], float] | None = None,
    maximum_frequency: int | None = None,
) -> RingSpec:
    """The rings of a point-convolution kernel (escnn's ``width``/``n_rings``/``rings``/``sigma`` rules).

    ``rings`` or (``width``, ``n_rings``) -- not both; neither gives ``width=1, n_rings=3``.
    Default ``sigma``: ``0.6`` spacing (the outermost ring ``0.4`` spacing).
    """
    if rings is not None and (width is not None or n_rings is not None):
        raise ValueError(f"pass either rings= or width= and n_rings=, not both (got rings={rings!r}, width={width!r}, n_rings={n_rings!r})")
    if rings is None:
        width = 1.0 if width is None else width
        n_rings = 3 if n_rings is None else n_rings
        if not (isinstance(width, (int, float)) and width > 0):
            raise ValueError(f"width must be a positive number, got {width!r}")
        if isinstance(n_rings, bool) or not isinstance(n_rings, int) or n_rings < 1:
            raise ValueError(f"n_rings must be a positive int, got {n_rings!r}")
        rings = list(np.linspace(0.0, float(width), n_rings)) if n_rings > 1 else [float(width)]
    rings = tuple(float(r) for r in rings)
    if not rings or any(not r >= 0 for r in rings) or len(set(rings)) != len(rings):
        raise ValueError(f"rings must be distinct non-negative radii, got {rings!r}")
    spacing = (max(rings) - min(rings)) / (len(rings) - 1) if len(rings) > 1 else max(max(rings), 1.0)
    if sigma is None:
        sigmas = tuple(0.6 * spacing for _ in rings[:-1]) + (0.4 * spacing if len(rings) > 1 else 0.6 * spacing,)
    else:
        sigmas = tuple(float(s) for s in (sigma if isinstance(sigma, (list, tuple)) else [sigma] * len(rings)))
    if len(sigmas) != len(rings) or any(not s > 0 for s in sigmas):
        raise ValueError(f"sigma must be positive, one per ring ({len(rings)} rings); got {sigma!r}")
    if frequencies_cutoff is None:
        frequencies_cutoff = 3.0 / spacing
    cutoff = _validated_cutoff(frequencies_cutoff if callable(frequencies_cutoff) else (lambda r, c=float(frequencies_cutoff): c * r))
    freqs = tuple(0 if r == 0 else max(0, min(cutoff(r), maximum_frequency if maximum_frequency is not None else 10**6))
                  for r in rings)
    return RingSpec(rings, sigmas, freqs, dim)


def _quadrature(spec: RingSpec, n: int = 4096) -> torch.Tensor:
    """``n`` seeded points uniform in the ball covering the rings."""
    g = np.random.default_rng(0)
    R = max(r + 2 * s for r, s in zip(spec.radii, spec.sigmas))
    u = g.normal(size=(n, spec.dim))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    rad = R * g.random(n) ** (1.0 / spec.dim)
    return torch.from_numpy(u * rad[:, None])


class PointKernelBasis(_HarmonicKernelBasis):
    """The ``G``-steerable kernels ``rho_in -> rho_out`` on the rings of ``spec``, continuous on ``R^d``.

    Args:
        gspace: the group acting on ``R^d``.
        in_repr, out_repr: representations of ``gspace.fibergroup``.
        spec: the rings and band limits (:func:`point_ring_spec`).
        filter: optional predicate on an element's attributes (escnn's ``basis_filter``).

    Shape: ``sample(points)`` ``(N, d) -> (N, dim, out_repr.size, in_repr.size)``.  The buffers
    ``coefficients`` ``(dim, out, in, M)`` and ``scale`` ``(dim,)`` give
    ``k_b(x) = scale_b sum_m coefficients[b, :, :, m] H_m(x)`` over
    ``H = sample_harmonics(spec, x)``, which is how point convolutions contract it.
    """

    def __init__(self, gspace: GSpace, in_repr: Representation, out_repr: Representation, spec: RingSpec,
                 filter: Callable[[dict], bool] | None = None) -> None:
        _check_reprs(gspace.fibergroup, in_repr, out_repr)
        if spec.dim != gspace.dimensionality:
            raise ValueError(f"the rings are on R^{spec.dim} but {gspace.name} acts on R^{gspace.dimensionality}")
        H = sample_harmonics(spec, _quadrature(spec)).numpy()
        W, attrs, norms = wigner_eckart_coefficients(gspace, in_repr, out_repr, spec, None, filter, gram=H @ H.T / H.shape[1])
        if W.shape[0] == 0:
            raise EmptyBasisError(f"no {gspace.fibergroup.name}-steerable kernel {in_repr.name} -> {out_repr.name} on the rings "
                                  f"{spec.radii} with frequencies {spec.max_frequencies}; raise frequencies_cutoff or add rings")
        super().__init__(W.shape[0], (out_repr.size, in_repr.size))
        self.gspace, self.in_repr, self.out_repr = gspace, in_repr, out_repr
        self._set_coefficients(spec, W, 1.0 / norms, attrs)

    def extra_repr(self) -> str:
        return f"{self.gspace.name}: {self.in_repr.name} -> {self.out_repr.name}, dim={self.dim}, rings={self.spec.radii}"


class PointConvBasis:
    """One :class:`PointKernelBasis` per pair of representations, all on the same rings.

    Args:
        gspace: the group acting on ``R^d``.
        width, n_rings, rings, sigma, frequencies_cutoff, maximum_frequency: the rings
            (:func:`point_ring_spec`).
        filter: optional predicate on an element's attributes.
    """

    def __init__(self, gspace: GSpace, width: float | None = None, n_rings: int | None = None,
                 rings: Sequence[float] | None = None, sigma: float | Sequence[float] | None = None,
                 frequencies_cutoff: float | Callable[[float], float] | None = None,
                 maximum_frequency: int | None = None, filter: Callable[[dict], bool] | None = None) -> None:
        if not isinstance(gspace, GSpace) or gspace.dimensionality not in (2, 3):
            raise TypeError(f"gspace must be a GSpace on R^2 or R^3, got {gspace!r}")
        self.gspace = gspace
        self.spec = point_ring_spec(gspace.dimensionality, width, n_rings, rings, sigma, frequencies_cutoff, maximum_frequency)
        self.filter = filter
        self._pairs: dict[tuple[int, int], tuple[Representation, Representation, PointKernelBasis]] = {}

    def pair(self, in_repr: Representation, out_repr: Representation) -> PointKernelBasis:
        """The basis of kernels ``in_repr -> out_repr`` (built once, then kept)."""
        key = (id(in_repr), id(out_repr))
        if key not in self._pairs:  # the value holds the representations, so their ids stay unique
            self._pairs[key] = (in_repr, out_repr, PointKernelBasis(self.gspace, in_repr, out_repr, self.spec, self.filter))
        return self._pairs[key][2]

    @property
    def support_radius(self) -> float:
        """Radius beyond which every element is below ``exp(-2)`` of its ring's peak."""
        return max(r + 2 * s for r, s in zip(self.spec.radii, self.spec.sigmas))

    def __repr__(self) -> str:
        return f"PointConvBasis({self.gspace.name}, rings={self.spec.radii}, sigma={self.spec.sigmas}, freqs={self.spec.max_frequencies})"



