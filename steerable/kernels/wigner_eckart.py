"""Steerable kernel bases by the Wigner-Eckart construction, for any subgroup of O(2) or O(3).

A ``G``-steerable kernel ``k: R^d -> R^(d_out x d_in)`` satisfies

    k(A(g) x) = rho_out(g) k(x) rho_in(g)^T        for all g in G, x in R^d.

Expanding ``k`` in the ``O(d)`` harmonics ``Y_J`` of :mod:`.harmonics`, ``k(x) = sum_J W_J Y_J(x)``,
the constraint becomes ``W_J Res psi_J(g) = (rho_out (x) rho_in)(g) W_J``: each ``W_J`` is an
intertwiner.  With ``Res_G psi_J = Q_J ((+)_a phi_a) Q_J^T`` (restriction) and
``psi_o (x) psi_i = C ((+)_b phi_b) C^T`` (Clebsch-Gordan), these intertwiners are exactly

    W = C_b E Q_(J,a)^T      for phi_a = phi_b and E in a basis of End(phi_a),

so the basis is complete by Schur's lemma, with no per-group mathematics: subgroups
``H < O(d)`` just restrict the harmonics.  For general representations
``rho = Q ((+) psi) Q^T`` the irreps-pair bases are conjugated by the ``Q``'s.

:class:`SteerableKernelBasis` is this basis as a continuous family (escnn's class of the same
name); :class:`GridKernelBasis` is the same basis normalised on a sampling grid, with the
elements that vanish there (aliasing) dropped -- what a convolution expands its filter in.

Example:
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.kernels import GridKernelBasis
    >>> gs = rot2dOnR2(4)
    >>> basis = GridKernelBasis(gs, gs.regular_repr, gs.regular_repr, kernel_size=3)
    >>> basis.sample_grid().shape[1:]
    torch.Size([4, 4, 3, 3])
"""
from __future__ import annotations

import math
from typing import Any, Callable, Hashable, Sequence

import numpy as np
import torch

from ..group import IrreducibleRepresentation, Representation, clebsch_gordan, o2_group, o3_group
from ..group.decompose import single_threaded_blas
from ..gspaces import GSpace
from .basis import EmptyBasisError, KernelBasis, _check_points
from .filters import SteerableFiltersBasis, _ShellsBasis
from .harmonics import RingSpec, grid_points, harmonic_types, sample_harmonics

__all__ = ["irreps_pair_intertwiners", "SteerableKernelBasis", "IrrepBasis", "WignerEckartBasis",
           "RestrictedWignerEckartBasis", "GridKernelBasis"]


def _pair_intertwiners(gspace: GSpace, psi_o: IrreducibleRepresentation, psi_i: IrreducibleRepresentation,
                       J: tuple) -> tuple[np.ndarray, tuple]:
    """``(W, ids)``: all ``W`` (``(n, d_o, d_i, d_J)``) and the irrep ``phi_a`` of ``Res psi_J`` each maps from."""
    G = gspace.fibergroup
    key = ("we", gspace._key, psi_o.id, psi_i.id, J)  # exact gspace identity, not its (rounded) name
    if key not in G._cache:
        res = gspace.harmonic_repr(J)
        blocks, ids = [], []
        p = 0
        cg = clebsch_gordan(psi_o, psi_i)
        for phi_a in res.irrep_objects:
            Qa = res.change_of_basis[:, p : p + phi_a.size]
            p += phi_a.size
            for phi_b, Cb in cg:
                if phi_b.id != phi_a.id:
                    continue
                for E in phi_a.endomorphism_basis():
                    blocks.append((Cb @ E @ Qa.T).reshape(psi_o.size, psi_i.size, -1))
                    ids.append(phi_a.id)
        d_J = res.size
        W = np.stack(blocks) if blocks else np.zeros((0, psi_o.size, psi_i.size, d_J))
        G._cache[key] = (W, tuple(ids))
    return G._cache[key]


def irreps_pair_intertwiners(gspace: GSpace, psi_o: IrreducibleRepresentation, psi_i: IrreducibleRepresentation,
                             J: tuple) -> np.ndarray:
    """All ``W`` (shape ``(n, d_o, d_i, d_J)``) with ``W Res psi_J(g) = (psi_o (x) psi_i)(g) W``."""
    return _pair_intertwiners(gspace, psi_o, psi_i, J)[0]


def _offset(gspace: GSpace, J: tuple, sub_id: tuple) -> int:
    """The aliasing offset ``t`` of a harmonic of frequency ``k`` restricted to a ``C_N``/``D_N`` irrep of
    frequency ``k'``: ``k = +-k' + t N``; ``0`` for continuous groups and off the plane."""
    sid = gspace.ambient_subgroup_id
    if gspace.dimensionality != 2 or not isinstance(sid, tuple) or sid[1] in (-1, None):
        return 0
    N, k, kp = int(sid[1]), J[-1], sub_id[-1]
    return min(abs(c) for c in (k - kp, k + kp) if c % N == 0) // N


def wigner_eckart_coefficients(
    gspace: GSpace, in_repr: Representation, out_repr: Representation, spec: RingSpec,
    kept_types: Sequence[int] | None = None, filter: Callable[[dict], bool] | None = None,
    gram: np.ndarray | None = None,
) -> tuple[np.ndarray, list[dict], np.ndarray | None]:
    """``(W, attributes, norms)``: ``W[b, o, i, m]`` over all harmonic components ``m`` of ``spec``
    and one attribute dict per element.  ``kept_types`` restricts the harmonic blocks (indices
    into :func:`harmonic_types`), ``filter`` the elements.  With ``gram`` (the ``(M, M)`` Gram
    matrix of the harmonics on a grid) the elements' norms there are returned too, and the
    elements that vanish there (aliasing: norm below ``1e-6`` of the largest) are dropped."""
    types = harmonic_types(spec)
    offsets = np.cumsum([0] + [t[4] for t in types])
    kept = set(range(len(types)) if kept_types is None else kept_types)
    out_irreps, in_irreps = out_repr.irrep_objects, in_repr.irrep_objects
    o_off = np.cumsum([0] + [p.size for p in out_irreps])
    i_off = np.cumsum([0] + [p.size for p in in_irreps])
    blocks, attrs = [], []
    with single_threaded_blas():
        for a, psi_o in enumerate(out_irreps):
            for b, psi_i in enumerate(in_irreps):
                for t, (ring, r, sig, J, dJ) in enumerate(types):
                    if t not in kept:
                        continue
                    Ws, ids = _pair_intertwiners(gspace, psi_o, psi_i, J)
                    for s, (W, sub) in enumerate(zip(Ws, ids)):
                        at = {"radius": r, "sigma": sig, "frequency": J[-1], "irrep:frequency": J[-1], "harmonic": J,
                              "j": J, "_j": sub, "offset": _offset(gspace, J, sub), "radial_idx": ring,
                              "in_irrep": psi_i.id, "out_irrep": psi_o.id, "in_irrep_index": b, "out_irrep_index": a,
                              "in_irrep_idx": b, "out_irrep_idx": a, "s": s}
                        if filter is not None and not filter(at):
                            continue
                        blocks.append((a, b, t, W))
                        attrs.append(at)
        norms = None
        if gram is not None and blocks:
            # the changes of basis are orthogonal: the norm of Q_out W Q_in^T H on the grid is that of
            # the irreps block W H, with the Gram matrix of the block's own harmonics
            norms = np.array([
                math.sqrt(max(np.einsum("oij,jk,oik->", W, gram[offsets[t] : offsets[t + 1], offsets[t] : offsets[t + 1]], W), 0.0))
                for (a, b, t, W) in blocks
            ])
            keep = norms > 1e-6 * norms.max()
            blocks = [bl for bl, k in zip(blocks, keep) if k]
            attrs = [at for at, k in zip(attrs, keep) if k]
            norms = norms[keep]
        Wirr = np.zeros((len(blocks), out_repr.size, in_repr.size, int(offsets[-1])))
        for n, (a, b, t, W) in enumerate(blocks):
            Wirr[n, o_off[a] : o_off[a + 1], i_off[b] : i_off[b + 1], offsets[t] : offsets[t + 1]] = W
        Wfull = np.einsum("pa,naim,qi->npqm", out_repr.change_of_basis, Wirr, in_repr.change_of_basis, optimize=True)
    for n, at in enumerate(attrs):
        at["idx"] = n
    return np.ascontiguousarray(Wfull), attrs, norms


def _check_reprs(G: Any, in_repr: Representation, out_repr: Representation) -> None:
    for name, r in (("in_repr", in_repr), ("out_repr", out_repr)):
        if not isinstance(r, Representation):
            raise TypeError(f"{name} must be a Representation, got {type(r).__name__}")
        if r.group != G:
            raise ValueError(f"{name} is a representation of {r.group.name}, but the kernels are for {G.name}")


class _HarmonicKernelBasis(KernelBasis):
    """``k_b(x) = scale_b sum_m W[b, :, :, m] H_m(x)`` over the harmonics ``H`` of a :class:`RingSpec`."""

    def _set_coefficients(self, spec: RingSpec, W: np.ndarray, scale: np.ndarray, attrs: list[dict]) -> None:
        self.spec = spec
        self.register_buffer("coefficients", torch.from_numpy(W), persistent=False)
        self.register_buffer("scale", torch.from_numpy(scale), persistent=False)
        self.attributes = attrs

    def sample(self, points: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        """The basis at ``points`` ``(N, d)``: a tensor ``(N, dim, d_out, d_in)``.

        Runs in the dtype/device of ``points``; differentiable in ``points``.
        """
        _check_points(points, self.spec.dim)
        H = sample_harmonics(self.spec, points)  # (M, N)
        W = self.coefficients.to(device=points.device, dtype=points.dtype)
        scale = self.scale.to(device=points.device, dtype=points.dtype)
        return self._write(torch.einsum("boim,mp->pboi", W, H) * scale[:, None, None], out)

    def attributes_list(self) -> list[dict]:
        return self.attributes


def _ambient_gspace(filters: SteerableFiltersBasis, sg_id: Hashable | None) -> GSpace:
    """The gspace of the subgroup ``sg_id`` of the filters' ``O(d)`` (``None``: all of it)."""
    d = filters.dimensionality
    if d == 2:
        return GSpace(o2_group(), (getattr(filters, "axis", math.pi / 2), -1) if sg_id is None else sg_id, f"O(2)[{sg_id}]_on_R2")
    if d == 3:
        return GSpace(o3_group(), "o3" if sg_id is None else sg_id, f"O(3)[{sg_id}]_on_R3")
    raise ValueError(f"Wigner-Eckart kernels need filters on R^2 or R^3, got a basis on R^{d}")


class SteerableKernelBasis(_HarmonicKernelBasis):
    """The complete basis of ``G``-steerable kernels ``rho_in -> rho_out`` in the span of ``basis``.

    Args:
        basis: the scalar filters (:class:`~steerable.kernels.CircularShellsBasis` or
            :class:`~steerable.kernels.SphericalShellsBasis`), transforming under ``O(d)``.
        in_repr, out_repr: representations of ``G``, which is ``O(d)`` itself or its subgroup
            ``sg_id``.
        irreps_basis: :class:`WignerEckartBasis` (``G = O(d)``) or
            :class:`RestrictedWignerEckartBasis` (``G`` the subgroup ``sg_id``); both are the
            same construction here, the argument is accepted for escnn's signature.
        sg_id: id of ``G`` as a subgroup of ``O(d)`` (``o2_group().subgroup`` / ``o3_group().subgroup``).
        filter: optional predicate on an element's attributes (``radius``, ``j``,
            ``irrep:frequency``, ``_j`` -- the ``G``-irrep of the harmonic --, ``in_irrep``, ...).

    Raises :class:`EmptyBasisError` when no kernel exists.  Shape: ``sample`` gives
    ``(N, dim, out_repr.size, in_repr.size)``.
    """

    def __init__(self, basis: SteerableFiltersBasis, in_repr: Representation, out_repr: Representation,
                 irreps_basis: type | None = None, sg_id: Hashable | None = None,
                 filter: Callable[[dict], bool] | None = None) -> None:
        if not isinstance(basis, _ShellsBasis):
            raise TypeError(f"basis must be a CircularShellsBasis or SphericalShellsBasis, got {type(basis).__name__}")
        if irreps_basis is not None and not (isinstance(irreps_basis, type) and issubclass(irreps_basis, IrrepBasis)):
            raise TypeError(f"irreps_basis must be WignerEckartBasis or RestrictedWignerEckartBasis, got {irreps_basis!r}")
        if irreps_basis is RestrictedWignerEckartBasis and sg_id is None:
            raise ValueError("RestrictedWignerEckartBasis needs sg_id=, the subgroup the representations belong to")
        gspace = _ambient_gspace(basis, sg_id)
        _check_reprs(gspace.fibergroup, in_repr, out_repr)
        W, attrs, _ = wigner_eckart_coefficients(gspace, in_repr, out_repr, basis.spec, basis.kept_types, filter)
        if W.shape[0] == 0:
            raise EmptyBasisError(f"no {gspace.fibergroup.name}-steerable kernel {in_repr.name} -> {out_repr.name} "
                                  f"in the span of {type(basis).__name__}(L={basis.L})")
        super().__init__(W.shape[0], (out_repr.size, in_repr.size))
        self.gspace, self.in_repr, self.out_repr, self.filters = gspace, in_repr, out_repr, basis
        self._set_coefficients(basis.spec, W, np.ones(W.shape[0]), attrs)


def _as_irrep(G: Any, psi: IrreducibleRepresentation | tuple | str | int) -> IrreducibleRepresentation:
    if isinstance(psi, IrreducibleRepresentation):
        return psi
    return G.irrep(*psi) if isinstance(psi, tuple) else G.irrep(psi)


class IrrepBasis(SteerableKernelBasis):
    """A :class:`SteerableKernelBasis` between two irreps (``in_irrep``, ``out_irrep``: irreps or ids)."""

    def __init__(self, basis: SteerableFiltersBasis, in_irrep: Any, out_irrep: Any, sg_id: Hashable | None = None) -> None:
        G = _ambient_gspace(basis, sg_id).fibergroup
        i, o = _as_irrep(G, in_irrep), _as_irrep(G, out_irrep)
        super().__init__(basis, i, o, sg_id=sg_id)
        self.in_irrep, self.out_irrep = i, o


class WignerEckartBasis(IrrepBasis):
    """Kernels between two irreps of the filters' own group ``O(d)``."""

    def __init__(self, basis: SteerableFiltersBasis, in_irrep: Any, out_irrep: Any) -> None:
        super().__init__(basis, in_irrep, out_irrep)


class RestrictedWignerEckartBasis(IrrepBasis):
    """Kernels between two irreps of the subgroup ``sg_id`` of the filters' ``O(d)``."""

    def __init__(self, basis: SteerableFiltersBasis, sg_id: Hashable, in_irrep: Any, out_irrep: Any) -> None:
        super().__init__(basis, in_irrep, out_irrep, sg_id=sg_id)


class GridKernelBasis(_HarmonicKernelBasis):
    """Basis of the ``G``-steerable kernels ``R^d -> Hom(rho_in, rho_out)``, normalised on a grid.

    Args:
        gspace: the group acting on ``R^d``.
        in_repr, out_repr: representations of ``gspace.fibergroup``.
        kernel_size: size of the sampling grid (``int``); the basis is normalised on it and
            numerically vanishing elements are dropped.
        rings, sigma, maximum_frequency, frequencies_cutoff: the radial profile and band limit
            (see :mod:`steerable.kernels.harmonics`).
        filter: optional predicate on an element's ``attributes`` dict to keep a sub-basis.
        spec: an explicit :class:`RingSpec` instead of the four arguments above.

    Attributes:
        attributes: one dict per basis element with keys ``radius``, ``sigma``, ``frequency``
            (of the ``O(d)`` harmonic), ``harmonic`` (its irrep id), ``in_irrep``, ``out_irrep``,
            ``in_irrep_index``, ``out_irrep_index`` (and escnn's ``j``, ``_j``, ``irrep:frequency``).
    """

    def __init__(
        self,
        gspace: GSpace,
        in_repr: Representation,
        out_repr: Representation,
        kernel_size: int | Sequence[int] = 5,
        rings: Sequence[float] | None = None,
        sigma: float | Sequence[float] | None = None,
        maximum_frequency: int | None = None,
        frequencies_cutoff: float | Callable[[float], int] | None = None,
        filter: Callable[[dict], bool] | None = None,
        spec: RingSpec | None = None,
    ) -> None:
        G = gspace.fibergroup
        _check_reprs(G, in_repr, out_repr)
        if spec is None:
            spec = RingSpec.default(kernel_size, gspace.dimensionality, rings, sigma, maximum_frequency, frequencies_cutoff)
        grid = torch.from_numpy(grid_points(kernel_size, gspace.dimensionality))
        Hg = sample_harmonics(spec, grid).numpy()
        W, attrs, norms = wigner_eckart_coefficients(gspace, in_repr, out_repr, spec, None, filter, gram=Hg @ Hg.T)
        if W.shape[0] == 0:
            raise EmptyBasisError(
                f"no {G.name}-steerable kernel {in_repr.name} -> {out_repr.name} exists on this kernel "
                f"(size {kernel_size}, rings {spec.radii}, frequencies {spec.max_frequencies}); "
                "use a larger (odd) kernel, more rings or a higher frequency cutoff"
            )
        super().__init__(W.shape[0], (out_repr.size, in_repr.size))
        self.gspace, self.in_repr, self.out_repr = gspace, in_repr, out_repr
        self.kernel_size = int(kernel_size) if isinstance(kernel_size, np.integer) else kernel_size
        self._set_coefficients(spec, W, 1.0 / norms, attrs)

    def sample_grid(self, dtype: torch.dtype = torch.float64, device: Any = None) -> torch.Tensor:
        """The basis on the ``kernel_size`` grid: ``(dim, d_out, d_in, *kernel_shape)``."""
        d = self.gspace.dimensionality
        pts = torch.as_tensor(grid_points(self.kernel_size, d), dtype=dtype, device=device)
        shape = [self.kernel_size] * d if isinstance(self.kernel_size, int) else list(self.kernel_size)
        return self.sample(pts).permute(1, 2, 3, 0).reshape(self.dim, *self.shape, *shape)

    def extra_repr(self) -> str:
        return (f"{self.gspace.name}: {self.in_repr.name} -> {self.out_repr.name}, dim={self.dim}, "
                f"rings={self.spec.radii}, max_frequencies={self.spec.max_frequencies}")
