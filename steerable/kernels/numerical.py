"""Reference solver: steerable kernels from the *sampled* constraint, for any group.

In the band-limited function space spanned by the harmonics ``H_m`` of a :class:`RingSpec`,
a kernel is ``k(x) = C H(x)`` with ``C`` of shape ``(d_out d_in, M)``.  The constraint
``k(A(g) x) = (rho_out (x) rho_in)(g) k(x)`` sampled at random points ``x_p`` and at the
group's generators is linear in ``C``; its null space (SVD) is the kernel space.  It uses
no representation theory beyond the matrices ``rho(g)``, which makes it an independent check
of the analytic bases, and a fallback for any group acting on R^d.

Example:
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.kernels import solve_kernel_constraint
    >>> from steerable.kernels.harmonics import RingSpec
    >>> gs = rot2dOnR2(4)
    >>> C = solve_kernel_constraint(gs, gs.trivial_repr, gs.trivial_repr, RingSpec.default(3, 2))
    >>> C.shape[0]   # the two rings' radial functions (frequency 0 mod 4; ring 1 carries k <= 1)
    2
"""
from __future__ import annotations

import numpy as np
import torch

from ..group import Representation
from ..gspaces import GSpace
from .harmonics import RingSpec, sample_harmonics

__all__ = ["solve_kernel_constraint"]


def solve_kernel_constraint(
    gspace: GSpace, in_repr: Representation, out_repr: Representation, spec: RingSpec,
    n_points: int | None = None, seed: int = 0, tol: float = 1e-8,
) -> np.ndarray:
    """Orthonormal basis ``(n, d_out, d_in, M)`` of the harmonic-coefficient tensors ``C`` whose
    kernels ``C H(x)`` satisfy the sampled steerability constraint."""
    G = gspace.fibergroup
    rng = np.random.default_rng(seed)
    M = sample_harmonics(spec, torch.zeros(1, spec.dim, dtype=torch.float64)).shape[0]
    P = n_points or max(3 * M, 20)
    extent = max(spec.radii) + 2 * max(spec.sigmas)
    x = rng.uniform(-extent, extent, size=(P, spec.dim))
    D = out_repr.size * in_repr.size
    H0 = sample_harmonics(spec, torch.from_numpy(x)).numpy()  # (M, P)
    rows = []
    gens = G.generators if G.continuous else G.generators
    for g in gens:
        A = gspace.basespace_action(g)
        H1 = sample_harmonics(spec, torch.from_numpy(x @ A.T)).numpy()
        K = np.kron(out_repr(g), in_repr(g))
        # row-major vec(C): vec(C H1) = kron(I, H1^T) vec(C), vec(K C H0) = kron(K, H0^T) vec(C)
        rows.append(np.kron(np.eye(D), H1.T) - np.kron(K, H0.T))
    Mat = np.concatenate(rows)
    # only the right singular vectors matter: the full U (rows x rows) is needed only when
    # there are fewer rows than unknowns (then vh must still span all of R^(D M))
    _, s, vh = np.linalg.svd(Mat, full_matrices=Mat.shape[0] < Mat.shape[1])
    rank = int(np.sum(s > tol * s[0]))
    return vh[rank:].reshape(-1, out_repr.size, in_repr.size, M)
