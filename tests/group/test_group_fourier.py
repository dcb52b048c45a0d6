"""Fourier transforms of band-limited signals on groups."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given

from _group_cases import (  # noqa: F401 (single_thread_blas is an autouse fixture)
    single_thread_blas,
    ATOL,
    FAST,
    FINITE_GROUPS,
    O2G,
    O3G,
    SO2G,
    SO3G,
    gid,
    haar_quadrature,
    sample_elements,
    seeds,
)
from steerable.group import (
    FourierTransform,
    Group,
    GroupElement,
    cyclic_group,
    dihedral_group,
    fourier_matrix,
    inverse_fourier_matrix,
)
from steerable.group.constructions import fourier_columns

# (group, grid, band limit) with grids big enough to determine band-limited signals
GRID_CASES: list[tuple[Group, list[GroupElement], int | None]] = [
    (SO2G, SO2G.grid("regular", 9), 4),
    (SO2G, SO2G.grid("regular", 16), 4),
    (SO2G, SO2G.grid("regular", 3), 1),
    (SO2G, SO2G.grid("rand", 12, seed=1), 3),
    (O2G, O2G.grid("regular", 9), 4),
    (O2G, O2G.grid("regular", 5), 2),
    (SO3G, SO3G.grid("thomson", 60), 2),
    (SO3G, SO3G.grid("hopf", 200), 3),
    (SO3G, SO3G.grid("fibonacci", 40), 1),
    (O3G, O3G.grid("thomson", 40), 2),
] + [(G, G.elements, None) for G in FINITE_GROUPS] + [
    (cyclic_group(16), cyclic_group(16).elements, 3),  # frequencies <= 3 only
    (dihedral_group(8), dihedral_group(8).elements, 2),  # frequencies <= 2 only
]


def _case_id(x: object) -> str:
    if isinstance(x, Group):
        return x.name
    if isinstance(x, list):
        return f"n{len(x)}"
    return f"L{x}"


def _n_coefficients(G: Group, L: int | None) -> int:
    """Dimension of the band-limited functions: |G| for finite groups, else sum_psi d^2 / e."""
    if L is None:
        return G.order()
    if not G.continuous:  # C_N: 1 + 2L (L < N/2); D_N: 2 + 4L (L < N/2)
        assert 2 * L < G.N
        return (1 + 2 * L) * (1 if G.name.startswith("C") else 2)
    return {
        "SO(2)": 2 * L + 1,
        "O(2)": 2 + 4 * L,
        "SO(3)": (L + 1) * (2 * L + 1) * (2 * L + 3) // 3,
        "O(3)": 2 * (L + 1) * (2 * L + 1) * (2 * L + 3) // 3,
    }[G.name]


def _coefficient_rep(G: Group, L: int | None):
    """The representation by which coefficients transform under left translation."""
    if L is None:
        return G.bl_regular_representation(max(p.attributes.get("frequency", 0) for p in G.irreps()))
    return G.bl_regular_representation(L)


@pytest.mark.parametrize("G, grid, L", GRID_CASES, ids=_case_id)
@FAST
@given(seed=seeds)
def test_forward_inverts_inverse(G: Group, grid: list[GroupElement], L: int | None, seed: int) -> None:
    ft = FourierTransform(G, grid, L)
    D = _n_coefficients(G, L)
    assert ft.A.shape == (len(grid), D) and ft.A_pinv.shape == (D, len(grid))
    rng = np.random.default_rng(seed)
    F = rng.standard_normal((3, D))
    samples = ft.inverse(F)
    assert samples.shape == (3, len(grid))
    np.testing.assert_allclose(ft.forward(samples), F, atol=1e-8)
    # a signal that is not band-limited is projected: forward(inverse(forward(x))) == forward(x)
    x = rng.standard_normal(len(grid))
    np.testing.assert_allclose(ft.forward(ft.inverse(ft.forward(x))), ft.forward(x), atol=1e-8)


@pytest.mark.parametrize("G, grid, L", GRID_CASES, ids=_case_id)
def test_left_translation_acts_on_coefficients(G: Group, grid: list[GroupElement], L: int | None) -> None:
    """``f(h^-1 g)`` has coefficients ``rho(h) F`` with rho the (band-limited) regular representation."""
    rho = _coefficient_rep(G, L)
    assert rho.size == _n_coefficients(G, L)
    assert rho.irreps == [p.id for p, c in fourier_columns(G, L) for _ in range(c)]
    A = fourier_matrix(G, grid, L)
    rng = np.random.default_rng(0)
    F = rng.standard_normal(rho.size)
    for h in sample_elements(G, 3, 3):
        shifted = fourier_matrix(G, [~h @ g for g in grid], L) @ F  # samples of f(h^-1 g)
        np.testing.assert_allclose(shifted, A @ (rho(h) @ F), atol=1e-8)
        if not G.continuous:
            # translating samples on the whole group is the regular (permutation) representation
            np.testing.assert_allclose(G.regular_representation(h) @ (A @ F), shifted, atol=1e-8)


@pytest.mark.parametrize("G", FINITE_GROUPS, ids=gid)
def test_finite_fourier_matrix_is_orthogonal(G: Group) -> None:
    """Peter-Weyl on a finite group: the normalised Fourier basis is orthonormal, ``A^T A = |G| I``."""
    A = fourier_matrix(G, G.elements)
    n = G.order()
    assert A.shape == (n, n)
    np.testing.assert_allclose(A.T @ A, n * np.eye(n), atol=ATOL)
    np.testing.assert_allclose(inverse_fourier_matrix(G, G.elements), A.T / n, atol=ATOL)
    np.testing.assert_allclose(A / np.sqrt(n), G.regular_representation.change_of_basis, atol=ATOL)


@pytest.mark.parametrize("G, L", [(SO2G, 4), (O2G, 3), (SO3G, 3), (O3G, 2)], ids=gid)
def test_continuous_fourier_basis_is_orthonormal(G: Group, L: int) -> None:
    """Peter-Weyl: ``sqrt(d) psi_ij`` are orthonormal for the Haar measure (exact quadrature)."""
    els, w = haar_quadrature(G, 2 * L)
    A = fourier_matrix(G, els, L)
    np.testing.assert_allclose(A.T @ (w[:, None] * A), np.eye(A.shape[1]), atol=1e-9)


def test_so2_regular_grid_matches_dft() -> None:
    """On N equispaced angles the SO(2) basis is sqrt(2) cos / sin: compare with numpy's FFT."""
    N, L = 11, 4
    grid = SO2G.grid("regular", N)
    ft = FourierTransform(SO2G, grid, L)
    x = np.random.default_rng(0).standard_normal(N)
    F = ft.forward(x)
    c = np.fft.rfft(x) / N
    assert F[0] == pytest.approx(c[0].real)
    for k in range(1, L + 1):
        # f = F_0 + sum_k a sqrt2 cos(k t) + b sqrt2 sin(k t)  <=>  c_k = (a - i b) / sqrt2
        a, b = F[2 * k - 1], F[2 * k]
        assert c[k] == pytest.approx((a - 1j * b) / np.sqrt(2), abs=1e-12)


@pytest.mark.parametrize(
    "G, grid, L",
    [
        (SO2G, SO2G.grid("regular", 8), 4),  # 8 < 2L + 1
        (O2G, O2G.grid("regular", 4), 2),  # 8 elements < 2 + 4L = 10
        (SO3G, SO3G.grid("thomson", 30), 2),  # 30 < 35
        (O3G, O3G.grid("thomson", 9), 1),  # 18 elements < 2 * (1 + 9) = 20
        # 150 > 84 elements, but only 15 distinct rotation axes (S^2 points), and
        # a degree-3 signal needs 16 of them: the rank check must catch it
        (SO3G, SO3G.grid("hopf", 150), 3),
        (SO3G, [SO3G.identity] * 50, 2),  # enough points but rank 1
    ]
    + [(G, G.elements[:-1], None) for G in FINITE_GROUPS if G.order() > 1],
    ids=_case_id,
)
def test_too_small_grid_raises(G: Group, grid: list[GroupElement], L: int | None) -> None:
    with pytest.raises(ValueError, match="larger grid"):
        inverse_fourier_matrix(G, grid, L)
    with pytest.raises(ValueError, match="larger grid"):
        FourierTransform(G, grid, L)


@pytest.mark.parametrize("G", [SO2G, O2G, SO3G, O3G], ids=gid)
def test_continuous_fourier_needs_band_limit(G: Group) -> None:
    with pytest.raises(ValueError, match="band limit"):
        fourier_matrix(G, sample_elements(G, 0, 3))


def test_fourier_rejects_foreign_elements() -> None:
    with pytest.raises(ValueError, match="SO\\(2\\)"):
        fourier_matrix(SO2G, O2G.grid("regular", 8), 2)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_fourier_transform_on_torch_tensors(dtype: torch.dtype) -> None:
    ft = FourierTransform(O2G, O2G.grid("regular", 7), 3)
    x = torch.randn(2, len(ft.elements), 5, dtype=dtype)
    F = ft.forward(x, dim=1)
    assert isinstance(F, torch.Tensor) and F.dtype == dtype and F.shape == (2, ft.A.shape[1], 5)
    np.testing.assert_allclose(F.numpy(), ft.forward(x.double().numpy(), dim=1), atol=1e-5)
    back = ft.inverse(F, dim=1)
    assert back.shape == x.shape
    np.testing.assert_allclose(ft.forward(back, dim=1).numpy(), F.numpy(), atol=1e-4)
