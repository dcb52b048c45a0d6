"""Numerical decomposition of representations into irreps, exact up to float64 round-off.

Given a representation only as a function ``g -> rho(g)``, find irreps ``psi_i`` and an
orthogonal ``Q`` with ``rho(g) = Q (+)_i psi_i(g) Q^T``.  Two steps:

1. *Isotypic split.*  Finite groups: the character projector
   ``P_psi = d_psi / (e_psi |G|) sum_g chi_psi(g) rho(g)`` (exact sums).  Lie groups: the
   Casimir ``C = -sum_a d rho(X_a)^2`` acts on the psi-isotypic part as the scalar
   ``c_psi`` (``k^2`` for SO(2), ``l(l+1)`` for SO(3)), so its eigenspaces are the
   isotypic parts (irreps sharing ``c`` are separated in step 2).
2. *Intertwiners.*  Inside an isotypic subspace ``U``, solve
   ``rho_U(g) A = A psi(g)`` for the group's generators (a dense subgroup's generators
   for Lie groups) as a null space, and pick ``m`` intertwiners with orthonormal,
   mutually orthogonal columns (Schur: ``A^T A`` lies in ``End(psi)``).
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from threadpoolctl import ThreadpoolController

from .exceptions import InsufficientIrrepsException
from .group import Group, GroupElement
from .irrep import IrreducibleRepresentation

__all__ = ["intertwiner_basis", "decompose_representation", "finite_difference_lie_algebra", "single_threaded_blas"]

# eigenvalues of N below this are null directions; genuine ones are >~ 1e-4 for the
# generic elements used as generators (phase gaps of a few 1e-3 at most frequencies used)
_NULL_TOL = 1e-8


def intertwiner_basis(constraints: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """A basis of ``{A : R_k A = A S_k for every (R_k, S_k)}``, shape ``(b, m, n)``.

    ``R_k`` and ``S_k`` must be orthogonal (representation matrices).  Then
    ``R A = A S  <=>  kron(R, S) vec(A) = vec(A)`` (row-major ``vec``), so the solutions
    are the null space of the positive semi-definite ``N = sum_k (2 I - K_k - K_k^T)``,
    ``K_k = kron(R_k, S_k)``, found with one symmetric eigendecomposition.  The basis is
    orthonormal in the Frobenius inner product.
    """
    m = constraints[0][0].shape[0]
    n = constraints[0][1].shape[0]
    N = np.zeros((m * n, m * n))
    for R, S in constraints:
        K = np.kron(R, S)
        N -= K + K.T
    N += 2 * len(constraints) * np.eye(m * n)
    w, v = np.linalg.eigh(N)
    null = w < _NULL_TOL
    return v[:, null].T.reshape(-1, m, n)


def _orthonormal_intertwiners(basis: np.ndarray, d: int) -> list[np.ndarray]:
    """Greedily pick intertwiners with orthonormal, mutually orthogonal columns."""
    chosen: list[np.ndarray] = []
    remaining = [b for b in basis]
    while remaining:
        residuals = []
        for B in remaining:
            R = B.copy()
            for A in chosen:
                R -= A @ (A.T @ R)
            residuals.append(R)
        norms = [np.linalg.norm(R) for R in residuals]
        i = int(np.argmax(norms))
        if norms[i] < 1e-6:
            break
        R = residuals[i]
        # A^T A = c I by Schur; rescale so the columns are orthonormal
        R = R / np.sqrt(np.trace(R.T @ R) / d)
        chosen.append(R)
        remaining = [r for j, r in enumerate(residuals) if j != i and norms[j] > 1e-6]
    return chosen


def finite_difference_lie_algebra(
    group: Group, rho: Callable[[GroupElement], np.ndarray], eps: float = 1e-3
) -> list[np.ndarray]:
    """``d rho(X_a)`` by a Richardson-extrapolated central difference (error ~ eps^4)."""
    out = []
    for a in range(group._lie_algebra_dim()):
        def diff(h: float) -> np.ndarray:
            return (rho(group._lie_exp(a, h)) - rho(group._lie_exp(a, -h))) / (2 * h)

        out.append((4 * diff(eps / 2) - diff(eps)) / 3)
    return out


class single_threaded_blas:
    """Context manager running BLAS/LAPACK single-threaded (re-entrant, cheap when nested).

    The group-theory matrices are small; multi-threaded LAPACK on them is 10-100x slower on
    a busy machine than one thread.
    """

    _controller: ThreadpoolController | None = None
    _depth = 0

    def __enter__(self) -> None:
        cls = type(self)
        if cls._depth == 0:
            if cls._controller is None:
                cls._controller = ThreadpoolController()
            self._limit = cls._controller.limit(limits=1, user_api="blas")
        cls._depth += 1

    def __exit__(self, *exc: object) -> None:
        cls = type(self)
        cls._depth -= 1
        if cls._depth == 0:
            self._limit.restore_original_limits()


def decompose_representation(*args, **kwargs) -> tuple[list[IrreducibleRepresentation], np.ndarray]:
    """See :func:`_decompose` (runs with single-threaded BLAS)."""
    with single_threaded_blas():
        return _decompose(*args, **kwargs)


def _decompose(
    group: Group,
    rho: Callable[[GroupElement], np.ndarray],
    size: int,
    lie_algebra: Sequence[np.ndarray] | None = None,
    name: str = "rho",
    rho_batch: Callable[[list[GroupElement]], np.ndarray] | None = None,
) -> tuple[list[IrreducibleRepresentation], np.ndarray]:
    """Irreps ``psi_i`` and orthogonal ``Q`` with ``rho(g) = Q (+) psi_i(g) Q^T``.

    Raises :class:`InsufficientIrrepsException` (a ``ValueError``) if ``rho`` is not an orthogonal
    representation (the pieces found do not add up to its dimension).
    """
    gens = group.generators
    gen_mats = [rho(g) for g in gens]
    pieces: list[tuple[IrreducibleRepresentation, np.ndarray]] = []
    if not group.continuous:
        elements = group.elements
        mats = rho_batch(elements) if rho_batch is not None else np.stack([rho(g) for g in elements])
        values = [g.value for g in elements]
        for psi in group.irreps():
            chars = np.trace(group._irrep_matrices(psi.id, values), axis1=1, axis2=2)
            P = psi.size / (psi.sum_of_squares_constituents * len(elements)) * np.einsum("g,gij->ij", chars, mats)
            P = (P + P.T) / 2
            rank = int(round(np.trace(P)))
            if rank == 0:
                continue
            w, v = np.linalg.eigh(P)
            U = v[:, -rank:]
            pieces.extend(_split_isotypic(U, psi, gens, gen_mats))
    else:
        if lie_algebra is None:
            lie_algebra = finite_difference_lie_algebra(group, rho)
        C = -sum(X @ X for X in lie_algebra)
        C = (C + C.T) / 2
        w, v = np.linalg.eigh(C)
        order = 0
        while order < len(w):
            c = w[order]
            same = np.abs(w - c) < 1e-4 * max(1.0, abs(c))
            U = v[:, same]
            found = 0
            for psi in group._irreps_with_casimir(c):
                new = _split_isotypic(U, psi, gens, gen_mats)
                found += sum(A.shape[1] for _, A in new)
                pieces.extend(new)
            if found != U.shape[1]:
                raise InsufficientIrrepsException(
                    group, f"{name} is not an orthogonal representation of {group.name}: Casimir eigenspace "
                    f"of value {c:.4f} (dim {U.shape[1]}) is not spanned by irreps (found {found})"
                )
            order = int(np.max(np.nonzero(same)[0])) + 1
    total = sum(A.shape[1] for _, A in pieces)
    if total != size:
        raise InsufficientIrrepsException(
            group, f"{name} is not an orthogonal representation of {group.name}: irreps found span "
            f"dimension {total}, expected {size}"
        )
    pieces.sort(key=lambda p: group._irrep_sort_key(p[0].id))
    irreps = [psi for psi, _ in pieces]
    Q = np.concatenate([A for _, A in pieces], axis=1)
    return irreps, Q


def _split_isotypic(
    U: np.ndarray, psi: IrreducibleRepresentation, gens: Sequence[GroupElement], gen_mats: Sequence[np.ndarray]
) -> list[tuple[IrreducibleRepresentation, np.ndarray]]:
    constraints = [(U.T @ M @ U, psi(g)) for g, M in zip(gens, gen_mats)]
    basis = intertwiner_basis(constraints)
    if basis.shape[0] == 0:
        return []
    return [(psi, U @ B) for B in _orthonormal_intertwiners(basis, psi.size)]
