"""Small dense linear-algebra helpers (numpy only, so importing the library stays fast)."""
from __future__ import annotations

import numpy as np

__all__ = ["block_diag", "is_signed_permutation_matrix"]


def block_diag(*blocks: np.ndarray) -> np.ndarray:
    """The block-diagonal matrix with the given square or rectangular 2-D blocks (float64)."""
    blocks = [np.atleast_2d(np.asarray(b, dtype=np.float64)) for b in blocks]
    rows = sum(b.shape[0] for b in blocks)
    cols = sum(b.shape[1] for b in blocks)
    out = np.zeros((rows, cols))
    r = c = 0
    for b in blocks:
        out[r : r + b.shape[0], c : c + b.shape[1]] = b
        r += b.shape[0]
        c += b.shape[1]
    return out


def is_signed_permutation_matrix(m: np.ndarray, atol: float = 1e-8) -> bool:
    """True iff ``m`` has one entry ``+-1`` per row and column and zeros elsewhere (up to ``atol``).

    Example:
        >>> is_signed_permutation_matrix(np.array([[0.0, -1.0], [1.0, 0.0]]))
        True
    """
    r = np.round(m)
    return bool(np.abs(m - r).max() <= atol and np.all(np.abs(r).sum(0) == 1) and np.all(np.abs(r).sum(1) == 1))
