r"""Joint reduction of spatially correlated lattices on a 2-D grid (e.g. MIMO channels over a service area).

**Channels.** :func:`correlated_grid` draws Kronecker-correlated channels
:math:`H(u, v) = R^{1/2} W(u, v) R^{1/2}` on an ``S x S`` grid, where :math:`R_{ij} = \rho^{|i-j|}` (antenna
correlation) and :math:`W` has i.i.d. N(0, 1) entries at each point, smoothed over the grid by a Gaussian of
width ``corr_length`` grid steps (renormalised to unit variance), so neighbouring lattices are close.

**Joint reduction** (:class:`GridReducer`). Neighbouring lattices have nearly the same good unimodular
matrices, so a reduction is shared instead of recomputed: a coarse sub-grid (stride ``s0``, a power of two) is
reduced from scratch; then, halving the stride at each level, every new point tries the ``Q`` of each of its up
to 8 already-reduced neighbours at the current stride, keeps the one giving the smallest defect, and finishes
with the same reducer started from there, which needs few moves.  The reduction stays exact: the final ``Q`` is
the integer product of the neighbour's ``Q`` and the refinement's, both unimodular.

Example:
    >>> from steerable.lattice.neural import NeuralLatticeReducer
    >>> H = correlated_grid(8, 4, corr_length=4.0, generator=torch.Generator().manual_seed(0))
    >>> HQ, Q = GridReducer(NeuralLatticeReducer(4), stride=4)(H)
    >>> HQ.shape, bool(torch.allclose(HQ, H @ Q.double()))
    (torch.Size([8, 8, 4, 4]), True)
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from .defect import as_basis

__all__ = ["correlated_grid", "GridReducer"]

Reducer = Callable[[torch.Tensor], "tuple[torch.Tensor, torch.Tensor]"]


def correlated_grid(size: int, n: int, corr_length: float = 8.0, rho: float = 0.5,
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """Kronecker-correlated real channels ``(size, size, n, n)`` float64, varying smoothly over the grid."""
    if size < 1 or n < 1 or corr_length <= 0 or not (0 <= rho < 1):
        raise ValueError(f"need size >= 1, n >= 1, corr_length > 0, 0 <= rho < 1; got {size}, {n}, {corr_length}, {rho}")
    pad = int(math.ceil(3 * corr_length))
    W = torch.randn(n * n, 1, size + 2 * pad, size + 2 * pad, generator=generator, dtype=torch.float64)
    x = torch.arange(-pad, pad + 1, dtype=torch.float64)
    k = torch.exp(-x * x / (2 * corr_length**2))
    k2 = k[:, None] * k[None, :]
    W = torch.nn.functional.conv2d(W, (k2 / k2.norm())[None, None])   # unit variance per entry
    W = W.reshape(n, n, size, size).permute(2, 3, 0, 1)
    i = torch.arange(n, dtype=torch.float64)
    e, V = torch.linalg.eigh(rho ** (i[:, None] - i[None, :]).abs())
    Rh = V @ torch.diag(e.clamp_min(0).sqrt()) @ V.T
    return Rh @ W @ Rh


class GridReducer:
    r"""Jointly reduce a grid of correlated lattices ``(S, S, n, n)`` by coarse-to-fine sharing of neighbours' ``Q``.

    Args:
        reducer: any per-lattice reducer ``B (m, n, n) -> (B @ Q, Q)`` (a trained
            :class:`~steerable.lattice.neural.NeuralLatticeReducer`, or :func:`~steerable.lattice.lll`).
        stride: the coarsest sub-grid's stride (a power of two); its points are reduced from scratch.
        refiner: the reducer that finishes the lattices started from a neighbour's ``Q`` (default ``reducer``);
            e.g. the same network with fewer moves, since those lattices are nearly reduced already.

    Shape:
        ``H``: ``(S, S, n, n)`` -> reduced ``(S, S, n, n)`` and ``Q`` ``(S, S, n, n)`` int64.
    """

    def __init__(self, reducer: Reducer, stride: int = 4, refiner: Reducer | None = None) -> None:
        if not isinstance(stride, int) or stride < 1 or stride & (stride - 1):
            raise ValueError(f"stride must be a power of two >= 1, got {stride!r}")
        self.reducer, self.stride = reducer, stride
        self.refiner = refiner if refiner is not None else reducer

    def __call__(self, H: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        H = as_basis(H).to(torch.float64)
        if H.ndim != 4 or H.shape[0] != H.shape[1]:
            raise ValueError(f"expected a square grid of bases (S, S, n, n), got shape {tuple(H.shape)}")
        S, n = H.shape[0], H.shape[-1]
        Q = torch.zeros(S, S, n, n, dtype=torch.int64)
        done = torch.zeros(S, S, dtype=torch.bool)
        u, v = torch.meshgrid(torch.arange(S), torch.arange(S), indexing="ij")
        s = self.stride
        with torch.no_grad():
            first = (u % s == 0) & (v % s == 0)
            Q[first] = self.reducer(H[first])[1]
            done |= first
            while s > 1:
                s //= 2
                new = (u % s == 0) & (v % s == 0) & ~done
                pu, pv = u[new], v[new]
                Hn = H[new]
                cands, scores = [], []
                for du in (-s, 0, s):
                    for dv in (-s, 0, s):
                        qu, qv = (pu + du).clamp(0, S - 1), (pv + dv).clamp(0, S - 1)
                        ok = done[qu, qv]
                        Qc = Q[qu, qv]
                        norms = torch.linalg.vector_norm(Hn @ Qc.to(torch.float64), dim=-2)
                        # unreduced neighbours (Q = 0 there) are never chosen
                        scores.append(torch.where(ok, torch.log(norms.clamp_min(1e-300)).sum(-1), torch.inf))
                        cands.append(Qc)
                best = torch.stack(scores, -1).argmin(-1)
                Q0 = torch.stack(cands, 1)[torch.arange(best.numel()), best]
                Q[new] = Q0 @ self.refiner(Hn @ Q0.to(torch.float64))[1]
                done |= new
        return H @ Q.to(torch.float64), Q
