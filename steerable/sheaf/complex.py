"""Finite abstract simplicial complexes in sparse form: cliques of graphs, neighbourhoods of point clouds.

A complex K is stored as one integer array per dimension: ``simplices[k]`` has shape ``(n_k, k + 1)``, each row a
k-simplex given by its vertices in increasing order, rows in lexicographic order; vertices are ``0 .. n_0 - 1``.
The boundary matrix ``∂_k : C_k → C_{k-1}`` (sparse CSR, shape ``(n_{k-1}, n_k)``) has the entry ``(-1)^i`` in the
row of the face that omits vertex ``i``, so ``∂_{k-1} ∂_k = 0``.

Stars, closed stars and links follow the usual definitions: ``St σ = {τ ∈ K : σ ⊆ τ}`` (not a subcomplex),
``Cl St σ`` its closure under faces, ``Lk σ = {τ ∈ Cl St σ : τ ∩ σ = ∅}``.

Example:
    >>> import torch
    >>> K = SimplicialComplex.from_graph(torch.tensor([[0, 1, 2], [1, 2, 0]]), 3, max_dim=2)
    >>> K.counts
    (3, 3, 1)
    >>> (K.boundary(1) @ K.boundary(2)).nnz
    0
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import scipy.sparse as sp

__all__ = ["SimplicialComplex", "check_edge_index", "knn_edges", "radius_edges"]


def _as_numpy_int(a: Any, name: str) -> np.ndarray:
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    arr = np.asarray(a)
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must hold integers, got dtype {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def check_edge_index(edge_index: Any, num_nodes: int) -> np.ndarray:
    """The undirected edges of ``edge_index`` (shape ``(2, E)``) as a sorted ``(m, 2)`` array with ``u < v``.

    Duplicates and both orientations collapse to one edge. Raises ValueError on self-loops, out-of-range nodes or a
    wrong shape.
    """
    if not isinstance(num_nodes, (int, np.integer)) or num_nodes < 1:
        raise ValueError(f"num_nodes must be a positive int, got {num_nodes!r}")
    e = _as_numpy_int(edge_index, "edge_index")
    if e.ndim != 2 or e.shape[0] != 2:
        raise ValueError(f"edge_index must have shape (2, E), got {tuple(e.shape)}")
    if e.size and (e.min() < 0 or e.max() >= num_nodes):
        raise ValueError(f"edge_index refers to nodes outside 0..{num_nodes - 1} (min {e.min()}, max {e.max()})")
    if np.any(e[0] == e[1]):
        i = int(np.nonzero(e[0] == e[1])[0][0])
        raise ValueError(f"edge_index has a self-loop at node {e[0, i]} (column {i}); a simplicial complex has none")
    und = np.sort(e.T, axis=1)
    return np.unique(und, axis=0) if und.size else und.reshape(0, 2)


def knn_edges(points: np.ndarray, k: int) -> np.ndarray:
    """Edges ``(2, E)`` of the symmetrised k-nearest-neighbour graph of ``points`` (shape ``(n, d)``)."""
    from scipy.spatial import cKDTree

    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or len(pts) < 2:
        raise ValueError(f"points must have shape (n, d) with n >= 2, got {pts.shape}")
    if not 1 <= k < len(pts):
        raise ValueError(f"k must be in 1..{len(pts) - 1}, got {k}")
    _, idx = cKDTree(pts).query(pts, k=k + 1)
    src = np.repeat(np.arange(len(pts)), k)
    dst = idx[:, 1:].reshape(-1)
    keep = src != dst  # duplicate points can put a point after itself
    return np.stack([src[keep], dst[keep]])


def radius_edges(points: np.ndarray, radius: float) -> np.ndarray:
    """Edges ``(2, E)`` between points at Euclidean distance ``<= radius``."""
    from scipy.spatial import cKDTree

    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or len(pts) < 1:
        raise ValueError(f"points must have shape (n, d), got {pts.shape}")
    if not radius > 0:
        raise ValueError(f"radius must be positive, got {radius}")
    pairs = cKDTree(pts).query_pairs(radius, output_type="ndarray")
    return pairs.T.reshape(2, -1).astype(np.int64)


def _rows_lookup(table: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Row index in ``table`` (sorted, unique rows) of each row of ``queries``; -1 where absent."""
    if len(table) == 0:
        return np.full(len(queries), -1, dtype=np.int64)
    w = table.shape[1]
    base = int(max(table.max(), queries.max() if len(queries) else 0)) + 1
    if base ** w < 2 ** 62:  # mixed-radix keys: exact in int64, and lexicographic order is numeric order
        radix = base ** np.arange(w - 1, -1, -1, dtype=np.int64)
        tk, qk = table @ radix, queries @ radix
    else:
        dt = np.dtype((np.void, 8 * w))
        tk = np.ascontiguousarray(table).view(dt).ravel()
        qk = np.ascontiguousarray(queries).view(dt).ravel()
        order = np.argsort(tk)
        pos = np.searchsorted(tk[order], qk).clip(0, len(tk) - 1)
        hit = tk[order][pos] == qk
        return np.where(hit, order[pos], -1)
    pos = np.searchsorted(tk, qk).clip(0, len(tk) - 1)
    return np.where(tk[pos] == qk, pos, -1)


class SimplicialComplex:
    """A finite simplicial complex, all simplices up to ``max_dim`` stored per dimension.

    Args:
        simplices: ``simplices[k]`` an integer array ``(n_k, k + 1)`` of k-simplices; it must be closed under faces
            (checked) and ``simplices[0]`` must be ``[[0], [1], ..., [n_0 - 1]]``.

    Use the constructors :meth:`from_graph` (clique / flag complex), :meth:`from_points` (Vietoris–Rips on radius or
    k-NN neighbourhoods) or :meth:`from_simplices` (the closure of given maximal simplices).
    """

    def __init__(self, simplices: Sequence[np.ndarray]) -> None:
        simp = [np.asarray(s, dtype=np.int64) for s in simplices]
        while len(simp) > 1 and len(simp[-1]) == 0:
            simp.pop()
        if not simp or len(simp[0]) == 0:
            raise ValueError("a simplicial complex needs at least one vertex; got no simplices")
        for k, s in enumerate(simp):
            if s.ndim != 2 or s.shape[1] != k + 1:
                raise ValueError(f"simplices[{k}] must have shape (n, {k + 1}), got {s.shape}")
        if not np.array_equal(simp[0][:, 0], np.arange(len(simp[0]))):
            raise ValueError("simplices[0] must list the vertices 0..n-1 in order")
        self.simplices: list[np.ndarray] = []
        for k, s in enumerate(simp):
            s = np.sort(s, axis=1)
            if k and np.any(np.diff(s, axis=1) == 0):
                raise ValueError(f"simplices[{k}] has a repeated vertex")
            self.simplices.append(np.unique(s, axis=0))
        self._boundaries: dict[int, sp.csr_matrix] = {}
        for k in range(1, len(self.simplices)):
            self.boundary(k)  # raises if a face is missing

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_simplices(cls, maximal: Sequence[Sequence[int]], num_nodes: int | None = None) -> "SimplicialComplex":
        """The closure under faces of the given simplices (lists of vertices)."""
        from itertools import combinations

        if len(maximal) == 0 and not num_nodes:
            raise ValueError("a simplicial complex needs at least one simplex; got none")
        n = int(num_nodes if num_nodes is not None else 1 + max(max(s) for s in maximal))
        top = max((len(s) for s in maximal), default=1)
        faces: list[set[tuple[int, ...]]] = [set() for _ in range(top)]
        for s in maximal:
            s = tuple(sorted(int(v) for v in s))
            if len(set(s)) != len(s) or min(s) < 0 or max(s) >= n:
                raise ValueError(f"bad simplex {s} for {n} vertices")
            for r in range(1, len(s) + 1):
                faces[r - 1].update(combinations(s, r))
        faces[0].update((v,) for v in range(n))
        return cls([np.array(sorted(f), dtype=np.int64).reshape(-1, k + 1) for k, f in enumerate(faces)])

    @classmethod
    def from_graph(cls, edge_index: Any, num_nodes: int, max_dim: int = 2) -> "SimplicialComplex":
        """The clique (flag) complex of a graph, up to dimension ``max_dim``: every (k+1)-clique is a k-simplex.

        Args:
            edge_index: ``(2, E)`` integer array or tensor; orientation and duplicates are ignored.
            num_nodes: number of vertices ``n``.
            max_dim: highest simplex dimension kept (1 = the graph itself).
        """
        if not isinstance(max_dim, (int, np.integer)) or max_dim < 0:
            raise ValueError(f"max_dim must be an int >= 0, got {max_dim!r}")
        edges = check_edge_index(edge_index, num_nodes)
        simp = [np.arange(num_nodes, dtype=np.int64)[:, None]]
        if max_dim >= 1:
            simp.append(edges)
        # upper adjacency in CSR: neighbours w > v of each v, for extending sorted cliques by a larger vertex
        up = sp.csr_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(num_nodes, num_nodes))
        up.sort_indices()
        for _ in range(2, max_dim + 1):
            prev = simp[-1]
            if len(prev) == 0:
                break
            last = prev[:, -1]
            counts = np.diff(up.indptr)[last]
            rows = np.repeat(np.arange(len(prev)), counts)
            starts = up.indptr[last]
            offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
            cand = up.indices[np.repeat(starts, counts) + offs]
            ok = np.ones(len(cand), dtype=bool)
            for j in range(prev.shape[1] - 1):  # the new vertex must be adjacent to every other clique vertex
                ok &= _rows_lookup(edges, np.stack([prev[rows, j], cand], 1)) >= 0
            simp.append(np.concatenate([prev[rows[ok]], cand[ok, None]], axis=1))
        return cls(simp)

    @classmethod
    def from_points(cls, points: Any, radius: float | None = None, k: int | None = None,
                    max_dim: int = 2) -> "SimplicialComplex":
        """The Vietoris–Rips (clique) complex of a point cloud ``(n, d)`` on radius-``radius`` or k-NN edges."""
        pts = np.asarray(points.detach().cpu().numpy() if hasattr(points, "detach") else points, dtype=np.float64)
        if (radius is None) == (k is None):
            raise ValueError("give exactly one of radius= or k=")
        e = radius_edges(pts, radius) if radius is not None else knn_edges(pts, int(k))
        return cls.from_graph(e, len(pts), max_dim)

    # ------------------------------------------------------------------ structure
    @property
    def dim(self) -> int:
        """The highest dimension with a simplex."""
        return len(self.simplices) - 1

    @property
    def num_nodes(self) -> int:
        return len(self.simplices[0])

    @property
    def counts(self) -> tuple[int, ...]:
        """``(n_0, n_1, ..., n_dim)``."""
        return tuple(len(s) for s in self.simplices)

    def __repr__(self) -> str:
        return f"SimplicialComplex(counts={self.counts})"

    def index(self, simplex: Sequence[int]) -> int:
        """The row of ``simplex`` (any vertex order) in ``simplices[len(simplex) - 1]``; ValueError if absent."""
        s = np.sort(np.asarray(simplex, dtype=np.int64))[None]
        k = s.shape[1] - 1
        i = -1 if k > self.dim else int(_rows_lookup(self.simplices[k], s)[0])
        if i < 0:
            raise ValueError(f"{tuple(simplex)} is not a simplex of {self!r}")
        return i

    def faces(self, k: int) -> np.ndarray:
        """``(n_k, k + 1)`` rows of ``simplices[k-1]``: column ``i`` is the face omitting vertex ``i``."""
        if not 1 <= k <= self.dim:
            raise ValueError(f"faces are defined for k in 1..{self.dim}, got {k}")
        s = self.simplices[k]
        out = np.empty(s.shape, dtype=np.int64)
        for i in range(k + 1):
            out[:, i] = _rows_lookup(self.simplices[k - 1], np.delete(s, i, axis=1))
        if np.any(out < 0):
            raise ValueError(f"simplices[{k}] has a face missing from simplices[{k - 1}]: not closed under faces")
        return out

    def boundary(self, k: int) -> sp.csr_matrix:
        """``∂_k`` as a sparse ``(n_{k-1}, n_k)`` matrix with entries ``(-1)^i``; ``∂_0`` is ``(0, n_0)``."""
        if k < 0:
            raise ValueError(f"k must be >= 0, got {k}")
        if k == 0:
            return sp.csr_matrix((0, self.num_nodes))
        if k > self.dim:  # no k-simplices: an empty map into the (k-1)-chains
            return sp.csr_matrix((len(self.simplices[k - 1]) if k - 1 <= self.dim else 0, 0))
        if k not in self._boundaries:
            f = self.faces(k)
            n = len(f)
            signs = np.tile((-1.0) ** np.arange(k + 1), n)
            self._boundaries[k] = sp.csr_matrix((signs, (f.ravel(), np.repeat(np.arange(n), k + 1))),
                                                shape=(len(self.simplices[k - 1]), n))
        return self._boundaries[k]

    def incidence(self, k: int, j: int) -> sp.csr_matrix:
        """Boolean ``(n_k, n_j)`` matrix, ``True`` where the j-simplex contains the k-simplex (``k <= j``)."""
        if not 0 <= k <= j <= self.dim:
            raise ValueError(f"need 0 <= k <= j <= {self.dim}, got k={k}, j={j}")
        M = sp.identity(len(self.simplices[k]), format="csr", dtype=bool)
        for d in range(k + 1, j + 1):
            M = (M @ (abs(self.boundary(d)) > 0)).astype(bool)
        return M.tocsr()

    def star(self, k: int, i: int) -> list[np.ndarray]:
        """Open star of the k-simplex ``i``: per dimension ``j``, the sorted rows of j-simplices containing it."""
        return [np.zeros(0, dtype=np.int64)] * k + [
            self.incidence(k, j)[i].indices.astype(np.int64) for j in range(k, self.dim + 1)]

    def closed_star(self, k: int, i: int) -> list[np.ndarray]:
        """Closure of :meth:`star`: per dimension, the rows of all faces of simplices containing the k-simplex."""
        st = self.star(k, i)
        out = [np.zeros(0, dtype=np.int64) for _ in range(self.dim + 1)]
        for j in range(self.dim + 1):
            rows = [st[j]]
            for d in range(j + 1, self.dim + 1):
                if len(st[d]):
                    rows.append(self.incidence(j, d)[:, st[d]].tocsr().nonzero()[0])
            out[j] = np.unique(np.concatenate(rows)) if rows else out[j]
        return out

    def link(self, k: int, i: int) -> list[np.ndarray]:
        """Link of the k-simplex ``i``: simplices of its closed star sharing no vertex with it."""
        verts = set(self.simplices[k][i].tolist())
        cst = self.closed_star(k, i)
        return [r[~np.isin(self.simplices[j][r], list(verts)).any(axis=1)] for j, r in enumerate(cst)]

    def adjacency(self) -> sp.csr_matrix:
        """The symmetric 0/1 adjacency matrix of the 1-skeleton, ``(n_0, n_0)``."""
        n = self.num_nodes
        if self.dim < 1:
            return sp.csr_matrix((n, n))
        e = self.simplices[1]
        A = sp.csr_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n, n))
        return (A + A.T).tocsr()

    def edge_index(self) -> np.ndarray:
        """``(2, 2 n_1)`` both orientations of every edge (the usual message-passing layout)."""
        e = self.simplices[1] if self.dim >= 1 else np.zeros((0, 2), dtype=np.int64)
        return np.concatenate([e.T, e[:, ::-1].T], axis=1)
