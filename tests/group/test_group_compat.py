"""escnn-compatible semantics of the group layer: irrep ids, closed-form planar Clebsch-Gordan
decompositions, the one-way import order and value semantics of groups."""
from __future__ import annotations

import ast
import pickle
from pathlib import Path

import numpy as np
import pytest

from steerable.group import (
    cyclic_group, dihedral_group, directsum, o2_group, so2_group, so3_group, Representation,
)
from steerable.group.clebsch_gordan import numerical_decompose_irreps_tensor
from steerable.group.linalg import block_diag

PLANAR = [cyclic_group(1), cyclic_group(2), cyclic_group(5), cyclic_group(8), dihedral_group(1),
          dihedral_group(2), dihedral_group(5), dihedral_group(6), so2_group(4), o2_group(4)]


@pytest.mark.parametrize("G", PLANAR, ids=str)
def test_closed_form_cg_equals_numerical_and_reconstructs_the_tensor_product(G) -> None:
    elements = list(G.testing_elements()) + [G.sample(s) for s in range(4)]
    for a in G.irreps():
        for b in G.irreps():
            ids, Q = G._closed_form_tensor(a.id, b.id)
            numerical, _ = numerical_decompose_irreps_tensor(a, b)
            assert sorted(ids) == sorted(p.id for p in numerical), (a, b)
            np.testing.assert_allclose(Q.T @ Q, np.eye(a.size * b.size), atol=1e-12)
            for g in elements:
                D = block_diag(*[G.irrep(*i)(g) for i in ids])
                np.testing.assert_allclose(np.kron(a(g), b(g)), Q @ D @ Q.T, atol=1e-10)


def test_rep_irreps_are_ids_and_the_escnn_idiom_works() -> None:
    G = dihedral_group(4)
    rho = G.regular_representation
    assert all(isinstance(i, tuple) for i in rho.irreps)
    assert [G.irrep(*i) for i in rho.irreps] == rho.irrep_objects
    built = Representation(G, "r", rho.irreps, rho.change_of_basis)
    for g in G.elements:
        np.testing.assert_allclose(built(g), rho(g), atol=1e-12)


def test_endomorphism_basis_commutes_and_has_schur_dimension() -> None:
    for G, rho in [(cyclic_group(6), cyclic_group(6).regular_representation),
                   (so3_group(3), so3_group(3).bl_regular_representation(3))]:
        E = rho.endomorphism_basis()
        n = sum(rho.multiplicity(i) ** 2 * G.irrep(*i).sum_of_squares_constituents for i in set(rho.irreps))
        assert E.shape == (n, rho.size, rho.size)
        for g in G.testing_elements()[:6]:
            R = rho(g)
            np.testing.assert_allclose(E @ R, R @ E, atol=1e-9)
        assert np.linalg.matrix_rank(E.reshape(n, -1)) == n


def test_directsum_takes_escnn_change_of_basis() -> None:
    G = cyclic_group(4)
    Q = np.array([[0.0, 1.0], [1.0, 0.0]])
    rho = directsum([G.irrep(0), G.irrep(2)], Q)
    g = G.element(1)
    np.testing.assert_allclose(rho(g), Q @ np.diag([1.0, -1.0]) @ Q.T)
    with pytest.raises(ValueError, match="orthogonal"):
        directsum([G.irrep(0), G.irrep(2)], 2 * np.eye(2))


def test_bad_irrep_entries_are_clear_errors() -> None:
    G = cyclic_group(4)
    with pytest.raises(ValueError, match="irreps k = 0..2"):
        Representation(G, "x", [(7,)])
    with pytest.raises(TypeError, match="irrep"):
        Representation(G, "x", ["a"])
    with pytest.raises(ValueError):
        G._closed_form_tensor((9,), (0,))


def test_groups_are_values_and_pickle() -> None:
    assert cyclic_group(8) == cyclic_group(8) and hash(cyclic_group(8)) == hash(cyclic_group(8))
    G = o2_group(3)
    rho = G.irrep(1, 2) + G.irrep(0, 0)
    rho2 = pickle.loads(pickle.dumps(rho))
    assert rho2 == rho and rho2.irreps == rho.irreps
    g = G.element((1, 0.3))
    np.testing.assert_allclose(rho2(G.element((1, 0.3))), rho(g))


def _imports(path: Path) -> set[str]:
    """Sibling modules imported at run time (``if TYPE_CHECKING:`` blocks only feed annotations)."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            node.body = []
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            out.add((node.module or "").split(".")[0])
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module is None:
            out.update(a.name for a in node.names)
    return out


def test_group_package_has_no_import_circle_and_no_function_level_imports() -> None:
    pkg = Path(__file__).resolve().parents[2] / "steerable" / "group"
    graph = {p.stem: _imports(p) - {"__init__"} for p in pkg.glob("*.py") if p.stem != "__init__"}
    for p in pkg.glob("*.py"):
        tree = ast.parse(p.read_text())
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                nested = [n for n in ast.walk(fn) if isinstance(n, (ast.Import, ast.ImportFrom))]
                assert not nested, f"function-level import in {p.name}:{fn.name}"
    state: dict[str, int] = {}

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for d in graph.get(m, ()):
            assert state.get(d) != 1, f"import circle: {' -> '.join(stack + [m, d])}"
            if d not in state:
                visit(d, stack + [m])
        state[m] = 2

    for m in graph:
        if m not in state:
            visit(m, [])


def test_escnn_names_octa_ico_and_standard_representation() -> None:
    from steerable.group import ico_group, o3_group, octa_group

    assert octa_group().order() == 24 and ico_group().order() == 60
    for G, std in [(so2_group(2), lambda g: g.to("MAT")), (o2_group(2), lambda g: g.to("MAT")),
                   (so3_group(2), lambda g: g.to("MAT")), (o3_group(2), lambda g: g.to("MAT"))]:
        rho = G.standard_representation()
        for g in [G.sample(s) for s in range(4)]:
            np.testing.assert_allclose(rho(g), std(g), atol=1e-9)


def test_bl_irreps_and_representations_dict() -> None:
    assert so3_group(2).bl_irreps(2) == [(0,), (1,), (2,)]
    G = cyclic_group(4)
    reps = G.representations
    assert {"irrep_0", "irrep_1", "irrep_2", "regular"} <= set(reps)
    with pytest.raises(ValueError, match="band limit"):
        G.bl_irreps(-1)
