"""Shared groups, subgroup cases and numerical helpers for the tests of ``steerable.group``.

Not a test module (pytest collects ``test_*.py`` only); the test files import it by name.
"""
from __future__ import annotations

from typing import Any, Hashable, Sequence

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from threadpoolctl import threadpool_limits

from steerable.group import (
    Group,
    GroupElement,
    Representation,
    cyclic_group,
    dihedral_group,
    o2_group,
    o3_group,
    so2_group,
    so3_group,
)

# float64 everywhere; everything in steerable.group is exact up to round-off, so this is
# far tighter than the 1e-6 the library promises, and still far above round-off (~1e-13).
ATOL = 1e-9

FAST = settings(max_examples=8, deadline=None)
seeds = st.integers(min_value=0, max_value=2**32 - 1)

CYCLIC = [cyclic_group(N) for N in (1, 2, 3, 4, 5, 8, 16)]
DIHEDRAL = [dihedral_group(N) for N in (1, 2, 3, 4, 6, 8)]
FINITE_GROUPS: list[Group] = CYCLIC + DIHEDRAL
SO2G = so2_group(4)
O2G = o2_group(4)
SO3G = so3_group(3)
O3G = o3_group(3)
CONTINUOUS_GROUPS: list[Group] = [SO2G, O2G, SO3G, O3G]
ALL_GROUPS: list[Group] = FINITE_GROUPS + CONTINUOUS_GROUPS


@pytest.fixture(autouse=True)
def single_thread_blas():
    """The matrices here are tiny; multi-threaded BLAS on them is 10-50x slower on a busy
    2-core machine.  Test modules import this autouse fixture to get it."""
    with threadpool_limits(1):
        yield


def gid(G: Any) -> str:
    """pytest id of a group parameter."""
    return G.name if isinstance(G, Group) else str(G)


# Every kind of subgroup id of every group family: (group, subgroup id, expected H name).
SUBGROUP_CASES: list[tuple[Group, Hashable, str]] = [
    (cyclic_group(8), 4, "C4"),
    (cyclic_group(8), 1, "C1"),
    (cyclic_group(16), 8, "C8"),
    (cyclic_group(5), 5, "C5"),
    (dihedral_group(8), (None, 4), "C4"),
    (dihedral_group(6), (None, 3), "C3"),
    (dihedral_group(8), (0, 4), "D4"),
    (dihedral_group(8), (1, 4), "D4"),
    (dihedral_group(6), (2, 3), "D3"),
    (dihedral_group(4), (3, 1), "D1"),
    (dihedral_group(6), (1, 2), "D2"),
    (SO2G, 3, "C3"),
    (SO2G, 1, "C1"),
    (SO2G, -1, "SO(2)"),
    (O2G, (None, -1), "SO(2)"),
    (O2G, (None, 4), "C4"),
    (O2G, (0.3, 4), "D4"),
    (O2G, (0.0, 3), "D3"),
    (O2G, (0.0, -1), "O(2)"),
    (O2G, (0.3, -1), "O(2)"),
    (SO3G, ("so2",), "SO(2)"),
    (SO3G, ("cn", 4), "C4"),
    (SO3G, ("dn", 3), "D3"),
    (SO3G, ("o2",), "O(2)"),
    (SO3G, "so3", "SO(3)"),
    (SO3G, (True, 4), "D4"),
    (O3G, "so3", "SO(3)"),
    (O3G, ("cyl", -1), "O(2)"),
    (O3G, ("cyl", 4), "D4"),
    (O3G, "inv", "C2"),
    (O3G, ("so2",), "SO(2)"),
    (O3G, ("cn", 5), "C5"),
    (O3G, ("dn", 3), "D3"),
    (O3G, ("o2",), "O(2)"),
]


def case_id(case: tuple) -> str:
    return f"{case[0].name}>{case[1]!r}"


# ---------------------------------------------------------------------- numerics
def random_orthogonal(n: int, rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def is_permutation_matrix(m: np.ndarray, atol: float = ATOL) -> bool:
    r = np.round(m)
    return bool(
        np.abs(m - r).max() < atol
        and np.all((r == 0) | (r == 1))
        and np.all(r.sum(0) == 1)
        and np.all(r.sum(1) == 1)
    )


def block_diag_of(reps: Sequence[Representation], g: GroupElement) -> np.ndarray:
    from scipy.linalg import block_diag

    return block_diag(*[r(g) for r in reps])


def sample_elements(G: Group, seed: int, n: int) -> list[GroupElement]:
    rng = np.random.default_rng(seed)
    return [G.sample(rng) for _ in range(n)]


def haar_quadrature(G: Group, degree: int) -> tuple[list[GroupElement], np.ndarray]:
    """Elements and weights (summing to 1) integrating exactly, against the normalised Haar
    measure, every product of two matrix coefficients of irreps whose frequencies sum to at
    most ``degree``.

    * finite groups: every element, weight ``1/|G|``;
    * SO(2) / O(2): ``n = degree + 1`` equispaced angles (and their reflections): exact for
      trigonometric polynomials of degree ``< n``;
    * SO(3) / O(3): ZYZ product grid, Gauss-Legendre in ``cos(beta)`` (exact for polynomials of
      degree ``< 2 n_beta``; a product of Wigner-d functions of degrees ``la, lb`` is a polynomial
      of degree ``la + lb`` in ``cos(beta)``) and ``degree + 1`` equispaced ``alpha``, ``gamma``;
      the Haar measure is ``sin(beta) d alpha d beta d gamma / (8 pi^2)``.
    """
    if not G.continuous:
        els = G.elements
        return els, np.full(len(els), 1.0 / len(els))
    n = degree + 1
    if G.name == "SO(2)":
        return [G.element(2 * np.pi * i / n) for i in range(n)], np.full(n, 1.0 / n)
    if G.name == "O(2)":
        els = [G.element((f, 2 * np.pi * i / n)) for f in range(2) for i in range(n)]
        return els, np.full(2 * n, 1.0 / (2 * n))
    nb = degree // 2 + 1
    x, wx = np.polynomial.legendre.leggauss(nb)
    angles = 2 * np.pi * np.arange(n) / n
    zyz, w = [], []
    for b, wb in zip(np.arccos(x), wx):
        for a in angles:
            for c in angles:
                zyz.append((a, b, c))
                w.append(wb / 2 / n / n)
    if G.name == "SO(3)":
        return [G.element(v, "ZYZ") for v in zyz], np.array(w)
    els = [G.element((i, v), "(int, ZYZ)") for i in range(2) for v in zyz]
    return els, np.concatenate([w, w]) / 2


def irrep_character_table(G: Group, irreps: Sequence[Any], elements: Sequence[GroupElement]) -> np.ndarray:
    """``chi[a, n] = tr psi_a(g_n)`` computed from the matrices (not ``Representation.character``)."""
    return np.array([np.trace(psi.matrices(list(elements)), axis1=1, axis2=2) for psi in irreps])
