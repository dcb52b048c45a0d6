"""Local homology sheaves: stalks on known complexes, sheaf axioms, Laplacian spectrum, global sections, bad input."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse.csgraph import connected_components
from scipy.spatial import ConvexHull

from steerable.sheaf import (SimplicialComplex, global_sections_dim, helmert_basis, local_homology_sheaf,
                             sheaf_laplacian)


def _hull_surface(points: np.ndarray) -> SimplicialComplex:
    return SimplicialComplex.from_simplices([tuple(f) for f in ConvexHull(points).simplices])


def _octahedron() -> SimplicialComplex:
    return _hull_surface(np.concatenate([np.eye(3), -np.eye(3)]))


def _icosahedron() -> SimplicialComplex:
    g = (1 + 5 ** 0.5) / 2
    pts = [(0, s, t * g) for s in (-1, 1) for t in (-1, 1)]
    pts = np.array([p[i:] + p[:i] for p in pts for i in range(3)], dtype=float)
    return _hull_surface(pts)


def _random_graph(n: int, p: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    iu = np.triu_indices(n, 1)
    keep = rng.random(len(iu[0])) < p
    return np.stack([iu[0][keep], iu[1][keep]])


def test_complex_structure():
    K = _octahedron()
    assert K.counts == (6, 12, 8)
    assert (K.boundary(1) @ K.boundary(2)).nnz == 0
    v = 0
    st = K.star(0, v)
    assert [len(r) for r in st] == [1, 4, 4]
    assert [len(r) for r in K.closed_star(0, v)] == [5, 8, 4]
    assert [len(r) for r in K.link(0, v)] == [4, 4, 0]   # the link of an octahedron vertex is a 4-cycle
    assert K.index((2, 0, 4)) == K.index([0, 2, 4])


def test_from_graph_cliques_match_brute_force():
    e = _random_graph(12, 0.5, 0)
    K = SimplicialComplex.from_graph(e, 12, max_dim=3)
    A = np.zeros((12, 12), bool)
    A[e[0], e[1]] = A[e[1], e[0]] = True
    from itertools import combinations
    for k in (2, 3):
        brute = sorted(c for c in combinations(range(12), k + 1) if all(A[a, b] for a, b in combinations(c, 2)))
        assert [tuple(r) for r in K.simplices[k].tolist()] == brute


def test_star_graph_stalks():
    for d in (1, 2, 5):
        e = np.stack([np.zeros(d, int), np.arange(1, d + 1)])
        for max_dim in (1, 2):
            S = local_homology_sheaf(SimplicialComplex.from_graph(e, d + 1, max_dim=max_dim), 1)
            assert S.dims_of(0).tolist() == [d - 1] + [0] * d
            assert S.dims_of(1).tolist() == [1] * d


def test_path_endpoints_zero():
    K = SimplicialComplex.from_graph(np.array([[0, 1, 2, 3], [1, 2, 3, 4]]), 5, max_dim=1)
    assert local_homology_sheaf(K, 1).dims_of(0).tolist() == [0, 1, 1, 1, 0]


@pytest.mark.parametrize("make", [_octahedron, _icosahedron])
def test_closed_surfaces_have_local_h2_one_everywhere(make):
    K = make()
    S = local_homology_sheaf(K, 2, on=(0, 1, 2))
    assert np.all(S.stalk_dims == 1)
    assert np.all(local_homology_sheaf(K, 1, on=(0, 1, 2)).stalk_dims == 0)


def test_two_tetrahedra_glued_at_a_vertex():
    tet = lambda vs: [tuple(np.delete(vs, i)) for i in range(4)]  # noqa: E731
    K = SimplicialComplex.from_simplices(tet(np.array([0, 1, 2, 3])) + tet(np.array([0, 4, 5, 6])))
    d = local_homology_sheaf(K, 2).dims_of(0)
    assert d.tolist() == [2] + [1] * 6


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_flag_complex_vertex_stalks_count_link_components(seed):
    # oracle: H_1(K, K∖St v) ≅ H̃_0(Lk v), and the link of v in a flag complex is the graph induced on its neighbours
    n = 14
    e = _random_graph(n, 0.35, seed)
    K = SimplicialComplex.from_graph(e, n, max_dim=3)
    A = K.adjacency().toarray().astype(bool)
    want = []
    for v in range(n):
        nb = np.nonzero(A[v])[0]
        want.append(max(connected_components(A[np.ix_(nb, nb)], directed=False)[0] - 1, 0) if len(nb) else 0)
    assert local_homology_sheaf(K, 1).dims_of(0).tolist() == want


def test_gudhi_cross_check_on_links():
    gudhi = pytest.importorskip("gudhi")
    K = _icosahedron()
    e = _random_graph(12, 0.5, 3)
    for cx, k in ((K, 2), (SimplicialComplex.from_graph(e, 12, max_dim=3), 2), (SimplicialComplex.from_graph(e, 12, 3), 1)):
        S = local_homology_sheaf(cx, k)
        for v in range(cx.num_nodes):
            lk = cx.link(0, v)
            st = gudhi.SimplexTree()
            for j, rows in enumerate(lk):
                for r in cx.simplices[j][rows]:
                    st.insert(r.tolist())
            st.compute_persistence(persistence_dim_max=True)
            betti = st.betti_numbers() + [0] * 5
            reduced = betti[k - 1] - (1 if k - 1 == 0 and st.num_vertices() else 0)
            if k - 1 == -1:
                reduced = 0 if st.num_vertices() else 1
            assert S.dims_of(0)[v] == reduced, (v, k)


def _axiom_cases():
    e = _random_graph(11, 0.45, 4)
    yield local_homology_sheaf(_icosahedron(), 2, on=(0, 1, 2))
    tet = lambda vs: [tuple(np.delete(vs, i)) for i in range(4)]  # noqa: E731
    glued = SimplicialComplex.from_simplices(tet(np.array([0, 1, 2, 3])) + tet(np.array([0, 4, 5, 6])))
    yield local_homology_sheaf(glued, 2, on=(0, 1, 2))
    yield local_homology_sheaf(SimplicialComplex.from_graph(e, 11, max_dim=3), 1, on=(0, 1, 2), radius=1)


@pytest.mark.parametrize("idx", [0, 1, 2])
def test_sheaf_axioms_composition_and_identity(idx):
    S = list(_axiom_cases())[idx]
    K = S.complex
    checked = 0
    for t in range(len(K.simplices[2])):
        tri = K.simplices[2][t]
        for v in tri:
            for w in tri:
                if w == v:
                    continue
                e = K.index((v, w))
                direct = S.restriction(0, int(v), 2, t)
                composed = S.restriction(1, e, 2, t) @ S.restriction(0, int(v), 1, e)
                np.testing.assert_allclose(composed, direct, atol=1e-10)
                checked += direct.size
    assert checked > 0  # the test compares real matrices
    for j in S.on:
        for i in range(len(K.simplices[j])):
            d = S.dims_of(j)[i]
            np.testing.assert_allclose(S.restriction(j, i, j, i), np.eye(d), atol=1e-10)


def _laplacian_cases():
    for seed in range(3):
        e = _random_graph(12, 0.3, seed)
        yield local_homology_sheaf(SimplicialComplex.from_graph(e, 12, max_dim=1), 1)
        yield local_homology_sheaf(SimplicialComplex.from_graph(e, 12, max_dim=3), 1, radius=1)
    yield local_homology_sheaf(SimplicialComplex.from_graph(np.array([[0, 1, 2, 3], [1, 2, 3, 0]]), 4, max_dim=1), 1)
    yield local_homology_sheaf(_icosahedron(), 2)


def test_laplacian_symmetric_psd_and_kernel_is_h0():
    sections = []
    for S in _laplacian_cases():
        for normalized in (False, True):
            L = sheaf_laplacian(S, normalized=normalized).toarray()
            np.testing.assert_allclose(L, L.T, atol=1e-12)
            w = np.linalg.eigvalsh(L) if L.size else np.zeros(0)
            assert w.min(initial=0.0) >= -1e-10
        w = np.linalg.eigvalsh(sheaf_laplacian(S).toarray()) if sum(S.dims_of(0)) else np.zeros(0)
        ker = int(np.sum(w < 1e-8))
        assert ker == global_sections_dim(S)
        sections.append(ker)
    assert len(set(sections)) > 2  # several different kernel dimensions occur, so the equality is not vacuous


@pytest.mark.parametrize("seed", [0, 1])
def test_graph_closed_form_equals_general(seed):
    e = _random_graph(15, 0.3, seed)
    K = SimplicialComplex.from_graph(e, 15, max_dim=1)
    fast = local_homology_sheaf(K, 1)
    slow = local_homology_sheaf(K, 1, closed_form=False)
    assert fast.stalk_dims.tolist() == slow.stalk_dims.tolist()
    for v in range(15):
        assert fast.chains[0][v].tolist() == slow.chains[0][v].tolist()
        Hf, Hs = fast.bases[0][v], slow.bases[0][v]
        np.testing.assert_allclose(Hf @ Hf.T, Hs @ Hs.T, atol=1e-10)   # the same subspace {Σa = 0}
        Q = Hf.T @ Hs                                                 # the change of basis between them
        for (vv, ee), R in zip(*slow.restrictions[0]):
            if vv == v:
                Rf = fast.restriction(0, v, 1, int(ee))
                Rs_ = slow.restriction(0, v, 1, int(ee))
                np.testing.assert_allclose(Rs_, (slow.bases[1][ee].T @ fast.bases[1][ee]) @ Rf @ Q, atol=1e-10)
                np.testing.assert_allclose(R, Rs_, atol=1e-12)
    H = helmert_basis(4)
    np.testing.assert_allclose(H.T @ H, np.eye(3), atol=1e-14)
    np.testing.assert_allclose(H.sum(0), 0, atol=1e-14)


def test_bad_input():
    with pytest.raises(ValueError, match="self-loop"):
        SimplicialComplex.from_graph(np.array([[0, 1], [1, 1]]), 3)
    with pytest.raises(ValueError, match="outside 0..2"):
        SimplicialComplex.from_graph(np.array([[0, 1], [1, 3]]), 3)
    with pytest.raises(ValueError, match="shape"):
        SimplicialComplex.from_graph(np.array([0, 1, 2]), 3)
    with pytest.raises(TypeError, match="integers"):
        SimplicialComplex.from_graph(np.array([[0.0], [1.0]]), 3)
    with pytest.raises(ValueError, match="no simplices|at least one"):
        SimplicialComplex([])
    with pytest.raises(ValueError, match="at least one"):
        SimplicialComplex.from_simplices([])
    K = _octahedron()
    with pytest.raises(ValueError, match="degree must be an int in 0..2"):
        local_homology_sheaf(K, 3)
    with pytest.raises(ValueError, match="degree"):
        local_homology_sheaf(K, -1)
    with pytest.raises(ValueError, match="not closed under faces"):
        SimplicialComplex([np.arange(3)[:, None], np.array([[0, 1]]), np.array([[0, 1, 2]])])
    with pytest.raises(ValueError, match="not a simplex"):
        K.index((0, 1, 2, 3))
    with pytest.raises(ValueError, match="exactly one"):
        SimplicialComplex.from_points(np.zeros((4, 2)))
