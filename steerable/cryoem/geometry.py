"""Rotations of cryo-EM poses: RELION's Euler angles, the 6D (S2 x S2) parameterisation, geodesic distance.

Conventions (used everywhere in :mod:`steerable.cryoem`):

* A volume ``V`` is an array ``V[z, y, x]`` (MRC order, x fastest); voxel ``(i, j, k)`` sits at physical
  coordinates ``(k - c, j - c, i - c)`` with ``c = N // 2`` (the FFT origin, RELION's centre).
* A pose is a rotation ``R`` in SO(3) acting on volume coordinates; the projection is
  ``P_R[V](u) = ∫ V(R (u, z)) dz`` for image coordinates ``u = (x, y)`` (image ``Y[y, x]``).
* RELION's angles ``(rot, tilt, psi)`` (ZYZ, degrees) give RELION's matrix ``A`` (``Euler_angles2matrix``),
  which maps volume coordinates to image coordinates; hence ``R = A^T = R_z(rot) R_y(tilt) R_z(psi)``.

Example:
    >>> R = euler_to_matrix(torch.tensor([[30.0, 60.0, -45.0]], dtype=torch.float64))
    >>> torch.allclose(matrix_to_euler(R), torch.tensor([[30.0, 60.0, -45.0]], dtype=torch.float64))
    True
"""
from __future__ import annotations


import torch

__all__ = ["rot_z", "rot_y", "euler_to_matrix", "matrix_to_euler", "random_rotations", "gram_schmidt",
           "geodesic_distance"]


def _check_matrices(R: torch.Tensor, name: str = "R") -> None:
    if not isinstance(R, torch.Tensor) or R.ndim < 2 or R.shape[-2:] != (3, 3):
        got = tuple(R.shape) if isinstance(R, torch.Tensor) else type(R).__name__
        raise ValueError(f"{name} must be a tensor of 3 x 3 rotation matrices (..., 3, 3), got {got}")


def rot_z(theta: torch.Tensor) -> torch.Tensor:
    """``R_z(theta)`` (radians), shape ``theta.shape + (3, 3)``: ``[[c, -s, 0], [s, c, 0], [0, 0, 1]]``."""
    c, s = torch.cos(theta), torch.sin(theta)
    o, z = torch.ones_like(theta), torch.zeros_like(theta)
    return torch.stack([c, -s, z, s, c, z, z, z, o], -1).reshape(theta.shape + (3, 3))


def rot_y(theta: torch.Tensor) -> torch.Tensor:
    """``R_y(theta)`` (radians), shape ``theta.shape + (3, 3)``: ``[[c, 0, s], [0, 1, 0], [-s, 0, c]]``."""
    c, s = torch.cos(theta), torch.sin(theta)
    o, z = torch.ones_like(theta), torch.zeros_like(theta)
    return torch.stack([c, z, s, z, o, z, -s, z, c], -1).reshape(theta.shape + (3, 3))


def euler_to_matrix(angles: torch.Tensor) -> torch.Tensor:
    """Poses ``R = A^T`` from RELION angles ``(rot, tilt, psi)`` in degrees, shape ``(..., 3) -> (..., 3, 3)``.

    ``A`` is RELION's ``Euler_angles2matrix`` written out entry by entry (so the convention is RELION's and
    not a re-derivation); ``R = R_z(rot) R_y(tilt) R_z(psi)`` (tested).
    """
    if not isinstance(angles, torch.Tensor) or angles.shape[-1:] != (3,):
        got = tuple(angles.shape) if isinstance(angles, torch.Tensor) else type(angles).__name__
        raise ValueError(f"Euler angles must be a tensor (..., 3) of (rot, tilt, psi) in degrees, got {got}")
    a, b, g = torch.deg2rad(angles).unbind(-1)
    ca, sa, cb, sb, cg, sg = a.cos(), a.sin(), b.cos(), b.sin(), g.cos(), g.sin()
    cc, cs, sc, ss = cb * ca, cb * sa, sb * ca, sb * sa
    A = torch.stack([cg * cc - sg * sa, cg * cs + sg * ca, -cg * sb,
                     -sg * cc - cg * sa, -sg * cs + cg * ca, sg * sb,
                     sc, ss, cb], -1).reshape(angles.shape[:-1] + (3, 3))
    return A.transpose(-1, -2)


def matrix_to_euler(R: torch.Tensor) -> torch.Tensor:
    """RELION angles ``(rot, tilt, psi)`` in degrees of poses ``R`` (inverse of :func:`euler_to_matrix`).

    ``tilt`` is in [0, 180]; at ``tilt`` = 0 or 180 (gimbal lock) ``psi`` is set to 0 and ``rot`` carries the
    whole in-plane angle.
    """
    _check_matrices(R)
    A = R.transpose(-1, -2)
    tilt = torch.acos(A[..., 2, 2].clamp(-1.0, 1.0))
    sb = torch.sin(tilt)
    lock = sb.abs() < 1e-6
    rot = torch.where(lock, torch.atan2(A[..., 0, 1], A[..., 0, 0]) * torch.sign(A[..., 2, 2]),
                      torch.atan2(A[..., 2, 1], A[..., 2, 0]))
    psi = torch.where(lock, torch.zeros_like(tilt), torch.atan2(A[..., 1, 2], -A[..., 0, 2]))
    return torch.rad2deg(torch.stack([rot, tilt, psi], -1))


def random_rotations(n: int, generator: torch.Generator | None = None, dtype: torch.dtype = torch.float32,
                     device: torch.device | str | None = None) -> torch.Tensor:
    """``n`` rotations drawn uniformly (Haar) from SO(3), shape ``(n, 3, 3)`` (unit quaternions from a Gaussian)."""
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a non-negative int, got {n!r}")
    q = torch.randn(n, 4, generator=generator, dtype=torch.float64)
    q = q / q.norm(dim=1, keepdim=True)
    w, x, y, z = q.unbind(1)
    R = torch.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
                     2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
                     2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], 1).reshape(n, 3, 3)
    return R.to(dtype=dtype, device=device)


def gram_schmidt(a1: torch.Tensor, a2: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """The rotation whose first two **rows** are Gram–Schmidt of ``a1, a2`` (shape ``(..., 3)`` each) and whose
    third row is their cross product: the 6D (S2 x S2) parameterisation.

    It commutes with orthogonal maps of the rows: ``gram_schmidt(Q a1, Q a2) = gram_schmidt(a1, a2) Q^T`` for
    ``Q`` in SO(3), which is what makes an encoder built on it equivariant.
    """
    if a1.shape != a2.shape or a1.shape[-1:] != (3,):
        raise ValueError(f"gram_schmidt needs two (..., 3) tensors of one shape, got {tuple(a1.shape)} and {tuple(a2.shape)}")
    r1 = a1 / a1.norm(dim=-1, keepdim=True).clamp_min(eps)
    b2 = a2 - (r1 * a2).sum(-1, keepdim=True) * r1
    r2 = b2 / b2.norm(dim=-1, keepdim=True).clamp_min(eps)
    return torch.stack([r1, r2, torch.linalg.cross(r1, r2)], -2)


def geodesic_distance(R1: torch.Tensor, R2: torch.Tensor) -> torch.Tensor:
    """Angle in degrees of ``R1^T R2``: ``arccos((tr(R1^T R2) - 1) / 2)``, shape ``(...)``."""
    _check_matrices(R1, "R1")
    _check_matrices(R2, "R2")
    tr = (R1 * R2).sum((-1, -2))
    # atan2 form: accurate near 0 and 180 degrees, where arccos loses digits
    c = ((tr - 1) / 2).clamp(-1.0, 1.0)
    M = R1.transpose(-1, -2) @ R2
    s = 0.5 * torch.stack([M[..., 2, 1] - M[..., 1, 2], M[..., 0, 2] - M[..., 2, 0], M[..., 1, 0] - M[..., 0, 1]], -1).norm(dim=-1)
    return torch.rad2deg(torch.atan2(s, c)) if R1.numel() else torch.zeros(R1.shape[:-2])


