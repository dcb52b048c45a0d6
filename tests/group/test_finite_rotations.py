"""Tetrahedral, octahedral and icosahedral rotation groups: numerically computed irreps."""
import numpy as np
import pytest

from steerable.group import icosahedral_group, o3_group, octahedral_group, so3_group, tetrahedral_group

GROUPS = [(tetrahedral_group, 12, [1, 3, 2]), (octahedral_group, 24, [1, 3, 2, 3, 1]),
          (icosahedral_group, 60, [1, 3, 5, 3, 4])]


@pytest.mark.parametrize("make, order, dims", GROUPS)
def test_orders_and_irrep_dimensions(make, order, dims):
    G = make()
    assert G.order() == order
    assert [psi.size for psi in G.irreps()] == dims
    # sum over real irreps of d^2 / e = |G| (Wedderburn)
    assert sum(psi.size**2 // psi.sum_of_squares_constituents for psi in G.irreps()) == order


@pytest.mark.parametrize("make, order, dims", GROUPS)
def test_irreps_are_orthogonal_homomorphisms(make, order, dims):
    G = make()
    rng = np.random.default_rng(0)
    for psi in G.irreps():
        for _ in range(20):
            g, h = G.sample(rng), G.sample(rng)
            assert np.allclose(psi(g @ h), psi(g) @ psi(h), atol=1e-10)
            assert np.allclose(psi(g) @ psi(g).T, np.eye(psi.size), atol=1e-10)
        for E in psi.endomorphism_basis():
            assert all(np.allclose(E @ psi(g), psi(g) @ E, atol=1e-10) for g in G.generators)


@pytest.mark.parametrize("make, order, dims", GROUPS)
def test_characters_are_orthogonal(make, order, dims):
    G = make()
    chi = np.array([[np.trace(psi(g)) for g in G.elements] for psi in G.irreps()])
    gram = chi @ chi.T / order
    e = np.diag([psi.sum_of_squares_constituents for psi in G.irreps()])
    assert np.allclose(gram, e, atol=1e-9)


@pytest.mark.parametrize("kind, order", [("tetra", 12), ("octa", 24), ("ico", 60)])
def test_subgroup_of_so3_and_o3_and_restriction(kind, order):
    for parent in (so3_group(3), o3_group(3)):
        H, incl, restr = parent.subgroup(kind)
        assert H.order() == order
        for h in H.elements:
            assert restr(incl(h)) == h
        psi = parent.irrep(3) if parent.name == "SO(3)" else parent.irrep(1, 3)
        res = psi.restrict(kind)
        for h in H.elements[:: max(1, order // 12)]:
            assert np.allclose(res(h), psi(incl(h)), atol=1e-9)


def test_rotation_outside_the_group_is_rejected():
    G = octahedral_group()
    with pytest.raises(ValueError, match="not an element"):
        G.element(so3_group().element([0.0, 0.0, np.sin(0.1), np.cos(0.1)]).to("MAT"), "MAT")
