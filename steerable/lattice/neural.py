r"""A neural lattice reducer, invariant to isometries and scale, equivariant to signed permutations.

**Symmetries.** The input of the network is the scale-normalised Gram matrix
:math:`G = B^\top B / |\det B|^{2/n}` (see :func:`~steerable.lattice.normalized_gram`), so everything it
decides is invariant to :math:`B \mapsto cOB`, :math:`O \in O(n)`, :math:`c \neq 0`.  Relabelling and
flipping the basis, :math:`B \mapsto BP` with :math:`P` in the hyperoctahedral group
:math:`H_n = \{\pm 1\}^n \rtimes S_n` (:math:`P_{\pi(i) i} = s_i`), sends :math:`G \mapsto P^\top G P`, i.e.
:math:`G_{ij} \mapsto s_i s_j G_{\pi(i)\pi(j)}`.  The reducer is built so that :math:`Q(BP) = P^{-1} Q(B) P`,
hence :math:`\delta(BP\,Q(BP)) = \delta(BQ(B))`:

* the network is a graph network on the complete graph of basis vectors; its inputs are functions of
  :math:`G` and of the dual Gram matrix :math:`H = G^{-1}` (which transforms like :math:`G`) that the signs do
  not change: node features :math:`\log G_{ii}, \log H_{ii}` and the mean and max over neighbours of the squared
  cosines :math:`G_{ij}^2/(G_{ii}G_{jj})`; edge features from squared cosines of the basis and the dual basis,
  their product and the magnitude and distance to the nearest integer of :math:`H_{ij}/H_{jj}`.  One MLP is
  shared by all edges and pooling is symmetric, so it is permutation-equivariant by construction;
* its outputs, two invariant edge scalars :math:`\alpha_{ij}, \beta_{ij}`, multiply coefficients that
  carry the sign :math:`s_i s_j`, so the move coefficients transform like :math:`G`:

  .. math::  K_{ij} = (1 + \beta_{ij})\,\frac{H_{ij}}{H_{jj}} - \alpha_{ij}\,\frac{G_{ij}}{G_{ii}}, \qquad K_{jj} = 0.

  :math:`H_{ij}/H_{jj}` are the real coefficients that make :math:`b_j + \sum_{i\ne j} k_i b_i` orthogonal to all
  other columns (the dual vector :math:`d_j = \sum_i H_{ij} b_i` is orthogonal to them); :math:`-G_{ij}/G_{ii}` is the
  pairwise Gauss coefficient.  With the last layer initialised to zero an untrained reducer rounds the
  former (a greedy Babai column reduction); training adjusts both.

**Moves.** A step picks the column :math:`j` whose rounded Babai move
:math:`b_j \leftarrow b_j + \sum_{i \ne j} \lfloor H_{ij}/H_{jj} \rceil b_i` shortens it most (an invariant,
equivariant choice; once no such move shortens any column the lattice is finished), and applies the extended
Gauss move :math:`b_j \leftarrow b_j + \sum_{i \ne j} \lfloor K_{ij} \rceil b_i` (:math:`Q_t = I + k e_j^\top`,
:math:`\det Q_t = 1`) — or the Babai move, where the learned one does not shorten :math:`b_j`.  The network
therefore runs on the :math:`n` edges into the moved column only, which keeps a step as cheap as a few
:math:`n \times n` products.  After ``steps`` steps (the Gram matrix recomputed after each), ``Q`` is the exact
integer product of the moves, composed in int64.  Training uses a straight-through estimator,
:math:`\tilde K = K + \mathrm{sg}(\lfloor K \rceil - K)`, and every accepted move shortens a column, so the defect
never increases.

Equivariance is exact up to the rounding of the float64 features: a rounding decision could only differ
between :math:`B` and :math:`BP` for coefficients within ~1e-15 of a half-integer, or columns whose gains
tie to that precision.
"""
from __future__ import annotations

import torch
from torch import nn

from .defect import as_basis

__all__ = ["NeuralLatticeReducer"]

_N_EDGE_IN = 5
_N_NODE_IN = 4


class NeuralLatticeReducer(nn.Module):
    r"""Reduce lattice bases by learned extended Gauss moves: ``(B) -> (B @ Q, Q)``, ``Q`` integer, ``|det Q| = 1``.

    See the module docstring for the construction and its symmetries.

    Args:
        n: lattice dimension the reducer is built (and trained) for.
        hidden: width of the edge and node networks.
        steps: number of moves ``T`` (default ``4 n``); inference stops early once no move helps.

    Shape:
        - Input ``B``: ``(..., n, n)``, basis vectors as columns.
        - Output: ``(..., n, n)`` reduced basis in ``B``'s dtype (carries straight-through gradients when
          gradients are enabled), and ``(..., n, n)`` int64 ``Q``.

    Example:
        >>> red = NeuralLatticeReducer(4)
        >>> B = torch.randn(10, 4, 4, dtype=torch.float64)
        >>> BQ, Q = red(B)
        >>> bool(torch.allclose(BQ, B @ Q.double())), Q.dtype
        (True, torch.int64)
    """

    def __init__(self, n: int, hidden: int = 16, steps: int | None = None) -> None:
        super().__init__()
        if isinstance(n, bool) or not isinstance(n, int) or n < 2:
            raise ValueError(f"n must be an integer >= 2, got {n!r}")
        if steps is None:
            steps = 4 * n
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ValueError(f"steps must be a positive integer, got {steps!r}")
        self.n, self.hidden, self.steps = n, hidden, steps
        # the network refines one column's move per step (n edges, not n^2): it must stay as cheap as LLL
        # first layer split by input (edge i->j, source node i, moved node j) so no (N, n, 13) concatenation is built
        self.in_edge = nn.Linear(_N_EDGE_IN, hidden)
        self.in_src = nn.Linear(_N_NODE_IN, hidden, bias=False)
        self.in_dst = nn.Linear(_N_NODE_IN, hidden, bias=False)
        self.head = nn.Linear(hidden, 2)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)
        self.double()  # decisions are roundings: float64 features keep them identical under B -> cOBP

    def extra_repr(self) -> str:
        return f"n={self.n}, hidden={self.hidden}, steps={self.steps}"

    # ------------------------------------------------------------------ one step
    def _propose(self, C: torch.Tensor, scale: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """One step on bases ``C`` ``(N, n, n)``: the moved column ``j``, its real and rounded coefficients ``(N, n)``, and
        whether the move shortens it."""
        N, n = C.shape[0], C.shape[-1]
        rows = torch.arange(N)
        eye = torch.eye(n, dtype=torch.bool)
        G = (C.transpose(-1, -2) @ C) * scale
        Gd = G.detach()
        H = torch.linalg.inv(Gd)
        gd, hd = torch.diagonal(Gd, dim1=-2, dim2=-1), torch.diagonal(H, dim1=-2, dim2=-1)
        babai = (H / hd[..., None, :]).masked_fill(eye, 0.0)
        Kb = torch.round(babai)
        cand = Kb + eye.to(Kb.dtype)                                  # column j: the rounded Babai move on b_j
        gain = torch.log(gd) - torch.log(torch.einsum("bij,bik,bkj->bj", cand, Gd, cand))
        best, j = gain.max(-1)
        # invariant features: squared cosines of the basis and of the dual basis, their product, diagonals
        cos = Gd / torch.sqrt(gd[..., :, None] * gd[..., None, :])
        dcos = H / torch.sqrt(hd[..., :, None] * hd[..., None, :])
        cos2 = (cos * cos).masked_fill(eye, 0.0)
        node = torch.stack([torch.log(gd), torch.log(hd), cos2.sum(-1) / (n - 1), cos2.amax(-1)], -1)   # (N, n, 4)
        bj = babai[rows, :, j]                                        # (N, n): coefficients of the move on b_j
        edge = torch.stack([cos2[rows, :, j], dcos[rows, :, j] ** 2, cos[rows, :, j] * dcos[rows, :, j],
                            torch.log1p(bj.abs()), (bj - torch.round(bj)).abs()], -1)
        h = self.in_edge(edge) + self.in_src(node) + self.in_dst(node[rows, j])[:, None, :]
        z = self.head(torch.nn.functional.silu(h))
        pair = G[rows, :, j] / torch.diagonal(G, dim1=-2, dim2=-1)  # pairwise Gauss coefficients <b_i, b_j>/|b_i|^2
        k = ((1 + z[..., 0]) * bj - z[..., 1] * pair).masked_fill(eye[j], 0.0)
        kr = torch.round(k.detach())
        q = kr + eye[j].to(kr.dtype)
        gain_r = torch.log(gd[rows, j]) - torch.log(torch.einsum("bi,bik,bk->b", q, Gd, q))
        learned = gain_r > 1e-9
        # the learned move, or the Babai move where the learned one does not shorten the column
        kr = torch.where(learned[:, None], kr, Kb[rows, :, j])
        k = torch.where(learned[:, None], k, Kb[rows, :, j])
        # a step needs a Babai move that helps: only then is the moved column j well defined (no ties of zero gains),
        # which is what makes the choice equivariant
        return j, k, kr, best > 1e-9

    def forward(self, B: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        B = as_basis(B)
        if B.shape[-1] != self.n:
            raise ValueError(f"this reducer was built for n = {self.n}, got bases of shape {tuple(B.shape)} (n = {B.shape[-1]})")
        batch, n = B.shape[:-2], self.n
        X = B.reshape(-1, n, n).to(torch.float64)
        N = X.shape[0]
        Q = torch.eye(n, dtype=torch.int64).repeat(N, 1, 1)
        # scale-normalisation: |det B| is unchanged by the moves, so it is computed once
        scale = torch.exp(-2.0 * torch.linalg.slogdet(X)[1] / n)[:, None, None]
        if torch.is_grad_enabled():
            C = self._reduce_differentiable(X, Q, scale)
        else:
            self._reduce_inference(X, Q, scale)
            C = X @ Q.to(torch.float64)          # from the exact integers: no drift
        if int(Q.abs().max()) >= 2**52:
            raise OverflowError("the unimodular matrix outgrew exact float64/int64 arithmetic")
        return C.to(B.dtype).reshape(*batch, n, n), Q.reshape(*batch, n, n)

    def _reduce_inference(self, X: torch.Tensor, Q: torch.Tensor, scale: torch.Tensor) -> None:
        # lattices that no move improves are finished for good (their Gram matrix no longer changes),
        # so each step runs on the unfinished ones only
        idx = torch.arange(X.shape[0])
        C = X
        for _ in range(self.steps):
            j, _, kr, active = self._propose(C, scale[idx])
            if not bool(active.all()):
                idx, kr, j, C = idx[active], kr[active], j[active], C[active]
                if idx.numel() == 0:
                    return
            r = torch.arange(idx.numel())
            q = Q[idx]
            q[r, :, j] += (q @ kr.to(torch.int64)[:, :, None]).squeeze(-1)
            Q[idx] = q
            C = X[idx] @ q.to(torch.float64)

    def _reduce_differentiable(self, X: torch.Tensor, Q: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        rows = torch.arange(X.shape[0])
        C = X
        for _ in range(self.steps):
            j, k, kr, active = self._propose(C, scale)
            if not bool(active.any()):
                break
            act = active[:, None].to(C.dtype)
            Q[rows, :, j] += (Q @ (kr * act).to(torch.int64)[:, :, None]).squeeze(-1)
            kst = k + (kr - k).detach()                                         # straight-through rounding
            step = C @ (kst * act)[:, :, None]                                  # (N, n, 1)
            C = C + step * torch.nn.functional.one_hot(j, X.shape[-1]).to(C.dtype)[:, None, :]
        return C

    def loss(self, B: torch.Tensor) -> torch.Tensor:
        r"""Self-supervised loss: the mean log defect :math:`\sum_i \log\|Bq_i\| - \log|\det B|` of the reduced bases."""
        B = as_basis(B).to(torch.float64)
        C = self(B)[0]
        # |det BQ| = |det B|: only the column norms carry gradient
        return (torch.log(torch.linalg.vector_norm(C, dim=-2)).sum(-1) - torch.linalg.slogdet(B)[1]).mean()
