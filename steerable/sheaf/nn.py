"""Sheaf diffusion and sheaf attention layers, with GCN / GAT baselines sharing their interface.

Features live in the vertex stalks: a 0-cochain with ``C`` channels is a tensor ``X`` of shape ``(N, C)``,
``N = Σ_v d_v``, the rows of vertex v at ``offsets[v] : offsets[v] + d_v``. The coboundary is kept as COO triplets
(:class:`Coboundary`), so ``L_F X = δᵀ(δ X)`` is two gathers and two scatters: block-sparse for any mix of stalk
dimensions, batched by concatenating graphs (:func:`batch_sheaves`), and differentiable in the map entries
(the persistent sheaf's maps carry gradients).

* :class:`SheafDiffusion`: ``X ← X − σ(L_F X W)`` (Hansen & Gebhart 2020; Bodnar et al. 2022, with ``W₁ = I``: stalk
  bases differ from vertex to vertex, so a shared ``W₁`` would not mean the same map everywhere).
* :class:`SheafAttention`: the same with ``L_α = δᵀ diag(α) δ``, one coefficient ``α_e ∈ (0, 1)`` per edge block from
  the stalk-pooled features of its two ends (symmetric in them), so ``L_α`` stays symmetric PSD.
* :class:`GCNLayer`, :class:`GATLayer`: node-feature baselines on the same :class:`SheafBatch` (its ``edge_index``).

Example:
    >>> import numpy as np, torch
    >>> from steerable.sheaf import SimplicialComplex, local_homology_sheaf
    >>> K = SimplicialComplex.from_graph(np.array([[0, 0, 0], [1, 2, 3]]), 4, max_dim=1)
    >>> b = SheafBatch.from_sheaf(local_homology_sheaf(K, 1))
    >>> SheafDiffusion(8)(torch.randn(b.num_stalk_rows, 8), b).shape
    torch.Size([2, 8])
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from torch import nn

from .homology import Sheaf
from .laplacian import stalk_offsets

__all__ = ["Coboundary", "SheafBatch", "batch_sheaves", "SheafDiffusion", "SheafAttention", "GCNLayer", "GATLayer",
           "stalk_pool", "SheafNet", "GraphNet"]


@dataclass
class Coboundary:
    """``δ`` as triplets: ``(δx)[rows[i]] += vals[i] · x[cols[i]]``; ``edge_of_row`` names each row's edge."""

    rows: torch.Tensor
    cols: torch.Tensor
    vals: torch.Tensor
    num_rows: int
    num_cols: int
    edge_of_row: torch.Tensor

    def apply(self, x: torch.Tensor) -> torch.Tensor:
        out = x.new_zeros((self.num_rows,) + x.shape[1:])
        return out.index_add_(0, self.rows, self.vals.to(x.dtype).unsqueeze(-1) * x[self.cols])

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        out = y.new_zeros((self.num_cols,) + y.shape[1:])
        return out.index_add_(0, self.cols, self.vals.to(y.dtype).unsqueeze(-1) * y[self.rows])

    def laplacian(self, x: torch.Tensor, edge_weight: torch.Tensor | None = None) -> torch.Tensor:
        """``δᵀ diag(w) δ x`` (``w`` per edge, broadcast to its rows; default 1)."""
        y = self.apply(x)
        if edge_weight is not None:
            y = y * edge_weight[self.edge_of_row].unsqueeze(-1)
        return self.adjoint(y)


@dataclass
class SheafBatch:
    """One graph or several side by side: vertex stalks, the coboundary and the plain edges.

    Attributes:
        delta: the :class:`Coboundary` on the stacked vertex stalks.
        owner: ``(N,)`` the vertex of each stalk row.
        stalk_dims: ``(n,)`` vertex stalk dimensions.
        edge_index: ``(2, 2 E)`` both orientations of every edge (for the baselines and attention).
        edges: ``(E, 2)`` the edges, each once, in ``delta``'s edge order.
        graph: ``(n,)`` which graph each vertex belongs to.
    """

    delta: Coboundary
    owner: torch.Tensor
    stalk_dims: torch.Tensor
    edge_index: torch.Tensor
    edges: torch.Tensor
    graph: torch.Tensor

    @property
    def num_nodes(self) -> int:
        return int(self.stalk_dims.numel())

    @property
    def num_stalk_rows(self) -> int:
        return int(self.owner.numel())

    @classmethod
    def from_maps(cls, num_nodes: int, edges: np.ndarray, vertex_dims: np.ndarray, edge_dims: np.ndarray,
                  incidences: Sequence[tuple[int, int, torch.Tensor]]) -> "SheafBatch":
        """Build from ``(v, e, ρ_{v≤e})`` triplets (``ρ`` a ``(d_e, d_v)`` tensor, may carry gradients)."""
        ov, oe = stalk_offsets(vertex_dims), stalk_offsets(edge_dims)
        rows, cols, vals = [], [], []
        for v, e, R in incidences:
            if R.numel() == 0:
                continue
            sign = 1.0 if v == edges[e, 1] else -1.0
            r = torch.arange(R.shape[0]).repeat_interleave(R.shape[1]) + int(oe[e])
            c = torch.arange(R.shape[1]).repeat(R.shape[0]) + int(ov[v])
            rows.append(r)
            cols.append(c)
            vals.append(sign * R.reshape(-1))
        cat = (lambda a, dt: torch.cat(a) if a else torch.zeros(0, dtype=dt))  # noqa: E731
        rows_t = cat(rows, torch.long)
        delta = Coboundary(rows_t, cat(cols, torch.long), cat(vals, torch.float64), int(oe[-1]), int(ov[-1]),
                           torch.as_tensor(np.repeat(np.arange(len(edge_dims)), edge_dims), dtype=torch.long))
        e_t = torch.as_tensor(edges, dtype=torch.long).reshape(-1, 2)
        return cls(delta, torch.as_tensor(np.repeat(np.arange(num_nodes), vertex_dims), dtype=torch.long),
                   torch.as_tensor(vertex_dims, dtype=torch.long), torch.cat([e_t.T, e_t.flip(1).T], 1), e_t,
                   torch.zeros(num_nodes, dtype=torch.long))

    @classmethod
    def from_sheaf(cls, sheaf: Sheaf) -> "SheafBatch":
        """From a :class:`~steerable.sheaf.homology.Sheaf` with stalks on vertices and edges."""
        if 0 not in sheaf.restrictions:
            raise ValueError(f"need a sheaf with stalks on vertices and edges, got stalks on {sheaf.on}")
        pairs, maps = sheaf.restrictions[0]
        inc = [(int(v), int(e), torch.as_tensor(R)) for (v, e), R in zip(pairs, maps)]
        return cls.from_maps(sheaf.complex.num_nodes, sheaf.complex.simplices[1], sheaf.dims_of(0),
                             sheaf.dims_of(1), inc)


def batch_sheaves(batches: Sequence[SheafBatch]) -> SheafBatch:
    """Concatenate graphs into one block-diagonal :class:`SheafBatch` (``graph`` numbers them)."""
    if not batches:
        raise ValueError("need at least one SheafBatch")
    rows, cols, vals, eor, owner, dims, ei, ed, graph = [], [], [], [], [], [], [], [], []
    r0 = c0 = n0 = e0 = 0
    for g, b in enumerate(batches):
        d = b.delta
        rows.append(d.rows + r0)
        cols.append(d.cols + c0)
        vals.append(d.vals)
        eor.append(d.edge_of_row + e0)
        owner.append(b.owner + n0)
        dims.append(b.stalk_dims)
        ei.append(b.edge_index + n0)
        ed.append(b.edges + n0)
        graph.append(torch.full((b.num_nodes,), g, dtype=torch.long))
        r0, c0, n0, e0 = r0 + d.num_rows, c0 + d.num_cols, n0 + b.num_nodes, e0 + len(b.edges)
    delta = Coboundary(torch.cat(rows), torch.cat(cols), torch.cat(vals), r0, c0, torch.cat(eor))
    return SheafBatch(delta, torch.cat(owner), torch.cat(dims), torch.cat(ei, 1), torch.cat(ed), torch.cat(graph))


def stalk_pool(x: torch.Tensor, batch: SheafBatch) -> torch.Tensor:
    """``(n, 2C)`` per vertex: the sum over its stalk rows and the sum of squares (zeros where ``d_v = 0``)."""
    out = x.new_zeros((batch.num_nodes, 2 * x.shape[1]))
    return out.index_add_(0, batch.owner, torch.cat([x, x * x], 1))


def _check(x: torch.Tensor, rows: int, channels: int, what: str) -> None:
    if x.ndim != 2 or x.shape[0] != rows or x.shape[1] != channels:
        raise ValueError(f"expected {what} of shape ({rows}, {channels}), got {tuple(x.shape)}")


class SheafDiffusion(nn.Module):
    r"""Sheaf diffusion ``X ← X − σ(L_F X W)`` on vertex stalks.

    Args:
        channels: ``C``, feature channels per stalk row.
        step: the diffusion step ``t`` in ``X − σ(t L_F X W)`` (small steps keep deep stacks stable).

    Shape:
        - x: ``(N, C)`` stacked stalks, ``N = Σ_v d_v``; output the same.
    """

    def __init__(self, channels: int, step: float = 0.25) -> None:
        super().__init__()
        self.channels, self.step = channels, step
        self.weight = nn.Parameter(torch.empty(channels, channels))
        nn.init.xavier_uniform_(self.weight)

    def extra_repr(self) -> str:
        return f"channels={self.channels}, step={self.step}"

    def forward(self, x: torch.Tensor, batch: SheafBatch) -> torch.Tensor:
        _check(x, batch.num_stalk_rows, self.channels, "stalk features")
        return x - torch.nn.functional.elu(self.step * batch.delta.laplacian(x @ self.weight))


class SheafAttention(SheafDiffusion):
    r"""Sheaf attention: ``X ← X − σ(L_α X W)``, ``L_α = δᵀ diag(α) δ``, ``α_e = sigmoid(a · [p_u + p_v, |p_u − p_v|])``
    with ``p`` the stalk-pooled features (:func:`stalk_pool`).

    Args:
        channels: ``C``.

    Shape:
        - x: ``(N, C)``; output the same.
    """

    def __init__(self, channels: int, step: float = 0.25) -> None:
        super().__init__(channels, step)
        self.att = nn.Linear(4 * channels, 1)

    def forward(self, x: torch.Tensor, batch: SheafBatch) -> torch.Tensor:
        _check(x, batch.num_stalk_rows, self.channels, "stalk features")
        p = stalk_pool(x, batch)
        u, v = batch.edges[:, 0], batch.edges[:, 1]
        alpha = torch.sigmoid(self.att(torch.cat([p[u] + p[v], (p[u] - p[v]).abs()], 1))).squeeze(1)
        return x - torch.nn.functional.elu(self.step * batch.delta.laplacian(x @ self.weight, alpha))


class GCNLayer(nn.Module):
    r"""Graph convolution ``H ← σ(D̂^{-1/2} Â D̂^{-1/2} H W)``, ``Â = A + I`` (Kipf & Welling).

    Args:
        in_channels, out_channels: feature sizes.

    Shape:
        - h: ``(n, in_channels)`` node features; output ``(n, out_channels)``.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.lin = nn.Linear(in_channels, out_channels)

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}"

    def forward(self, h: torch.Tensor, batch: SheafBatch) -> torch.Tensor:
        _check(h, batch.num_nodes, self.in_channels, "node features")
        n = batch.num_nodes
        src = torch.cat([batch.edge_index[0], torch.arange(n)])
        dst = torch.cat([batch.edge_index[1], torch.arange(n)])
        deg = torch.zeros(n, dtype=h.dtype).index_add_(0, dst, torch.ones_like(dst, dtype=h.dtype))
        w = (deg[src] * deg[dst]).rsqrt().unsqueeze(1)
        y = self.lin(h)
        return torch.relu(torch.zeros_like(y).index_add_(0, dst, w * y[src]))


class GATLayer(GCNLayer):
    r"""Graph attention (one head): ``h_i ← σ(Σ_j softmax_j(LeakyReLU(a · [W h_i, W h_j])) W h_j)`` over ``j ∈ N(i) ∪ {i}``.

    Shape:
        - h: ``(n, in_channels)``; output ``(n, out_channels)``.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(in_channels, out_channels)
        self.att = nn.Parameter(torch.randn(2 * out_channels) / math.sqrt(2 * out_channels))

    def forward(self, h: torch.Tensor, batch: SheafBatch) -> torch.Tensor:
        _check(h, batch.num_nodes, self.in_channels, "node features")
        n = batch.num_nodes
        src = torch.cat([batch.edge_index[0], torch.arange(n)])
        dst = torch.cat([batch.edge_index[1], torch.arange(n)])
        y = self.lin(h)
        c = self.out_channels
        score = torch.nn.functional.leaky_relu(y[dst] @ self.att[:c] + y[src] @ self.att[c:], 0.2)
        smax = torch.full((n,), -torch.inf, dtype=y.dtype).scatter_reduce(0, dst, score.detach(), "amax")
        score = score - smax[dst]  # a softmax shift, for overflow safety only
        e = score.exp()
        den = torch.zeros(n, dtype=y.dtype).index_add_(0, dst, e)
        out = torch.zeros_like(y).index_add_(0, dst, (e / den[dst]).unsqueeze(1) * y[src])
        return torch.relu(out)


class SheafNet(nn.Module):
    r"""Node classifier on a sheaf: lift ``X = (h W_in)`` to every row of each vertex stalk, ``layers`` sheaf
    diffusion (or attention) layers, read out ``[stalk_pool(X), h] W_out`` per vertex.

    Args:
        in_channels: node feature size.
        hidden: channels per stalk row.
        num_classes: outputs per vertex.
        layers: number of sheaf layers (2).
        attention: :class:`SheafAttention` instead of :class:`SheafDiffusion`.

    Shape:
        - h: ``(n, in_channels)``; output ``(n, num_classes)`` logits.
    """

    def __init__(self, in_channels: int, hidden: int, num_classes: int, layers: int = 2,
                 attention: bool = False) -> None:
        super().__init__()
        self.lift = nn.Linear(in_channels, hidden)
        layer = SheafAttention if attention else SheafDiffusion
        self.layers = nn.ModuleList(layer(hidden) for _ in range(layers))
        self.out = nn.Linear(2 * hidden + in_channels, num_classes)

    def forward(self, h: torch.Tensor, batch: SheafBatch) -> torch.Tensor:
        x = self.lift(h)[batch.owner]
        for layer in self.layers:
            x = layer(x, batch)
        return self.out(torch.cat([stalk_pool(x, batch), h], 1))


class GraphNet(nn.Module):
    r"""GCN or GAT node classifier with :class:`SheafNet`'s interface: ``layers`` graph layers, then a linear
    read-out of ``[H, h]``.

    Args:
        in_channels, hidden, num_classes, layers: as :class:`SheafNet`.
        attention: :class:`GATLayer` instead of :class:`GCNLayer`.

    Shape:
        - h: ``(n, in_channels)``; output ``(n, num_classes)``.
    """

    def __init__(self, in_channels: int, hidden: int, num_classes: int, layers: int = 2,
                 attention: bool = False) -> None:
        super().__init__()
        layer = GATLayer if attention else GCNLayer
        self.layers = nn.ModuleList(layer(in_channels if i == 0 else hidden, hidden) for i in range(layers))
        self.out = nn.Linear(hidden + in_channels, num_classes)

    def forward(self, h: torch.Tensor, batch: SheafBatch) -> torch.Tensor:
        y = h
        for layer in self.layers:
            y = layer(y, batch)
        return self.out(torch.cat([y, h], 1))
