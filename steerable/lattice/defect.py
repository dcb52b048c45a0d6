r"""Lattice bases, their Gram matrices and how far they are from orthogonal.

A lattice :math:`\Lambda = \{Bz : z \in \mathbb{Z}^n\}` is given by a basis
:math:`B = [b_1 \dots b_n] \in GL_n(\mathbb{R})` whose **columns** are the basis vectors (the
convention everywhere in :mod:`steerable.lattice`); a batch of bases is a tensor ``(..., n, n)``.
Every other basis of :math:`\Lambda` is :math:`BQ` with :math:`Q \in GL_n(\mathbb{Z})`, :math:`|\det Q| = 1`.

* Gram matrix: :math:`G = B^\top B`, invariant to :math:`B \mapsto OB` for :math:`O \in O(n)`;
  the scale-normalised :math:`G / |\det B|^{2/n}` is also invariant to :math:`B \mapsto cB`.
* Orthogonality defect: :math:`\delta(B) = \prod_i \|b_i\| / |\det B| \ge 1` (Hadamard's
  inequality), with equality iff the columns are pairwise orthogonal.
* :math:`\log \delta(B) = \sum_i \log\|b_i\| - \log|\det B|`, computed from the QR factorisation
  :math:`B = QR` as :math:`\sum_i \log\|b_i\| - \sum_i \log|R_{ii}|`: no product of norms is ever formed,
  so it neither overflows nor underflows, and it is exactly 0 for orthogonal columns up to rounding.
* Hermite factor: :math:`\min_i \|b_i\| / |\det B|^{1/n}` (the shortest *column*, so the value does not
  depend on the order of the columns).

The integer helpers (:func:`integer_det`, :func:`is_unimodular`) work in Python integers, so a
unimodularity check never suffers rounding.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

__all__ = ["as_basis", "gram", "normalized_gram", "log_defect", "orthogonality_defect", "hermite_factor",
           "integer_det", "is_unimodular"]


def as_basis(B: Any, name: str = "B", dtype: torch.dtype | None = None) -> torch.Tensor:
    """Validate a (batch of) lattice bases and return it as a floating tensor ``(..., n, n)``.

    Args:
        B: tensor or array-like ``(..., n, n)``, basis vectors as columns.
        name: how the argument is called in error messages.
        dtype: floating dtype of the result (default: ``B``'s if floating, else ``float64``).

    Raises:
        TypeError: ``B`` is not numeric.
        ValueError: fewer than 2 dimensions, not square, empty, non-finite entries, or a singular basis
            (``|det B|`` zero or below rounding level relative to the column norms).
    """
    if not isinstance(B, torch.Tensor):
        try:
            B = torch.as_tensor(np.asarray(B))
        except (TypeError, ValueError, RuntimeError) as exc:
            raise TypeError(f"{name} must be a tensor or array of numbers (..., n, n), got {type(B).__name__}: {exc}") from None
    if B.dtype == torch.bool or B.is_complex():
        raise TypeError(f"{name} must hold real numbers, got dtype {B.dtype}")
    if dtype is None:
        dtype = B.dtype if B.is_floating_point() else torch.float64
    B = B.to(dtype)
    if B.ndim < 2 or B.shape[-1] != B.shape[-2]:
        raise ValueError(f"{name} must be square bases of shape (..., n, n) with basis vectors as columns, got shape {tuple(B.shape)}")
    if B.shape[-1] == 0 or B.numel() == 0:
        raise ValueError(f"{name} must be non-empty, got shape {tuple(B.shape)}")
    if not bool(torch.isfinite(B).all()):
        raise ValueError(f"{name} has non-finite entries (nan or inf)")
    ld = _log_defect_unchecked(B.to(torch.float64))
    # a basis is numerically singular when |det B| is below rounding level relative to prod ||b_i||
    bad = ~torch.isfinite(ld) | (ld > -np.log(torch.finfo(dtype).eps))
    if bool(bad.any()):
        where = f" at batch index {tuple(int(i) for i in torch.nonzero(bad)[0])}" if ld.ndim else ""
        raise ValueError(f"{name} is singular (linearly dependent columns){where}: a lattice basis must be invertible")
    return B


def gram(B: torch.Tensor) -> torch.Tensor:
    r"""The Gram matrix :math:`G = B^\top B`, ``(..., n, n) -> (..., n, n)``; :math:`G_{ij} = \langle b_i, b_j\rangle`.

    Example:
        >>> gram(torch.tensor([[1., 1.], [0., 2.]]))
        tensor([[1., 1.],
                [1., 5.]])
    """
    B = torch.as_tensor(B)
    return B.transpose(-1, -2) @ B


def normalized_gram(B: torch.Tensor) -> torch.Tensor:
    r"""The scale-normalised Gram matrix :math:`B^\top B / |\det B|^{2/n}` (determinant 1).

    Invariant to :math:`B \mapsto cOB` for :math:`O \in O(n)`, :math:`c \ne 0`; under
    :math:`B \mapsto BP` it becomes :math:`P^\top G P`.
    """
    B = as_basis(B)
    n = B.shape[-1]
    logdet = torch.linalg.slogdet(B)[1]
    return gram(B) * torch.exp(-2.0 * logdet / n)[..., None, None]


def _log_defect_unchecked(B: torch.Tensor) -> torch.Tensor:
    # the defect is invariant to scaling single columns: scale each to max-abs 1 so that neither the
    # norms nor QR can overflow or underflow, whatever the magnitudes
    B = B / B.abs().amax(-2, keepdim=True).clamp_min(torch.finfo(B.dtype).tiny)
    r = torch.linalg.qr(B, mode="r")[1]
    logdiag = torch.log(torch.diagonal(r, dim1=-2, dim2=-1).abs()).sum(-1)
    return torch.log(torch.linalg.vector_norm(B, dim=-2)).sum(-1) - logdiag


def log_defect(B: torch.Tensor) -> torch.Tensor:
    r""":math:`\log\delta(B) = \sum_i \log\|b_i\| - \log|\det B| \ge 0`, batched: ``(..., n, n) -> (...)``.

    Computed through QR (see the module docstring). Invariant to :math:`B \mapsto cOB` and to signed
    permutations of the columns; 0 exactly for orthogonal bases (up to rounding of the norms).

    Example:
        >>> float(log_defect(torch.eye(3)))
        0.0
        >>> round(float(log_defect(torch.tensor([[1., 1.], [0., 1.]]))), 4)   # log sqrt(2)
        0.3466
    """
    B = as_basis(B)
    return _log_defect_unchecked(B).clamp_min(0.0)


def orthogonality_defect(B: torch.Tensor) -> torch.Tensor:
    r""":math:`\delta(B) = \prod_i \|b_i\| / |\det B| \ge 1`, batched ``(..., n, n) -> (...)``; ``exp`` of :func:`log_defect`."""
    return torch.exp(log_defect(B))


def hermite_factor(B: torch.Tensor) -> torch.Tensor:
    r""":math:`\min_i \|b_i\| / |\det B|^{1/n}`, batched ``(..., n, n) -> (...)`` (shortest column, order-free)."""
    B = as_basis(B)
    n = B.shape[-1]
    logdet = torch.linalg.slogdet(B)[1]
    return torch.linalg.vector_norm(B, dim=-2).amin(-1) * torch.exp(-logdet / n)


# ---------------------------------------------------------------------- exact integer arithmetic
def _int_rows(Q: Any) -> list[list[int]]:
    a = np.asarray(Q.detach().cpu().numpy() if isinstance(Q, torch.Tensor) else Q)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"expected one square integer matrix (n, n), got shape {a.shape}")
    if a.dtype.kind == "f":
        if not np.all(np.isfinite(a)) or not np.all(a == np.round(a)):
            raise ValueError("expected an integer matrix, got non-integer floating entries")
    elif a.dtype.kind not in "iuO":
        raise TypeError(f"expected an integer matrix, got dtype {a.dtype}")
    return [[int(v) for v in row] for row in a.tolist()]


def integer_det(Q: Any) -> int:
    """Exact determinant of an integer matrix ``(n, n)`` by fraction-free (Bareiss) elimination in Python ints.

    Example:
        >>> integer_det([[2, 1], [7, 4]])
        1
    """
    a = _int_rows(Q)
    n = len(a)
    sign, prev = 1, 1
    for k in range(n - 1):
        if a[k][k] == 0:  # pivot: swap in a row with a non-zero entry in column k
            swap = next((i for i in range(k + 1, n) if a[i][k] != 0), None)
            if swap is None:
                return 0
            a[k], a[swap] = a[swap], a[k]
            sign = -sign
        for i in range(k + 1, n):
            for j in range(k + 1, n):
                # Bareiss: the division is exact (Sylvester's identity)
                a[i][j] = (a[i][j] * a[k][k] - a[i][k] * a[k][j]) // prev
        prev = a[k][k]
    return sign * a[n - 1][n - 1] if n else 1


def is_unimodular(Q: Any) -> bool | list[bool]:
    """Whether an integer matrix ``(n, n)`` (or each of a batch ``(m, n, n)``) has ``|det| = 1``, checked exactly."""
    q = Q.detach().cpu().numpy() if isinstance(Q, torch.Tensor) else np.asarray(Q)
    if q.ndim == 3:
        return [abs(integer_det(m)) == 1 for m in q]
    return abs(integer_det(q)) == 1

