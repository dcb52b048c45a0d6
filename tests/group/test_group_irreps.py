"""Irreducible representations: homomorphism, orthogonality, Schur, characters, regular rep."""
from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given

from _group_cases import (  # noqa: F401 (single_thread_blas is an autouse fixture)
    single_thread_blas,
    ALL_GROUPS,
    ATOL,
    CONTINUOUS_GROUPS,
    FAST,
    FINITE_GROUPS,
    SO3G,
    O3G,
    gid,
    haar_quadrature,
    irrep_character_table,
    is_permutation_matrix,
    sample_elements,
    seeds,
)
from steerable.group import Group, IrreducibleRepresentation, intertwiner_basis

E_OF_TYPE = {"R": 1, "C": 2, "H": 4}


def _irreps_under_test(G: Group) -> list[IrreducibleRepresentation]:
    if G == SO3G:
        return [G.irrep(l) for l in range(9)]
    if G == O3G:
        return [G.irrep(j, l) for l in range(6) for j in range(2)]
    return G.irreps()


@pytest.mark.parametrize("G", ALL_GROUPS, ids=gid)
@FAST
@given(seed=seeds)
def test_irreps_are_orthogonal_homomorphisms(G: Group, seed: int) -> None:
    g, h = sample_elements(G, seed, 2)
    for psi in _irreps_under_test(G):
        a, b, ab = psi(g), psi(h), psi(g @ h)
        assert ab.shape == (psi.size, psi.size) and ab.dtype == np.float64
        np.testing.assert_allclose(ab, a @ b, atol=ATOL, err_msg=repr(psi))
        np.testing.assert_allclose(a @ a.T, np.eye(psi.size), atol=ATOL, err_msg=repr(psi))
        np.testing.assert_allclose(psi(~g), a.T, atol=ATOL, err_msg=repr(psi))
        np.testing.assert_allclose(psi(G.identity), np.eye(psi.size), atol=ATOL, err_msg=repr(psi))
        # the batched evaluation agrees with the single one
        np.testing.assert_allclose(psi.matrices([g, h]), np.stack([a, b]), atol=ATOL)
        assert psi.character(g) == pytest.approx(np.trace(a), abs=ATOL)


@pytest.mark.parametrize("G", ALL_GROUPS, ids=gid)
def test_irrep_metadata(G: Group) -> None:
    irreps = G.irreps()
    assert len(set(psi.id for psi in irreps)) == len(irreps), "irrep ids repeat"
    assert irreps[0] == G.trivial_representation and G.trivial_representation.is_trivial()
    assert sum(psi.is_trivial() for psi in irreps) == 1
    for psi in irreps:
        assert psi is G.irrep(*psi.id)  # cached
        assert psi == G.irrep(psi.id) and hash(psi) == hash(G.irrep(psi.id))
        assert psi.type in E_OF_TYPE
        assert psi.sum_of_squares_constituents == E_OF_TYPE[psi.type]
        assert psi.endomorphism_basis().shape == (E_OF_TYPE[psi.type], psi.size, psi.size)
        assert psi.size % psi.sum_of_squares_constituents == 0
        assert psi.irreps == [psi.id] and psi.irrep_objects == [psi] and psi.size == sum(p.size for p in psi.irrep_objects)
        assert psi.attributes["irrep"]


@pytest.mark.parametrize("G", ALL_GROUPS, ids=gid)
def test_endomorphisms_and_schur(G: Group) -> None:
    """``End(psi)`` commutes with psi, has the type's dimension ``e``, and *is* the whole commutant
    (computed independently as a null space): this also proves each irrep is irreducible."""
    elements = G.elements if not G.continuous else G.generators + sample_elements(G, 0, 4)
    for psi in _irreps_under_test(G):
        E = psi.endomorphism_basis()
        for g in elements:
            m = psi(g)
            for X in E:
                np.testing.assert_allclose(X @ m, m @ X, atol=ATOL, err_msg=repr(psi))
        # orthonormal in <A, B> = tr(A^T B) / d
        gram = np.einsum("aij,bij->ab", E, E) / psi.size
        np.testing.assert_allclose(gram, np.eye(len(E)), atol=ATOL)
        commutant = intertwiner_basis([(psi(g), psi(g)) for g in elements])
        assert commutant.shape[0] == psi.sum_of_squares_constituents, repr(psi)
        # End(psi) spans the commutant
        coeffs = np.einsum("aij,bij->ab", commutant, E) / psi.size
        np.testing.assert_allclose(np.einsum("ab,bij->aij", coeffs, E), commutant, atol=1e-7)


@pytest.mark.parametrize("G", ALL_GROUPS, ids=gid)
def test_distinct_irreps_are_inequivalent(G: Group) -> None:
    """No nonzero intertwiner between two different irreps (checked on generators)."""
    elements = G.generators if G.continuous else G.elements
    irreps = _irreps_under_test(G)[:8]
    for i, a in enumerate(irreps):
        for b in irreps[i + 1 :]:
            basis = intertwiner_basis([(a(g), b(g)) for g in elements])
            assert basis.shape[0] == 0, (a, b)


@pytest.mark.parametrize("G", ALL_GROUPS, ids=gid)
def test_character_orthogonality(G: Group) -> None:
    irreps = _irreps_under_test(G)
    if G.continuous:
        irreps = [psi for psi in irreps if psi.attributes["frequency"] <= 4]
    top = max(psi.attributes.get("frequency", 0) for psi in irreps)
    elements, w = haar_quadrature(G, 2 * top)
    assert w.sum() == pytest.approx(1.0)
    chi = irrep_character_table(G, irreps, elements)
    gram = (chi * w) @ chi.T
    e = np.array([psi.sum_of_squares_constituents for psi in irreps], dtype=float)
    np.testing.assert_allclose(gram, np.diag(e), atol=1e-9)


@pytest.mark.parametrize("G", FINITE_GROUPS, ids=gid)
def test_finite_irreps_are_complete(G: Group) -> None:
    """Burnside: sum over real irreps of d^2 / e = |G| (each complex irrep pair counted once)."""
    total = sum(psi.size**2 // psi.sum_of_squares_constituents for psi in G.irreps())
    assert total == G.order()


@pytest.mark.parametrize("G", FINITE_GROUPS, ids=gid)
def test_regular_representation(G: Group) -> None:
    rho = G.regular_representation
    els = G.elements
    n = len(els)
    assert rho.size == n
    index = {g: i for i, g in enumerate(els)}
    assert rho.is_permutation and "pointwise" in rho.supported_nonlinearities
    mats = rho.matrices(els)
    for h, M in zip(els, mats):
        assert is_permutation_matrix(M), h
        np.testing.assert_allclose(M, rho(h), atol=ATOL)
        # (rho(h) f)(g) = f(h^-1 g): rho(h) sends the basis vector e_g to e_(hg)
        expected = np.zeros((n, n))
        for g in els:
            expected[index[h @ g], index[g]] = 1.0
        np.testing.assert_allclose(M, expected, atol=ATOL)
        assert rho.character(h) == pytest.approx(n if h == G.identity else 0.0, abs=ATOL)
    for g in els[:4]:
        for h in els:
            np.testing.assert_allclose(rho(g @ h), rho(g) @ rho(h), atol=ATOL)
    # each isotypic component has total dimension d^2 / e
    for psi in G.irreps():
        assert rho.multiplicity(psi.id) * psi.sum_of_squares_constituents == psi.size, psi
    assert sum(rho.multiplicity(psi.id) * psi.size for psi in G.irreps()) == n
    Q = rho.change_of_basis
    np.testing.assert_allclose(Q.T @ Q, np.eye(n), atol=ATOL)


@pytest.mark.parametrize("G", CONTINUOUS_GROUPS, ids=gid)
def test_continuous_group_has_no_regular_representation(G: Group) -> None:
    with pytest.raises(ValueError, match="continuous"):
        G.regular_representation
    assert G.elements is None  # escnn's convention for continuous groups


@pytest.mark.parametrize("G", ALL_GROUPS, ids=gid)
def test_bl_regular_representation(G: Group) -> None:
    L = 2
    rho = G.bl_regular_representation(L)
    for psi in G.irreps_up_to(L):
        assert psi.attributes.get("frequency", 0) <= L
        assert rho.multiplicity(psi.id) == psi.size // psi.sum_of_squares_constituents
    assert rho.size == sum(psi.size**2 // psi.sum_of_squares_constituents for psi in G.irreps_up_to(L))
    g, h = sample_elements(G, 1, 2)
    np.testing.assert_allclose(rho(g @ h), rho(g) @ rho(h), atol=ATOL)


def test_so3_irrep_matches_rotation_matrix() -> None:
    """``D^1(R) = R``: the l=1 irrep is the defining representation (and O(3)'s vector irrep)."""
    for g in sample_elements(SO3G, 5, 5):
        np.testing.assert_allclose(SO3G.irrep(1)(g), SO3G.standard_matrix(g), atol=ATOL)
    for g in sample_elements(O3G, 5, 5):
        np.testing.assert_allclose(O3G.irrep(1, 1)(g), O3G.standard_matrix(g), atol=ATOL)
        np.testing.assert_allclose(
            O3G.irrep(0, 1)(g), np.linalg.det(O3G.standard_matrix(g)) * O3G.standard_matrix(g), atol=ATOL
        )


def test_planar_irreps_match_rotation_matrix() -> None:
    from _group_cases import O2G, SO2G

    for G, psi in [(SO2G, SO2G.irrep(1)), (O2G, O2G.irrep(1, 1))]:
        for g in sample_elements(G, 7, 5):
            np.testing.assert_allclose(psi(g), G.standard_matrix(g), atol=ATOL)


_CONSTRUCT_ALL = """
import numpy as np
import steerable.group as sg
groups = [sg.cyclic_group(N) for N in (1, 2, 3, 4, 5, 8, 16)]
groups += [sg.dihedral_group(N) for N in (1, 2, 3, 4, 6, 8)]
groups += [sg.so2_group(4), sg.o2_group(4), sg.so3_group(8), sg.o3_group(3), sg.trivial_group()]
for G in groups:
    els = G.elements if not G.continuous else [G.sample(s) for s in range(3)]
    for psi in G.irreps():
        for g in els:
            psi(g)
    if not G.continuous:
        G.regular_representation
    G.bl_regular_representation(2)
"""


def test_construction_raises_no_warning_fresh_process() -> None:
    """Constructing every group and its irreps (SO(3) to l=8) warns about nothing, not even at
    import; a fresh interpreter makes sure no cache hides a first-time warning."""
    res = subprocess.run(
        [sys.executable, "-W", "error", "-c", _CONSTRUCT_ALL], capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stderr == "", res.stderr[-3000:]


def test_construction_raises_no_warning_new_instances() -> None:
    from steerable.group import O2, O3, SO2, SO3, CyclicGroup, DihedralGroup

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fresh = [CyclicGroup(N) for N in (1, 2, 3, 4, 5, 8, 16)] + [DihedralGroup(N) for N in (1, 2, 3, 4, 6, 8)]
        fresh += [SO2(4), O2(4), SO3(8), O3(3)]
        for G in fresh:
            g = G.sample(0)
            for psi in G.irreps():
                psi(g)
            G.bl_regular_representation(1)
