"""Steerable scalar filters on R^2 and R^3: Gaussian rings times O(d) harmonics.

On ``R^2`` the filters ``phi_r(|x|) (cos k a, sin k a)`` (``a`` the polar angle, ``k >= 1``) and
``phi_r(|x|)`` (``k = 0``) transform under ``O(2)`` as the irreps ``(1, k)`` and ``(0, 0)``:
``Y(A x) = psi_J(A) Y(x)``.  On ``R^3`` the filters ``phi_r(|x|) Y_l(x / |x|)`` (real spherical
harmonics) transform as the ``O(3)`` irrep ``(l mod 2, l)``.  The radial profile is a Gaussian
ring ``phi_r(rho) = exp(-(rho - r)^2 / (2 sigma^2))``.

Band limit rule (anti-aliasing).  A ring of radius ``r`` on the unit pixel grid is sampled by
the ``n`` grid points within ``max(sigma, 1/2)`` of it; the harmonics of frequencies ``<= k``
need at least as many samples as there are of them: ``2k + 1`` on a circle (``R^2``),
``(k + 1)^2`` on a sphere (``R^3``).  By default a ring carries the frequencies
``k <= min(maximum_frequency, floor(frequencies_cutoff * r), k_max(n))`` with
``frequencies_cutoff = 1`` (the centre ``r = 0`` only ``k = 0``); ``maximum_frequency`` is a cap.
The default cutoff of one angular frequency per pixel of radius is chosen for rotations off
the grid: a filter must still look like a smooth function when its samples are rotated by
an arbitrary angle.  Measured on smooth inputs (k = 5, 30-45 degrees, default rings), cutoff 2
gives 2-6% relative equivariance error, cutoff 1 0.5-0.7% (``tests/nn/test_conv_equivariance.py``);
grid-exact rotations are exact for any cutoff.  Pass ``frequencies_cutoff=2`` for a larger basis.
Broad, overlapping rings share their samples, so finally the highest frequencies are lowered
until all harmonics are linearly independent on the grid (the defaults never need this).
Default rings for an odd kernel size ``s`` are ``r = 0, 1, ..., (s - 1) / 2`` (even ``s``:
``1/2, 3/2, ...``) with ``sigma = 0.6``, the outermost ``0.4``.

Example:
    >>> from steerable.kernels.harmonics import RingSpec
    >>> spec = RingSpec.default(5, dim=2)
    >>> spec.radii, spec.max_frequencies
    ((0.0, 1.0, 2.0), (0, 1, 2))
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch

from ..group.so3_math import spherical_harmonics

__all__ = ["RingSpec", "grid_points", "harmonic_types", "sample_harmonics"]

DEFAULT_SIGMA = 0.6
DEFAULT_OUTER_SIGMA = 0.4
DEFAULT_CUTOFF = 1.0


def _kernel_sizes(kernel_size: int | Sequence[int], dim: int) -> list[int]:
    """``kernel_size`` as ``dim`` positive ints (numpy integers accepted); ValueError otherwise."""
    one = isinstance(kernel_size, (int, np.integer)) and not isinstance(kernel_size, bool)
    try:
        sizes = [kernel_size] * dim if one else list(kernel_size)
        ok = len(sizes) == dim and all(isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k >= 1 for k in sizes)
    except TypeError:
        ok = False
    if not ok:
        raise ValueError(f"kernel_size must be a positive int or {dim} positive ints, got {kernel_size!r}")
    return [int(k) for k in sizes]


def grid_points(kernel_size: int | Sequence[int], dim: int) -> np.ndarray:
    """Centred grid points ``(P, dim)`` of a ``kernel_size^dim`` filter, in array-axis order."""
    sizes = _kernel_sizes(kernel_size, dim)
    axes = [np.arange(s) - (s - 1) / 2 for s in sizes]
    return np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, dim)


@dataclass(frozen=True)
class RingSpec:
    """Rings of the radial profile and the highest angular frequency each carries."""

    radii: tuple[float, ...]
    sigmas: tuple[float, ...]
    max_frequencies: tuple[int, ...]
    dim: int

    @staticmethod
    def default(
        kernel_size: int | Sequence[int],
        dim: int,
        rings: Sequence[float] | None = None,
        sigma: float | Sequence[float] | None = None,
        maximum_frequency: int | None = None,
        frequencies_cutoff: float | Callable[[float], int] | None = None,
        _dealias: bool = True,
    ) -> "RingSpec":
        """Rings for a kernel of ``kernel_size``; see the module docstring for the rules.

        Raises ``ValueError`` for a non-positive sigma, a ring outside the kernel, or rings whose
        radial profiles coincide on the grid.
        ``maximum_frequency`` caps the frequencies (rings that cannot carry it carry less).
        """
        pts = grid_points(kernel_size, dim)
        radius = np.linalg.norm(pts, axis=1)
        extent = float(np.abs(pts).max()) if len(pts) else 0.0
        default_rings = rings is None
        if rings is None:
            size = min(_kernel_sizes(kernel_size, dim))
            start = 0.0 if size % 2 == 1 else 0.5
            rings = tuple(float(r) for r in np.arange(start, (size - 1) / 2 + 1e-9, 1.0))
        rings = tuple(float(r) for r in rings)
        if not rings:
            raise ValueError("the ring list is empty")
        if any(r < 0 or r > extent * math.sqrt(dim) + 1e-9 for r in rings):
            raise ValueError(f"ring radii must lie in [0, {extent * math.sqrt(dim):.3g}] for kernel size {kernel_size}; got {rings}")
        if sigma is None:
            # the outermost ring is narrower: the square (cubic) kernel clips a wide outer ring
            # unevenly at its corners, which costs invariance off the grid (bench/bench_offgrid.py)
            # (default rings only: rings a user places keep one width, so coinciding ones stay dependent)
            outer = DEFAULT_OUTER_SIGMA if default_rings and len(rings) > 1 else DEFAULT_SIGMA
            sigma = [DEFAULT_SIGMA] * (len(rings) - 1) + [outer]
        sigmas = tuple(float(s) for s in (sigma if isinstance(sigma, (list, tuple)) else [sigma] * len(rings)))
        if len(sigmas) != len(rings) or any(not s > 0 for s in sigmas):
            raise ValueError(f"sigma must be positive, one per ring ({len(rings)} rings); got {sigma!r}")
        cutoff: Callable[[float], int]
        if frequencies_cutoff is None:
            frequencies_cutoff = DEFAULT_CUTOFF
        if callable(frequencies_cutoff):
            cutoff = _validated_cutoff(frequencies_cutoff)
        else:
            c = float(frequencies_cutoff)
            cutoff = lambda r: int(math.floor(c * r + 1e-9))  # noqa: E731
        freqs = []
        for r, s in zip(rings, sigmas):
            n = int(np.sum(np.abs(radius - r) <= max(s, 0.5) + 1e-9))
            # frequencies <= k: 2k + 1 functions on a circle, (k + 1)^2 on a sphere
            nyquist = 0 if r == 0 else max(0, (n - 1) // 2 if dim == 2 else math.isqrt(n) - 1)
            k = min(cutoff(r), nyquist)
            if maximum_frequency is not None:
                k = min(k, maximum_frequency)
            freqs.append(max(k, 0) if r > 0 else 0)
        if _dealias:
            freqs = list(_dealiased(_grid_key(kernel_size), dim, rings, sigmas, tuple(freqs)))
        return RingSpec(rings, sigmas, tuple(freqs), dim)

    @staticmethod
    def explicit(
        kernel_size: int | Sequence[int], dim: int, rings: Sequence[float], sigma: float | Sequence[float],
        frequencies: Sequence[int],
    ) -> "RingSpec":
        """Rings with explicitly chosen maximal frequencies; aliasing ones raise ``ValueError``."""
        spec = RingSpec.default(kernel_size, dim, rings, sigma, frequencies_cutoff=lambda r: 10**6, _dealias=False)
        if len(frequencies) != len(spec.radii):
            raise ValueError(f"need one frequency per ring ({len(spec.radii)}), got {len(frequencies)}")
        for r, k, kmax in zip(spec.radii, frequencies, spec.max_frequencies):
            if k > kmax:
                raise ValueError(
                    f"the ring of radius {r} on a kernel of size {kernel_size} can carry frequencies up to "
                    f"{kmax} without aliasing; asked for {k}"
                )
        freqs = tuple(int(k) for k in frequencies)
        if _dealiased(_grid_key(kernel_size), dim, spec.radii, spec.sigmas, freqs) != freqs:
            raise ValueError(
                f"the rings {spec.radii} (sigma {spec.sigmas}) with frequencies {freqs} alias on a kernel of size "
                f"{kernel_size}: their harmonics are linearly dependent on the grid; use lower frequencies or narrower rings"
            )
        return RingSpec(spec.radii, spec.sigmas, freqs, dim)


def _validated_cutoff(fn: Callable[[float], float]) -> Callable[[float], int]:
    """A user's ``frequencies_cutoff(r)`` as an int-valued function: escnn's callables return
    the highest frequency as a float (e.g. ``lambda r: 1.5 * r``), floored here once so every
    later use sees an int; anything that is not a finite real number is a ``TypeError``/``ValueError``."""

    def cutoff(r: float) -> int:
        k = fn(r)
        if isinstance(k, bool) or not isinstance(k, (int, float, np.integer, np.floating)):
            raise TypeError(f"frequencies_cutoff({r}) must return a number, got {type(k).__name__}")
        if not math.isfinite(float(k)):
            raise ValueError(f"frequencies_cutoff({r}) must be finite, got {k!r}")
        return int(math.floor(float(k) + 1e-9))

    return cutoff


def _grid_key(kernel_size: int | Sequence[int]) -> int | tuple[int, ...]:
    return int(kernel_size) if isinstance(kernel_size, (int, np.integer)) else tuple(int(k) for k in kernel_size)


@functools.lru_cache(maxsize=256)
def _dealiased(kernel_size: int | tuple[int, ...], dim: int, radii: tuple[float, ...], sigmas: tuple[float, ...],
               freqs: tuple[int, ...]) -> tuple[int, ...]:
    """``freqs`` with the highest ones lowered (outermost ring first) until the harmonics are
    linearly independent on the grid: the per-ring sample counts cannot see broad rings that
    share their samples, or symmetric samples on which two harmonics coincide."""
    pts = torch.from_numpy(grid_points(kernel_size, dim))
    freqs = list(freqs)
    while True:
        H = sample_harmonics(RingSpec(radii, sigmas, tuple(freqs), dim), pts).numpy()
        s = np.linalg.svd(H, compute_uv=False)
        if H.shape[0] <= H.shape[1] and s[-1] > _ALIAS_TOL * s[0]:
            return tuple(freqs)
        top = max(freqs)
        if top == 0:
            raise ValueError(
                f"the radial profiles of the rings {radii} (sigma {sigmas}) are linearly dependent on a kernel of "
                f"size {kernel_size} (rings too close together, or more rings than grid points)"
            )
        i = max(j for j, k in enumerate(freqs) if k == top)
        freqs[i] -= 1


_ALIAS_TOL = 1e-7


def harmonic_types(spec: RingSpec) -> list[tuple[int, float, float, tuple[int, int], int]]:
    """``[(ring_index, r, sigma, J, d_J)]``: one entry per harmonic block (``J`` an O(d) irrep id)."""
    out = []
    for i, (r, s, kmax) in enumerate(zip(spec.radii, spec.sigmas, spec.max_frequencies)):
        for k in range(kmax + 1):
            if spec.dim == 2:
                out.append((i, r, s, (0, 0) if k == 0 else (1, k), 1 if k == 0 else 2))
            else:
                out.append((i, r, s, (k % 2, k), 2 * k + 1))
    return out


def sample_harmonics(spec: RingSpec, points: torch.Tensor) -> torch.Tensor:
    """All harmonic blocks at ``points`` ``(P, d)``: a ``(M, P)`` tensor, blocks stacked in the
    order of :func:`harmonic_types`.  Differentiable in ``points`` (no NaN at the origin)."""
    if points.dim() != 2 or points.shape[1] != spec.dim:
        raise ValueError(f"points must have shape (P, {spec.dim}), got {tuple(points.shape)}")
    rho2 = (points * points).sum(-1)
    safe = rho2 > 1e-24
    rho = torch.sqrt(torch.where(safe, rho2, torch.ones_like(rho2)))
    rho = torch.where(safe, rho, torch.zeros_like(rho))
    rows: list[torch.Tensor] = []
    kmax = max(spec.max_frequencies)
    if spec.dim == 2:
        inv = torch.where(safe, 1.0 / torch.where(safe, rho, torch.ones_like(rho)), torch.zeros_like(rho))
        c, s = points[:, 0] * inv, points[:, 1] * inv
        cos_k, sin_k = [torch.ones_like(c)], [torch.zeros_like(c)]
        for _ in range(kmax):  # angle addition: exact and smooth, no atan2
            cp, sp = cos_k[-1], sin_k[-1]
            cos_k.append(cp * c - sp * s)
            sin_k.append(sp * c + cp * s)
        for _, r, sig, J, _ in harmonic_types(spec):
            prof = torch.exp(-((rho - r) ** 2) / (2 * sig**2))
            k = J[1]
            if k == 0:
                rows.append(prof[None])
            else:
                # the angular part is undefined at the origin, where it must vanish for k > 0
                rows.append(torch.stack([cos_k[k], sin_k[k]]) * (prof * safe)[None])
    else:
        sh = [spherical_harmonics(l, points).T for l in range(kmax + 1)]
        for _, r, sig, J, _ in harmonic_types(spec):
            prof = torch.exp(-((rho - r) ** 2) / (2 * sig**2))
            rows.append(sh[J[1]] * prof[None])
    return torch.cat(rows, 0)
