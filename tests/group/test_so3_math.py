"""Tests for steerable.group.so3_math (conversions, real SH, Wigner D, SO(3) grids)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation
from scipy.special import eval_legendre

from steerable.group.so3_math import (
    SO3_GRID_KINDS,
    _hopf_sizes,
    axis_angle_to_matrix,
    matrix_to_quat,
    matrix_to_zyz,
    quat_canonical,
    quat_inverse,
    quat_multiply,
    quat_to_matrix,
    random_quaternions,
    so3_grid,
    sphere_grid,
    spherical_harmonics,
    spherical_harmonics_np,
    wigner_D,
    wigner_D_from_quat,
    zyz_to_matrix,
)

FAST = settings(max_examples=25, deadline=None)
L_MAX = 10

# quaternions from hypothesis: any 4-vector away from 0 (sign/scale are irrelevant)
quats = (
    st.lists(st.floats(-1.0, 1.0, allow_nan=False, allow_subnormal=False), min_size=4, max_size=4)
    .map(np.array)
    .filter(lambda v: np.linalg.norm(v) > 0.1)
)
unit_vecs = (
    st.lists(st.floats(-1.0, 1.0, allow_nan=False, allow_subnormal=False), min_size=3, max_size=3)
    .map(np.array)
    .filter(lambda v: np.linalg.norm(v) > 0.1)
)


def _is_canonical(q: np.ndarray) -> bool:
    return bool(np.allclose(np.linalg.norm(q, axis=-1), 1.0) and np.array_equal(quat_canonical(q), q))


def _sphere_quadrature(n_theta: int = 16, n_phi: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre in z times uniform phi: exact for polynomials of degree < min(2 n_theta, n_phi)."""
    z, wz = np.polynomial.legendre.leggauss(n_theta)
    phi = 2 * np.pi * np.arange(n_phi) / n_phi
    Z, PHI = np.meshgrid(z, phi, indexing="ij")
    rho = np.sqrt(1 - Z**2)
    pts = np.stack([rho * np.cos(PHI), rho * np.sin(PHI), Z], -1).reshape(-1, 3)
    w = np.repeat(wz, n_phi) / (2.0 * n_phi)  # weights sum to 1: sphere average
    return pts, w


# ----------------------------------------------------------------------------- conversions
@FAST
@given(quats)
def test_quat_matrix_roundtrip(q: np.ndarray) -> None:
    R = quat_to_matrix(q)
    assert np.allclose(R @ R.T, np.eye(3), atol=1e-12)
    assert np.isclose(np.linalg.det(R), 1.0)
    q2 = matrix_to_quat(R)
    assert _is_canonical(q2)
    assert np.allclose(q2, quat_canonical(q), atol=1e-12)
    assert np.allclose(quat_to_matrix(q2), R, atol=1e-12)


def test_quat_matrix_matches_scipy_batched() -> None:
    q = random_quaternions(200, np.random.default_rng(0)).reshape(10, 20, 4)
    R = quat_to_matrix(q)
    assert R.shape == (10, 20, 3, 3)
    assert np.allclose(R.reshape(-1, 3, 3), Rotation.from_quat(q.reshape(-1, 4)).as_matrix(), atol=1e-14)
    assert matrix_to_quat(R).shape == (10, 20, 4)


def test_matrix_to_quat_special_rotations() -> None:
    # rotations by pi exercise the non-trace branches of Shepperd's method
    for axis in np.eye(3).tolist() + [[1, 1, 0], [1, -1, 1], [0, 1, -1]]:
        R = axis_angle_to_matrix(axis, np.pi)
        q = matrix_to_quat(R)
        assert _is_canonical(q)
        assert np.allclose(quat_to_matrix(q), R, atol=1e-14)
    assert np.array_equal(matrix_to_quat(np.eye(3)), [0.0, 0.0, 0.0, 1.0])


@FAST
@given(quats)
def test_zyz_roundtrip(q: np.ndarray) -> None:
    R = quat_to_matrix(q)
    a, b, g = matrix_to_zyz(R)
    assert 0 <= b <= np.pi and -np.pi <= a < np.pi and -np.pi <= g < np.pi
    assert np.allclose(zyz_to_matrix(a, b, g), R, atol=1e-12)


def test_zyz_definition_and_gimbal_lock() -> None:
    a, b, g = 0.3, 1.1, -2.0
    Rz = lambda t: Rotation.from_euler("z", t).as_matrix()  # noqa: E731
    Ry = lambda t: Rotation.from_euler("y", t).as_matrix()  # noqa: E731
    assert np.allclose(zyz_to_matrix(a, b, g), Rz(a) @ Ry(b) @ Rz(g), atol=1e-14)
    angles = np.array([[0.4, 0.0, 0.5], [0.4, np.pi, 0.5], [-3.0, 1e-9, 2.9], [1.0, np.pi - 1e-9, 2.0]])
    R = zyz_to_matrix(angles[:, 0], angles[:, 1], angles[:, 2])
    assert np.allclose(zyz_to_matrix(*matrix_to_zyz(R)), R, atol=1e-12)


@FAST
@given(quats, quats)
def test_quat_multiply_matches_matrix_product(q1: np.ndarray, q2: np.ndarray) -> None:
    q12 = quat_multiply(q1, q2)
    assert _is_canonical(q12)
    assert np.allclose(quat_to_matrix(q12), quat_to_matrix(q1) @ quat_to_matrix(q2), atol=1e-12)
    qi = quat_inverse(q1)
    assert _is_canonical(qi)
    assert np.allclose(quat_to_matrix(qi), quat_to_matrix(q1).T, atol=1e-12)
    assert np.allclose(quat_multiply(q1, qi), [0, 0, 0, 1], atol=1e-12)


@FAST
@given(quats)
def test_canonical_identifies_q_and_minus_q(q: np.ndarray) -> None:
    assert np.array_equal(quat_canonical(q), quat_canonical(-q))
    assert quat_canonical(q)[3] >= 0


def test_canonical_w_zero_cases() -> None:
    qs = np.array([[1.0, 2, 3, 0], [0, -1, 2, 0], [0, 0, -5, 0], [-1, 0, 0, 0], [0.0, 0, 0, -3]])
    c = quat_canonical(qs)
    assert np.array_equal(c, quat_canonical(-qs))
    assert np.allclose(np.linalg.norm(c, axis=-1), 1.0)
    first_nonzero = [row[[3, 0, 1, 2]][np.abs(row[[3, 0, 1, 2]]) > 0][0] for row in c]
    assert all(v > 0 for v in first_nonzero)
    # a rotation by pi is its own inverse, and canonical form makes that exact
    assert np.array_equal(quat_inverse(c), c)
    with pytest.raises(ValueError):
        quat_canonical(np.zeros(4))


def test_axis_angle_matches_scipy() -> None:
    rng = np.random.default_rng(1)
    axis = rng.standard_normal((50, 3))
    angle = rng.uniform(-4, 4, 50)
    unit = axis / np.linalg.norm(axis, axis=-1, keepdims=True)
    ref = Rotation.from_rotvec(unit * angle[:, None]).as_matrix()
    assert np.allclose(axis_angle_to_matrix(axis, angle), ref, atol=1e-14)
    with pytest.raises(ValueError):
        axis_angle_to_matrix(np.zeros(3), 1.0)


def test_random_quaternions_haar_statistics() -> None:
    q = random_quaternions(20000, np.random.default_rng(2))
    assert q.shape == (20000, 4) and _is_canonical(q)
    R = quat_to_matrix(q)
    # Haar: E[R] = 0 and E[R_ij^2] = 1/3
    assert np.abs(R.mean(0)).max() < 0.03
    assert np.abs((R**2).mean(0) - 1 / 3).max() < 0.02
    assert np.array_equal(q, random_quaternions(20000, np.random.default_rng(2)))


# ----------------------------------------------------------------------------- spherical harmonics
def test_sh_orthonormal_exact_quadrature() -> None:
    pts, w = _sphere_quadrature()
    Y = np.concatenate([spherical_harmonics_np(l, pts) for l in range(L_MAX + 1)], axis=-1)
    gram = Y.T @ (w[:, None] * Y)
    assert gram.shape == ((L_MAX + 1) ** 2,) * 2
    assert np.abs(gram - np.eye(len(gram))).max() < 1e-10


def test_sh_addition_theorem() -> None:
    # sum_m Y_lm(x) Y_lm(y) = (2l+1) P_l(x.y) pins down the degree-l harmonic space and normalisation
    rng = np.random.default_rng(3)
    x = rng.standard_normal((40, 3))
    y = rng.standard_normal((40, 3))
    cos = np.sum(x * y, -1) / np.linalg.norm(x, axis=-1) / np.linalg.norm(y, axis=-1)
    for l in range(0, 16):
        lhs = np.sum(spherical_harmonics_np(l, x) * spherical_harmonics_np(l, y), -1)
        assert np.allclose(lhs, (2 * l + 1) * eval_legendre(l, cos), atol=1e-10 * (2 * l + 1)), l


def test_sh_l0_l1_explicit_and_scale_invariant() -> None:
    xyz = torch.randn(7, 5, 3, dtype=torch.float64)
    unit = xyz / xyz.norm(dim=-1, keepdim=True)
    assert torch.allclose(spherical_harmonics(0, xyz), torch.ones(7, 5, 1, dtype=torch.float64))
    assert torch.allclose(spherical_harmonics(1, xyz), math.sqrt(3) * unit, atol=1e-14)
    for l in (2, 5):
        assert torch.allclose(spherical_harmonics(l, 3.7 * xyz), spherical_harmonics(l, unit), atol=1e-12)


def test_sh_dtypes_and_numpy_wrapper() -> None:
    xyz = torch.randn(100, 3, dtype=torch.float64)
    for l in range(L_MAX + 1):
        y64 = spherical_harmonics(l, xyz)
        y32 = spherical_harmonics(l, xyz.float())
        assert y64.dtype == torch.float64 and y32.dtype == torch.float32
        assert y64.shape == (100, 2 * l + 1)
        assert torch.allclose(y32.double(), y64, atol=1e-4 * (2 * l + 1))
        ynp = spherical_harmonics_np(l, xyz.numpy())
        assert ynp.dtype == np.float64
        assert np.allclose(ynp, y64.numpy(), atol=1e-13)


def test_sh_origin_and_gradients() -> None:
    xyz = torch.tensor([[0.0, 0.0, 0.0], [0.3, -0.2, 0.9], [0.0, 0.0, -1.0], [1e-30, 0, 0]],
                       dtype=torch.float64, requires_grad=True)
    for l in range(L_MAX + 1):
        y = spherical_harmonics(l, xyz)
        assert torch.isfinite(y).all()
        expected_origin = torch.ones(1) if l == 0 else torch.zeros(2 * l + 1)
        assert torch.equal(y[0].detach(), expected_origin.double())
        (g,) = torch.autograd.grad(y.sum(), xyz)
        assert torch.isfinite(g).all()
        assert torch.equal(g[0], torch.zeros(3, dtype=torch.float64))
    for dtype in (torch.float32, torch.float64):
        x = torch.zeros(2, 3, dtype=dtype, requires_grad=True)
        (g,) = torch.autograd.grad(spherical_harmonics(3, x).square().sum(), x)
        assert torch.isfinite(g).all()


def test_sh_gradcheck() -> None:
    xyz = torch.randn(6, 3, dtype=torch.float64, requires_grad=True)
    for l in (1, 2, 4, 7):
        assert torch.autograd.gradcheck(lambda t: spherical_harmonics(l, t), (xyz,))


def test_sh_rejects_negative_degree() -> None:
    with pytest.raises(ValueError):
        spherical_harmonics(-1, torch.zeros(3))


# ----------------------------------------------------------------------------- Wigner D
@FAST
@given(quats, quats)
def test_wigner_homomorphism_and_orthogonality(q1: np.ndarray, q2: np.ndarray) -> None:
    R1, R2 = quat_to_matrix(q1), quat_to_matrix(q2)
    for l in range(L_MAX + 1):
        D1, D2, D12 = wigner_D(l, R1), wigner_D(l, R2), wigner_D(l, R1 @ R2)
        assert D12.shape == (2 * l + 1, 2 * l + 1)
        assert np.abs(D1 @ D2 - D12).max() < 1e-10
        assert np.abs(D1 @ D1.T - np.eye(2 * l + 1)).max() < 1e-10
        assert np.abs(wigner_D(l, R1.T) - D1.T).max() < 1e-10


def test_wigner_low_degrees_and_identity() -> None:
    R = quat_to_matrix(random_quaternions(20, np.random.default_rng(4)))
    assert np.array_equal(wigner_D(0, R), np.ones((20, 1, 1)))
    assert np.allclose(wigner_D(1, R), R, atol=1e-14)
    for l in range(L_MAX + 1):
        assert np.allclose(wigner_D(l, np.eye(3)), np.eye(2 * l + 1), atol=1e-12)


@FAST
@given(quats, unit_vecs)
def test_wigner_steers_spherical_harmonics(q: np.ndarray, x: np.ndarray) -> None:
    R = quat_to_matrix(q)
    for l in range(L_MAX + 1):
        lhs = spherical_harmonics_np(l, R @ x)
        rhs = wigner_D(l, R) @ spherical_harmonics_np(l, x)
        assert np.abs(lhs - rhs).max() < 1e-10


def test_wigner_batched_from_quat_and_copies() -> None:
    q = random_quaternions(24, np.random.default_rng(5)).reshape(2, 3, 4, 4)
    for l in (0, 1, 3):
        D = wigner_D_from_quat(l, q)
        assert D.shape == (2, 3, 4, 2 * l + 1, 2 * l + 1)
        assert np.allclose(D[1, 2, 3], wigner_D(l, quat_to_matrix(q[1, 2, 3])), atol=1e-14)
    R = np.eye(3)
    D = wigner_D(1, R)
    D[:] = 7.0
    assert np.array_equal(R, np.eye(3))
    for l in (0, 2):
        D = wigner_D(l, R)
        D[:] = 7.0
        assert np.allclose(wigner_D(l, R), np.eye(2 * l + 1))
    with pytest.raises(ValueError):
        wigner_D(2, np.eye(4))


def test_wigner_performance_smoke() -> None:
    R = quat_to_matrix(random_quaternions(1000, np.random.default_rng(6)))
    D = wigner_D(8, R)
    assert D.shape == (1000, 17, 17) and np.isfinite(D).all()
    for l in range(9):
        wigner_D(l, R[0])


# ----------------------------------------------------------------------------- grids
@pytest.mark.parametrize("kind", SO3_GRID_KINDS)
@pytest.mark.parametrize("N", [1, 2, 7, 30, 100])
def test_grid_shape_norm_canonical(kind: str, N: int) -> None:
    g = so3_grid(kind, N)
    n_expected = np.prod(_hopf_sizes(N)) if kind == "hopf" else N
    assert g.shape == (n_expected, 4) and g.dtype == np.float64
    assert _is_canonical(g)
    assert np.array_equal(g, so3_grid(kind, N))  # deterministic (rand: fixed seed)


def test_rand_grid_seed() -> None:
    assert not np.array_equal(so3_grid("rand", 10, seed=0), so3_grid("rand", 10, seed=1))


def _covering_radius(grid: np.ndarray, probes: np.ndarray) -> float:
    """Max over probes of the geodesic distance to the nearest grid rotation."""
    cos_half = np.clip(np.abs(probes @ grid.T).max(1), 0, 1)
    return float(2 * np.arccos(cos_half).max())


def _separation(grid: np.ndarray) -> float:
    c = np.abs(grid @ grid.T)
    np.fill_diagonal(c, 0)
    return float(2 * np.arccos(np.clip(c.max(), 0, 1)))


@pytest.mark.parametrize("kind", ["thomson", "fibonacci", "hopf"])
def test_grid_covering_radius_shrinks(kind: str) -> None:
    probes = random_quaternions(2000, np.random.default_rng(7))
    radii = [_covering_radius(so3_grid(kind, N), probes) for N in (20, 80, 320)]
    assert radii[0] > radii[1] > radii[2]
    # ~ N^{-1/3} scaling: each 4x in N must shrink the radius by a clear margin
    assert radii[2] < 0.8 * radii[1] and radii[1] < 0.85 * radii[0]
    rand_radius = _covering_radius(so3_grid("rand", 320), probes)
    assert radii[2] < rand_radius


def test_thomson_improves_separation() -> None:
    for N in (24, 60, 150):
        assert _separation(so3_grid("thomson", N)) > 1.2 * _separation(so3_grid("fibonacci", N))
    # 60 points relax to the icosahedral group: nearest neighbours 72 degrees apart
    assert _separation(so3_grid("thomson", 60)) > np.radians(70)


def test_hopf_size_rule() -> None:
    for N in range(1, 400):
        ns, nc = _hopf_sizes(N)
        c0 = (math.pi * N) ** (1 / 3)
        assert ns >= 1 and nc >= 1
        assert abs(ns * nc - N) <= max(1, N // 10)
        # exact whenever N has a divisor within a factor 1.5 of (pi N)^(1/3)
        if any(N % d == 0 for d in range(max(1, math.ceil(c0 / 1.5)), math.floor(1.5 * c0) + 1)):
            assert ns * nc == N
    assert _hopf_sizes(72) == (12, 6)
    assert _hopf_sizes(1000) == (50, 20)
    g = so3_grid("hopf", 72)
    R = quat_to_matrix(g)
    # each sphere point carries n_circle in-plane rotations with the same R e_z
    ez = R[:, :, 2].reshape(12, 6, 3)
    assert np.allclose(ez, ez[:, :1], atol=1e-12)


def test_grid_bad_arguments() -> None:
    with pytest.raises(ValueError, match="thomson"):
        so3_grid("healpix", 10)
    for kind in SO3_GRID_KINDS:
        with pytest.raises(ValueError):
            so3_grid(kind, 0)
    with pytest.raises(ValueError):
        sphere_grid(0)


def test_sphere_grid() -> None:
    p = sphere_grid(500)
    assert p.shape == (500, 3)
    assert np.allclose(np.linalg.norm(p, axis=-1), 1.0)
    assert np.abs(p.mean(0)).max() < 1e-2  # balanced
    assert np.allclose(sphere_grid(1), [[1.0, 0.0, 0.0]])
