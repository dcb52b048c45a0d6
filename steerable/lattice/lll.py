r"""Classical lattice reduction: size reduction and LLL, with checks of the conditions they guarantee.

With the Gram–Schmidt vectors :math:`b_i^*` of the columns of :math:`B` and
:math:`\mu_{ij} = \langle b_i, b_j^*\rangle / \|b_j^*\|^2` (:math:`j < i`), a basis is

* **size-reduced** when :math:`|\mu_{ij}| \le 1/2` for all :math:`j < i`;
* **LLL-reduced** with parameter :math:`\delta \in (1/4, 1]` when it is size-reduced and satisfies
  Lovász's condition :math:`\|b_k^*\|^2 \ge (\delta - \mu_{k,k-1}^2)\,\|b_{k-1}^*\|^2` for every :math:`k`.

Both reductions return ``(B @ Q, Q)`` with ``Q`` an exactly integer unimodular matrix (every step
adds an integer multiple of one column to another or swaps two columns).  :func:`lll` runs in one of two
arithmetics:

* ``exact=True``: rational Gram–Schmidt in :class:`fractions.Fraction` (every float is a rational, so this is
  the exact textbook algorithm for any finite input); slow, the reference.
* ``exact=False`` (default): float64 Gram–Schmidt kept for the processed prefix only, with the
  standard safeguards — the current column is recomputed from the original basis and the integer ``Q``
  (no drift), its coefficients are re-reduced until :math:`|\mu| \le 1/2` holds on the recomputed vector,
  and its Gram–Schmidt residual is re-orthogonalised once more (CGS2).  Integer rounding is
  :math:`\lfloor x + 1/2 \rfloor` in both arithmetics, so on well-conditioned inputs they take the same
  steps (the tests check that they return the same ``Q``).
"""
from __future__ import annotations

from fractions import Fraction
from math import floor

import numpy as np
import torch

from .defect import as_basis

__all__ = ["lll", "size_reduce", "is_size_reduced", "is_lll_reduced", "check_delta"]


def check_delta(delta: float) -> float:
    """Validate the LLL parameter: a real number in ``(0.25, 1]``."""
    if isinstance(delta, bool) or not isinstance(delta, (int, float, np.floating)):
        raise TypeError(f"LLL delta must be a real number in (0.25, 1], got {type(delta).__name__}")
    if not (0.25 < float(delta) <= 1.0):
        raise ValueError(f"LLL delta must lie in (0.25, 1], got {delta}")
    return float(delta)


def _round(x: np.ndarray | float) -> np.ndarray:
    return np.floor(np.asarray(x) + 0.5)


# ---------------------------------------------------------------------- floating LLL with safeguards
def _float_reduce(B: np.ndarray, delta: float | None, max_rounds: int = 64) -> np.ndarray:
    """Integer ``Q`` (int64) making ``B @ Q`` LLL-reduced (``delta``) or only size-reduced (``delta=None``)."""
    n = B.shape[1]
    Q = np.eye(n, dtype=np.int64)
    C = B.copy()                  # current basis, always recomputed as B @ Q
    U = np.zeros((n, n))          # orthonormal Gram-Schmidt directions of the processed prefix
    r = np.zeros(n)               # ||b_i*||
    Mu = np.eye(n)                # Gram-Schmidt coefficients of the processed prefix
    k = 0
    while k < n:
        for _ in range(max_rounds):
            c = U[:, :k].T @ C[:, k]
            x = c / r[:k]
            if k == 0 or np.all(np.abs(x) <= 0.5 + 1e-9):
                break
            # size-reduce from the last prefix vector down, updating the coefficients as we go
            for j in range(k - 1, -1, -1):
                q = _round(x[j])
                if q != 0:
                    x[: j + 1] -= q * Mu[j, : j + 1]
                    Q[:, k] -= int(q) * Q[:, j]
            C[:, k] = B @ Q[:, k]   # recompute from the exact integers: no accumulated drift
        else:
            raise RuntimeError("LLL size reduction did not converge in float64 (input too ill-conditioned); use exact=True")
        v = C[:, k] - U[:, :k] @ c
        c2 = U[:, :k].T @ v       # second Gram-Schmidt pass (CGS2) for a residual orthogonal to rounding level
        v -= U[:, :k] @ c2
        c = c + c2
        rk = float(np.linalg.norm(v))
        mu = c / r[:k]
        if delta is not None and k > 0 and rk * rk < (delta - mu[k - 1] ** 2) * r[k - 1] ** 2:
            C[:, [k - 1, k]] = C[:, [k, k - 1]]
            Q[:, [k - 1, k]] = Q[:, [k, k - 1]]
            k -= 1  # the prefix 0..k-2 is untouched; reprocess the column now at k-1
            continue
        r[k] = rk
        U[:, k] = v / rk
        Mu[k, :k] = mu
        k += 1
    return Q


# ---------------------------------------------------------------------- exact rational LLL
def _exact_gso(b: list[list[Fraction]]) -> tuple[list[list[Fraction]], list[Fraction]]:
    n = len(b)
    star: list[list[Fraction]] = []
    norms: list[Fraction] = []
    mu = [[Fraction(0)] * n for _ in range(n)]
    for i in range(n):
        v = list(b[i])
        for j in range(i):
            mu[i][j] = sum((x * y for x, y in zip(b[i], star[j])), Fraction(0)) / norms[j]
            v = [vi - mu[i][j] * sj for vi, sj in zip(v, star[j])]
        star.append(v)
        norms.append(sum((x * x for x in v), Fraction(0)))
    return mu, norms


def _exact_reduce(B: np.ndarray, delta: float | None) -> np.ndarray:
    n = B.shape[1]
    b = [[Fraction(float(B[i, j])) for i in range(n)] for j in range(n)]  # columns, exact rationals
    Q = [[int(i == j) for i in range(n)] for j in range(n)]               # columns of Q
    d = Fraction(delta) if delta is not None else None
    mu, norms = _exact_gso(b)
    k = 1
    while k < n:
        for j in range(k - 1, -1, -1):
            q = floor(mu[k][j] + Fraction(1, 2))
            if q:
                b[k] = [x - q * y for x, y in zip(b[k], b[j])]
                Q[k] = [x - q * y for x, y in zip(Q[k], Q[j])]
                for i in range(j):
                    mu[k][i] -= q * mu[j][i]
                mu[k][j] -= q
        if d is not None and norms[k] < (d - mu[k][k - 1] ** 2) * norms[k - 1]:
            b[k - 1], b[k] = b[k], b[k - 1]
            Q[k - 1], Q[k] = Q[k], Q[k - 1]
            mu, norms = _exact_gso(b)
            k = max(k - 1, 1)
        else:
            k += 1
    return np.array(Q, dtype=object).T


def _reduce(B: torch.Tensor, delta: float | None, exact: bool) -> tuple[torch.Tensor, torch.Tensor]:
    B = as_basis(B)
    batch, n = B.shape[:-2], B.shape[-1]
    flat = B.detach().to(torch.float64).cpu().reshape(-1, n, n).numpy()
    qs = []
    for Bi in flat:
        if exact:
            q = _exact_reduce(Bi, delta)
            if np.abs(q).max() >= 2**62:
                raise OverflowError("the unimodular matrix does not fit in int64")
            qs.append(q.astype(np.int64))
        else:
            qs.append(_float_reduce(np.ascontiguousarray(Bi), delta))
    Q = torch.from_numpy(np.stack(qs)).reshape(*batch, n, n)
    reduced = (B.detach().to(torch.float64) @ Q.to(torch.float64)).to(B.dtype)
    return reduced, Q


def lll(B: torch.Tensor, delta: float = 0.99, exact: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    r"""LLL-reduce a (batch of) lattice bases (columns): returns ``(B @ Q, Q)``, ``Q`` integer, ``|det Q| = 1``.

    Args:
        B: ``(..., n, n)`` bases, basis vectors as columns.
        delta: Lovász parameter in ``(0.25, 1]`` (0.75 is the classic choice, 0.99 the strong one).
        exact: rational arithmetic (reference, slow) instead of float64 with safeguards.

    Shape:
        ``B``: ``(..., n, n)``; output ``(..., n, n)`` in ``B``'s dtype and ``(..., n, n)`` int64.

    Example:
        >>> Bred, Q = lll(torch.tensor([[1., 0.], [0., 1.]]) @ torch.tensor([[1., 5.], [0., 1.]]))
        >>> Q.tolist(), Bred.tolist()
        ([[1, -5], [0, 1]], [[1.0, 0.0], [0.0, 1.0]])
    """
    return _reduce(B, check_delta(delta), exact)


def size_reduce(B: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Size-reduce (``|mu_ij| <= 1/2``, columns in their order): returns ``(B @ Q, Q)``, ``Q`` unit upper triangular integer.

    Example:
        >>> size_reduce(torch.tensor([[1., 3.], [0., 1.]]))[1].tolist()
        [[1, -3], [0, 1]]
    """
    return _reduce(B, None, False)


# ---------------------------------------------------------------------- checks
def _mu_and_norms(B: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    R = torch.linalg.qr(as_basis(B).to(torch.float64), mode="r")[1]
    d = torch.diagonal(R, dim1=-2, dim2=-1)
    mu = (R / d[..., :, None]).transpose(-1, -2)  # mu[i, j] = R[j, i] / R[j, j]
    return torch.tril(mu, -1), d * d


def is_size_reduced(B: torch.Tensor, eta: float = 0.5, tol: float = 1e-9) -> torch.Tensor:
    r"""Whether :math:`|\mu_{ij}| \le \eta` for all :math:`j < i` (up to ``tol``), batched ``(..., n, n) -> (...)`` bool."""
    mu, _ = _mu_and_norms(B)
    return (mu.abs() <= eta + tol).flatten(-2).all(-1)


def is_lll_reduced(B: torch.Tensor, delta: float = 0.99, eta: float = 0.5, tol: float = 1e-9) -> torch.Tensor:
    r"""Whether ``B`` is size-reduced (``eta``) and satisfies Lovász's condition (``delta``), up to relative ``tol``."""
    delta = check_delta(delta)
    mu, nrm = _mu_and_norms(B)
    sub = torch.diagonal(mu, offset=-1, dim1=-2, dim2=-1)
    lovasz = nrm[..., 1:] >= (delta - sub * sub) * nrm[..., :-1] * (1 - tol)
    return is_size_reduced(B, eta, tol) & lovasz.all(-1)
