"""Subgroups of SO(3) and O(3) by escnn's tuple ids: which group, how it sits in O(3).

Names, orders and the matrices of the flips are escnn 1.0's (read from escnn, written here).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from steerable.group import o3_group, so3_group

# id -> (name, order) as escnn 1.0 reports them (our discrete cylinder names carry N)
O3_IDS = {
    (True, "octa"): ("FullOctahedral", 48),
    (True, "ico"): ("FullIcosahedral", 120),
    (True, "tetra"): ("FullTetrahedral", 24),
    (True, False, -1): ("Cylindrical", -1),
    (True, False, 4): ("CylindricalDiscrete[4]", 8),
    (True, True, -1): ("FullCylindrical", -1),
    (True, True, 4): ("FullCylindricalDiscrete[4]", 16),
    (True, False, 1): ("C2", 2),
    ("cone", -1): ("O(2)", -1),
    ("cone", 4): ("D4", 8),
    ("cone", 1): ("C2", 2),
    (False, "so3"): ("SO(3)", -1),
    (True, "so3"): ("O(3)", -1),
    (False, False, 4): ("C4", 4),
    (False, True, -1): ("O(2)", -1),
    (False, True, 1): ("C2", 2),
    "fulltetra": ("Octahedral", 24),
}
SO3_IDS = {
    (False, -1): ("SO(2)", -1), (False, 4): ("C4", 4), (True, -1): ("O(2)", -1), (True, 4): ("D4", 8),
    (True, 1): ("C2", 2), "octa": ("Octahedral", 24), "ico": ("Icosahedral", 60), "so3": ("SO(3)", -1),
}


def _elements(H):
    return H.elements if not H.continuous else H.testing_elements()


@pytest.mark.parametrize("sid", list(O3_IDS), ids=str)
def test_o3_subgroup_ids(sid) -> None:
    G = o3_group(3)
    H, incl, restr = G.subgroup(sid)
    assert (H.name, H.order()) == O3_IDS[sid]
    els = _elements(H)
    for h in els:
        assert restr(incl(h)) == h
    rng = np.random.default_rng(1)
    for i, j in rng.integers(len(els), size=(30, 2)):
        assert incl(els[i] @ els[j]) == incl(els[i]) @ incl(els[j])
    # restricting the O(3) irreps: Res(psi)(h) = psi(incl(h))
    for id in [(1, 1), (0, 2), (1, 3)]:
        res = G.restrict_representation(sid, G.irrep(*id))
        for h in els[:12]:
            np.testing.assert_allclose(res(h), G.irrep(*id)(incl(h)), atol=1e-9)


@pytest.mark.parametrize("sid", list(SO3_IDS), ids=str)
def test_so3_subgroup_ids(sid) -> None:
    G = so3_group(2)
    H, incl, restr = G.subgroup(sid)
    assert (H.name, H.order()) == SO3_IDS[sid]
    for h in _elements(H):
        assert restr(incl(h)) == h


def test_o3_and_so3_ids_agree_on_rotations() -> None:
    G = o3_group(2)
    assert G.subgroup((False, True, 4))[0] == G.subgroup(("dn", 4))[0]
    assert G.subgroup((True, "octa")) is G.subgroup(("full", "octa"))  # one cache entry per subgroup


def _flip_matrix(sid, flip_value) -> np.ndarray:
    G = o3_group(2)
    H, incl, _ = G.subgroup(sid)
    return G.standard_matrix(incl(H.element(flip_value)))


def test_flip_axes_follow_escnn() -> None:
    # escnn: the flip entry a (float) puts the flip axis at angle a / 2 in the xy-plane
    np.testing.assert_allclose(_flip_matrix((False, math.pi, 4), (1, 0)), np.diag([-1.0, 1, -1]), atol=1e-12)
    np.testing.assert_allclose(_flip_matrix((False, True, 4), (1, 0)), np.diag([1.0, -1, -1]), atol=1e-12)
    np.testing.assert_allclose(_flip_matrix(("cone", math.pi, 4), (1, 0)), np.diag([-1.0, 1, 1]), atol=1e-12)
    np.testing.assert_allclose(_flip_matrix(("cone", 4), (1, 0)), np.diag([1.0, -1, 1]), atol=1e-12)
    # fullCylindricalOnR3's default (True, pi/2, n): pi-rotation about (1, 1, 0) / sqrt 2
    G = o3_group(2)
    H, incl, _ = G.subgroup((True, math.pi / 2, 4))
    flip = H.inclusion2(H.G2.element((1, 0)))
    np.testing.assert_allclose(G.standard_matrix(incl(flip)), [[0, 1, 0], [1, 0, 0], [0, 0, -1]], atol=1e-12)
    inv = H.inclusion1(H.G1.element(1))
    np.testing.assert_allclose(G.standard_matrix(incl(inv)), -np.eye(3), atol=1e-12)


def test_fulltetra_is_the_isometry_group_of_the_tetrahedron() -> None:
    G = o3_group(2)
    H, incl, _ = G.subgroup("fulltetra")
    vertices = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], dtype=float)
    key = {tuple(v) for v in vertices}
    dets = []
    for h in H.elements:
        A = G.standard_matrix(incl(h))
        assert {tuple(np.round(A @ v, 9)) for v in vertices} == key
        dets.append(round(np.linalg.det(A)))
    assert dets.count(1) == 12 and dets.count(-1) == 12


def test_adjoint_element_conjugates_the_subgroup() -> None:
    G = o3_group(2)
    adj = G.element((0, np.array([0.3, -0.2, 0.5, 0.8]) / np.linalg.norm([0.3, -0.2, 0.5, 0.8])))
    H0, incl0, _ = G.subgroup((False, False, 4))
    H, incl, restr = G.subgroup((False, False, 4, adj))
    assert H == H0
    for h in H.elements:
        assert incl(h) == ~adj @ incl0(h) @ adj
        assert restr(incl(h)) == h
    assert restr(incl0(H.element(1))) is None
    with pytest.raises(ValueError, match="adjoint"):
        G.subgroup((False, False, 4, so3_group().identity))


@pytest.mark.parametrize("bad", [(True, "cube"), (True, False, 0), (0.5, "octa"), ("cone", 2.0, "x"), (True, False, 4, 5)],
                         ids=str)
def test_bad_o3_ids_raise(bad) -> None:
    with pytest.raises(ValueError):
        o3_group().subgroup(bad)


def test_so3_refuses_subgroups_with_inversion() -> None:
    with pytest.raises(ValueError, match="O\\(3\\)"):
        so3_group().subgroup((True, False, 4))
    with pytest.raises(ValueError):
        so3_group().subgroup(("cone", 4))
