"""Group axioms, element equality/hashing and parametrisations for every group family."""
from __future__ import annotations

import itertools

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
    O2G,
    O3G,
    SO2G,
    SO3G,
    gid,
    sample_elements,
    seeds,
)
from steerable.group import Group, GroupElement, cyclic_group, dihedral_group, o2_group, so2_group


def _matrix(g: GroupElement) -> np.ndarray:
    """The defining (2x2 or 3x3) orthogonal matrix of ``g``: an independent model of the group law."""
    return g.group.standard_matrix(g)


@pytest.mark.parametrize("G", ALL_GROUPS, ids=gid)
@FAST
@given(seed=seeds)
def test_axioms(G: Group, seed: int) -> None:
    g, h, k = sample_elements(G, seed, 3)
    e = G.identity
    assert (g @ h) @ k == g @ (h @ k)
    assert e @ g == g and g @ e == g
    assert g @ ~g == e and ~g @ g == e
    assert ~~g == g
    assert ~(g @ h) == ~h @ ~g
    # equal elements obtained along different routes hash equally
    assert hash((g @ h) @ k) == hash(g @ (h @ k))
    assert hash(g @ ~g) == hash(e)
    assert len({(g @ h) @ k, g @ (h @ k)}) == 1


@pytest.mark.parametrize("G", ALL_GROUPS, ids=gid)
@FAST
@given(seed=seeds)
def test_composition_matches_matrices(G: Group, seed: int) -> None:
    """``@`` and ``~`` agree with products and inverses of the defining orthogonal matrices."""
    g, h = sample_elements(G, seed, 2)
    np.testing.assert_allclose(_matrix(g @ h), _matrix(g) @ _matrix(h), atol=ATOL)
    np.testing.assert_allclose(_matrix(~g), _matrix(g).T, atol=ATOL)
    np.testing.assert_allclose(_matrix(G.identity), np.eye(_matrix(g).shape[0]), atol=ATOL)
    m = _matrix(g)
    np.testing.assert_allclose(m @ m.T, np.eye(m.shape[0]), atol=ATOL)


@pytest.mark.parametrize("G", ALL_GROUPS, ids=gid)
@FAST
@given(seed=seeds)
def test_parametrisations_round_trip(G: Group, seed: int) -> None:
    assert G.parametrisations, "every group needs at least its canonical parametrisation"
    for g in sample_elements(G, seed, 3) + [G.identity]:
        for p in G.parametrisations:
            back = G.element(g.to(p), p)
            assert back == g, (p, g, back)
            assert hash(back) == hash(g)
        # the canonical parametrisation is the stored value
        assert G.element(g.to(G.parametrisations[0])) == g
        if "MAT" in G.parametrisations:
            np.testing.assert_allclose(g.to("MAT"), _matrix(g), atol=ATOL)


@pytest.mark.parametrize("G", CONTINUOUS_GROUPS, ids=gid)
@FAST
@given(seed=seeds)
def test_distinct_elements_are_unequal(G: Group, seed: int) -> None:
    g, h = sample_elements(G, seed, 2)
    assert not np.allclose(_matrix(g), _matrix(h))  # Haar samples are distinct almost surely
    assert g != h
    assert g @ h != g
    assert g != G.identity


def test_element_equality_tolerates_round_off() -> None:
    # angles that differ by round-off (and across the 0 = 2 pi seam) are the same rotation
    assert SO2G.element(0.1 + 0.2) == SO2G.element(0.3)
    assert hash(SO2G.element(0.1 + 0.2)) == hash(SO2G.element(0.3))
    assert SO2G.element(2 * np.pi - 1e-13) == SO2G.identity
    assert hash(SO2G.element(2 * np.pi - 1e-13)) == hash(SO2G.identity)
    assert SO2G.element(-np.pi / 2) == SO2G.element(3 * np.pi / 2)
    assert O2G.element((1, -0.5)) == O2G.element((1, 2 * np.pi - 0.5))
    # q and -q are the same rotation
    q = np.array([0.1, -0.2, 0.3, -0.9])
    q = q / np.linalg.norm(q)
    assert SO3G.element(q) == SO3G.element(-q)
    assert hash(SO3G.element(q)) == hash(SO3G.element(-q))
    assert O3G.element((1, q), "(int, Q)") == O3G.element((1, -q), "(int, Q)")
    assert O3G.element((1, q), "(int, Q)") != O3G.element((0, q), "(int, Q)")
    # a rotation by pi about x: w = 0, the sign is fixed by x
    qx = np.array([1.0, 0.0, 0.0, 0.0])
    assert SO3G.element(qx) == SO3G.element(-qx) and hash(SO3G.element(qx)) == hash(SO3G.element(-qx))


@pytest.mark.parametrize("G", FINITE_GROUPS, ids=gid)
def test_finite_group_elements(G: Group) -> None:
    els = G.elements
    n = G.N if G.name.startswith("C") else 2 * G.N
    assert G.order() == len(els) == n
    assert len(set(els)) == n
    assert all(a != b for a, b in itertools.combinations(els, 2))
    index = {g: i for i, g in enumerate(els)}
    assert G.identity in index
    # Cayley table: closed, and a latin square (each row/column a permutation)
    table = np.array([[index[a @ b] for b in els] for a in els])
    assert all(sorted(row) == list(range(n)) for row in table)
    assert all(sorted(col) == list(range(n)) for col in table.T)
    # matrices of distinct elements are distinct: the defining representation is faithful
    mats = np.stack([_matrix(g) for g in els]).reshape(n, -1)
    assert len({tuple(np.round(m, 8)) for m in mats}) == n
    # the generators generate
    reached = {G.identity}
    frontier = [G.identity]
    while frontier:
        frontier = [x @ s for x in frontier for s in G.generators if x @ s not in reached]
        reached.update(frontier)
    assert len(reached) == n
    # G.grid('regular') and testing_elements list every element
    assert set(G.grid("regular")) == set(els)


@pytest.mark.parametrize("G", FINITE_GROUPS, ids=gid)
def test_finite_group_is_abelian_iff_cyclic_or_small(G: Group) -> None:
    els = G.elements
    abelian = all(a @ b == b @ a for a in els for b in els)
    assert abelian == (G.name.startswith("C") or G.N <= 2)


@pytest.mark.parametrize(
    "g, h",
    [
        (cyclic_group(4).element(1), cyclic_group(8).element(1)),
        (cyclic_group(4).element(1), dihedral_group(4).element((0, 1))),
        (dihedral_group(4).element((1, 0)), dihedral_group(6).element((1, 0))),
        (SO2G.element(0.3), O2G.element((0, 0.3))),
        (SO3G.identity, O3G.identity),
        (O2G.identity, dihedral_group(4).identity),
    ],
)
def test_composing_elements_of_different_groups_raises(g: GroupElement, h: GroupElement) -> None:
    with pytest.raises(ValueError, match="different groups"):
        g @ h
    with pytest.raises(ValueError, match="different groups"):
        h @ g
    assert g != h


def test_groups_compare_by_name() -> None:
    assert so2_group(4) == so2_group(6)  # the band limit does not change the group
    assert o2_group(4) != so2_group(4)
    assert cyclic_group(4) != cyclic_group(8)
    assert cyclic_group(4) == cyclic_group(4) and hash(cyclic_group(4)) == hash(cyclic_group(4))
    assert len({cyclic_group(4), dihedral_group(4), cyclic_group(4)}) == 2
    # element equality needs equal groups as well as equal values
    assert cyclic_group(4).element(1) != cyclic_group(8).element(1)


@pytest.mark.parametrize("G", CONTINUOUS_GROUPS, ids=gid)
def test_continuous_grids(G: Group) -> None:
    kind = "regular" if "regular" in G.grid_kinds else "thomson"
    grid = G.grid(kind, N=12)
    assert len(grid) >= 12
    assert len(set(grid)) == len(grid)
    assert all(isinstance(g, GroupElement) and g.group == G for g in grid)
    assert G.testing_elements() and all(g.group == G for g in G.testing_elements())
    rand = G.grid("rand", N=5, seed=3)
    assert rand == G.grid("rand", N=5, seed=3)  # seeded
    assert rand != G.grid("rand", N=5, seed=4)


def test_so3_cube_grid_is_the_octahedral_group() -> None:
    cube = SO3G.grid("cube")
    assert len(cube) == 24 and len(set(cube)) == 24
    assert all(a @ b in set(cube) for a in cube for b in cube)
    for g in cube:
        m = SO3G.standard_matrix(g)
        np.testing.assert_allclose(m, np.round(m), atol=ATOL)


@FAST
@given(seed=seeds)
def test_sample_is_seeded(seed: int) -> None:
    for G in ALL_GROUPS:
        assert G.sample(seed) == G.sample(seed)
        assert G.sample(seed).group == G
