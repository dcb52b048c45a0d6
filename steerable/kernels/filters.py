"""Scalar filter bases on R^d that transform under O(d): the input of the Wigner-Eckart construction.

A :class:`SteerableFiltersBasis` is a family of scalar functions ``Y_(t, m)`` on ``R^d``
grouped in blocks ``t`` that transform as irreps ``psi_(j_t)`` of ``G = O(d)``:

    Y_t(A x) = psi_(j_t)(A) Y_t(x).

The shell bases are Gaussian rings (``R^2``) or spherical shells (``R^3``) times the ``O(d)``
harmonics of :mod:`.harmonics`, up to frequency ``L`` on every ring; a ``filter`` predicate on
a block's attributes (``radius``, ``sigma``, ``j``, ``irrep:frequency``, ``radial_idx``) drops
blocks, which keeps the family steerable because whole blocks go.  :class:`PointBasis` is the
single constant function on ``R^0``.

Example:
    >>> import torch
    >>> from steerable.kernels import CircularShellsBasis, GaussianRadialProfile
    >>> shells = CircularShellsBasis(2, GaussianRadialProfile([0.0, 1.0], 0.6))
    >>> shells.dim, shells.sample(torch.randn(4, 2)).shape
    (10, torch.Size([4, 10, 1, 1]))
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import torch

from ..group import Group, Representation, o2_group, o3_group, trivial_group
from .basis import KernelBasis, _check_points
from .harmonics import RingSpec, harmonic_types, sample_harmonics

__all__ = ["GaussianRadialProfile", "SteerableFiltersBasis", "CircularShellsBasis", "SphericalShellsBasis", "PointBasis"]


class GaussianRadialProfile(KernelBasis):
    """Gaussian rings ``phi_i(rho) = exp(-(rho - r_i)^2 / (2 sigma_i^2))`` on radii ``rho >= 0``.

    Args:
        radii: ring centres ``r_i >= 0``.
        sigma: one width for all rings or one per ring (all ``> 0``).

    Shape: ``sample(rho)`` takes ``(N, 1)`` radii and returns ``(N, len(radii), 1, 1)``.
    """

    def __init__(self, radii: Sequence[float], sigma: float | Sequence[float]) -> None:
        radii = [float(r) for r in radii]
        sigmas = [float(s) for s in sigma] if isinstance(sigma, (list, tuple)) else [float(sigma)] * len(radii)
        if not radii or any(r < 0 for r in radii):
            raise ValueError(f"radii must be a non-empty list of non-negative numbers, got {radii!r}")
        if len(sigmas) != len(radii) or any(not s > 0 for s in sigmas):
            raise ValueError(f"sigma must be positive, one per ring ({len(radii)} rings); got {sigma!r}")
        super().__init__(len(radii), (1, 1))
        self.radii, self.sigma = tuple(radii), tuple(sigmas)
        self.register_buffer("_r", torch.tensor(radii, dtype=torch.float64), persistent=False)
        self.register_buffer("_s", torch.tensor(sigmas, dtype=torch.float64), persistent=False)

    def sample(self, radii: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        _check_points(radii, 1)
        r, s = self._r.to(radii), self._s.to(radii)
        return self._write(torch.exp(-((radii - r) ** 2) / (2 * s**2))[..., None, None], out)

    def attributes_list(self) -> list[dict]:
        return [dict(radius=r, sigma=s, radial_idx=i, idx=i) for i, (r, s) in enumerate(zip(self.radii, self.sigma))]


class SteerableFiltersBasis(KernelBasis):
    """Scalar filters on ``R^d`` grouped in blocks transforming as irreps of ``G``.

    Args:
        G: the group acting on ``R^d`` (``O(2)``, ``O(3)``, or the trivial group on ``R^0``).
        action: the representation of ``G`` on ``R^d``.
        js: ``[(irrep_id, multiplicity)]`` of the blocks, in order.
    """

    def __init__(self, G: Group, action: Representation, js: Sequence[tuple]) -> None:
        js = [(tuple(j) if isinstance(j, (tuple, list)) else (j,), int(m)) for j, m in js]
        super().__init__(sum(G.irrep(*j).size * m for j, m in js), (1, 1))
        self.group, self.action, self.js = G, action, js

    @property
    def dimensionality(self) -> int:
        return self.action.size


class _ShellsBasis(SteerableFiltersBasis):
    """Shells (rings) times harmonics, band-limited by ``L`` and a block ``filter``."""

    _d = 2

    def __init__(self, L: int, radial: GaussianRadialProfile, filter: Callable[[dict], bool] | None, G: Group) -> None:
        if not isinstance(L, int) or isinstance(L, bool) or L < 0:
            raise ValueError(f"L (the maximum frequency) must be a non-negative int, got {L!r}")
        if not isinstance(radial, GaussianRadialProfile):
            raise TypeError(f"radial must be a GaussianRadialProfile, got {type(radial).__name__}")
        # every ring carries frequencies <= L; the filter then drops whole (ring, j) blocks
        spec = RingSpec(radial.radii, radial.sigma, (L,) * len(radial.radii), self._d)
        types = harmonic_types(spec)
        block_attrs = []
        keep = []
        for t, (ring, r, s, J, dJ) in enumerate(types):
            at = {"irrep:frequency": J[-1], "irrep:flip_frequency": J[0], "radius": r, "sigma": s,
                  "radial_idx": ring, "j": J, "shape": (1, 1)}
            if filter is None or filter(at):
                keep.append(t)
                block_attrs.append(dict(at, block=t))
        counts: dict[tuple, int] = {}
        for t in keep:
            counts[types[t][3]] = counts.get(types[t][3], 0) + 1
        super().__init__(G, G.irrep(1, 1), sorted(counts.items(), key=lambda jm: (jm[0][1], jm[0][0])))
        self.L, self.radial, self.spec = L, radial, spec
        self.kept_types, self._block_attrs = tuple(keep), block_attrs
        # components of the kept blocks inside the full harmonic stack
        offsets = [0]
        for t in types:
            offsets.append(offsets[-1] + t[4])
        idx = [i for t in keep for i in range(offsets[t], offsets[t + 1])]
        self.register_buffer("_rows", torch.tensor(idx, dtype=torch.long), persistent=False)

    def sample(self, points: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        _check_points(points, self._d)
        H = sample_harmonics(self.spec, points)[self._rows.to(points.device)]  # (dim, N)
        return self._write(H.T[..., None, None], out)

    def attributes_list(self) -> list[dict]:
        types = harmonic_types(self.spec)
        attrs = []
        for at in self._block_attrs:
            for m in range(types[at["block"]][4]):
                attrs.append(dict(at, m=m, idx=len(attrs)))
        return attrs


class CircularShellsBasis(_ShellsBasis):
    """Rings on ``R^2`` times ``cos/sin(k a)`` for ``k <= L``: filters transforming under ``O(2)``.

    Args:
        L: the highest angular frequency.
        radial: the rings (:class:`GaussianRadialProfile`).
        filter: optional predicate on a block's attributes; blocks where it is false are dropped.
        axis: the mirror axis of the ``O(2)`` this basis is read in (used when the basis is
            restricted to a subgroup; the function space does not depend on it).
    """

    _d = 2

    def __init__(self, L: int, radial: GaussianRadialProfile, filter: Callable[[dict], bool] | None = None,
                 axis: float = math.pi / 2) -> None:
        super().__init__(L, radial, filter, o2_group(max(L, 1)))
        self.axis = float(axis)


class SphericalShellsBasis(_ShellsBasis):
    """Spherical shells on ``R^3`` times the real spherical harmonics of degree ``l <= L``:
    filters transforming under ``O(3)`` (the degree-``l`` block as the irrep ``(l mod 2, l)``).

    Args:
        L: the highest degree.
        radial: the shells (:class:`GaussianRadialProfile`).
        filter: optional predicate on a block's attributes; blocks where it is false are dropped.
    """

    _d = 3

    def __init__(self, L: int, radial: GaussianRadialProfile, filter: Callable[[dict], bool] | None = None) -> None:
        super().__init__(L, radial, filter, o3_group(max(L, 1)))


class PointBasis(SteerableFiltersBasis):
    """The constant function on ``R^0`` (a point), invariant under any group ``G``.

    Shape: ``sample(points)`` takes ``(N, 0)`` and returns ones ``(N, 1, 1, 1)``.
    """

    def __init__(self, G: Group | None = None) -> None:
        G = trivial_group() if G is None else G
        super().__init__(G, G.trivial_representation, [(G.trivial_representation.id, 1)])

    @property
    def dimensionality(self) -> int:
        return 0

    def sample(self, points: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        _check_points(points, 0)
        return self._write(points.new_ones(points.shape[0], 1, 1, 1), out)

    def attributes_list(self) -> list[dict]:
        return [dict(j=self.group.trivial_representation.id, m=0, idx=0, radius=0.0)]
