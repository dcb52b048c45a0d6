"""The local homology sheaf of a simplicial complex, and its thickened (scale-r) variant.

For a simplex σ of K, the open star ``St σ = {ρ ⊇ σ}`` has a subcomplex as complement, so the relative chain
complex of the pair ``(K, K ∖ St σ)`` is the chains on ``St σ`` with the boundary matrices restricted to its rows
and columns, and

    F_k(σ) = H_k(K, K ∖ St σ) = ker ∂_k^σ / im ∂_{k+1}^σ.

Each stalk is represented by harmonic chains: an orthonormal basis ``H_σ`` (columns) of
``ker ∂_k^σ ∩ ker (∂_{k+1}^σ)ᵀ``, which meets every class once (Hodge decomposition). The kernel is found
rank-revealingly as the eigenvectors of the relative Hodge Laplacian ``∂ᵀ∂ + ∂∂ᵀ`` (small and dense, one per simplex)
with eigenvalue ``<= tol · max(1, λ_max)``, ``tol = 1e-9`` by default (entries are ±1, so the non-zero spectrum sits
far above it for complexes of any size handled here).

For σ ≤ τ, ``St τ ⊆ St σ``, so the inclusion of pairs ``(K, K∖St σ) → (K, K∖St τ)`` is the projection ``P`` of chains
onto ``St τ``; it is a chain map and induces the restriction ``ρ_{σ≤τ} = H_τᵀ P H_σ`` (``H_τᵀ`` annihilates the
boundaries ``P`` leaves behind). Functoriality ``ρ_{τ≤υ} ρ_{σ≤τ} = ρ_{σ≤υ}`` holds exactly in exact arithmetic.

**Thickened stars** (``radius = r > 0``, hop distance in the 1-skeleton): ``St_r σ = {ρ ∈ K : every vertex of σ is
within r hops of some vertex of ρ}``. ``r = 0`` is the open star; the complement is again a subcomplex and
``St_r τ ⊆ St_r σ`` for σ ≤ τ, so the same formulas give a cellular sheaf. It reads the local homology of the space
around σ at scale r (e.g. the number of branches of a sampled curve, minus one, at k = 1) instead of at the scale
of the sampling, where a dense clique complex has trivial local homology.

**Graphs** (``K.dim == 1``, k = 1, r = 0): ``F(v) = {a ∈ R^{deg v} : Σ a = 0}`` on the edges at v, ``F(e) = R`` and
``ρ_{v≤e}`` is the coordinate ``a ↦ a_e``; :func:`graph_local_homology_sheaf` builds it directly (Helmert bases).

Example:
    >>> import numpy as np
    >>> K = SimplicialComplex.from_graph(np.array([[0, 0, 0], [1, 2, 3]]), 4, max_dim=1)   # a star, 3 leaves
    >>> local_homology_sheaf(K, 1).stalk_dims[:4].tolist()
    [2, 0, 0, 0]
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Sequence

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from ..group.decompose import single_threaded_blas
from .complex import SimplicialComplex

__all__ = ["Sheaf", "local_homology_sheaf", "graph_local_homology_sheaf", "helmert_basis", "hop_reach", "euclidean_reach"]


@dataclass
class Sheaf:
    """A cellular sheaf on (some dimensions of) a simplicial complex, stalks given by chain-level bases.

    Attributes:
        complex: the underlying :class:`SimplicialComplex`.
        degree: the homological degree k of the stalks (``-1`` for sheaves not built from homology).
        on: the simplex dimensions that carry stalks, increasing (e.g. ``(0, 1)``: vertices and edges).
        stalk_dims: ``int`` array, one entry per simplex of the dimensions ``on``, vertices first, in K's order.
        chains: ``chains[j][i]``, rows of the k-chains of the relative star of the i-th j-simplex.
        bases: ``bases[j][i]``, its ``(len(chains[j][i]), stalk_dim)`` orthonormal harmonic basis.
        restrictions: ``restrictions[j] = (pairs, maps)`` for faces of dimension j in cofaces of dimension j+1:
            ``pairs`` ``(m, 2)`` rows ``(face, coface)``, ``maps[m]`` the ``(d_coface, d_face)`` matrix ``ρ``.
    """

    complex: SimplicialComplex
    degree: int
    on: tuple[int, ...]
    stalk_dims: np.ndarray
    chains: dict[int, list[np.ndarray]] = field(repr=False)
    bases: dict[int, list[np.ndarray]] = field(repr=False)
    restrictions: dict[int, tuple[np.ndarray, list[np.ndarray]]] = field(repr=False)

    def dims_of(self, j: int) -> np.ndarray:
        """Stalk dimensions of the j-simplices."""
        if j not in self.on:
            raise ValueError(f"this sheaf has stalks on dimensions {self.on}, not {j}")
        start = sum(len(self.complex.simplices[d]) for d in self.on if d < j)
        return self.stalk_dims[start:start + len(self.complex.simplices[j])]

    def restriction(self, j: int, i: int, jj: int, ii: int) -> np.ndarray:
        """``ρ_{σ≤τ}`` for σ the i-th j-simplex and τ the ii-th jj-simplex, computed from the bases directly."""
        s, t = self.complex.simplices[j][i], self.complex.simplices[jj][ii]
        if jj < j or not np.isin(s, t).all():
            raise ValueError(f"{tuple(s)} is not a face of {tuple(t)}")
        cs, ct = self.chains[j][i], self.chains[jj][ii]
        pos = np.searchsorted(cs, ct)
        if len(ct) and (pos.max() >= len(cs) or np.any(cs[pos] != ct)):
            raise ValueError("the star of the coface is not inside the star of the face: not a sheaf of stars")
        return self.bases[jj][ii].T @ self.bases[j][i][pos]


def hop_reach(K: SimplicialComplex, radius: int) -> sp.csr_matrix:
    """Boolean ``(n, n)``: ``True`` where two vertices are at most ``radius`` hops apart in the 1-skeleton."""
    if not isinstance(radius, (int, np.integer)) or radius < 0:
        raise ValueError(f"radius must be an int >= 0 (hops), got {radius!r}")
    n = K.num_nodes
    R = sp.identity(n, format="csr", dtype=bool)
    step = (K.adjacency() + sp.identity(n)).astype(bool).tocsr()
    for _ in range(radius):
        R = (R @ step).astype(bool).tocsr()
    return R


def euclidean_reach(points: np.ndarray, radius: float, num_nodes: int) -> sp.csr_matrix:
    """Boolean ``(n, n)``: ``True`` where two vertices are at Euclidean distance ``<= radius``."""
    from scipy.spatial import cKDTree

    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or len(pts) != num_nodes:
        raise ValueError(f"points must have shape ({num_nodes}, d), got {pts.shape}")
    if not radius >= 0:
        raise ValueError(f"radius must be >= 0, got {radius}")
    pairs = cKDTree(pts).query_pairs(float(radius), output_type="ndarray")
    i = np.concatenate([pairs[:, 0], pairs[:, 1], np.arange(num_nodes)])
    j = np.concatenate([pairs[:, 1], pairs[:, 0], np.arange(num_nodes)])
    return sp.csr_matrix((np.ones(len(i), dtype=bool), (i, j)), shape=(num_nodes, num_nodes))


def _harmonic(d_low: np.ndarray, d_high: np.ndarray, tol: float) -> np.ndarray:
    """Orthonormal basis of ``ker d_low ∩ ker d_highᵀ`` (columns) by the Hodge Laplacian's small eigenvalues."""
    n = d_low.shape[1]
    if n == 0:
        return np.zeros((0, 0))
    L = d_low.T @ d_low + d_high @ d_high.T
    if n <= 48:
        w, V = np.linalg.eigh(L)
        return V[:, w <= tol * max(1.0, float(w[-1]))]
    # only the bottom of the spectrum: eigenvalues of this integer Laplacian are <= 2 (k+2) max-degree; Gershgorin
    bound = float(np.abs(L).sum(1).max())
    w, V = scipy.linalg.eigh(L, subset_by_value=(-np.inf, tol * max(1.0, bound)), driver="evr")
    return V


def _local_homology_sheaf(K: SimplicialComplex, degree: int, on: Sequence[int] | None = None,
                          radius: float = 0, points: np.ndarray | None = None, tol: float = 1e-9,
                          closed_form: bool = True) -> Sheaf:
    """The local homology sheaf ``σ ↦ H_k(K, K ∖ St_r σ)`` with restriction maps induced by inclusions of pairs.

    Args:
        K: the complex.
        degree: k, in ``0 .. K.dim``.
        on: simplex dimensions to compute stalks (and face-to-coface restrictions) for; default ``(0, 1)`` (the graph
            skeleton, what :func:`~steerable.sheaf.laplacian.sheaf_laplacian` uses), clipped to ``K.dim``.
        radius: thickening of the stars, in hops of the 1-skeleton, or Euclidean if ``points`` is given
            (0: the open star, the local homology sheaf proper).
        points: ``(n_0, d)`` vertex positions for a Euclidean ``radius``.
        tol: relative eigenvalue tolerance of the rank decision.
        closed_form: use :func:`graph_local_homology_sheaf` where it applies (``False``: the general computation).

    Returns:
        a :class:`Sheaf`. For ``K.dim == 1, degree == 1, radius == 0`` the closed form
        :func:`graph_local_homology_sheaf` is returned (same stalks, Helmert bases).
    """
    if not isinstance(degree, (int, np.integer)) or not 0 <= degree <= K.dim:
        raise ValueError(f"degree must be an int in 0..{K.dim} (the complex's dimension), got {degree!r}")
    on = tuple(sorted(set(on))) if on is not None else tuple(d for d in (0, 1) if d <= K.dim)
    if not on or min(on) < 0 or max(on) > K.dim:
        raise ValueError(f"on must list simplex dimensions in 0..{K.dim}, got {on}")
    if closed_form and K.dim == 1 and degree == 1 and radius == 0:
        return graph_local_homology_sheaf(K, on)
    reach = hop_reach(K, radius) if points is None else euclidean_reach(points, radius, K.num_nodes)
    k = degree
    # near[d][w, ρ]: the d-simplex ρ has a vertex within `radius` of vertex w
    near = {}
    for d in (k - 1, k, k + 1):
        if 0 <= d <= K.dim:
            s = K.simplices[d]
            V = sp.csr_matrix((np.ones(s.size, dtype=bool), (s.ravel(), np.repeat(np.arange(len(s)), d + 1))),
                              shape=(K.num_nodes, len(s)))
            near[d] = (reach @ V).astype(bool).tocsr()
    # face tables instead of sparse slicing: a star's boundary block is a few hundred entries at most
    faces_low = K.faces(k) if k >= 1 else None
    faces_high = K.faces(k + 1) if k + 1 <= K.dim else None

    def star_rows(d: int, verts: np.ndarray) -> np.ndarray:
        if d not in near:
            return np.zeros(0, dtype=np.int64)
        M = near[d]
        rows = M.indices[M.indptr[verts[0]]:M.indptr[verts[0] + 1]]
        for w in verts[1:]:
            rows = np.intersect1d(rows, M.indices[M.indptr[w]:M.indptr[w + 1]], assume_unique=True)
        return np.sort(rows).astype(np.int64)

    def sub(faces: np.ndarray | None, r: np.ndarray, c: np.ndarray) -> np.ndarray:
        """The block of ∂ with rows ``r`` (faces) and columns ``c`` (simplices), dense."""
        out = np.zeros((len(r), len(c)))
        if faces is None or len(r) == 0 or len(c) == 0:
            return out
        f = faces[c]
        pos = np.searchsorted(r, f).clip(0, len(r) - 1)
        hit = r[pos] == f
        col, i = np.nonzero(hit)
        out[pos[col, i], col] = (-1.0) ** i
        return out

    chains: dict[int, list[np.ndarray]] = {}
    bases: dict[int, list[np.ndarray]] = {}
    dims: list[np.ndarray] = []
    for j in on:
        cj, bj = [], []
        for verts in K.simplices[j]:
            lo, mid, hi = star_rows(k - 1, verts), star_rows(k, verts), star_rows(k + 1, verts)
            H = _harmonic(sub(faces_low, lo, mid), sub(faces_high, mid, hi), tol)
            cj.append(mid)
            bj.append(H)
        chains[j], bases[j] = cj, bj
        dims.append(np.array([b.shape[1] for b in bj], dtype=np.int64))
    sheaf = Sheaf(K, k, on, np.concatenate(dims), chains, bases, {})
    _fill_restrictions(sheaf)
    return sheaf



@functools.wraps(_local_homology_sheaf)
def local_homology_sheaf(*args, **kwargs) -> Sheaf:  # noqa: D103 - the docstring is the wrapped function's
    # thousands of tiny eigendecompositions (one per star): multi-threaded LAPACK only adds overhead on them
    with single_threaded_blas():
        return _local_homology_sheaf(*args, **kwargs)


def _fill_restrictions(sheaf: Sheaf) -> None:
    K = sheaf.complex
    for j in sheaf.on:
        if j + 1 not in sheaf.on:
            continue
        inc = K.incidence(j, j + 1).tocoo()
        pairs = np.stack([inc.row, inc.col], 1).astype(np.int64)
        pairs = pairs[np.lexsort((pairs[:, 0], pairs[:, 1]))]
        ch, ba, chh, bah = sheaf.chains[j], sheaf.bases[j], sheaf.chains[j + 1], sheaf.bases[j + 1]
        maps = []
        for a, b in pairs.tolist():  # St τ ⊆ St σ by construction, so no subset check here (restriction() checks)
            Hs, Ht = ba[a], bah[b]
            if Hs.shape[1] == 0 or Ht.shape[1] == 0:
                maps.append(np.zeros((Ht.shape[1], Hs.shape[1])))
            else:
                maps.append(Ht.T @ Hs[np.searchsorted(ch[a], chh[b])])
        sheaf.restrictions[j] = (pairs, maps)


@lru_cache(maxsize=256)
def _helmert(d: int) -> np.ndarray:
    H = np.zeros((d, max(d - 1, 0)))
    for c in range(1, d):  # column c: (1, ..., 1, -c, 0, ...) / sqrt(c (c + 1)), orthonormal, each sums to 0
        H[:c, c - 1] = 1.0
        H[c, c - 1] = -float(c)
        H[:, c - 1] /= np.sqrt(c * (c + 1))
    H.setflags(write=False)
    return H


def helmert_basis(d: int) -> np.ndarray:
    """An orthonormal basis ``(d, d - 1)`` of ``{a ∈ R^d : Σ a = 0}`` (Helmert's), as a fresh array."""
    if d < 0:
        raise ValueError(f"d must be >= 0, got {d}")
    return _helmert(int(d)).copy()


def graph_local_homology_sheaf(K: SimplicialComplex, on: Sequence[int] = (0, 1)) -> Sheaf:
    """Closed form of the degree-1 local homology sheaf of a graph (``K.dim == 1``).

    ``F(v) = {a ∈ R^{deg v} : Σ a = 0}``, ``a_u`` the coefficient of the chain ``[v, u]`` oriented out of v (edges at
    v in K's order; Helmert basis), ``F(e) = R`` spanned by ``[u, w]`` in K's orientation (``u < w``), and ``ρ_{v≤e}``
    the coordinate projection ``a ↦ a_e``, signed by the orientation: ``+a_e`` at ``v = u``, ``−a_e`` at ``v = w``.
    """
    if K.dim != 1:
        raise ValueError(f"the closed form is for 1-dimensional complexes (graphs), got dimension {K.dim}")
    on = tuple(sorted(set(on)))
    inc = K.incidence(0, 1)
    chains: dict[int, list[np.ndarray]] = {}
    bases: dict[int, list[np.ndarray]] = {}
    dims = []
    if 0 in on:
        edges = K.simplices[1]
        chains[0] = [np.sort(inc[v].indices.astype(np.int64)) for v in range(K.num_nodes)]
        # the out-of-v chain [v, u] is +[v, u] in K's orientation when v < u, else -[u, v]
        bases[0] = [np.where(edges[c, 0] == v, 1.0, -1.0)[:, None] * _helmert(len(c))
                    for v, c in enumerate(chains[0])]
        dims.append(np.array([b.shape[1] for b in bases[0]], dtype=np.int64))
    if 1 in on:
        chains[1] = [np.array([e], dtype=np.int64) for e in range(len(K.simplices[1]))]
        bases[1] = [np.ones((1, 1))] * len(K.simplices[1])
        dims.append(np.ones(len(K.simplices[1]), dtype=np.int64))
    sheaf = Sheaf(K, 1, on, np.concatenate(dims), chains, bases, {})
    _fill_restrictions(sheaf)
    return sheaf
