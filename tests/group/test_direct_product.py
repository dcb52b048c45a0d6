"""Direct products G1 x G2 and the named products (full octahedral/icosahedral, cylinder groups).

Expected orders, irrep ids and sizes are escnn 1.0's (written out here, read from escnn).
"""
from __future__ import annotations

import pickle

import numpy as np
import pytest

from steerable.group import (
    DirectProductGroup, cyclic_group, cylinder_discrete_group, cylinder_group, dihedral_group, direct_product,
    full_cylinder_discrete_group, full_cylinder_group, full_ico_group, full_octa_group, full_tetra_group, so2_group,
)

FINITE = {
    "full_octa": (full_octa_group, 48, [1, 3, 2, 3, 1] * 2),
    "full_ico": (full_ico_group, 120, [1, 3, 5, 3, 4] * 2),
    "full_tetra": (full_tetra_group, 24, None),
    "cyl_discrete_4": (lambda: cylinder_discrete_group(4), 8, [1, 2, 1, 1, 2, 1]),
    "full_cyl_discrete_4": (lambda: full_cylinder_discrete_group(4), 16, [1, 1, 2, 1, 1] * 2),
    "c3_x_d2": (lambda: direct_product(cyclic_group(3), dihedral_group(2)), 12, [1, 1, 1, 1, 2, 2, 2, 2]),
    "c3_x_c4": (lambda: direct_product(cyclic_group(3), cyclic_group(4)), 12, None),  # complex x complex pieces
}
CONTINUOUS = {
    "cylinder": lambda: cylinder_group(3),
    "full_cylinder": lambda: full_cylinder_group(3),
}


def _all(G):
    return G.elements if not G.continuous else G.testing_elements()


@pytest.fixture(scope="module", params=list(FINITE) + list(CONTINUOUS))
def group(request):
    if request.param in FINITE:
        return FINITE[request.param][0]()
    return CONTINUOUS[request.param]()


def test_orders_and_irrep_sizes_follow_escnn() -> None:
    for name, (make, order, sizes) in FINITE.items():
        G = make()
        assert G.order() == order, name
        if sizes is not None:
            assert [psi.size for psi in G.irreps()] == sizes, name
        # Burnside: sum over irreps of d^2 / e is |G|
        assert sum(psi.size ** 2 // psi.sum_of_squares_constituents for psi in G.irreps()) == order, name
    assert cylinder_group(3).order() == -1 and cylinder_group(3).elements is None
    # escnn's ids: ((inversion irrep), (factor irrep), i)
    assert [psi.id for psi in cylinder_group(2).irreps()] == [
        ((0,), (0,), 0), ((0,), (1,), 0), ((0,), (2,), 0), ((1,), (0,), 0), ((1,), (1,), 0), ((1,), (2,), 0)]
    assert full_cylinder_group(1).irrep((1,), (1, 1)).size == 2
    assert full_octa_group().G1 == cyclic_group(2) and full_octa_group().name == "FullOctahedral"


def test_irreps_are_homomorphisms(group) -> None:
    els = _all(group)
    rng = np.random.default_rng(0)
    pairs = [(els[i], els[j]) for i, j in rng.integers(len(els), size=(60, 2))]
    for psi in group.irreps():
        for g, h in pairs:
            np.testing.assert_allclose(psi(g @ h), psi(g) @ psi(h), atol=1e-10)
        np.testing.assert_allclose(psi(group.identity), np.eye(psi.size), atol=1e-12)
        for g in els[:10]:
            M = psi(g)
            np.testing.assert_allclose(M @ M.T, np.eye(psi.size), atol=1e-10)


def test_character_orthogonality(group) -> None:
    """<chi_a, chi_b> = e_a delta_ab: exact sums for finite groups, an exact quadrature (a
    16-rotation grid for frequencies <= 6) for the continuous ones."""
    els = group.elements if not group.continuous else group.grid("regular", 16)
    chars = np.array([[np.trace(psi(g)) for g in els] for psi in group.irreps()])
    gram = chars @ chars.T / len(els)
    e = [psi.sum_of_squares_constituents for psi in group.irreps()]
    np.testing.assert_allclose(gram, np.diag(e), atol=1e-9)


def test_endomorphisms_commute(group) -> None:
    for psi in group.irreps():
        E = psi.endomorphism_basis()
        assert E.shape[0] == {"R": 1, "C": 2, "H": 4}[psi.type]
        for g in _all(group)[:8]:
            for X in E:
                np.testing.assert_allclose(X @ psi(g), psi(g) @ X, atol=1e-10)


def test_complex_times_complex_splits_into_two_irreps() -> None:
    G = direct_product(cyclic_group(3), cyclic_group(4))
    a, b = G.irrep((1,), (1,), 0), G.irrep((1,), (1,), 1)
    assert a.size == b.size == 2 and a.type == b.type == "C"
    chi = [np.array([np.trace(p(g)) for g in G.elements]) for p in (a, b)]
    assert abs(chi[0] @ chi[1]) < 1e-9  # inequivalent
    with pytest.raises(ValueError):
        G.irrep((1,), (1,), 2)
    with pytest.raises(ValueError):
        G.irrep((0,), (1,), 1)  # real x complex is irreducible: no second piece


def test_tensor_products_match_kron(group) -> None:
    irreps = group.irreps()[:6]
    for a in irreps[1:4]:
        for b in irreps:
            t = a.tensor(b)
            for g in _all(group)[:6]:
                np.testing.assert_allclose(t(g), np.kron(a(g), b(g)), atol=1e-9)


def test_regular_representation_is_a_permutation() -> None:
    G = full_octa_group()
    R = G.regular_representation
    assert R.size == 48 and R.is_permutation
    for g in G.elements[::5]:
        M = R(g)
        np.testing.assert_allclose(np.sort(M.ravel())[-48:], np.ones(48), atol=1e-9)
        np.testing.assert_allclose(M.sum(0), np.ones(48), atol=1e-9)


def test_factor_subgroups_and_restriction(group) -> None:
    for sid, factor in ((group.subgroup1_id, group.G1), (group.subgroup2_id, group.G2)):
        H, incl, restr = group.subgroup(sid)
        assert H == factor  # escnn: a trivial factor collapses
        for h in _all(H)[:10]:
            assert restr(incl(h)) == h
        for psi in group.irreps()[:6]:
            res = group.restrict_representation(sid, psi)
            for h in _all(H)[:10]:
                np.testing.assert_allclose(res(h), psi(incl(h)), atol=1e-9)
    H, incl, restr = group.subgroup(group.subgroup_trivial_id)
    assert H.order() == 1


def test_product_subgroup_of_factor_subgroups() -> None:
    G = full_cylinder_discrete_group(4)  # C2 x D4
    H, incl, restr = G.subgroup((2, (None, 2)))  # C2 x C2 (rotations by pi)
    assert isinstance(H, DirectProductGroup) and H.order() == 4
    for h in H.elements:
        assert restr(incl(h)) == h
    assert restr(G.pair_elements(cyclic_group(2).identity, dihedral_group(4).element((1, 0)))) is None
    with pytest.raises(ValueError, match="pairs"):
        G.subgroup(2)


def test_continuous_product_restricts_from_lie_group() -> None:
    G = cylinder_group(4)
    H, incl, _ = G.subgroup(G.subgroup2_id)
    assert H == so2_group()
    psi = G.irrep((1,), (3,))
    res = G.restrict_representation(G.subgroup2_id, psi)
    assert res.irreps == [(3,)]


def test_elements_pair_and_split() -> None:
    G = cylinder_group(2)
    g1, g2 = cyclic_group(2).element(1), so2_group().element(0.3)
    g = G.pair_elements(g1, g2)
    assert G.split_element(g) == (g1, g2)
    assert G.inclusion1(g1) @ G.inclusion2(g2) == g
    assert G.element((1, 0.3)) == g
    with pytest.raises(ValueError, match="pair"):
        G.element(1)
    with pytest.raises(TypeError):
        direct_product(cyclic_group(2), 3)


def test_value_semantics_and_pickle() -> None:
    assert full_octa_group() == full_octa_group()
    assert cylinder_discrete_group(4) != cylinder_discrete_group(8)
    G = pickle.loads(pickle.dumps(full_cylinder_group(2)))
    assert G == full_cylinder_group(2) and G.irrep((1,), (1, 2)).size == 2
    with pytest.raises(ValueError, match=">= 1"):
        cylinder_discrete_group(0)
