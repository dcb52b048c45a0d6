"""Homogeneous spaces G/H: basis sizes (escnn 1.0's, written out), the Mackey condition,
G-equivariance and independence of the harmonic basis."""
from __future__ import annotations

import numpy as np
import pytest

from steerable.group import HomSpace, cyclic_group, dihedral_group, o3_group, octa_group, so3_group


def test_dimensions_follow_escnn() -> None:
    X = so3_group(2).homspace((False, -1))  # the sphere
    assert (X.dimension_basis((2,), (0,)), X.dimension_basis((2,), (1,)), X.dimension_basis((0,), (1,))) == (
        (5, 1, 1), (5, 2, 2), (1, 0, 2))
    X = dihedral_group(4).homspace((None, 2))
    assert [X.dimension_basis(p.id, (0,)) for p in X.G.irreps()] == [(1, 1, 1), (1, 1, 1), (2, 0, 1), (1, 1, 1), (1, 1, 1)]
    X = cyclic_group(6).homspace(2)
    assert [X.dimension_basis(p.id, (1,)) for p in X.G.irreps()] == [(1, 0, 1), (2, 1, 1), (2, 0, 1), (1, 1, 1)]
    X = o3_group(2).homspace((True, False, -1))
    assert [X.dimension_basis(p, ((1,), (1,), 0)) for p in [(0, 1), (1, 1), (1, 2)]] == [(3, 0, 2), (3, 2, 2), (5, 2, 2)]


CASES = [
    (lambda: dihedral_group(6), (0, 3)),
    (lambda: cyclic_group(8), 2),
    (lambda: octa_group(), "trivial"),
    (lambda: so3_group(3), ("so2",)),
    (lambda: so3_group(3), ("cn", 4)),
]


@pytest.mark.parametrize("make, sgid", CASES, ids=[str(c[1]) for c in CASES])
def test_mackey_condition_and_equivariance(make, sgid) -> None:
    G = make()
    X = G.homspace(sgid)
    assert isinstance(X, HomSpace) and G.homspace(sgid) is X
    gs = G.testing_elements()[:6]
    hs = X.H.elements if not X.H.continuous else X.H.testing_elements()[:5]
    for rho in G.irreps()[:5]:
        for psi in X.H.irreps()[:4]:
            for g in gs:
                B = X.basis(g, rho, psi)
                assert B.shape == X.dimension_basis(rho.id, psi.id)
                for h in hs[:4]:
                    np.testing.assert_allclose(X.basis(g @ X._inclusion(h), rho, psi),
                                               np.einsum("ijp,pq->ijq", B, psi(h)), atol=1e-9)
                for k in gs[:3]:
                    np.testing.assert_allclose(X.basis(k @ g, rho, psi), np.einsum("oi,ijp->ojp", rho(k), B), atol=1e-9)


@pytest.mark.parametrize("make, sgid", CASES[:3], ids=[str(c[1]) for c in CASES[:3]])
def test_scalar_basis_spans_the_functions_on_the_cosets(make, sgid) -> None:
    """The functions g -> basis(g)[a, j, 0] over all rho, a, j are linearly independent, constant on
    cosets, and as many as the cosets (Frobenius reciprocity)."""
    G = make()
    X = G.homspace(sgid)
    rows = []
    for rho in G.irreps():
        F = np.stack([X.scalar_basis(g, rho)[:, :, 0].ravel() for g in G.elements], axis=1)
        rows.append(F)
    F = np.concatenate(rows)
    n_cosets = G.order() // X.H.order()
    assert F.shape[0] == n_cosets and np.linalg.matrix_rank(F, tol=1e-8) == n_cosets
    assert X.induced_representation().size == n_cosets
    for i, g in enumerate(G.elements):
        for j, g2 in enumerate(G.elements):
            if X.same_coset(g, g2):
                np.testing.assert_allclose(F[:, i], F[:, j], atol=1e-9)


def test_bad_inputs() -> None:
    X = cyclic_group(4).homspace(2)
    with pytest.raises(ValueError, match="stabiliser"):
        X.basis(X.G.identity, (1,), cyclic_group(4).irrep(1))
    with pytest.raises(TypeError):
        HomSpace("C4", 2)
    with pytest.raises(ValueError, match="continuous"):
        so3_group().homspace(("so2",)).induced_representation()
