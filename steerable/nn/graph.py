"""Neighbour graphs of point clouds, in plain torch, chunked so 100k points fit in memory.

Edges follow PyTorch Geometric's ``(source, target)`` convention: ``edge_index[0]`` is the
neighbour ``j`` whose message flows to the centre ``i = edge_index[1]``.  Distances are computed
block by block (a block of centres against all points, at most ``2^24`` distances at a time),
so memory is ``O(N + E)`` rather than ``O(N^2)``.

Example:
    >>> import torch
    >>> from steerable.nn import knn_graph, radius_graph
    >>> pos = torch.tensor([[0.0, 0.0], [1.0, 0.0], [5.0, 0.0]])
    >>> radius_graph(pos, r=1.5).tolist()
    [[1, 0], [0, 1]]
    >>> knn_graph(pos, k=1).tolist()
    [[1, 0, 1], [0, 1, 2]]
"""
from __future__ import annotations

import torch

__all__ = ["radius_graph", "knn_graph", "check_edge_index"]

_BLOCK = 1 << 24  # distances per block


def _check_coords(coords: object, batch: object, name: str) -> torch.Tensor | None:
    if not isinstance(coords, torch.Tensor) or coords.dim() != 2 or not coords.is_floating_point():
        got = f"shape {tuple(coords.shape)}, dtype {coords.dtype}" if isinstance(coords, torch.Tensor) else type(coords).__name__
        raise ValueError(f"{name}: coords must be a floating-point tensor of shape (N, d), got {got}")
    if batch is None:
        return None
    if not isinstance(batch, torch.Tensor) or batch.shape != (coords.shape[0],) or batch.dtype not in (torch.int64, torch.int32):
        got = f"shape {tuple(batch.shape)}, dtype {batch.dtype}" if isinstance(batch, torch.Tensor) else type(batch).__name__
        raise ValueError(f"{name}: batch must be an integer tensor of shape ({coords.shape[0]},), got {got}")
    return batch.to(torch.int64)


def _blocks(coords: torch.Tensor, batch: torch.Tensor | None, loop: bool):
    """Yield ``(start, d2)``: squared distances of centres ``start:start+b`` to all points, with
    pairs across batches (and self pairs unless ``loop``) set to ``inf``."""
    N = coords.shape[0]
    b = max(1, _BLOCK // max(N, 1))
    for s in range(0, N, b):
        c = coords[s : s + b]
        d2 = torch.cdist(c, coords).pow_(2)  # (b, N)
        if batch is not None:
            d2.masked_fill_(batch[s : s + b, None] != batch[None, :], float("inf"))
        if not loop:
            i = torch.arange(c.shape[0], device=coords.device)
            d2[i, i + s] = float("inf")
        yield s, d2


def radius_graph(coords: torch.Tensor, r: float, batch: torch.Tensor | None = None, loop: bool = False,
                 max_num_neighbors: int = 32) -> torch.Tensor:
    """All pairs ``(j, i)`` with ``||x_j - x_i|| <= r`` (same ``batch`` entry), as ``edge_index`` ``(2, E)``.

    Args:
        coords: ``(N, d)`` positions.
        r: the cutoff radius (``> 0``).
        batch: optional ``(N,)`` example index of every point; points of different examples never connect.
        loop: include the self pairs ``(i, i)``.
        max_num_neighbors: keep at most this many neighbours per centre, the nearest ones
            (PyTorch Geometric keeps an arbitrary subset; the nearest make the graph deterministic).

    Returns: ``edge_index`` (int64), sorted by centre, then by distance.
    """
    batch = _check_coords(coords, batch, "radius_graph")
    if not (isinstance(r, (int, float)) and r > 0):
        raise ValueError(f"radius_graph: r must be a positive number, got {r!r}")
    if isinstance(max_num_neighbors, bool) or not isinstance(max_num_neighbors, int) or max_num_neighbors < 1:
        raise ValueError(f"radius_graph: max_num_neighbors must be a positive int, got {max_num_neighbors!r}")
    rows, cols = [], []
    with torch.no_grad():
        for s, d2 in _blocks(coords, batch, loop):
            k = min(max_num_neighbors, d2.shape[1])
            val, idx = torch.topk(d2, k, dim=1, largest=False, sorted=True)
            keep = val <= r * r
            centre = torch.arange(s, s + d2.shape[0], device=coords.device)[:, None].expand_as(idx)
            rows.append(idx[keep])
            cols.append(centre[keep])
    return torch.stack([torch.cat(rows), torch.cat(cols)]) if rows else coords.new_zeros(2, 0, dtype=torch.int64)


def knn_graph(coords: torch.Tensor, k: int, batch: torch.Tensor | None = None, loop: bool = False) -> torch.Tensor:
    """The ``k`` nearest neighbours ``j`` of every point ``i`` (same ``batch`` entry), as ``edge_index`` ``(2, N k)``.

    A point whose example has fewer than ``k + 1`` points gets all of them.  Returns int64,
    sorted by centre, then by distance.
    """
    batch = _check_coords(coords, batch, "knn_graph")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"knn_graph: k must be a positive int, got {k!r}")
    rows, cols = [], []
    with torch.no_grad():
        for s, d2 in _blocks(coords, batch, loop):
            kk = min(k, d2.shape[1])
            val, idx = torch.topk(d2, kk, dim=1, largest=False, sorted=True)
            keep = torch.isfinite(val)
            centre = torch.arange(s, s + d2.shape[0], device=coords.device)[:, None].expand_as(idx)
            rows.append(idx[keep])
            cols.append(centre[keep])
    return torch.stack([torch.cat(rows), torch.cat(cols)]) if rows else coords.new_zeros(2, 0, dtype=torch.int64)


def check_edge_index(edge_index: object, n_nodes: int, layer: str) -> torch.Tensor:
    """``edge_index`` validated: an integer tensor ``(2, E)`` with entries in ``[0, n_nodes)``; returned as int64."""
    if not isinstance(edge_index, torch.Tensor):
        raise TypeError(f"{layer}: edge_index must be a torch.Tensor of shape (2, E), got {type(edge_index).__name__}")
    if edge_index.dtype not in (torch.int64, torch.int32):
        raise TypeError(f"{layer}: edge_index must have dtype int64 (or int32), got {edge_index.dtype}")
    if edge_index.dim() != 2 or edge_index.shape[0] != 2:
        raise ValueError(f"{layer}: edge_index must have shape (2, E), got {tuple(edge_index.shape)}")
    if edge_index.numel() and (int(edge_index.min()) < 0 or int(edge_index.max()) >= n_nodes):
        raise ValueError(f"{layer}: edge_index entries must lie in [0, {n_nodes}) for {n_nodes} points, "
                         f"got range [{int(edge_index.min())}, {int(edge_index.max())}]")
    return edge_index.to(torch.int64)
