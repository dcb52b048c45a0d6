"""escnn's remaining group names: homomorphism_space, disentangle, psi/chi/psichi, the exceptions,
DoubleGroup/double_group, the Octahedral/Icosahedral classes."""
from __future__ import annotations

import inspect
import pickle

import numpy as np
import pytest
from scipy.linalg import block_diag

from steerable.group import (
    DoubleGroup, Icosahedral, InsufficientIrrepsException, Octahedral, UnderconstrainedCGSystem, change_basis, chi,
    cyclic_group, decompose_representation, dihedral_group, directsum, disentangle, double_group, homomorphism_space,
    ico_group, o2_group, octa_group, psi, psichi, so2_group, so3_group,
)


# ---------------------------------------------------------------------- homomorphism_space
@pytest.mark.parametrize("G", [cyclic_group(4), dihedral_group(3), octa_group()], ids=str)
def test_homomorphism_space_spans_the_intertwiners(G) -> None:
    rho1 = directsum([G.regular_representation, G.irreps()[1]])
    rho2 = G.regular_representation
    H = homomorphism_space(rho1, rho2)
    # dimension: sum over equal irrep pairs of e_psi = sum_psi m1 m2 e
    expected = sum(rho1.multiplicity(p.id) * rho2.multiplicity(p.id) * p.sum_of_squares_constituents for p in G.irreps())
    assert H.shape == (expected, rho2.size, rho1.size)
    for g in G.elements:
        for X in H:
            np.testing.assert_allclose(rho2(g) @ X, X @ rho1(g), atol=1e-10)
    gram = np.einsum("aij,bij->ab", H, H)
    assert np.linalg.matrix_rank(gram, tol=1e-8) == expected  # linearly independent
    assert homomorphism_space(G.irreps()[0], G.irreps()[1]).shape[0] == 0
    with pytest.raises(ValueError, match="one group"):
        homomorphism_space(rho1, cyclic_group(5).regular_representation)


def test_homomorphism_space_of_so2_frequency_irrep() -> None:
    G = so2_group(3)
    H = homomorphism_space(G.irrep(2), G.irrep(2))
    np.testing.assert_allclose(H, [np.eye(2), [[0, -1], [1, 0]]], atol=1e-12)
    assert list(inspect.signature(homomorphism_space).parameters) == ["rho1", "rho2"]


# ---------------------------------------------------------------------- disentangle
def test_disentangle_recovers_hidden_blocks() -> None:
    G = dihedral_group(4)
    a, b, c = G.regular_representation, G.irrep(1, 1), G.irrep(0, 0)
    rho = directsum([a, b, c])
    perm = np.random.default_rng(0).permutation(rho.size)
    P0 = np.eye(rho.size)[perm]
    mixed = change_basis(rho, P0, "mixed")  # coordinates shuffled: blocks hidden
    P, reps = disentangle(mixed)
    assert sorted(r.size for r in reps) == [1, 2, 8]
    np.testing.assert_allclose(P @ P.T, np.eye(rho.size))
    assert set(np.unique(P)) == {0.0, 1.0}
    for g in G.elements:
        np.testing.assert_allclose(P @ mixed(g) @ P.T, block_diag(*[r(g) for r in reps]), atol=1e-10)
    assert [r.is_permutation for r in reps if r.size == 8] == [True]


def test_disentangle_keeps_an_entangled_representation_whole() -> None:
    G = cyclic_group(6)
    P, reps = disentangle(G.regular_representation)
    assert len(reps) == 1 and reps[0].size == 6
    np.testing.assert_allclose(P, np.eye(6))
    with pytest.raises(TypeError):
        disentangle(np.eye(3))


# ---------------------------------------------------------------------- psi, chi, psichi
def test_psi_chi_psichi_are_the_planar_irreps() -> None:
    t = 0.7
    np.testing.assert_allclose(psi(t, 3, 0.2), [[np.cos(2.3), -np.sin(2.3)], [np.sin(2.3), np.cos(2.3)]])
    np.testing.assert_allclose(chi(1), np.diag([1.0, -1.0]))
    np.testing.assert_allclose(chi(0), np.eye(2))
    np.testing.assert_allclose(psichi(t, 1, 2, 0.1), psi(t, 2, 0.1) @ chi(1), atol=1e-15)
    np.testing.assert_allclose(so2_group(3).irrep(2)(so2_group(3).element(t)), psi(t, 2), atol=1e-12)
    O2 = o2_group(3)
    for f in (0, 1):
        np.testing.assert_allclose(O2.irrep(1, 2)(O2.element((f, t))), psichi(t, f, 2), atol=1e-12)
    assert str(inspect.signature(psichi)) == "(theta: 'float', s: 'int', k: 'int' = 1, gamma: 'float' = 0.0) -> 'np.ndarray'"
    with pytest.raises(ValueError, match="0 or 1"):
        chi(2)


# ---------------------------------------------------------------------- exceptions
def test_decomposition_failure_raises_insufficient_irreps() -> None:
    G = cyclic_group(4)
    with pytest.raises(InsufficientIrrepsException) as err:
        # orthogonal matrices, but no homomorphism: no irreps of C4 span it
        decompose_representation(G, lambda g: np.eye(2) if g.value == 0 else psi(0.3), 2)
    assert isinstance(err.value, ValueError) and err.value.G == G
    e = UnderconstrainedCGSystem(G, None, (1,), (1,), 3)
    assert isinstance(e, ValueError) and e.S == 3 and "C4" in str(e)


# ---------------------------------------------------------------------- DoubleGroup
def test_double_group_diagonal_subgroup() -> None:
    G = dihedral_group(3)
    D = double_group(G)
    assert isinstance(D, DoubleGroup) and D.order() == 36 and D.name == "D3 X D3"
    H, incl, restr = D.subgroup(D.subgroup_diagonal_id)
    assert H == G
    for h in G.elements:
        assert restr(incl(h)) == h
    assert restr(D.pair_elements(G.element((0, 1)), G.identity)) is None
    # Res_diag (psi_a outer psi_b) is the inner tensor product psi_a (x) psi_b
    a, b = G.irrep(1, 1), G.irrep(1, 0)
    res = D.restrict_representation("diagonal", D.irrep(a.id, b.id))
    for h in G.elements:
        np.testing.assert_allclose(res(h), np.kron(a(h), b(h)), atol=1e-10)
    assert pickle.loads(pickle.dumps(D)) == D
    assert D.subgroup(D.subgroup1_id)[0] == G


# ---------------------------------------------------------------------- class names
def test_octahedral_and_icosahedral_classes() -> None:
    assert isinstance(octa_group(), Octahedral) and isinstance(ico_group(), Icosahedral)
    assert Octahedral().order() == 24 and Icosahedral().order() == 60
    assert pickle.loads(pickle.dumps(Octahedral())) == octa_group()
    assert so3_group().subgroup("octa")[0] == Octahedral()


def test_octahedral_irrep_ids_follow_escnn() -> None:
    """escnn's ids by their characters: on a quarter turn T1 = (1,) has 1, T2 = (-1,) has -1,
    E = (2,) has 0, the sign (3,) has -1; on a half turn about a face diagonal T1 -1, T2 1."""
    G = octa_group()
    assert sorted(p.id for p in G.irreps()) == [(-1,), (0,), (1,), (2,), (3,)]
    quarter = G.element(np.array([[0.0, -1, 0], [1, 0, 0], [0, 0, 1]]), "MAT")
    diagonal = G.element(np.array([[0.0, 1, 0], [1, 0, 0], [0, 0, -1]]), "MAT")
    chars = {p.id: (round(np.trace(p(quarter))), round(np.trace(p(diagonal)))) for p in G.irreps()}
    assert chars == {(0,): (1, 1), (1,): (1, -1), (-1,): (-1, 1), (2,): (0, 0), (3,): (-1, -1)}
    np.testing.assert_allclose(G.irrep(1)(quarter), G.standard_matrix(quarter), atol=1e-12)  # escnn: (1,) acts on xyz
    assert G.standard_representation() == G.irrep(1) and ico_group().standard_representation() == ico_group().irrep(1)
    with pytest.raises(ValueError, match="irreps"):
        G.irrep(4)
