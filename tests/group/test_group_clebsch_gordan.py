"""Clebsch-Gordan decompositions of tensor products of irreps, for every group."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import block_diag

from _group_cases import (  # noqa: F401 (single_thread_blas is an autouse fixture)
    single_thread_blas,
    ALL_GROUPS,
    ATOL,
    O3G,
    SO3G,
    gid,
    haar_quadrature,
    sample_elements,
)
from steerable.group import Group, IrreducibleRepresentation, clebsch_gordan, decompose_irreps_tensor


def _irreps_for_cg(G: Group) -> list[IrreducibleRepresentation]:
    if G == SO3G:
        return [G.irrep(l) for l in range(5)]
    if G == O3G:
        return [G.irrep(j, l) for l in range(5) for j in range(2)]
    return G.irreps()


@pytest.mark.parametrize("G", ALL_GROUPS, ids=gid)
def test_clebsch_gordan_reconstructs_tensor_product(G: Group) -> None:
    irreps = _irreps_for_cg(G)
    els = sample_elements(G, 17, 3)
    cache: dict[tuple, np.ndarray] = {}

    def mats(psi: IrreducibleRepresentation) -> np.ndarray:
        if psi.id not in cache:
            cache[psi.id] = psi.matrices(els)
        return cache[psi.id]
    for a in irreps:
        for b in irreps:
            blocks = clebsch_gordan(a, b)
            C = np.concatenate([Cj for _, Cj in blocks], axis=1)
            assert C.shape == (a.size * b.size, a.size * b.size), (a, b)
            np.testing.assert_allclose(C.T @ C, np.eye(C.shape[0]), atol=ATOL, err_msg=f"{a} x {b}")
            for n, g in enumerate(els):
                K = np.kron(mats(a)[n], mats(b)[n])
                D = block_diag(*[mats(psi)[n] for psi, _ in blocks])
                np.testing.assert_allclose(K, C @ D @ C.T, atol=ATOL, err_msg=f"{a} x {b}")
                # every block on its own intertwines a (x) b with its output irrep
                for psi, Cj in blocks:
                    assert Cj.shape == (a.size * b.size, psi.size)
                    np.testing.assert_allclose(K @ Cj, Cj @ mats(psi)[n], atol=ATOL, err_msg=f"{a} x {b} -> {psi}")
            # irreps() lists every irrep up to the band limit: it is closed under tensor products
            listed = set(G.irreps())
            for psi, _ in blocks:
                if psi.attributes.get("frequency", 0) <= (G.maxfreq if G.continuous else np.inf):
                    assert psi in listed, f"{psi} appears in {a} x {b} but not in {G}.irreps()"
            irr, Q = decompose_irreps_tensor(a, b)
            assert [p.id for p in irr] == [p.id for p, _ in blocks]
            np.testing.assert_allclose(Q, C, atol=0)


def test_decompose_irreps_tensor_returns_copies() -> None:
    a = SO3G.irrep(1)
    irr, Q = decompose_irreps_tensor(a, a)
    Q[:] = 0.0
    irr.clear()
    irr2, Q2 = decompose_irreps_tensor(a, a)
    assert len(irr2) == 3 and np.abs(Q2).max() > 0.1


def test_so3_selection_rule() -> None:
    for la in range(5):
        for lb in range(5):
            ids = sorted(psi.id[0] for psi, _ in clebsch_gordan(SO3G.irrep(la), SO3G.irrep(lb)))
            assert ids == list(range(abs(la - lb), la + lb + 1)), (la, lb)


def test_o3_selection_rule() -> None:
    for ja in range(2):
        for jb in range(2):
            for la in range(4):
                for lb in range(4):
                    ids = sorted(psi.id for psi, _ in clebsch_gordan(O3G.irrep(ja, la), O3G.irrep(jb, lb)))
                    expected = [((ja + jb) % 2, l) for l in range(abs(la - lb), la + lb + 1)]
                    assert ids == expected, (ja, la, jb, lb)


def test_so3_l1_tensor_l1_is_scalar_vector_tensor() -> None:
    """1 (x) 1 = 0 + 1 + 2: the invariant is the dot product, the l=1 part the cross product."""
    blocks = dict((psi.id[0], C) for psi, C in clebsch_gordan(SO3G.irrep(1), SO3G.irrep(1)))
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(3), rng.standard_normal(3)
    xy = np.kron(x, y)
    assert abs(blocks[0][:, 0] @ xy) == pytest.approx(abs(x @ y) / np.sqrt(3))
    cross = blocks[1].T @ xy
    c = np.cross(x, y)
    # the l=1 output is the cross product up to a global scale (+-1/sqrt 2)
    assert np.linalg.norm(cross) == pytest.approx(np.linalg.norm(c) / np.sqrt(2))
    assert abs(abs(cross @ c) - np.linalg.norm(cross) * np.linalg.norm(c)) < 1e-9


@pytest.mark.parametrize("G", ALL_GROUPS, ids=gid)
def test_cg_multiplicities_match_characters(G: Group) -> None:
    """The multiplicity of psi_J in psi_a (x) psi_b is <chi_a chi_b, chi_J> / e_J (exact quadrature)."""
    irreps = _irreps_for_cg(G)
    if G.continuous:
        irreps = irreps[: 6 if G == O3G else 4]
    top = max(p.attributes.get("frequency", 0) for p in irreps)
    elements, w = haar_quadrature(G, 4 * top)
    chi = {p.id: np.trace(p.matrices(elements), axis1=1, axis2=2) for p in irreps}
    for a in irreps:
        for b in irreps:
            found = [psi for psi, _ in clebsch_gordan(a, b)]
            for psi in set(found) | set(irreps):
                if psi.id not in chi:
                    chi[psi.id] = np.trace(psi.matrices(elements), axis1=1, axis2=2)
                m = np.sum(w * chi[a.id] * chi[b.id] * chi[psi.id]) / psi.sum_of_squares_constituents
                assert m == pytest.approx(round(m), abs=1e-8)
                assert found.count(psi) == round(m), (a, b, psi)
            assert sum(p.size for p in found) == a.size * b.size


def test_so2_selection_rule() -> None:
    from _group_cases import SO2G

    for ka in range(5):
        for kb in range(5):
            ids = sorted(psi.id[0] for psi, _ in clebsch_gordan(SO2G.irrep(ka), SO2G.irrep(kb)))
            if ka == 0 or kb == 0:
                expected = [ka + kb]
            elif ka == kb:
                expected = [0, 0, 2 * ka]
            else:
                expected = [abs(ka - kb), ka + kb]
            assert ids == expected, (ka, kb)
