"""Representations built from others: direct sum, change of basis, tensor product, restriction,
subgroup maps, induced and quotient representations."""
from __future__ import annotations

from typing import Hashable

import numpy as np
import pytest
from hypothesis import given, settings
from scipy.linalg import block_diag

from _group_cases import (  # noqa: F401 (single_thread_blas is an autouse fixture)
    single_thread_blas,
    ALL_GROUPS,
    ATOL,
    FAST,
    O2G,
    O3G,
    SO2G,
    SO3G,
    SUBGROUP_CASES,
    case_id,
    gid,
    is_permutation_matrix,
    random_orthogonal,
    sample_elements,
    seeds,
)
from steerable.group import (
    Group,
    GroupElement,
    Representation,
    change_basis,
    cyclic_group,
    dihedral_group,
    directsum,
    tensor_product,
)


def _some_representation(G: Group, seed: int = 0) -> Representation:
    """All irreps of ``G`` (plus the regular representation of a finite group) in a random basis."""
    parts: list[Representation] = list(G.irreps())
    if not G.continuous and G.order() <= 8:
        parts.append(G.regular_representation)
    rho = directsum(parts)
    return change_basis(rho, random_orthogonal(rho.size, np.random.default_rng(seed)), "mixed")


def _assert_orthogonal_hom(rho: Representation, elements: list[GroupElement]) -> None:
    for g in elements:
        m = rho(g)
        np.testing.assert_allclose(m @ m.T, np.eye(rho.size), atol=ATOL)
        for h in elements[:3]:
            np.testing.assert_allclose(rho(g @ h), m @ rho(h), atol=ATOL)


# ---------------------------------------------------------------------- direct sum / change of basis
@pytest.mark.parametrize("G", ALL_GROUPS, ids=gid)
@settings(max_examples=4, deadline=None)
@given(seed=seeds)
def test_directsum_and_change_of_basis(G: Group, seed: int) -> None:
    rng = np.random.default_rng(seed)
    irreps = G.irreps()
    a = directsum([irreps[-1], irreps[0]])
    Q = random_orthogonal(a.size, rng)
    b = change_basis(a, Q, "b")
    Q2 = random_orthogonal(a.size, rng)
    b2 = change_basis(b, Q2, "b2")  # a change of basis of a representation with a nontrivial basis
    c = directsum([b, irreps[-1], a])
    assert c.size == 2 * a.size + irreps[-1].size
    assert c.irrep_ids == b.irrep_ids + [irreps[-1].id] + a.irrep_ids
    for g in sample_elements(G, seed, 3):
        np.testing.assert_allclose(a(g), block_diag(irreps[-1](g), irreps[0](g)), atol=ATOL)
        np.testing.assert_allclose(b(g), Q @ a(g) @ Q.T, atol=ATOL)
        np.testing.assert_allclose(b2(g), Q2 @ Q @ a(g) @ Q.T @ Q2.T, atol=ATOL)
        np.testing.assert_allclose(c(g), block_diag(b(g), irreps[-1](g), a(g)), atol=ATOL)
        np.testing.assert_allclose((a + b)(g), block_diag(a(g), b(g)), atol=ATOL)
        assert c.character(g) == pytest.approx(np.trace(c(g)), abs=ATOL)
        # rho(g) = Q (+) psi_i(g) Q^T is the stored model
        D = block_diag(*[psi(g) for psi in c.irrep_objects])
        np.testing.assert_allclose(c(g), c.change_of_basis @ D @ c.change_of_basis.T, atol=ATOL)
    els = sample_elements(G, seed + 1, 4)
    np.testing.assert_allclose(c.matrices(els), np.stack([c(g) for g in els]), atol=ATOL)


def test_representation_equality_and_hash() -> None:
    G = dihedral_group(4)
    a = directsum([G.irrep(1, 1), G.irrep(0, 0)])
    b = directsum([G.irrep(1, 1), G.irrep(0, 0)], name="another name")
    assert a == b
    assert hash(a) == hash(b), "equal representations must hash equally"
    assert len({a, b}) == 1
    Q = random_orthogonal(3, np.random.default_rng(0))
    assert change_basis(a, Q, "q") != a
    assert directsum([G.irrep(0, 0), G.irrep(1, 1)]) != a


@pytest.mark.parametrize("G", [cyclic_group(4), dihedral_group(3), SO2G, O2G, SO3G, O3G], ids=gid)
def test_directsum_permutation_flags(G: Group) -> None:
    triv = G.trivial_representation
    s = directsum([triv, triv])
    assert s.is_permutation
    if not G.continuous:
        r = directsum([G.regular_representation, triv])
        assert r.is_permutation and "pointwise" in r.supported_nonlinearities
        for g in G.elements:
            assert is_permutation_matrix(r(g))
    nontriv = G.irreps()[1]
    assert not directsum([nontriv, triv]).is_permutation


# ---------------------------------------------------------------------- tensor products
def _tensor_cases() -> list[tuple[Representation, Representation]]:
    C4, D4, D3 = cyclic_group(4), dihedral_group(4), dihedral_group(3)
    rng = np.random.default_rng(1)
    mixed_d3 = change_basis(D3.regular_representation, random_orthogonal(6, rng), "mixed")
    return [
        (C4.regular_representation, C4.irrep(1)),
        (C4.irrep(1), C4.regular_representation),
        (C4.regular_representation, C4.regular_representation),
        (D4.regular_representation, D4.irrep(1, 1)),
        (mixed_d3, D3.irrep(1, 1) + D3.irrep(1, 0)),
        (cyclic_group(5).irrep(2), cyclic_group(5).irrep(2)),
        (SO2G.irrep(3) + SO2G.irrep(0), SO2G.irrep(2)),
        (O2G.irrep(1, 2), O2G.irrep(1, 0) + O2G.irrep(1, 1)),
        (SO3G.irrep(2) + SO3G.irrep(1), SO3G.irrep(1)),
        (change_basis(SO3G.irrep(1) + SO3G.irrep(0), random_orthogonal(4, rng), "m"), SO3G.irrep(2)),
        (O3G.irrep(1, 1), O3G.irrep(0, 2) + O3G.irrep(1, 0)),
    ]


@pytest.mark.parametrize("a, b", _tensor_cases(), ids=lambda r: f"{r.group.name}:{r.name}")
def test_tensor_product(a: Representation, b: Representation) -> None:
    T = tensor_product(a, b)
    assert T.size == a.size * b.size and T.group == a.group
    G = a.group
    els = G.elements if not G.continuous else sample_elements(G, 3, 6)
    for g in els:
        np.testing.assert_allclose(T(g), np.kron(a(g), b(g)), atol=ATOL)
    assert T.is_permutation == (a.is_permutation and b.is_permutation)
    if T.is_permutation:
        assert all(is_permutation_matrix(T(g)) for g in els)
    # characters multiply (basis independent)
    for g in els[:4]:
        assert T.character(g) == pytest.approx(a.character(g) * b.character(g), abs=1e-8)


# ---------------------------------------------------------------------- subgroups and restriction
@pytest.mark.parametrize("case", SUBGROUP_CASES, ids=case_id)
@FAST
@given(seed=seeds)
def test_subgroup_maps(case: tuple, seed: int) -> None:
    """``incl`` is an injective homomorphism H -> G and ``restr`` is its inverse on the image."""
    G, sid, hname = case
    H, incl, restr = G.subgroup(sid)
    assert H.name == hname
    a, b = sample_elements(H, seed, 2)
    assert incl(a).group == G
    assert incl(a @ b) == incl(a) @ incl(b)
    assert incl(~a) == ~incl(a)
    assert incl(H.identity) == G.identity
    assert restr(incl(a)) == a
    assert restr(incl(a) @ incl(b)) == a @ b
    assert restr(G.identity) == H.identity
    if a != H.identity:
        assert incl(a) != G.identity  # injective
    # a point of G: if it lies in H, restr recovers it
    for g in sample_elements(G, seed + 1, 3):
        r = restr(g)
        if r is not None:
            assert r.group == H and incl(r) == g
        if H == G:
            assert r is not None, "the whole group contains every element"
        if G.continuous and not H.continuous:
            assert r is None, "a finite subgroup has Haar measure zero"


@pytest.mark.parametrize("case", [c for c in SUBGROUP_CASES if not c[0].continuous], ids=case_id)
def test_finite_subgroup_is_exactly_the_image(case: tuple) -> None:
    G, sid, _ = case
    H, incl, restr = G.subgroup(sid)
    image = {incl(h) for h in H.elements}
    assert len(image) == H.order()
    inside = [g for g in G.elements if restr(g) is not None]
    assert set(inside) == image
    assert G.order() % H.order() == 0


def test_subgroup_geometry() -> None:
    """Spatial subgroups act as documented: rotations about z, flips by pi about x, the mirror
    y -> -y for 'cyl' and the inversion for 'inv'."""
    ez = np.array([0.0, 0.0, 1.0])
    for G, sid in [(SO3G, ("so2",)), (SO3G, ("cn", 4)), (O3G, ("cyl", -1)), (O3G, ("cyl", 4))]:
        H, incl, _ = G.subgroup(sid)
        for h in sample_elements(H, 0, 5):
            np.testing.assert_allclose(G.standard_matrix(incl(h)) @ ez, ez, atol=ATOL)
    H, incl, _ = SO3G.subgroup(("dn", 4))
    np.testing.assert_allclose(SO3G.standard_matrix(incl(H.element((1, 0)))), np.diag([1.0, -1, -1]), atol=ATOL)
    H, incl, _ = O3G.subgroup(("cyl", 4))
    np.testing.assert_allclose(O3G.standard_matrix(incl(H.element((1, 0)))), np.diag([1.0, -1, 1]), atol=ATOL)
    H, incl, _ = O3G.subgroup("inv")
    np.testing.assert_allclose(O3G.standard_matrix(incl(H.element(1))), -np.eye(3), atol=ATOL)
    # planar: C_M in SO(2) are the rotations by 2 pi / M; the D_M of O(2) with axis a contains
    # the mirror across the line at angle a
    H, incl, _ = SO2G.subgroup(3)
    np.testing.assert_allclose(SO2G.standard_matrix(incl(H.element(1))), SO2G.element(2 * np.pi / 3).to("MAT"), atol=ATOL)
    H, incl, _ = O2G.subgroup((0.3, 4))
    mirror = O2G.standard_matrix(incl(H.element((1, 0))))
    line = np.array([np.cos(0.3), np.sin(0.3)])
    np.testing.assert_allclose(mirror @ line, line, atol=ATOL)
    np.testing.assert_allclose(np.linalg.det(mirror), -1.0, atol=ATOL)
    H, incl, _ = dihedral_group(8).subgroup((1, 4))
    mirror = dihedral_group(8).standard_matrix(incl(H.element((1, 0))))
    line = np.array([np.cos(np.pi / 8), np.sin(np.pi / 8)])
    np.testing.assert_allclose(mirror @ line, line, atol=ATOL)


@pytest.mark.parametrize("case", SUBGROUP_CASES, ids=case_id)
def test_restrict(case: tuple) -> None:
    G, sid, _ = case
    H, incl, _ = G.subgroup(sid)
    rho = _some_representation(G)
    res = rho.restrict(sid)
    assert res.group == H and res.size == rho.size
    hs = H.elements if not H.continuous else sample_elements(H, 11, 6)
    for h in hs:
        np.testing.assert_allclose(res(h), rho(incl(h)), atol=ATOL)
    # restricted irreps are irreps of H: characters add up
    for h in hs[:4]:
        assert res.character(h) == pytest.approx(rho.character(incl(h)), abs=1e-8)
    if not G.continuous and rho.is_permutation:
        assert res.is_permutation


# ---------------------------------------------------------------------- induced and quotient
def _hand_coset_reps(G: Group, sid: Hashable) -> list[GroupElement]:
    """Left coset representatives of G/H chosen by the test (not the library's choice)."""
    H, incl, restr = G.subgroup(sid)
    if G == O2G:
        return [G.element((0, 0.4)), G.element((1, 1.1))]
    if G == O3G:
        return [G.element((0, SO3G.sample(5).value), "(int, Q)"), G.element((1, SO3G.sample(6).value), "(int, Q)")]
    reps: list[GroupElement] = []
    for g in reversed(G.elements):
        if all(restr(~r @ g) is None for r in reps):
            reps.append(g)
    assert len(reps) * H.order() == G.order()
    return reps


def _hand_induced(G: Group, sid: Hashable, sigma: Representation, reps: list[GroupElement], g: GroupElement) -> np.ndarray:
    """``Ind(g)``: block ``(j, i)`` is ``sigma(h)`` where ``g r_i = r_j h``."""
    _, _, restr = G.subgroup(sid)
    n, d = len(reps), sigma.size
    out = np.zeros((n * d, n * d))
    for i, ri in enumerate(reps):
        hits = [(j, restr(~rj @ g @ ri)) for j, rj in enumerate(reps)]
        hits = [(j, h) for j, h in hits if h is not None]
        assert len(hits) == 1, "cosets must partition G"
        j, h = hits[0]
        out[j * d : (j + 1) * d, i * d : (i + 1) * d] = sigma(h)
    return out


def _induced_cases() -> list[tuple[Group, Hashable, Representation]]:
    C8, C16, D4, D6 = cyclic_group(8), cyclic_group(16), dihedral_group(4), dihedral_group(6)
    rng = np.random.default_rng(2)
    c4 = cyclic_group(4)
    return [
        (C8, 2, cyclic_group(2).irrep(1)),
        (C16, 4, c4.irrep(1)),
        (C16, 4, change_basis(c4.regular_representation, random_orthogonal(4, rng), "m")),
        (C16, 4, c4.regular_representation),
        (D6, (0, 3), dihedral_group(3).regular_representation),
        (D4, (None, 2), cyclic_group(2).irrep(1)),
        (D6, (1, 3), dihedral_group(3).irrep(1, 1)),
        (D4, (0, 1), dihedral_group(1).irrep(1, 0)),
        (D6, (None, 6), cyclic_group(6).irrep(2) + cyclic_group(6).irrep(3)),
        (cyclic_group(5), 1, cyclic_group(1).irrep(0)),
        (O2G, (None, -1), SO2G.irrep(2)),
        (O2G, (None, -1), SO2G.irrep(0) + SO2G.irrep(1)),
        (O3G, "so3", SO3G.irrep(2)),
    ]


@pytest.mark.parametrize("G, sid, sigma", _induced_cases(), ids=lambda x: str(x) if not isinstance(x, Representation) else x.name)
def test_induced_representation(G: Group, sid: Hashable, sigma: Representation) -> None:
    H, incl, restr = G.subgroup(sid)
    ind = G.induced_representation(sid, sigma)
    reps = _hand_coset_reps(G, sid)
    assert ind.size == len(reps) * sigma.size
    els = G.elements if not G.continuous else sample_elements(G, 4, 6) + [G.identity]
    for g in els:
        hand = _hand_induced(G, sid, sigma, reps, g)
        # the hand-built matrices are a representation (sanity of this test)...
        np.testing.assert_allclose(hand @ _hand_induced(G, sid, sigma, reps, ~g), np.eye(ind.size), atol=ATOL)
        # ...equivalent to the library's: equal characters
        assert ind.character(g) == pytest.approx(np.trace(hand), abs=1e-8), g
        assert np.trace(ind(g)) == pytest.approx(np.trace(hand), abs=1e-8), g
    _assert_orthogonal_hom(ind, els[:6])
    if not G.continuous:
        # Frobenius reciprocity: <Ind sigma, psi>_G = <sigma, Res psi>_H
        chi_ind = np.array([ind.character(g) for g in G.elements])
        for psi in G.irreps():
            e = psi.sum_of_squares_constituents
            lhs = np.mean(chi_ind * np.array([psi.character(g) for g in G.elements])) / e
            rhs = np.mean([sigma.character(h) * psi.character(incl(h)) for h in H.elements]) / e
            assert lhs == pytest.approx(rhs, abs=1e-9)
            assert ind.multiplicity(psi.id) == round(lhs)


@pytest.mark.parametrize(
    "G, sid, sigma",
    [c for c in _induced_cases() if not c[0].continuous],
    ids=lambda x: str(x) if not isinstance(x, Representation) else x.name,
)
def test_induced_representation_basis(G: Group, sid: Hashable, sigma: Representation) -> None:
    """The documented model: ``Ind(g) e_(i, a) = sum_b sigma(h)[b, a] e_(j, b)`` for ``g r_i = r_j h``,
    in the basis of the coset representatives ``r_i`` = the first element of each coset in
    ``G.elements`` order.  So an induced permutation representation is a permutation representation."""
    _, _, restr = G.subgroup(sid)
    reps: list[GroupElement] = []
    for g in G.elements:
        if all(restr(~r @ g) is None for r in reps):
            reps.append(g)
    ind = G.induced_representation(sid, sigma)
    for g in G.elements:
        np.testing.assert_allclose(ind(g), _hand_induced(G, sid, sigma, reps, g), atol=ATOL)
        if sigma.is_permutation:
            assert is_permutation_matrix(ind(g))
    assert ind.is_permutation == sigma.is_permutation


@pytest.mark.parametrize(
    "G, sid",
    [(c[0], c[1]) for c in SUBGROUP_CASES if not c[0].continuous] + [(O2G, (None, -1)), (O3G, "so3")],
    ids=lambda x: str(x),
)
def test_quotient_representation(G: Group, sid: Hashable) -> None:
    H, _, restr = G.subgroup(sid)
    q = G.quotient_representation(sid)
    reps = _hand_coset_reps(G, sid)
    assert q.size == len(reps)
    assert q.is_permutation and "pointwise" in q.supported_nonlinearities
    els = G.elements if not G.continuous else sample_elements(G, 8, 5) + [G.identity]
    for g in els:
        m = q(g)
        assert is_permutation_matrix(m), g
        # number of fixed cosets: #{i : r_i^-1 g r_i in H}
        fixed = sum(restr(~r @ g @ r) is not None for r in reps)
        assert np.trace(m) == pytest.approx(fixed, abs=1e-8)
    _assert_orthogonal_hom(q, els[:6])
    assert q.multiplicity(G.trivial_representation.id) == 1  # G acts transitively on G/H
    if not G.continuous and H.order() == 1:
        assert [q.character(g) for g in G.elements] == pytest.approx(
            [G.regular_representation.character(g) for g in G.elements], abs=1e-8
        )


@pytest.mark.parametrize(
    "rho, sid",
    [
        (SO3G.irrep(8), ("so2",)),
        (SO3G.irrep(8), ("o2",)),
        (SO3G.irrep(7), ("cn", 5)),
        (O3G.irrep(1, 6), ("cyl", -1)),
        (O3G.irrep(0, 5) + O3G.irrep(1, 5), "inv"),
        (O2G.irrep(1, 9), (None, -1)),
        (SO2G.irrep(11), 4),
    ],
    ids=lambda x: str(x),
)
def test_restrict_irreps_beyond_maxfreq(rho: Representation, sid: Hashable) -> None:
    """Irreps above the group's ``maxfreq`` restrict correctly (to irreps above the subgroup's)."""
    G = rho.group
    H, incl, _ = G.subgroup(sid)
    res = rho.restrict(sid)
    for h in (H.elements if not H.continuous else sample_elements(H, 2, 5)):
        np.testing.assert_allclose(res(h), rho(incl(h)), atol=ATOL)


@pytest.mark.parametrize("G", [SO2G, O2G, SO3G, O3G], ids=gid)
def test_lie_algebra_is_the_derivative(G: Group) -> None:
    """``rho.lie_algebra()[a]`` = d/dt rho(exp(t X_a)) at t = 0 (central differences), antisymmetric."""
    rho = _some_representation(G, seed=3)
    X = rho.lie_algebra()
    assert len(X) == G._lie_algebra_dim() > 0
    t = 1e-5
    for a, Xa in enumerate(X):
        fd = (rho(G._lie_exp(a, t)) - rho(G._lie_exp(a, -t))) / (2 * t)
        np.testing.assert_allclose(Xa, fd, atol=1e-6)
        np.testing.assert_allclose(Xa, -Xa.T, atol=1e-8)
    if G in (SO3G, O3G):
        # so(3) brackets: [X_x, X_y] = X_z and cyclic
        for a, b, c in [(0, 1, 2), (1, 2, 0), (2, 0, 1)]:
            np.testing.assert_allclose(X[a] @ X[b] - X[b] @ X[a], X[c], atol=1e-6)


@pytest.mark.parametrize(
    "G, sid",
    [(cyclic_group(5), 5), (dihedral_group(4), (0, 4)), (SO2G, -1), (O2G, (0.0, -1)), (O2G, (0.3, -1)), (SO3G, "so3")],
    ids=lambda x: str(x),
)
def test_quotient_by_the_whole_group_is_trivial(G: Group, sid: Hashable) -> None:
    """Index 1: one coset, the trivial representation (finite and continuous groups alike)."""
    q = G.quotient_representation(sid)
    assert q.size == 1 and q.is_trivial()
    H = G.subgroup(sid)[0]
    sigma = H.irreps()[1]
    ind = G.induced_representation(sid, sigma)
    _, incl, restr = G.subgroup(sid)
    for g in (G.elements if not G.continuous else sample_elements(G, 1, 4)):
        h = restr(g)
        assert h is not None
        assert ind.character(g) == pytest.approx(sigma.character(h), abs=1e-8)
