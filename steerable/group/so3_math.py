"""Numerical core for the rotation group SO(3).

Pure functions, no classes.  Conventions shared by the whole library:

* Quaternions are ``(..., 4)`` float64 arrays in scalar-LAST order ``(x, y, z, w)``
  (the ``scipy.spatial.transform.Rotation`` order), unit norm and *canonical*:
  components below ``_CANON_TOL`` are exactly 0 and the first nonzero component
  in the order ``w, x, y, z`` is positive (so ``w >= 0``).  Since ``q`` and ``-q``
  describe the same rotation, this makes equality/hashing of rotations well defined.
* Rotation matrices ``(..., 3, 3)`` act on column vectors.
* ZYZ Euler angles ``(alpha, beta, gamma)`` mean ``R = Rz(alpha) @ Ry(beta) @ Rz(gamma)``.
* Real spherical harmonics ``Y_l`` are normalised so that the sphere *average*
  of ``Y_lm Y_l'm'`` is ``delta``; for ``l = 1`` they are ``sqrt(3) * (x, y, z)``,
  so that ``wigner_D(1, R) == R``.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable

import numpy as np
import torch

__all__ = [
    "quat_to_matrix", "matrix_to_quat", "zyz_to_matrix", "matrix_to_zyz", "quat_multiply",
    "quat_inverse", "quat_canonical", "axis_angle_to_matrix", "random_quaternions",
    "spherical_harmonics", "spherical_harmonics_np", "wigner_D", "wigner_D_from_quat",
    "so3_grid", "sphere_grid", "SO3_GRID_KINDS",
]

# Quaternion components this small are round-off noise: quat_canonical snaps
# them to zero so the sign rule is consistent under q -> -q and under noise.
_CANON_TOL = 1e-14

SO3_GRID_KINDS: tuple[str, ...] = ("thomson", "fibonacci", "hopf", "rand")


# ----------------------------------------------------------------------------
# Quaternions, matrices, Euler angles
# ----------------------------------------------------------------------------
def quat_canonical(q: np.ndarray) -> np.ndarray:
    """Normalise quaternions ``(..., 4)`` (x, y, z, w) and fix their sign.

    Guarantees: unit norm; ``quat_canonical(q) == quat_canonical(-q)`` bit for bit;
    idempotent bit for bit; components with magnitude <= 1e-14 are snapped to +0.0
    and the first nonzero of ``w, x, y, z`` is positive (so ``w >= 0``).

    >>> quat_canonical(np.array([0.0, 0.0, 0.0, -2.0]))
    array([0., 0., 0., 1.])
    """
    q = np.asarray(q, dtype=np.float64)
    norm = np.linalg.norm(q, axis=-1, keepdims=True)
    if np.any(norm == 0):
        raise ValueError("quat_canonical: zero quaternion has no rotation")
    # leaving already-unit input untouched makes the map idempotent bit for bit
    norm = np.where(np.abs(norm - 1.0) <= 4 * np.finfo(np.float64).eps, 1.0, norm)
    q = q / norm
    # snapping round-off noise to zero makes the sign rule (and hashing) stable;
    # it moves the rotation by at most ~1e-14
    q = np.where(np.abs(q) <= _CANON_TOL, 0.0, q)
    ordered = q[..., [3, 0, 1, 2]]  # w decides the sign first, then x, y, z
    first = np.argmax(ordered != 0, axis=-1)
    lead = np.take_along_axis(ordered, first[..., None], axis=-1)
    # "+ 0.0" turns the -0.0 produced by flipping zeros back into +0.0
    return np.where(lead < 0, -q, q) + 0.0


def quat_to_matrix(q: np.ndarray) -> np.ndarray:
    """Rotation matrices ``(..., 3, 3)`` of quaternions ``(..., 4)`` (x, y, z, w).

    Non-unit input is normalised first; ``q`` and ``-q`` give the same matrix.

    >>> np.allclose(quat_to_matrix(np.array([0, 0, 1, 1.0])), [[0, -1, 0], [1, 0, 0], [0, 0, 1]])
    True
    """
    q = np.asarray(q, dtype=np.float64)
    x, y, z, w = np.moveaxis(q, -1, 0)
    s = 2.0 / np.sum(q * q, axis=-1)
    xx, yy, zz = s * x * x, s * y * y, s * z * z
    xy, xz, yz = s * x * y, s * x * z, s * y * z
    wx, wy, wz = s * w * x, s * w * y, s * w * z
    R = np.empty(q.shape[:-1] + (3, 3))  # filled in place: called per element, so stacking costs add up
    R[..., 0, 0], R[..., 0, 1], R[..., 0, 2] = 1.0 - yy - zz, xy - wz, xz + wy
    R[..., 1, 0], R[..., 1, 1], R[..., 1, 2] = xy + wz, 1.0 - xx - zz, yz - wx
    R[..., 2, 0], R[..., 2, 1], R[..., 2, 2] = xz - wy, yz + wx, 1.0 - xx - yy
    return R


def matrix_to_quat(R: np.ndarray) -> np.ndarray:
    """Canonical quaternions ``(..., 4)`` of rotation matrices ``(..., 3, 3)``.

    Uses Shepperd's branch selection (largest of trace / diagonal) so that no
    division by a small number occurs; ``quat_to_matrix(matrix_to_quat(R)) == R``.

    >>> matrix_to_quat(np.eye(3))
    array([0., 0., 0., 1.])
    """
    R = np.asarray(R, dtype=np.float64)
    r = {(i, j): R[..., i, j] for i in range(3) for j in range(3)}
    tr = r[0, 0] + r[1, 1] + r[2, 2]
    # the four candidate "4*component^2" values; the largest is >= 1
    d = np.stack([1 + r[0, 0] - r[1, 1] - r[2, 2], 1 - r[0, 0] + r[1, 1] - r[2, 2],
                  1 - r[0, 0] - r[1, 1] + r[2, 2], 1 + tr], axis=-1)
    k = np.argmax(d, axis=-1)
    big = 0.5 * np.sqrt(np.maximum(np.take_along_axis(d, k[..., None], -1)[..., 0], 1e-300))
    inv = 0.25 / big
    # candidate quaternions (x, y, z, w), all scaled by 1/(4*big) except the big entry
    cand = np.stack([
        np.stack([big, (r[0, 1] + r[1, 0]) * inv, (r[0, 2] + r[2, 0]) * inv, (r[2, 1] - r[1, 2]) * inv], -1),
        np.stack([(r[0, 1] + r[1, 0]) * inv, big, (r[1, 2] + r[2, 1]) * inv, (r[0, 2] - r[2, 0]) * inv], -1),
        np.stack([(r[0, 2] + r[2, 0]) * inv, (r[1, 2] + r[2, 1]) * inv, big, (r[1, 0] - r[0, 1]) * inv], -1),
        np.stack([(r[2, 1] - r[1, 2]) * inv, (r[0, 2] - r[2, 0]) * inv, (r[1, 0] - r[0, 1]) * inv, big], -1),
    ], axis=-2)
    q = np.take_along_axis(cand, k[..., None, None], axis=-2)[..., 0, :]
    return quat_canonical(q)


def quat_multiply(q1: np.ndarray, q2: np.ndarray) -> np.ndarray:
    """Hamilton product (broadcast), canonicalised.

    Guarantees ``quat_to_matrix(quat_multiply(q1, q2)) == quat_to_matrix(q1) @ quat_to_matrix(q2)``.

    >>> quat_multiply(np.array([0, 0, 1, 0.0]), np.array([0, 0, 1, 0.0]))  # 180 deg twice
    array([0., 0., 0., 1.])
    """
    q1 = np.asarray(q1, dtype=np.float64)
    q2 = np.asarray(q2, dtype=np.float64)
    v1, w1 = q1[..., :3], q1[..., 3:]
    v2, w2 = q2[..., :3], q2[..., 3:]
    w = w1 * w2 - np.sum(v1 * v2, axis=-1, keepdims=True)
    v = w1 * v2 + w2 * v1 + np.cross(v1, v2)
    return quat_canonical(np.concatenate([v, w], axis=-1))


def quat_inverse(q: np.ndarray) -> np.ndarray:
    """Canonical inverse (conjugate) of unit quaternions: ``R(q^-1) = R(q)^T``.

    >>> quat_inverse(np.array([0.6, 0, 0, 0.8]))
    array([-0.6,  0. ,  0. ,  0.8])
    """
    q = np.asarray(q, dtype=np.float64)
    return quat_canonical(np.concatenate([-q[..., :3], q[..., 3:]], axis=-1))


def _rot_z(a: np.ndarray) -> np.ndarray:
    c, s, o, z = np.cos(a), np.sin(a), np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, -s, z], -1), np.stack([s, c, z], -1), np.stack([z, z, o], -1)], -2)


def _rot_y(b: np.ndarray) -> np.ndarray:
    c, s, o, z = np.cos(b), np.sin(b), np.ones_like(b), np.zeros_like(b)
    return np.stack([np.stack([c, z, s], -1), np.stack([z, o, z], -1), np.stack([-s, z, c], -1)], -2)


def zyz_to_matrix(alpha: np.ndarray, beta: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """``Rz(alpha) @ Ry(beta) @ Rz(gamma)`` for broadcastable angle arrays.

    >>> np.allclose(zyz_to_matrix(0.3, 0.0, 0.4), zyz_to_matrix(0.7, 0.0, 0.0))
    True
    """
    a, b, g = np.broadcast_arrays(*(np.asarray(t, dtype=np.float64) for t in (alpha, beta, gamma)))
    return _rot_z(a) @ _rot_y(b) @ _rot_z(g)


def _wrap_angle(a: np.ndarray) -> np.ndarray:
    """Map angles into [-pi, pi)."""
    return (a + np.pi) % (2 * np.pi) - np.pi


def matrix_to_zyz(R: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ZYZ angles ``(alpha, beta, gamma)`` with ``zyz_to_matrix(*matrix_to_zyz(R)) == R``.

    ``beta`` is in [0, pi], ``alpha, gamma`` in [-pi, pi).  At the gimbal-lock
    poles (beta = 0 or pi) only alpha +/- gamma is determined; the split is
    symmetric.  Computed from the quaternion, which stays accurate near the poles:
    for ``q = qz(a) qy(b) qz(g)`` one has ``w + iz = cos(b/2) e^{i(a+g)/2}`` and
    ``y - ix = sin(b/2) e^{i(a-g)/2}``.

    >>> [float(round(t, 6)) for t in matrix_to_zyz(zyz_to_matrix(0.1, 0.2, 0.3))]
    [0.1, 0.2, 0.3]
    """
    q = matrix_to_quat(R)
    x, y, z, w = np.moveaxis(q, -1, 0)
    s = 2.0 * np.arctan2(z, w)
    d = 2.0 * np.arctan2(-x, y)
    beta = 2.0 * np.arctan2(np.hypot(x, y), np.hypot(z, w))
    return _wrap_angle(0.5 * (s + d)), beta, _wrap_angle(0.5 * (s - d))


def axis_angle_to_matrix(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Right-handed rotation by ``angle`` about ``axis`` (normalised; broadcast).

    >>> np.allclose(axis_angle_to_matrix([0, 0, 1], np.pi / 2) @ [1, 0, 0], [0, 1, 0])
    True
    """
    axis = np.asarray(axis, dtype=np.float64)
    angle = np.asarray(angle, dtype=np.float64)
    n = np.linalg.norm(axis, axis=-1, keepdims=True)
    if np.any(n == 0):
        raise ValueError("axis_angle_to_matrix: rotation axis must be nonzero")
    half = 0.5 * angle[..., None]
    v = np.sin(half) * (axis / n)  # broadcasts leading dims of axis and angle
    w = np.broadcast_to(np.cos(half), v.shape[:-1] + (1,))
    return quat_to_matrix(np.concatenate([v, w], axis=-1))


def random_quaternions(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` canonical quaternions ``(n, 4)`` drawn from the Haar measure of SO(3).

    A standard Gaussian in R^4 is rotation invariant, so its direction is uniform
    on S^3, which double-covers SO(3) with Haar measure.

    >>> random_quaternions(3, np.random.default_rng(0)).shape
    (3, 4)
    """
    g = rng.standard_normal((int(n), 4))
    # a Gaussian sample of norm exactly 0 has probability 0, but keep it safe
    g[np.linalg.norm(g, axis=-1) == 0] = (0.0, 0.0, 0.0, 1.0)
    return quat_canonical(g)


# ----------------------------------------------------------------------------
# Real spherical harmonics
# ----------------------------------------------------------------------------
def _legendre_q(l: int, m: int, z: Any) -> Any:
    """Normalised associated Legendre function of (l, m) divided by sin^m(theta).

    ``Q_m^m`` is the constant prod_k sqrt((2k+1)/(2k)), ``Q_{m+1}^m = sqrt(2m+3) z Q_m^m``
    and ``Q_k^m = a_km z Q_{k-1}^m - b_km Q_{k-2}^m``.  All coefficients are
    O(sqrt(k)) ratios (no factorials), so the three-term recurrence is stable; the
    ``sin^m`` factor lives in Re/Im of ``(x + iy)^m`` instead, which keeps
    everything polynomial in (x, y, z) and hence smooth at the poles.
    Returns a python float when the result is constant (m == l).
    """
    diag = 1.0
    for k in range(1, m + 1):
        diag *= math.sqrt((2 * k + 1) / (2 * k))
    if l == m:
        return diag
    prev2, prev = diag, math.sqrt(2 * m + 3) * diag * z
    for k in range(m + 2, l + 1):
        a = math.sqrt((2 * k - 1) * (2 * k + 1) / ((k - m) * (k + m)))
        b = math.sqrt((2 * k + 1) * (k + m - 1) * (k - m - 1) / ((k - m) * (k + m) * (2 * k - 3)))
        prev2, prev = prev, a * z * prev - b * prev2
    return prev


def _sh_core(l: int, x: Any, y: Any, z: Any, stack: Callable[[list], Any]) -> Any:
    """Real SH of degree ``l`` at unit vectors with coordinates (x, y, z).

    Backend-agnostic (numpy arrays or torch tensors): only arithmetic is used,
    plus ``stack(list)`` stacking along a new last axis.
    """
    if l == 0:
        return stack([z * 0 + 1])  # keeps dtype/device and (for torch) the graph
    # Re/Im of (x + i y)^m by the complex recurrence; both bounded by 1
    cos_m, sin_m = [None], [None]
    c, s = x, y
    for m in range(1, l + 1):
        if m > 1:
            c, s = x * c - y * s, x * s + y * c
        cos_m.append(c)
        sin_m.append(s)
    r2 = math.sqrt(2.0)
    q = [_legendre_q(l, m, z) for m in range(l + 1)]
    neg = [r2 * q[m] * sin_m[m] for m in range(l, 0, -1)]
    pos = [r2 * q[m] * cos_m[m] for m in range(1, l + 1)]
    if l == 1:
        cols = [pos[0], neg[0], q[0]]  # (x, y, z) so that D^1(R) = R
    else:
        cols = neg + [q[0]] + pos  # m = -l..l
    return stack(cols)


def spherical_harmonics(l: int, xyz: torch.Tensor) -> torch.Tensor:
    """Real spherical harmonics ``(..., 2l+1)`` of degree ``l`` at ``xyz / |xyz|``.

    Normalisation: ``(1/4pi) * integral_{S^2} Y_lm Y_l'm' = delta_mm'`` (sphere
    *average* is the identity), so ``Y_0 = 1`` and ``Y_1(x) = sqrt(3) (x, y, z)``.
    Basis order: for ``l = 1`` it is (x, y, z); for ``l != 1`` it is m = -l..l with
    ``Y_l,m ~ P_l^|m|(z) sin(|m| phi)`` for m < 0 and ``cos(m phi)`` for m > 0
    (no Condon-Shortley phase).  Evaluated with a normalised Legendre recurrence
    on Cartesian coordinates, hence smooth and stable (tested to l = 10 and beyond).
    At the origin returns 0 for l > 0 (1 for l = 0) with finite gradients.
    Works for any floating dtype/device and is differentiable.

    >>> spherical_harmonics(1, torch.tensor([0.0, 0.0, 2.0]))
    tensor([0.0000, 0.0000, 1.7321])
    """
    if l < 0:
        raise ValueError(f"spherical_harmonics: degree must be >= 0, got {l}")
    if not torch.is_floating_point(xyz):
        xyz = xyz.to(torch.get_default_dtype())
    r2 = (xyz * xyz).sum(-1, keepdim=True)
    # below this r^2 the direction is meaningless (and 1/r would overflow grads)
    ok = r2 > math.sqrt(torch.finfo(xyz.dtype).tiny)
    # double-where trick: the masked branch divides by 1, so no inf/NaN in backward
    r = torch.sqrt(torch.where(ok, r2, torch.ones_like(r2)))
    u = torch.where(ok, xyz / r, torch.zeros_like(xyz))
    out = _sh_core(l, u[..., 0], u[..., 1], u[..., 2], lambda ts: torch.stack(ts, dim=-1))
    if l > 0:
        out = torch.where(ok, out, torch.zeros_like(out))
    return out


def spherical_harmonics_np(l: int, xyz: np.ndarray) -> np.ndarray:
    """float64 numpy version of :func:`spherical_harmonics` (same basis, same values).

    >>> spherical_harmonics_np(0, np.zeros((2, 3))).tolist()
    [[1.0], [1.0]]
    """
    if l < 0:
        raise ValueError(f"spherical_harmonics_np: degree must be >= 0, got {l}")
    xyz = np.asarray(xyz, dtype=np.float64)
    r2 = np.sum(xyz * xyz, axis=-1, keepdims=True)
    ok = r2 > math.sqrt(np.finfo(np.float64).tiny)
    u = xyz / np.sqrt(np.where(ok, r2, 1.0))
    u = np.where(ok, u, 0.0)
    out = _sh_core(l, u[..., 0], u[..., 1], u[..., 2], lambda ts: np.stack(ts, axis=-1))
    if l > 0:
        out = np.where(ok, out, 0.0)
    return np.asarray(out, dtype=np.float64)


# ----------------------------------------------------------------------------
# Wigner D matrices
# ----------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _wigner_fit(l: int) -> tuple[np.ndarray, np.ndarray]:
    """Sample points P (N, 3) and pinv of Y_l(P)^T, shape (N, 2l+1), read-only.

    N = 4l + 4 Fibonacci points keep Y_l(P) well conditioned (checked in tests).
    """
    pts = sphere_grid(4 * l + 4)
    pinv = np.linalg.pinv(spherical_harmonics_np(l, pts).T)
    pts.setflags(write=False)
    pinv.setflags(write=False)
    return pts, pinv


def wigner_D(l: int, R: np.ndarray) -> np.ndarray:
    """Real orthogonal Wigner matrices ``(..., 2l+1, 2l+1)`` of rotations ``(..., 3, 3)``.

    Defined by ``Y_l(R x) = D^l(R) Y_l(x)`` for all unit x (basis of
    :func:`spherical_harmonics`), hence ``D(R1 R2) = D(R1) D(R2)``, ``D`` is
    orthogonal, ``D^0 = 1`` and ``D^1(R) = R``.  Computed as the exact solution
    ``D = Y_l(R P)^T pinv(Y_l(P)^T)`` on a fixed point set P (Y_l(P) has full rank).
    Returns a fresh array.

    >>> np.allclose(wigner_D(1, zyz_to_matrix(0.1, 0.2, 0.3)), zyz_to_matrix(0.1, 0.2, 0.3))
    True
    """
    if l < 0:
        raise ValueError(f"wigner_D: degree must be >= 0, got {l}")
    R = np.asarray(R, dtype=np.float64)
    if R.shape[-2:] != (3, 3):
        raise ValueError(f"wigner_D: expected (..., 3, 3) matrices, got shape {R.shape}")
    if l == 0:
        return np.ones(R.shape[:-2] + (1, 1))
    if l == 1:
        return R.copy()
    pts, pinv = _wigner_fit(l)
    rotated = pts @ np.swapaxes(R, -1, -2)  # (..., N, 3): rows are R p_n
    y = spherical_harmonics_np(l, rotated)  # (..., N, 2l+1)
    return np.swapaxes(y, -1, -2) @ pinv


def wigner_D_from_quat(l: int, q: np.ndarray) -> np.ndarray:
    """:func:`wigner_D` of the rotations given as quaternions ``(..., 4)`` (x, y, z, w).

    >>> wigner_D_from_quat(2, np.array([0, 0, 0, 1.0])).round(12).tolist() == np.eye(5).tolist()
    True
    """
    return wigner_D(l, quat_to_matrix(q))


# ----------------------------------------------------------------------------
# Grids
# ----------------------------------------------------------------------------
def sphere_grid(N: int) -> np.ndarray:
    """``N`` Fibonacci (golden-angle spiral) points on S^2, shape ``(N, 3)``, deterministic.

    Point i has z = 1 - (2i + 1)/N (equal-area bands) and azimuth i * golden angle.

    >>> np.allclose(np.linalg.norm(sphere_grid(10), axis=1), 1)
    True
    """
    if N < 1:
        raise ValueError(f"sphere_grid: N must be >= 1, got {N}")
    i = np.arange(N, dtype=np.float64)
    z = 1.0 - (2.0 * i + 1.0) / N
    rho = np.sqrt(np.maximum(1.0 - z * z, 0.0))
    phi = i * (np.pi * (3.0 - math.sqrt(5.0)))
    return np.stack([rho * np.cos(phi), rho * np.sin(phi), z], axis=-1)


# real root of psi^4 = psi + 4 (Alexa 2022); the other spiral uses sqrt(2)
_SF_PSI = 1.533751168755204288118041


def _super_fibonacci(N: int) -> np.ndarray:
    """Super-Fibonacci spiral (Alexa, CVPR 2022): N well-spread unit quaternions."""
    s = np.arange(N, dtype=np.float64) + 0.5
    t = s / N
    r, rr = np.sqrt(t), np.sqrt(1.0 - t)
    a = 2 * np.pi * s / math.sqrt(2.0)
    b = 2 * np.pi * s / _SF_PSI
    return quat_canonical(np.stack([r * np.sin(a), r * np.cos(a), rr * np.sin(b), rr * np.cos(b)], -1))


def _thomson(N: int, steps: int = 150) -> np.ndarray:
    """Riesz-energy repulsion on RP^3 starting from the super-Fibonacci spiral.

    Energy sum_{i<j} (1 - <q_i, q_j>^2)^{-s/2}: 1 - <q_i,q_j>^2 = sin^2(theta_ij/2)
    is invariant under q -> -q, so points repel modulo sign (i.e. as rotations).
    """
    q = _super_fibonacci(N)
    if N < 2:
        return q
    s = 4.0
    spacing = (np.pi ** 2 / N) ** (1.0 / 3.0)  # ~ typical neighbour distance in S^3 / sign
    for it in range(steps):
        c = q @ q.T
        d2 = np.clip(1.0 - c * c, 1e-12, None)
        np.fill_diagonal(d2, np.inf)
        # -grad_i E = -sum_j s c_ij d2_ij^{-s/2-1} q_j  (pushes q_i away from +-q_j)
        coef = s * c * d2 ** (-0.5 * s - 1.0)
        np.fill_diagonal(coef, 0.0)
        force = -coef @ q
        force -= np.sum(force * q, axis=-1, keepdims=True) * q  # tangent to S^3
        fmax = np.max(np.linalg.norm(force, axis=-1))
        if fmax == 0:
            break
        # step size decays so the iteration settles instead of oscillating
        step = 0.1 * spacing * (1.0 - it / steps)
        q = q + force * (step / fmax)
        q /= np.linalg.norm(q, axis=-1, keepdims=True)
    return quat_canonical(q)


def _hopf_sizes(N: int) -> tuple[int, int]:
    """``(n_sphere, n_circle)`` for the Hopf grid of about N rotations.

    Equal spacing on S^2 (area 4pi) and S^1 (length 2pi) needs
    ``4pi / n_s = (2pi / n_c)^2``, i.e. ``n_c = c0 = (pi N)^(1/3)``.  Rule: among
    n_c within a factor 1.5 of c0 (and round(c0)), with n_s = max(1, round(N / n_c)),
    choose the one minimising |n_s n_c - N|, ties broken by |log(n_c / c0)|
    (``round`` is half-up).  So the size is exactly N whenever N has a divisor
    within that window, e.g. 72 -> (12, 6), 1000 -> (50, 20), 101 -> (17, 6).
    """
    def half_up(v: float) -> int:
        return max(1, math.floor(v + 0.5))

    c0 = (math.pi * N) ** (1.0 / 3.0)
    cands = set(range(max(1, math.ceil(c0 / 1.5)), max(1, math.floor(c0 * 1.5)) + 1))
    cands.add(half_up(c0))

    def cost(nc: int) -> tuple[int, float]:
        return abs(half_up(N / nc) * nc - N), abs(math.log(nc / c0))

    nc = min(sorted(cands), key=cost)
    return half_up(N / nc), nc


def _hopf(N: int) -> np.ndarray:
    """R = Rz(alpha) Ry(beta) Rz(psi): (alpha, beta) from a Fibonacci S^2 point R e_z, psi equispaced."""
    ns, nc = _hopf_sizes(N)
    p = sphere_grid(ns)
    alpha = np.arctan2(p[:, 1], p[:, 0])
    beta = np.arccos(np.clip(p[:, 2], -1.0, 1.0))
    psi = 2 * np.pi * np.arange(nc) / nc
    R = zyz_to_matrix(alpha[:, None], beta[:, None], psi[None, :]).reshape(-1, 3, 3)
    return matrix_to_quat(R)


def so3_grid(kind: str, N: int, seed: int = 0) -> np.ndarray:
    """Canonical quaternions ``(M, 4)`` of a grid on SO(3).

    kinds: ``'thomson'`` (super-Fibonacci refined by deterministic repulsion, most
    uniform), ``'fibonacci'`` (super-Fibonacci spiral, Alexa 2022), ``'hopf'``
    (Fibonacci S^2 points x equispaced in-plane angles; M = n_s * n_c is the
    closest achievable size, see ``_hopf_sizes``; M == N when N factors suitably),
    ``'rand'`` (Haar-random, seeded by ``seed``).  Only ``'rand'`` uses ``seed``;
    for all other kinds M == N.

    >>> so3_grid('fibonacci', 8).shape
    (8, 4)
    """
    if kind not in SO3_GRID_KINDS:
        raise ValueError(f"so3_grid: unknown kind {kind!r}; valid kinds are {', '.join(SO3_GRID_KINDS)}")
    if int(N) != N or N < 1:
        raise ValueError(f"so3_grid: N must be a positive integer, got {N}")
    N = int(N)
    if kind == "thomson":
        return _thomson(N)
    if kind == "fibonacci":
        return _super_fibonacci(N)
    if kind == "hopf":
        return _hopf(N)
    return random_quaternions(N, np.random.default_rng(seed))
