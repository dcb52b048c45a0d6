"""Kernels on the orbits of the icosahedral group: the orbits are the polyhedra they are named
after, the filters and kernels satisfy their transformation laws for all 60 rotations at
float64 round-off, and the bases have the size Frobenius reciprocity predicts."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from steerable.group import directsum, ico_group, octa_group
from steerable.kernels import (
    EmptyBasisError, OrbitKernelBasis, SparseOrbitBasis, SparseOrbitBasisWithIcosahedralSymmetry,
    kernels_aliased_Ico_act_R3_dodecahedron, kernels_aliased_Ico_act_R3_icosahedron,
    kernels_aliased_Ico_act_R3_icosidodecahedron,
)

G = ico_group()
BUILDERS = {5: kernels_aliased_Ico_act_R3_icosahedron, 3: kernels_aliased_Ico_act_R3_dodecahedron,
            2: kernels_aliased_Ico_act_R3_icosidodecahedron}
PHI = (1 + 5**0.5) / 2


def _A(g) -> torch.Tensor:
    return torch.from_numpy(G.standard_representation()(g))


@pytest.mark.parametrize("N,points", [(5, 12), (3, 20), (2, 30)])
def test_orbits_are_the_named_polyhedra(N: int, points: int) -> None:
    f = SparseOrbitBasisWithIcosahedralSymmetry(G.homspace((False, N)), sigma=0.5)
    P = f.points.numpy()
    assert P.shape == (points, 3) and np.allclose(np.linalg.norm(P, axis=1), 1.0)
    # the functions on the orbit are all there: sum_j m_j dim psi_j = |G / H|
    assert f.dim == points
    d = np.linalg.norm(P[:, None] - P[None], axis=2)
    nearest = np.sort(d, axis=1)[:, 1]
    # every vertex has the same number of nearest neighbours: 5 (icosahedron), 3 (dodecahedron), 4 (icosidodecahedron)
    degree = {5: 5, 3: 3, 2: 4}[N]
    assert np.allclose(nearest, nearest[0]) and ((np.abs(d - nearest[0]) < 1e-9).sum(1) == degree).all()
    if N == 5:  # the icosahedron of the group's own definition: vertices (0, +-1, +-phi) and cyclic shifts
        v = np.array([0.0, 1.0, PHI]) / np.linalg.norm([0.0, 1.0, PHI])
        assert np.isclose(np.abs(P @ v).max(), 1.0)


@pytest.mark.parametrize("N", [5, 3, 2])
def test_filters_transform_as_their_irreps(N: int) -> None:
    f = SparseOrbitBasisWithIcosahedralSymmetry(G.homspace((False, N)), sigma=0.4, change_of_basis=2 * np.eye(3))
    x = torch.randn(16, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(N))
    Y = f.sample(x)[..., 0, 0]
    rho = directsum([G.irrep(*j) for j, m in f.js for _ in range(m)])
    for g in G.elements:
        assert torch.allclose(f.sample(x @ _A(g).T)[..., 0, 0], Y @ torch.from_numpy(rho(g)).T, atol=1e-12)


def _random_orthogonal(n: int, seed: int) -> np.ndarray:
    return np.linalg.qr(np.random.default_rng(seed).normal(size=(n, n)))[0]


@pytest.mark.parametrize("N", [5, 3, 2])
def test_kernels_are_steerable_for_all_sixty_rotations(N: int) -> None:
    # representations with a non-trivial change of basis, so the conjugation path is exercised
    r_in = directsum([G.irrep(0), G.irrep(1)], change_of_basis=_random_orthogonal(4, 0))
    r_out = directsum([G.irrep(3), G.irrep(4)], change_of_basis=_random_orthogonal(7, 1))
    basis = BUILDERS[N](r_in, r_out, radii=[0.0, 1.0, 2.0], sigma=[0.3, 0.6, 0.4])
    x = torch.randn(12, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(7))
    K = basis.sample(x)
    assert K.shape == (12, basis.dim, 7, 4) and K.abs().max() > 1e-3
    worst = 0.0
    for g in G.elements:
        Ro, Ri = torch.from_numpy(r_out(g)), torch.from_numpy(r_in(g))
        worst = max(worst, float((basis.sample(x @ _A(g).T) - Ro @ K @ Ri.T).abs().max() / K.abs().max()))
    assert worst < 1e-9


@pytest.mark.parametrize("N", [5, 3, 2])
def test_basis_size_is_frobenius_reciprocity(N: int) -> None:
    # on one ring, kernels on G/H are the H-equivariant maps rho_in -> rho_out: dim Hom_H(Res rho_in, Res rho_out),
    # which counts dim End(phi) per pair of copies of each irrep phi of H (2 for the rotation irreps of C_N)
    X = G.homspace((False, N))
    for a, b in [((1,), (1,)), ((1,), (3,)), ((2,), (4,)), ((0,), (2,))]:
        r_in, r_out = G.irrep(*a), G.irrep(*b)
        H_in, H_out = (G.restrict_representation((False, N), r) for r in (r_in, r_out))
        expected = sum(H_in.multiplicity(p.id) * H_out.multiplicity(p.id) * len(p.endomorphism_basis()) for p in X.H.irreps())
        try:
            dim = OrbitKernelBasis(SparseOrbitBasisWithIcosahedralSymmetry(X, 0.5), r_in, r_out).dim
        except EmptyBasisError:
            dim = 0
        assert dim == expected, (a, b)


def test_origin_carries_only_the_invariant_maps() -> None:
    origin = SparseOrbitBasis(G.homspace("self"), G.standard_representation(), np.zeros(3), 0.1)
    assert origin.dim == 1 and origin.points.shape == (1, 3)
    assert OrbitKernelBasis(origin, G.irrep(1), G.irrep(1)).dim == 1
    with pytest.raises(EmptyBasisError):
        OrbitKernelBasis(origin, G.irrep(1), G.irrep(3))


def test_bad_input_is_refused() -> None:
    X = G.homspace((False, 5))
    with pytest.raises(ValueError, match="not fixed by the stabiliser"):
        SparseOrbitBasis(X, G.standard_representation(), np.array([1.0, 0.0, 0.0]), 0.5)
    with pytest.raises(ValueError, match="root must have shape"):
        SparseOrbitBasis(X, G.standard_representation(), np.zeros(2), 0.5)
    with pytest.raises(ValueError, match="sigma must be a positive"):
        SparseOrbitBasisWithIcosahedralSymmetry(X, sigma=0.0)
    with pytest.raises(ValueError, match=r"with N in \(2, 3, 5\)"):
        SparseOrbitBasisWithIcosahedralSymmetry(G.homspace("trivial"), sigma=0.5)
    with pytest.raises(ValueError, match="representations of ico_group"):
        kernels_aliased_Ico_act_R3_icosahedron(octa_group().irrep(1), octa_group().irrep(1), [1.0], 0.5)
    with pytest.raises(ValueError, match="cyclic subgroups"):
        G.subgroup((False, 4))
