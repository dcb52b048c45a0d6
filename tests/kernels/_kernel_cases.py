"""Shared gspaces, representation mixes and numerical checks for the tests of
``steerable.kernels`` (not a test module: the test files import it by name).

Everything is float64; the analytic bases are exact up to round-off, so the 1e-6 tolerances
below leave a margin of many orders of magnitude and still catch any real violation (a wrong
sign, frequency or change of basis produces O(1) errors on unit-norm basis elements).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_limits

from steerable.group import Representation, directsum
from steerable.gspaces import (
    GSpace, conicalOnR3, dihedralOnR3, flip2dOnR2, flipRot2dOnR2, flipRot3dOnR3, icoOnR3, invOnR3, octaOnR3,
    rot2dOnR2, rot2dOnR3, rot3dOnR3, tetraOnR3, trivialOnR2,
)
from steerable.kernels import GridKernelBasis

TOL = 1e-6


@pytest.fixture(autouse=True)
def single_thread_blas():
    """Tiny matrices: multi-threaded BLAS is only slower on a loaded 2-core machine."""
    with threadpool_limits(1):
        yield


@dataclass(frozen=True)
class Case:
    """A gspace, the representations to combine, and the kernel size to test them on."""

    name: str
    make: Callable[[], GSpace]
    reprs: Callable[[GSpace], list[Representation]]
    kernel_size: int

    def __repr__(self) -> str:  # pytest ids
        return self.name


def _finite_planar(gs: GSpace) -> list[Representation]:
    G = gs.fibergroup
    out: list[Representation] = [gs.trivial_repr, gs.regular_repr]
    out += [psi for psi in G.irreps() if not psi.is_trivial()]
    return out


def _cyclic(gs: GSpace) -> list[Representation]:
    out = _finite_planar(gs)
    N = gs.fibergroup.order()
    if N % 2 == 0 and N > 2:
        out.append(gs.quotient_repr(N // 2))
    irr = gs.fibergroup.irreps()
    out.append(directsum([irr[-1], gs.trivial_repr, irr[min(1, len(irr) - 1)]], name="mix"))
    return out


def _dihedral(gs: GSpace) -> list[Representation]:
    out = _finite_planar(gs)
    N = gs.fibergroup.order() // 2
    out.append(gs.quotient_repr((0, 1)))       # G / flips
    out.append(gs.quotient_repr((None, N)))    # G / rotations (the sign of the flip, as a 2-dim permutation rep)
    irr = gs.fibergroup.irreps()
    out.append(directsum([irr[-1], irr[1]], name="mix"))
    return out


def _so2(gs: GSpace) -> list[Representation]:
    G = gs.fibergroup
    return [G.irrep(k) for k in range(4)] + [G.bl_regular_representation(2), directsum([G.irrep(3), G.irrep(0)], name="mix")]


def _o2(gs: GSpace) -> list[Representation]:
    G = gs.fibergroup
    return ([G.irrep(0, 0), G.irrep(1, 0)] + [G.irrep(1, k) for k in range(1, 4)]
            + [gs.quotient_repr((None, -1)), directsum([G.irrep(1, 2), G.irrep(1, 0)], name="mix")])


def _so3(gs: GSpace) -> list[Representation]:
    G = gs.fibergroup
    return [G.irrep(l) for l in range(3)] + [directsum([G.irrep(1), G.irrep(0)], name="mix")]


def _o3(gs: GSpace) -> list[Representation]:
    G = gs.fibergroup
    return [G.irrep(j, l) for l in range(3) for j in range(2)] + [gs.quotient_repr("so3")]


def _small_finite(gs: GSpace) -> list[Representation]:
    G = gs.fibergroup
    return [gs.regular_repr] + [psi for psi in G.irreps()]


CASES: list[Case] = [
    Case("C1", lambda: rot2dOnR2(1), _cyclic, 5),
    Case("C2", lambda: rot2dOnR2(2), _cyclic, 5),
    Case("C3", lambda: rot2dOnR2(3), _cyclic, 5),
    Case("C4", lambda: rot2dOnR2(4), _cyclic, 5),
    Case("C8", lambda: rot2dOnR2(8), _cyclic, 5),
    Case("C16", lambda: rot2dOnR2(16), _cyclic, 7),
    Case("SO2", lambda: rot2dOnR2(-1, maximum_frequency=4), _so2, 7),
    Case("D1", lambda: flipRot2dOnR2(1, axis=0.0), _dihedral, 5),
    Case("D2", lambda: flipRot2dOnR2(2, axis=0.0), _dihedral, 5),
    Case("D4", lambda: flipRot2dOnR2(4, axis=0.0), _dihedral, 5),
    Case("D8", lambda: flipRot2dOnR2(8, axis=0.0), _dihedral, 5),
    Case("D4_axis_pi4", lambda: flipRot2dOnR2(4, axis=math.pi / 4), _dihedral, 5),
    Case("D8_axis_pi8", lambda: flipRot2dOnR2(8, axis=math.pi / 8), _dihedral, 5),
    Case("D2_axis_pi2", lambda: flipRot2dOnR2(2, axis=math.pi / 2), _dihedral, 5),
    Case("O2", lambda: flipRot2dOnR2(-1, maximum_frequency=4, axis=0.0), _o2, 7),
    Case("O2_axis_pi4", lambda: flipRot2dOnR2(-1, axis=math.pi / 4, maximum_frequency=4), _o2, 5),
    Case("flip2d", lambda: flip2dOnR2(), _small_finite, 5),
    Case("trivial2d", lambda: trivialOnR2(), lambda gs: [gs.trivial_repr, directsum([gs.trivial_repr] * 2)], 3),
    Case("SO3", lambda: rot3dOnR3(), _so3, 5),
    Case("O3", lambda: flipRot3dOnR3(), _o3, 5),
    Case("C4_on_R3", lambda: rot2dOnR3(4), _cyclic, 5),
    Case("SO2_on_R3", lambda: rot2dOnR3(-1, maximum_frequency=3), lambda gs: [gs.fibergroup.irrep(k) for k in range(3)], 5),
    Case("D4_dihedral_R3", lambda: dihedralOnR3(4), _dihedral, 5),
    Case("D4_conical_R3", lambda: conicalOnR3(4), _dihedral, 5),
    Case("Inv_R3", lambda: invOnR3(), _small_finite, 3),
    Case("octa", lambda: octaOnR3(), _small_finite, 3),
    Case("tetra", lambda: tetraOnR3(), _small_finite, 3),
    Case("ico", lambda: icoOnR3(), lambda gs: list(gs.fibergroup.irreps())[:3], 3),
    # restricted gspaces: the kernel harmonics are restricted in two steps (ambient -> G -> H)
    Case("C8|C4", lambda: rot2dOnR2(8).restrict(4)[0], _cyclic, 5),
    Case("D8|D4", lambda: flipRot2dOnR2(8, axis=0.0).restrict((1, 4))[0], _dihedral, 5),
    Case("D8|C8", lambda: flipRot2dOnR2(8, axis=0.0).restrict((None, 8))[0], _cyclic, 5),
    Case("D4|flip", lambda: flipRot2dOnR2(4, axis=0.0).restrict((1, 1))[0], _small_finite, 5),
    Case("SO2|C4", lambda: rot2dOnR2(-1, maximum_frequency=4).restrict(4)[0], _cyclic, 5),
    Case("O2|SO2", lambda: flipRot2dOnR2(-1, maximum_frequency=4, axis=0.0).restrict((None, -1))[0], _so2, 5),
    Case("O2|D4", lambda: flipRot2dOnR2(-1, maximum_frequency=4, axis=0.0).restrict((0.0, 4))[0], _dihedral, 5),
    Case("SO3|SO2", lambda: rot3dOnR3(3).restrict(("so2",))[0], lambda gs: [gs.fibergroup.irrep(k) for k in range(3)], 5),
    Case("SO3|D4", lambda: rot3dOnR3().restrict(("dn", 4))[0], _dihedral, 5),
    Case("O3|SO3", lambda: flipRot3dOnR3().restrict("so3")[0], _so3, 5),
    Case("O3|cyl4", lambda: flipRot3dOnR3().restrict(("cyl", 4))[0], _dihedral, 5),
    Case("O3|inv", lambda: flipRot3dOnR3().restrict("inv")[0], _small_finite, 3),
]
CASE_BY_NAME = {c.name: c for c in CASES}


@functools.lru_cache(maxsize=None)
def gspace_of(name: str) -> GSpace:
    return CASE_BY_NAME[name].make()


@functools.lru_cache(maxsize=None)
def reprs_of(name: str) -> tuple[Representation, ...]:
    return tuple(CASE_BY_NAME[name].reprs(gspace_of(name)))


@functools.lru_cache(maxsize=None)
def mixed_repr(name: str) -> Representation:
    """All the case's representations summed: one basis then covers every pair of them."""
    return directsum(list(reprs_of(name)), name="all")


def pairs_of(name: str) -> list[tuple[Representation, Representation]]:
    """Every representation of the case once as input and once as output: ``(r_i, r_{i+1})``,
    plus ``regular -> regular`` for finite groups of order <= 16."""
    reps = reprs_of(name)
    out = [(reps[i], reps[(i + 1) % len(reps)]) for i in range(len(reps))]
    G = gspace_of(name).fibergroup
    if not G.continuous and G.order() <= 16:  # (|G| x |G|) kernels: keep the tests fast
        out.append((G.regular_representation, G.regular_representation))
    return out


@functools.lru_cache(maxsize=None)
def basis_of(name: str, i: int) -> GridKernelBasis | None:
    """The basis of the ``i``-th pair of the case (``None`` where no kernel exists)."""
    ri, ro = pairs_of(name)[i]
    try:
        return GridKernelBasis(gspace_of(name), ri, ro, CASE_BY_NAME[name].kernel_size)
    except ValueError:
        return None


def apply_reprs(K: torch.Tensor, ro: np.ndarray, ri: np.ndarray) -> torch.Tensor:
    """``rho_out K rho_in^T`` on the (out, in) axes 1, 2 of a basis tensor ``(B, o, i, ...)``."""
    ro_t, ri_t = torch.from_numpy(ro).to(K.dtype), torch.from_numpy(ri).to(K.dtype)
    X = K.reshape(*K.shape[:3], -1).permute(0, 3, 1, 2)  # (B, P, o, i)
    return (ro_t @ X @ ri_t.T).permute(0, 2, 3, 1).reshape(K.shape)


def grid_violation(basis: GridKernelBasis, gs: GSpace) -> float:
    """max over testing elements of ``|rho_out(g) K(A^-1 x) rho_in(g)^T - K(x)|`` on the grid."""
    K = basis.sample_grid()
    worst = 0.0
    for g in gs.testing_elements:
        lhs = apply_reprs(gs.transform_signal(K, g), basis.out_repr(g), basis.in_repr(g))
        worst = max(worst, float((lhs - K).abs().max()))
    return worst


def continuous_violation(basis: GridKernelBasis, gs: GSpace, seed: int, n_elements: int = 4, n_points: int = 30) -> float:
    """max over random ``g`` and random points of ``|K(A(g) x) - rho_out(g) K(x) rho_in(g)^T|``."""
    rng = np.random.default_rng(seed)
    d = gs.dimensionality
    extent = max(basis.spec.radii) + 1.0
    worst = 0.0
    for _ in range(n_elements):
        g = gs.fibergroup.sample(rng)
        A = gs.basespace_action(g)
        x = rng.uniform(-extent, extent, size=(n_points, d))
        Kx = basis.sample(torch.from_numpy(x)).permute(1, 2, 3, 0)  # (dim, o, i, P)
        KAx = basis.sample(torch.from_numpy(x @ A.T)).permute(1, 2, 3, 0)
        rhs = apply_reprs(Kx, basis.out_repr(g), basis.in_repr(g))
        worst = max(worst, float((KAx - rhs).abs().max()))
    return worst


def flat(W: np.ndarray | torch.Tensor) -> np.ndarray:
    """Basis tensor ``(B, ...)`` as the columns of a matrix ``(prod(...), B)``."""
    W = W.numpy() if isinstance(W, torch.Tensor) else W
    return np.asarray(W, dtype=np.float64).reshape(W.shape[0], int(np.prod(W.shape[1:]))).T


def max_angle(A: np.ndarray, B: np.ndarray) -> float:
    """Largest principal angle between the column spans of A and B (radians)."""
    from scipy.linalg import subspace_angles

    return float(np.max(subspace_angles(A, B)))


def residual_outside(span: np.ndarray, X: np.ndarray) -> float:
    """Largest relative norm of a column of X outside the column span of ``span``."""
    Q, _ = np.linalg.qr(span)
    R = X - Q @ (Q.T @ X)
    return float((np.linalg.norm(R, axis=0) / np.maximum(np.linalg.norm(X, axis=0), 1e-300)).max())
