"""Bad input raises ValueError with a message that says what is wrong (and what is allowed)."""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import pytest

from _group_cases import O2G, O3G, SO2G, SO3G
from steerable.group import (
    Representation,
    change_basis,
    cyclic_group,
    dihedral_group,
    directsum,
    tensor_product,
)

C4, C6, D4 = cyclic_group(4), cyclic_group(6), dihedral_group(4)


def _rot2(t: float) -> np.ndarray:
    return np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])


# (callable, regex the message must match)
IRREP_ERRORS: list[tuple[str, Callable[[], Any], str]] = [
    ("C4.irrep(3)", lambda: C4.irrep(3), r"C4 has irreps k = 0\.\.2"),
    ("C4.irrep(-1)", lambda: C4.irrep(-1), "C4"),
    ("C4.irrep(1,1)", lambda: C4.irrep(1, 1), "C4"),
    ("C4.irrep(1.5)", lambda: C4.irrep(1.5), "integer"),
    ("C4.irrep('a')", lambda: C4.irrep("a"), "integer"),
    ("D4.irrep(2,1)", lambda: D4.irrep(2, 1), r"D4 has irreps \[\(0, 0\)"),
    ("D4.irrep(0,1)", lambda: D4.irrep(0, 1), "D4 has irreps"),
    ("D4.irrep(1)", lambda: D4.irrep(1), "D4 has irreps"),
    ("SO3.irrep(-1)", lambda: SO3G.irrep(-1), r"SO\(3\) irreps are degrees l >= 0"),
    ("SO3.irrep(1,1)", lambda: SO3G.irrep(1, 1), r"SO\(3\)"),
    ("O3.irrep(2,1)", lambda: O3G.irrep(2, 1), r"O\(3\) irreps are \(j, l\)"),
    ("O3.irrep(1)", lambda: O3G.irrep(1), r"O\(3\)"),
    ("SO2.irrep(-1)", lambda: SO2G.irrep(-1), r"SO\(2\) irreps are frequencies"),
    ("O2.irrep(0,1)", lambda: O2G.irrep(0, 1), r"O\(2\) irreps are"),
]

SUBGROUP_ERRORS: list[tuple[str, Callable[[], Any], str]] = [
    ("C6.subgroup(4)", lambda: C6.subgroup(4), "dividing 6"),
    ("C6.subgroup(0)", lambda: C6.subgroup(0), "dividing 6"),
    ("C6.subgroup(2.0)", lambda: C6.subgroup(2.0), "C6"),
    ("D4.subgroup((None,3))", lambda: D4.subgroup((None, 3)), "must divide 4"),
    ("D4.subgroup(2)", lambda: D4.subgroup(2), r"\(axis, M\)"),
    ("D4.subgroup((0.5,2))", lambda: D4.subgroup((0.5, 2)), "axis"),
    ("SO3.subgroup('foo')", lambda: SO3G.subgroup("foo"), r"unknown subgroup id .* expected 'so3'"),
    ("SO3.subgroup(('cyl',4))", lambda: SO3G.subgroup(("cyl", 4)), "unknown subgroup"),
    ("SO3.subgroup('inv')", lambda: SO3G.subgroup("inv"), "unknown subgroup"),
    ("SO3.subgroup(('cn',0))", lambda: SO3G.subgroup(("cn", 0)), "N >= 1"),
    ("SO3.subgroup(('cn',2.5))", lambda: SO3G.subgroup(("cn", 2.5)), "N >= 1"),
    ("SO3.subgroup(3)", lambda: SO3G.subgroup(3), "invalid subgroup id"),
    ("O3.subgroup(('bar',2))", lambda: O3G.subgroup(("bar", 2)), "unknown subgroup id"),
    ("O3.subgroup(('cyl',0))", lambda: O3G.subgroup(("cyl", 0)), "cyl"),
    ("O3.subgroup(('cyl',2.5))", lambda: O3G.subgroup(("cyl", 2.5)), "cyl"),
    ("SO2.subgroup(0)", lambda: SO2G.subgroup(0), r"M >= 1 \(C_M\) or -1"),
    ("SO2.subgroup(-2)", lambda: SO2G.subgroup(-2), "M >= 1"),
    ("O2.subgroup(3)", lambda: O2G.subgroup(3), r"\(axis, M\)"),
    ("O2.subgroup((None,0))", lambda: O2G.subgroup((None, 0)), "M must be >= 1 or -1"),
]

REPRESENTATION_ERRORS: list[tuple[str, Callable[[], Any], str]] = [
    (
        "Representation non-orthogonal",
        lambda: Representation(C4, "x", [C4.irrep(0), C4.irrep(2)], np.array([[1.0, 1.0], [0.0, 1.0]])),
        "orthogonal",
    ),
    (
        "Representation scaled",
        lambda: Representation(C4, "x", [C4.irrep(1)], 1.01 * np.eye(2)),
        "orthogonal",
    ),
    ("Representation wrong shape", lambda: Representation(C4, "x", [C4.irrep(1)], np.eye(3)), r"shape \(2, 2\)"),
    ("Representation foreign irrep", lambda: Representation(C4, "x", [D4.irrep(0, 0)]), "belongs to D4"),
    ("change_basis non-orthogonal", lambda: change_basis(C4.irrep(1), 2 * np.eye(2), "x"), "orthogonal"),
    ("change_basis skew", lambda: change_basis(C4.irrep(1), np.array([[1.0, 0.1], [0.0, 1.0]]), "x"), "orthogonal"),
    ("change_basis wrong shape", lambda: change_basis(C4.irrep(1), np.eye(3), "x"), "shape"),
    ("directsum of two groups", lambda: directsum([C4.irrep(0), D4.irrep(0, 0)]), "C4 and D4"),
    ("directsum of nothing", lambda: directsum([]), "at least one"),
    ("tensor of two groups", lambda: tensor_product(C4.irrep(1), D4.irrep(1, 1)), "C4 and D4"),
    (
        "induced from a foreign rep",
        lambda: C4.induced_representation(2, cyclic_group(4).irrep(1)),
        "needs a representation of C2",
    ),
    ("quotient by infinite-index subgroup", lambda: O2G.quotient_representation((None, 3)), "finite index"),
    ("quotient of SO(3)", lambda: SO3G.quotient_representation(("so2",)), "finite index"),
]

PARAM_ERRORS: list[tuple[str, Callable[[], Any], str]] = [
    ("C4 element 'degrees'", lambda: C4.element(1, "degrees"), r"no parametrisation 'degrees'.*'int'"),
    ("C4 to 'degrees'", lambda: C4.element(1).to("degrees"), "no parametrisation 'degrees'"),
    ("D4 to 'int'", lambda: D4.identity.to("int"), "no parametrisation 'int'"),
    ("SO2 element 'degrees'", lambda: SO2G.element(1, "degrees"), "no parametrisation"),
    ("O2 to 'radians'", lambda: O2G.identity.to("radians"), "no parametrisation"),
    ("SO3 to 'euler'", lambda: SO3G.identity.to("euler"), r"no parametrisation 'euler'.*'ZYZ'"),
    ("O3 element 'Q'", lambda: O3G.element((0, [0, 0, 0, 1.0]), "Q"), r"no parametrisation 'Q'.*'\(int, Q\)'"),
    ("O3 to 'ZYZ'", lambda: O3G.identity.to("ZYZ"), "no parametrisation"),
]

_REFLECTION = np.diag([1.0, -1.0])
ELEMENT_ERRORS: list[tuple[str, Callable[[], Any], str]] = [
    ("C4 1.5", lambda: C4.element(1.5), "C4"),
    ("C4 'a'", lambda: C4.element("a"), "C4"),
    ("C4 None", lambda: C4.element(None), "C4"),
    ("C4 [1, 2]", lambda: C4.element([1, 2]), "C4"),
    ("C4 0.3 rad", lambda: C4.element(0.3, "radians"), "multiple of 2pi/4"),
    ("C4 rotation by 0.3", lambda: C4.element(_rot2(0.3), "MAT"), "C4"),
    ("C4 non-orthogonal MAT", lambda: C4.element(2 * np.eye(2), "MAT"), "C4"),
    ("C4 reflection MAT", lambda: C4.element(_REFLECTION, "MAT"), "C4"),
    ("C4 3x3 MAT", lambda: C4.element(np.eye(3), "MAT"), "C4"),
    ("D4 (2, 1)", lambda: D4.element((2, 1)), "0 or 1"),
    ("D4 5", lambda: D4.element(5), "D4"),
    ("D4 (0, 1.5)", lambda: D4.element((0, 1.5)), "D4"),
    ("D4 (0, 1, 2)", lambda: D4.element((0, 1, 2)), "D4"),
    ("D4 3x3 MAT", lambda: D4.element(np.eye(3), "MAT"), "D4"),
    ("D4 non-orthogonal MAT", lambda: D4.element(np.ones((2, 2)), "MAT"), "D4"),
    ("D4 (0, 0.3 rad)", lambda: D4.element((0, 0.3), "(int, radians)"), "multiple of 2pi/4"),
    ("SO2 'a'", lambda: SO2G.element("a"), r"SO\(2\)"),
    ("SO2 nan", lambda: SO2G.element(float("nan")), r"SO\(2\)"),
    ("SO2 inf", lambda: SO2G.element(float("inf")), r"SO\(2\)"),
    ("SO2 [1, 2]", lambda: SO2G.element([1, 2]), r"SO\(2\)"),
    ("SO2 non-orthogonal MAT", lambda: SO2G.element(2 * np.eye(2), "MAT"), r"SO\(2\)"),
    ("SO2 reflection MAT", lambda: SO2G.element(_REFLECTION, "MAT"), r"SO\(2\)"),
    ("O2 (2, 0.1)", lambda: O2G.element((2, 0.1)), "0 or 1"),
    ("O2 0.5", lambda: O2G.element(0.5), r"O\(2\)"),
    ("O2 (0, nan)", lambda: O2G.element((0, float("nan"))), r"O\(2\)"),
    ("O2 non-orthogonal MAT", lambda: O2G.element(np.ones((2, 2)), "MAT"), r"O\(2\)"),
    ("SO3 3-vector", lambda: SO3G.element([1.0, 0.0, 0.0]), "unit vector"),
    ("SO3 zero quaternion", lambda: SO3G.element([0.0, 0.0, 0.0, 0.0]), "unit vector"),
    ("SO3 non-unit quaternion", lambda: SO3G.element([0.0, 0.0, 0.0, 2.0]), "unit vector"),
    ("SO3 nan quaternion", lambda: SO3G.element([np.nan, 0.0, 0.0, 1.0]), r"SO\(3\)"),
    ("SO3 'abcd'", lambda: SO3G.element("abcd"), r"SO\(3\)"),
    ("SO3 reflection MAT", lambda: SO3G.element(-np.eye(3), "MAT"), "det 1"),
    ("SO3 2x2 MAT", lambda: SO3G.element(np.eye(2), "MAT"), "3x3 rotation"),
    ("SO3 ZYZ of 2 angles", lambda: SO3G.element((1.0, 2.0), "ZYZ"), r"SO\(3\)"),
    ("SO3 ZYZ nan", lambda: SO3G.element((1.0, np.nan, 0.0), "ZYZ"), r"SO\(3\)"),
    ("O3 (2, q)", lambda: O3G.element((2, [0, 0, 0, 1.0])), "0 or 1"),
    ("O3 bare quaternion", lambda: O3G.element([0, 0, 0, 1.0]), r"O\(3\)"),
    ("O3 bad MAT", lambda: O3G.element(np.ones((3, 3)), "MAT"), "rotation"),
    ("O3 (0, -I) (int, MAT)", lambda: O3G.element((0, -np.eye(3)), "(int, MAT)"), "det 1"),
]

MISC_ERRORS: list[tuple[str, Callable[[], Any], str]] = [
    ("cyclic_group(0)", lambda: cyclic_group(0), "N >= 1"),
    ("cyclic_group(2.5)", lambda: cyclic_group(2.5), "integer N"),
    ("dihedral_group(0)", lambda: dihedral_group(0), "N >= 1"),
    ("SO2 grid kind", lambda: SO2G.grid("foo", 4), "regular"),
    ("SO2 grid N=0", lambda: SO2G.grid("regular", 0), "positive integer"),
    ("SO3 grid kind", lambda: SO3G.grid("foo", 4), "thomson"),
    ("SO3 grid without N", lambda: SO3G.grid("thomson"), "needs a size N"),
    ("C4 grid kind", lambda: C4.grid("rand", 3), "no grid of kind 'rand'"),
    ("O2.regular_representation", lambda: O2G.regular_representation, "bl_regular_representation"),
    ("compose C4 with C6", lambda: C4.element(1) @ C6.element(1), r"different groups: C4 and C6"),
    ("compose SO3 with O3", lambda: SO3G.identity @ O3G.identity, r"different groups: SO\(3\) and O\(3\)"),
    ("irrep of a foreign element", lambda: C4.irrep(1)(C6.element(1)), "expected an element of C4"),
    ("rep of a foreign element", lambda: C4.regular_representation(D4.identity), "expected an element of C4"),
]

ALL_ERRORS = IRREP_ERRORS + SUBGROUP_ERRORS + REPRESENTATION_ERRORS + PARAM_ERRORS + ELEMENT_ERRORS + MISC_ERRORS


@pytest.mark.parametrize("name, call, message", ALL_ERRORS, ids=[e[0] for e in ALL_ERRORS])
def test_bad_input_raises_value_error(name: str, call: Callable[[], Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_failed_lookups_leave_no_trace() -> None:
    """A rejected irrep or subgroup id is not cached: asking again raises again."""
    for _ in range(2):
        with pytest.raises(ValueError):
            C4.irrep(3)
        with pytest.raises(ValueError):
            C6.subgroup(4)
    assert (3,) not in C4._irreps


def test_composing_with_a_non_element_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="GroupElement"):
        C4.element(1) @ 1  # type: ignore[operator]
    with pytest.raises(TypeError):
        C4.irrep(1)(1)  # type: ignore[arg-type]


def test_valid_edge_inputs_are_accepted() -> None:
    """The validation must not reject legitimate input."""
    assert C4.element(2.0) == C4.element(2)
    assert C4.element(-1) == C4.element(3)
    assert C4.element(np.int64(5)) == C4.element(1)
    assert C4.element(_rot2(math.pi / 2), "MAT") == C4.element(1)
    assert C4.element(-math.pi / 2, "radians") == C4.element(3)
    assert D4.element(np.asarray(_rot2(math.pi) @ _REFLECTION), "MAT") == D4.element((1, 2))
    assert D4.element((1, -1)) == D4.element((1, 3))
    assert SO2G.element(_rot2(0.3), "MAT") == SO2G.element(0.3)
    assert SO2G.element(7.0) == SO2G.element(7.0 - 2 * math.pi)
    assert SO2G.element(np.float32(0.5)) == SO2G.element(float(np.float32(0.5)))
    assert O2G.element(_rot2(0.3) @ _REFLECTION, "MAT") == O2G.element((1, 0.3))
    assert SO3G.element([0.0, 0.0, 0.0, -1.0]) == SO3G.identity
    assert SO3G.element(np.eye(3), "MAT") == SO3G.identity
    assert O3G.element(-np.eye(3), "MAT") == O3G.element((1, [0, 0, 0, 1.0]))
    assert C4.irrep(np.int64(1)) is C4.irrep(1)
    assert D4.irrep((1, 1)) is D4.irrep(1, 1)
    # a change of basis that is orthogonal up to float32-level round-off is accepted
    Q = np.linalg.qr(np.random.default_rng(0).standard_normal((2, 2)))[0]
    assert change_basis(C4.irrep(1), Q + 1e-12, "ok").size == 2


def test_elements_of_a_continuous_group_is_none_as_in_escnn() -> None:
    assert SO3G.elements is None and SO3G.order() == -1
