"""Coboundary and sheaf Laplacian on the graph skeleton, with stalks of varying dimension (block-sparse).

0-cochains are ``x = (x_v)_v`` stacked vertex after vertex (``offsets[v] : offsets[v] + d_v``); for an edge
``e = (u, v)``, ``u < v``,

    (δ x)_e = ρ_{v≤e} x_v − ρ_{u≤e} x_u,        L_F = δᵀ δ   (symmetric PSD),

and the normalised Laplacian is ``D^{-1/2} L_F D^{-1/2}`` with ``D`` the block diagonal of ``L_F`` (pseudo-inverse
square roots of the blocks, so vertices with a singular block are left unscaled there). ``ker L_F = ker δ`` is the
space of global sections ``H⁰(K; F)``; :func:`global_sections_dim` computes it independently as the equaliser
``{(x_v, x_e) : x_e = ρ_{u≤e} x_u = ρ_{v≤e} x_v}``.

Example:
    >>> import numpy as np
    >>> from steerable.sheaf import SimplicialComplex, local_homology_sheaf
    >>> K = SimplicialComplex.from_graph(np.array([[0, 1], [1, 2]]), 3, max_dim=1)   # a path
    >>> sheaf_laplacian(local_homology_sheaf(K, 1)).shape   # stalk dims 0, 1, 0
    (1, 1)
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .homology import Sheaf

__all__ = ["coboundary", "sheaf_laplacian", "stalk_offsets", "global_sections_dim"]


def stalk_offsets(dims: np.ndarray) -> np.ndarray:
    """``(len(dims) + 1,)`` start offsets of stacked stalks."""
    return np.concatenate([[0], np.cumsum(dims)]).astype(np.int64)


def _edge_maps(sheaf: Sheaf) -> tuple[np.ndarray, list[np.ndarray]]:
    if 0 not in sheaf.on or 1 not in sheaf.on or 0 not in sheaf.restrictions:
        raise ValueError(f"the sheaf Laplacian needs stalks on vertices and edges, this sheaf has {sheaf.on}")
    return sheaf.restrictions[0]


def coboundary(sheaf: Sheaf) -> sp.csr_matrix:
    """``δ : C⁰ → C¹`` as a sparse ``(Σ_e d_e, Σ_v d_v)`` matrix."""
    pairs, maps = _edge_maps(sheaf)
    K = sheaf.complex
    dv, de = sheaf.dims_of(0), sheaf.dims_of(1)
    ov, oe = stalk_offsets(dv), stalk_offsets(de)
    edges = K.simplices[1]
    rows, cols, vals = [], [], []
    for (v, e), R in zip(pairs, maps):
        if R.size == 0:
            continue
        sign = 1.0 if v == edges[e, 1] else -1.0
        r, c = np.meshgrid(np.arange(R.shape[0]) + oe[e], np.arange(R.shape[1]) + ov[v], indexing="ij")
        rows.append(r.ravel())
        cols.append(c.ravel())
        vals.append(sign * R.ravel())
    cat = (lambda a: np.concatenate(a) if a else np.zeros(0))
    return sp.csr_matrix((cat(vals), (cat(rows).astype(np.int64), cat(cols).astype(np.int64))),
                         shape=(int(oe[-1]), int(ov[-1])))


def sheaf_laplacian(sheaf: Sheaf, normalized: bool = False) -> sp.csr_matrix:
    """``L_F = δᵀδ`` (or its normalised form) as a sparse ``(Σ_v d_v, Σ_v d_v)`` block matrix."""
    d = coboundary(sheaf)
    L = (d.T @ d).tocsr()
    if not normalized:
        return L
    dv = sheaf.dims_of(0)
    off = stalk_offsets(dv)
    blocks = []
    for v in range(len(dv)):  # D^{-1/2} block by block (pseudo-inverse: singular directions are left at 0 scale)
        B = L[off[v]:off[v + 1], off[v]:off[v + 1]].toarray()
        w, V = np.linalg.eigh(B) if B.size else (np.zeros(0), np.zeros((0, 0)))
        inv = np.where(w > 1e-12 * max(1.0, float(w.max(initial=0.0))), 1.0 / np.sqrt(np.clip(w, 1e-300, None)), 0.0)
        blocks.append(sp.csr_matrix((V * inv) @ V.T))
    Dm = sp.block_diag(blocks, format="csr") if blocks else sp.csr_matrix((0, 0))
    return (Dm @ L @ Dm).tocsr()


def global_sections_dim(sheaf: Sheaf, tol: float = 1e-9) -> int:
    """``dim H⁰(K; F)`` as the null space of the equaliser system on vertex and edge stalks (dense SVD).

    Unknowns ``(x_v)_v, (x_e)_e``; one block row ``x_e − ρ_{w≤e} x_w = 0`` per vertex-edge incidence.
    """
    pairs, maps = _edge_maps(sheaf)
    dv, de = sheaf.dims_of(0), sheaf.dims_of(1)
    ov, oe = stalk_offsets(dv), stalk_offsets(de) + int(stalk_offsets(dv)[-1])
    n = int(oe[-1])
    rows = []
    for (v, e), R in zip(pairs, maps):
        block = np.zeros((R.shape[0], n))
        block[:, oe[e]:oe[e + 1]] = np.eye(R.shape[0])
        block[:, ov[v]:ov[v + 1]] -= R
        rows.append(block)
    if n == 0:
        return 0
    A = np.concatenate(rows) if rows else np.zeros((0, n))
    s = np.linalg.svd(A, compute_uv=False) if A.size else np.zeros(0)
    rank = int(np.sum(s > tol * max(1.0, float(s.max(initial=0.0)))))
    return n - rank
