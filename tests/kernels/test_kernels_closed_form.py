"""Cross-check against the closed-form solutions of the planar kernel constraint.

Weiler & Cesa, "General E(2)-Equivariant Steerable CNNs" (NeurIPS 2019), appendix tables
"Bases for the angular parts of ... kernels satisfying the irrep constraint": for irreps
``psi_m -> psi_n`` of ``SO(2)`` the angular parts are 2x2 rotation-type matrices of frequency
``n - m`` and reflection-type matrices of frequency ``n + m``; ``O(2)`` keeps half of them (the
flip constraint); for ``C_N`` / ``D_N`` every frequency aliases: ``n - m + tN`` and ``n + m + tN``
for all integers ``t``.  The table is re-derived and written out below, with this library's
conventions: ``psi_k(theta) = R(k theta)`` (``cos(k theta)`` when 1-dimensional), the flip acts
as ``F = diag(1, -1)`` on the plane (``phi -> -phi``, ``phi`` the polar angle
``atan2(x1, x0)``) and on 2-dim irreps, and a mirror axis ``beta`` shifts every angular part
to ``phi - beta``.  The constraint ``k(r_theta x) = psi_n(theta) k(x) psi_m(theta)^T`` is
solved by ``k(phi) = R(n phi) K0 R(-m phi)``; writing ``K0`` in the basis ``I, J, F, JF`` of
2x2 matrices gives the four families below.

The table is evaluated on the same Gaussian rings (each ring carries the frequencies
``|f| <= max_frequencies[ring]``) and compared with the library's basis by SPAN: equal
dimension and largest principal angle ~ 0.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
import pytest
import torch

from _kernel_cases import flat, max_angle, single_thread_blas  # noqa: F401 (autouse fixture)
from steerable.gspaces import GSpace, flip2dOnR2, flipRot2dOnR2, rot2dOnR2
from steerable.kernels import GridKernelBasis

Angular = Callable[[np.ndarray], np.ndarray]  # phi (P,) -> (d_out, d_in, P)


def _R(t: np.ndarray) -> np.ndarray:
    c, s = np.cos(t), np.sin(t)
    return np.array([[c, -s], [s, c]])


def _J(t: np.ndarray) -> np.ndarray:   # R(t) J
    c, s = np.cos(t), np.sin(t)
    return np.array([[-s, -c], [c, -s]])


def _RF(t: np.ndarray) -> np.ndarray:  # R(t) F
    c, s = np.cos(t), np.sin(t)
    return np.array([[c, s], [s, -c]])


def _JF(t: np.ndarray) -> np.ndarray:  # R(t) J F
    c, s = np.cos(t), np.sin(t)
    return np.array([[-s, c], [c, s]])


def _frequencies(base: int, N: int | None, fmax: int) -> list[int]:
    """``base + t N`` for all integers ``t`` within ``|f| <= fmax`` (just ``base`` for SO(2)/O(2))."""
    if N is None:
        return [base] if abs(base) <= fmax else []
    return [f for f in range(-fmax, fmax + 1) if (f - base) % N == 0]


def table(N: int | None, flips: bool, irrep_in: tuple, irrep_out: tuple, fmax: int) -> list[tuple[int, Angular]]:
    """The angular basis ``[(frequency, phi -> matrix)]`` for ``irrep_in -> irrep_out``.

    Irreps are given as ``(j, k, size)``: flip frequency ``j`` (dihedral groups only), rotation
    frequency ``k``, dimension.  ``N=None`` is SO(2) / O(2).
    """
    (ji, m, di), (jo, n, do) = irrep_in, irrep_out
    out: list[tuple[int, Angular]] = []
    if di == 1 and do == 1:
        for f in _frequencies(n - m, N, fmax):
            if not flips or ji == jo:
                out.append((f, lambda p, f=f: np.cos(f * p)[None, None]))
            if not flips or ji != jo:
                out.append((f, lambda p, f=f: np.sin(f * p)[None, None]))
    elif di == 2 and do == 1:
        for f in _frequencies(m - n, N, fmax):
            if not flips or jo == 0:
                out.append((f, lambda p, f=f: np.array([[np.cos(f * p), np.sin(f * p)]])))
            if not flips or jo == 1:
                out.append((f, lambda p, f=f: np.array([[-np.sin(f * p), np.cos(f * p)]])))
    elif di == 1 and do == 2:
        for f in _frequencies(n - m, N, fmax):
            if not flips or ji == 0:
                out.append((f, lambda p, f=f: np.array([[np.cos(f * p)], [np.sin(f * p)]])))
            if not flips or ji == 1:
                out.append((f, lambda p, f=f: np.array([[-np.sin(f * p)], [np.cos(f * p)]])))
    else:
        for f in _frequencies(n - m, N, fmax):
            out.append((f, lambda p, f=f: _R(f * p)))
            if not flips:
                out.append((f, lambda p, f=f: _J(f * p)))
        for g in _frequencies(n + m, N, fmax):
            out.append((g, lambda p, g=g: _RF(g * p)))
            if not flips:
                out.append((g, lambda p, g=g: _JF(g * p)))
    return out


def table_basis(N: int | None, flips: bool, axis: float, irrep_in: tuple, irrep_out: tuple,
                spec, x: np.ndarray) -> np.ndarray:
    """The table's kernels on the rings of ``spec`` at points ``x``: ``(T, d_out, d_in, P)``."""
    rho = np.linalg.norm(x, axis=1)
    phi = np.arctan2(x[:, 1], x[:, 0]) - axis
    elements = []
    for r, s, kmax in zip(spec.radii, spec.sigmas, spec.max_frequencies):
        profile = np.exp(-((rho - r) ** 2) / (2 * s**2))
        for f, ang in table(N, flips, irrep_in, irrep_out, kmax):
            elements.append(ang(phi) * profile)
    return np.stack(elements) if elements else np.zeros((0, irrep_out[2], irrep_in[2], len(x)))


def _describe(psi, flips: bool) -> tuple:
    j, k = (psi.id if flips else (0, psi.id[0]))
    return (j, k, psi.size)


def _compare(gs: GSpace, N: int | None, flips: bool, axis: float, psi_i, psi_o, kernel_size: int) -> None:
    x = np.random.default_rng(0).uniform(-(kernel_size // 2) - 0.5, kernel_size // 2 + 0.5, size=(120, 2))
    try:
        basis = GridKernelBasis(gs, psi_i, psi_o, kernel_size)
    except ValueError:
        basis = None
    spec = basis.spec if basis is not None else GridKernelBasis(gs, gs.trivial_repr, gs.trivial_repr, kernel_size).spec
    T = flat(table_basis(N, flips, axis, _describe(psi_i, flips), _describe(psi_o, flips), spec, x))
    t_rank = np.linalg.matrix_rank(T, tol=1e-8 * max(1.0, np.abs(T).max(initial=0)))
    if basis is None:
        assert t_rank == 0, f"{gs}: {psi_i} -> {psi_o}: the library found no kernel, the table has {t_rank}"
        return
    L = flat(basis.sample(torch.from_numpy(x)).permute(1, 2, 3, 0))
    assert basis.dim == t_rank, f"{gs}: {psi_i} -> {psi_o}: library dim {basis.dim}, table dim {t_rank}"
    assert max_angle(L, T) < 1e-6, f"{gs}: {psi_i} -> {psi_o}: spans differ"


def _pairs(G):
    irr = G.irreps()
    return [(a, b) for a in irr for b in irr]


ROTATIONS = [(2, 5), (3, 7), (4, 7), (5, 7), (8, 7), (-1, 7)]


@pytest.mark.parametrize("N,ks", ROTATIONS, ids=[f"C{N}" if N > 0 else "SO2" for N, _ in ROTATIONS])
def test_rotations_match_table(N: int, ks: int) -> None:
    gs = rot2dOnR2(N, maximum_frequency=3)
    G = gs.fibergroup
    pairs = _pairs(G)
    for psi_i, psi_o in pairs:
        _compare(gs, None if N == -1 else N, False, 0.0, psi_i, psi_o, ks)


# axis 0, a grid axis pi/4, and a generic axis 0.3 (the table shifts phi by the axis)
DIHEDRAL = [(1, 0.0, 5), (2, 0.0, 5), (3, 0.0, 7), (4, 0.0, 7), (6, 0.0, 7), (4, math.pi / 4, 7), (8, 0.3, 7),
            (-1, 0.0, 7), (-1, math.pi / 4, 5), (-1, 0.3, 5)]


@pytest.mark.parametrize("N,axis,ks", DIHEDRAL, ids=[f"{'D%d' % N if N > 0 else 'O2'}-axis{a:.2f}" for N, a, _ in DIHEDRAL])
def test_dihedral_match_table(N: int, axis: float, ks: int) -> None:
    gs = flipRot2dOnR2(N, axis=axis, maximum_frequency=3)
    for psi_i, psi_o in _pairs(gs.fibergroup):
        _compare(gs, None if N == -1 else N, True, axis, psi_i, psi_o, ks)


def test_flip2d_matches_table() -> None:
    gs = flip2dOnR2()  # D1, mirror line at angle pi/2
    for psi_i, psi_o in _pairs(gs.fibergroup):
        _compare(gs, 1, True, math.pi / 2, psi_i, psi_o, 5)


def test_table_is_itself_steerable() -> None:
    """Guard the reference: the table's kernels satisfy the constraint (else the comparison is moot)."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 2)) * 2
    from steerable.group import o2_group

    G = o2_group(3)
    spec = GridKernelBasis(flipRot2dOnR2(-1, maximum_frequency=3, axis=0.0), G.trivial_representation, G.trivial_representation, 7).spec
    for psi_i, psi_o in _pairs(G):
        for _ in range(3):
            g = G.sample(rng)
            A = G.standard_matrix(g)
            K = table_basis(None, True, 0.0, _describe(psi_i, True), _describe(psi_o, True), spec, x)
            KA = table_basis(None, True, 0.0, _describe(psi_i, True), _describe(psi_o, True), spec, x @ A.T)
            rhs = np.einsum("op,bpqx,iq->boix", psi_o(g), K, psi_i(g))
            np.testing.assert_allclose(KA, rhs, atol=1e-10)


def test_table_counts_for_generic_pair() -> None:
    """Spot-check the famous counts: SO(2) psi_1 -> psi_2 has 4 angular solutions (freq 1 and 3),
    O(2) keeps 2 of them, C_4 aliases frequency 3 to -1 as well (on a ring carrying |f| <= 3)."""
    assert sorted(f for f, _ in table(None, False, (0, 1, 2), (0, 2, 2), 3)) == [1, 1, 3, 3]
    assert sorted(f for f, _ in table(None, True, (1, 1, 2), (1, 2, 2), 3)) == [1, 3]
    assert sorted(f for f, _ in table(4, False, (0, 1, 2), (0, 2, 2), 3)) == [-3, -3, -1, -1, 1, 1, 3, 3]
