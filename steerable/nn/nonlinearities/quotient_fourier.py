"""Fourier nonlinearities on a quotient space ``X = G/H``: a pointwise function of band-limited signals on ``X``.

A signal on ``G/H`` is a function on ``G`` constant on the cosets, ``f(g h) = f(g)``.  In the
Fourier basis, ``f(g) = sum_psi sum_j sqrt(d_psi) c_{psi,j}^T psi(g) b_{psi,j}`` where the
``b_{psi,j}`` are ``H``-invariant vectors of ``psi`` (``psi(h) b = b``), one per copy of ``psi``
in ``L^2(G/H)`` (``psi`` occurs ``dim(psi^H) / dim End(psi)`` times).  Left translation by
``k`` maps every ``c_{psi,j}`` to ``psi(k) c_{psi,j}``, so the coefficients form the field
``(+)_psi (+)_j psi`` (identity change of basis).  With the sampling matrix ``A`` on a grid
``g_1..g_n`` of ``G`` (``f(g_k) = (A c)_k``) and its least-squares inverse ``A^+``, the layer
computes, per field,

    c  ->  A_out^+ sigma(A c),

exactly equivariant for the elements whose left action permutes the grid (every element of a
finite group with the default grid, the whole group), approximately otherwise (aliasing, as
for :class:`~steerable.nn.FourierPointwise`).

Example:
    >>> import torch
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.nn import GeometricTensor, QuotientFourierELU
    >>> gs = rot2dOnR2(8)
    >>> nl = QuotientFourierELU(gs, 2, channels=3, irreps=[0, 2, 4])   # signals on C8 / C2 (4 points)
    >>> nl.in_type.size, nl(GeometricTensor(torch.randn(5, 12), nl.in_type)).shape
    (12, torch.Size([5, 12]))
"""
from __future__ import annotations

import math
from typing import Any, Hashable, Sequence

import numpy as np
import torch

from ...group import Group, GroupElement, IrreducibleRepresentation, Representation
from ...gspaces import GSpace
from .._fields import trivial_columns
from ...gspaces.field_type import FieldType
from ._common import Activation, resolve_activation
from .fourier import _SAMPLES_PER_COEFFICIENT, SampledPointwise, _grid, check_normalize, grid_spec, irrep_list

__all__ = ["QuotientFourierPointwise", "QuotientFourierELU", "spectral_quotient_basis"]


def spectral_quotient_basis(G: Group, subgroup_id: Hashable, psi: IrreducibleRepresentation) -> np.ndarray:
    """``(d, m)``: ``H``-invariant vectors ``b_j`` of ``psi`` whose functions ``g -> psi(g) b_j`` are independent.

    ``psi(g) E b`` for ``E`` in ``End(psi)`` is a copy of the same functions, so vectors are taken
    greedily outside the span of ``{E b}`` of those already chosen: ``m = dim(psi^H) / dim End(psi)``.
    """
    B = trivial_columns(G.restrict_representation(subgroup_id, psi))
    ends = psi.endomorphism_basis()
    chosen: list[np.ndarray] = []
    span = np.zeros((psi.size, 0))
    for b in B.T:
        residual = b - span @ (span.T @ b)
        if np.linalg.norm(residual) < 1e-8:
            continue
        chosen.append(b)
        orbit = np.stack([E @ b for E in ends], 1)
        q, _ = np.linalg.qr(np.concatenate([span, orbit], 1))
        span = q[:, : min(q.shape[1], span.shape[1] + orbit.shape[1])]
    return np.stack(chosen, 1) if chosen else np.zeros((psi.size, 0))


def _quotient_rep(G: Group, subgroup_id: Hashable, psis: list[IrreducibleRepresentation]
                  ) -> tuple[Representation, list[tuple[IrreducibleRepresentation, np.ndarray]]]:
    blocks = [(psi, spectral_quotient_basis(G, subgroup_id, psi)) for psi in psis]
    blocks = [(psi, B) for psi, B in blocks if B.shape[1] > 0]
    if not blocks:
        raise ValueError(f"none of the irreps {[p.name for p in psis]} occurs in the functions on {G.name}/"
                         f"{G.subgroup(subgroup_id)[0].name}: no band-limited quotient signals")
    copies = [psi for psi, B in blocks for _ in range(B.shape[1])]
    ids = ";".join(",".join(str(i) for i in psi.id) for psi, _ in blocks)
    rep = Representation(G, f"quotient_fourier[{subgroup_id}][{ids}]", copies, None, {"norm", "gated", "fourier"})
    return rep, blocks


def _sampling(elements: list[GroupElement], blocks: list[tuple[IrreducibleRepresentation, np.ndarray]]) -> np.ndarray:
    """``A[k, (psi, j, i)] = sqrt(d_psi) (psi(g_k) b_{psi,j})_i``."""
    cols = []
    for psi, B in blocks:
        m = psi.matrices(elements) @ B  # (n, d, copies)
        cols += [math.sqrt(psi.size) * m[:, :, j] for j in range(B.shape[1])]
    return np.concatenate(cols, 1)


class QuotientFourierPointwise(SampledPointwise):
    """``c -> A_out^+ sigma(A c)`` per field of band-limited signals on ``G/H`` (module docs).

    Args:
        gspace: the gspace; ``G`` is its fibre group.
        subgroup_id: the subgroup ``H`` (as ``G.subgroup`` takes it).
        channels: number of fields.
        irreps: a band limit ``L`` (irreps up to ``L``) or a list of irreps / irrep ids; irreps
            without ``H``-invariant vectors carry no quotient signal and are left out.
        *grid_args: ``(kind, N)`` for ``G.grid``, as ``grid_kind``/``N`` of :class:`FourierPointwise`.
        grid: an explicit list of group elements to sample (instead of ``grid_args``).
        function: ``'p_relu'`` (default), ``'p_elu'``, ... or an elementwise callable.
        inplace: accepted for escnn compatibility (the output is always a new tensor).
        out_irreps: the irreps of the output signals (default ``irreps``).
        normalize: only ``True`` (the normalised sampling matrix) is built.
        sampling, canonicalize, learnable_head, eps: adaptive sampling, as for
            :class:`~steerable.nn.FourierPointwise` (signals on the sphere ``SO(3)/SO(2)`` get their
            second frame vector from the frequency-2 coefficients).
        **grid_kwargs: forwarded to ``G.grid``.

    The default grid is the whole group for finite groups (exact equivariance) and, for
    continuous groups, ``G.grid`` with about 4 samples per coefficient.
    """

    def __init__(self, gspace: GSpace, subgroup_id: Hashable, channels: int, irreps: int | Sequence[Any],
                 *grid_args: Any, grid: Sequence[GroupElement] | None = None, function: Activation = "p_relu",
                 inplace: bool = True, out_irreps: int | Sequence[Any] | None = None, normalize: bool = True,
                 sampling: str = "fixed", canonicalize: str = "field", learnable_head: bool = False, eps: float = 1e-4,
                 **grid_kwargs: Any) -> None:
        super().__init__()
        if not isinstance(gspace, GSpace):
            raise TypeError(f"gspace must be a GSpace, got {type(gspace).__name__}")
        if isinstance(channels, bool) or not isinstance(channels, (int, np.integer)) or channels < 1:
            raise ValueError(f"channels must be a positive int, got {channels!r}")
        check_normalize(normalize)
        kind, N = grid_spec(grid_args, grid_kwargs.pop("grid_kind", None), grid_kwargs.pop("N", None), grid_kwargs)
        G = gspace.fibergroup
        G.subgroup(subgroup_id)  # ValueError for an invalid id, before any work
        self.subgroup_id, self.channels, self.inplace = subgroup_id, int(channels), inplace
        rho, blocks = _quotient_rep(G, subgroup_id, irrep_list(G, irreps, "irreps"))
        if out_irreps is None:
            rho_out, blocks_out = rho, blocks
        else:
            rho_out, blocks_out = _quotient_rep(G, subgroup_id, irrep_list(G, out_irreps, "out_irreps"))
        self.in_type = FieldType(gspace, self.channels * [rho])
        self.out_type = FieldType(gspace, self.channels * [rho_out])
        self.function, self.act = resolve_activation(function, "p")
        if grid is not None:
            if kind is not None or N is not None:
                raise ValueError("give the grid once: grid= or the grid arguments (kind, N), not both")
            self.grid = list(grid)
        elif not G.continuous and kind in (None, "regular", "all"):
            self.grid = list(G.elements)
        else:
            kind = kind or ("regular" if "regular" in G.grid_kinds else "thomson")
            if N is None:
                per_n = len(_grid(G, kind, 1, **grid_kwargs))
                N = max(1, math.ceil(_SAMPLES_PER_COEFFICIENT * max(rho.size, rho_out.size) / per_n))
            self.grid = _grid(G, kind, N, **grid_kwargs)
        A = _sampling(self.grid, blocks)
        A_out = A if out_irreps is None else _sampling(self.grid, blocks_out)
        for M, what in ((A, "irreps"), (A_out, "out_irreps")):
            if np.linalg.matrix_rank(M, tol=1e-8 * max(M.shape)) < M.shape[1]:
                raise ValueError(f"a grid of {M.shape[0]} elements cannot determine the {M.shape[1]} Fourier "
                                 f"coefficients of {what}; use a larger grid")
        self.register_buffer("A", torch.from_numpy(np.ascontiguousarray(A)), persistent=False)
        self.register_buffer("A_pinv", torch.from_numpy(np.ascontiguousarray(np.linalg.pinv(A_out))), persistent=False)
        self._set_sampling(sampling, canonicalize, learnable_head, eps, rho, rho_out)

    def extra_repr(self) -> str:
        return (f"{self.in_type} -> {self.out_type}, subgroup={self.subgroup_id!r}, function={self.function}, "
                f"grid of {len(self.grid)} elements"
                + ("" if self.adaptive is None else f", sampling=adaptive({self.canonicalize})"))


class QuotientFourierELU(QuotientFourierPointwise):
    """:class:`QuotientFourierPointwise` with ``sigma = ELU(alpha)``; same arguments otherwise."""

    def __init__(self, gspace: GSpace, subgroup_id: Hashable, channels: int, irreps: int | Sequence[Any],
                 *grid_args: Any, grid: Sequence[GroupElement] | None = None, inplace: bool = True,
                 out_irreps: int | Sequence[Any] | None = None, normalize: bool = True, alpha: float = 1.0,
                 **grid_kwargs: Any) -> None:
        super().__init__(gspace, subgroup_id, channels, irreps, *grid_args, grid=grid, function=torch.nn.ELU(alpha=alpha),
                         inplace=inplace, out_irreps=out_irreps, normalize=normalize, **grid_kwargs)
        self.function = f"elu(alpha={alpha:g})"
