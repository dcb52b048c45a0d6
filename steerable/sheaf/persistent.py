"""The persistent local homology sheaf on the graph skeleton, differentiable in node embeddings.

**Filtration.** Given node embeddings ``z`` (``(n, m)``) and a complex K (at least its edges; triangles if present),
every edge gets ``f(uw) = ‖z_u − z_w‖``, a triangle the maximum over its edges, vertices 0 (Vietoris–Rips values on
K's simplices).

**Local barcode of a vertex v.** ``H_1(K_t, K_t ∖ St v) ≅ H̃_0(Lk_t v)`` for the clique filtration, so the local
barcode of v is the reduced 0-dimensional barcode of its link filtration: the neighbour u enters at ``f(vu)``, the
link edge uw at the value of the triangle vuw. Union-find with the elder rule gives one bar per neighbour except the
oldest (smallest entry value): bar i is born when ``u_i`` enters and dies when its component merges into an older
one, at the triangle whose largest edge is ``κ_i``; bars never merged die at the cap ``c_v``, twice the largest value
in the closed star of v (so that they outlive every finite bar there).

**From bars to maps.** Bar i's generator is the relative 1-chain ``[v, u_i] − [v, π_i]`` (``π_i`` the oldest vertex
of the component it merges into; chains oriented out of v), i.e. the class ``[u_i] − [π_i]`` of ``H̃_0(Lk v)``.
The stalk ``F(v)`` has one coordinate per bar of persistence ``p_i = death_i − birth_i > tau``; the edge stalks
are ``R`` (the closed form for graphs), and the restriction to the edge ``e = vu`` is

    ρ_{v≤e}[i] = p_i · (𝟙[u = u_i] − 𝟙[u = π_i]) · o(v, e),     o = +1 if v is e's smaller vertex, else −1,

the coordinate of the chain ``[v, u]`` in the generator, scaled by the bar's persistence: a short-lived bar (noise)
barely couples, a long one (a real branch of the space around v) fully. With no triangles (a graph), every bar is
infinite and the stalks are a (non-orthonormal) basis of the closed form ``{a : Σ a = 0}``. The pairing
(``u_i, π_i``, the birth edge ``vu_i``, the death edge ``κ_i``) is piecewise constant in ``z``; where it is locally
constant (distinct filtration values) ``p_i = f(κ_i) − f(vu_i)`` and hence every map is a smooth function of ``z``,
and autograd gives its exact gradient.

Example:
    >>> import torch
    >>> from steerable.sheaf import SimplicialComplex
    >>> z = torch.randn(30, 2, dtype=torch.float64)
    >>> K = SimplicialComplex.from_points(z, k=5, max_dim=2)
    >>> bars = local_barcodes(K, z)
    >>> bool((bars.death >= bars.birth).all())
    True
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .complex import SimplicialComplex
from .nn import Coboundary, SheafBatch

__all__ = ["LocalBarcodes", "edge_filtration", "local_barcodes", "persistent_sheaf_batch"]


@dataclass
class LocalBarcodes:
    """All vertices' local bars, one entry per bar (tensors of equal length; ``birth``/``death`` carry gradients).

    Attributes:
        vertex: the vertex v of the bar.
        born: the neighbour ``u_i`` whose entry starts it.
        parent: ``π_i``, the elder vertex its component merges into (or the essential one).
        birth_edge, death_edge: edges of K whose values are the birth and death.
        birth, death: their values ``f`` (twice ``f`` for the death of an infinite bar); ``persistence = death − birth``.
        infinite: ``True`` for bars never merged (their death is the cap).
    """

    vertex: torch.Tensor
    born: torch.Tensor
    parent: torch.Tensor
    birth_edge: torch.Tensor
    death_edge: torch.Tensor
    birth: torch.Tensor
    death: torch.Tensor
    infinite: torch.Tensor

    @property
    def persistence(self) -> torch.Tensor:
        return self.death - self.birth


def edge_filtration(K: SimplicialComplex, z: torch.Tensor) -> torch.Tensor:
    """``(n_1,)`` edge values ``‖z_u − z_w‖`` (differentiable in ``z``)."""
    if not isinstance(z, torch.Tensor) or z.ndim != 2 or z.shape[0] != K.num_nodes:
        raise ValueError(f"z must be a tensor of shape ({K.num_nodes}, m), got "
                         f"{tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__}")
    if K.dim < 1:
        raise ValueError("the persistent sheaf needs a complex with edges")
    e = torch.as_tensor(K.simplices[1])
    return (z[e[:, 0]] - z[e[:, 1]]).norm(dim=1)


def _find(parent: dict[int, int], a: int) -> int:
    while parent[a] != a:
        parent[a] = parent[parent[a]]
        a = parent[a]
    return a


def local_barcodes(K: SimplicialComplex, z: torch.Tensor) -> LocalBarcodes:
    """The local (link) barcodes of every vertex under the filtration of :func:`edge_filtration`."""
    f_t = edge_filtration(K, z)
    f = f_t.detach().cpu().numpy()
    edges = K.simplices[1]
    inc01 = K.incidence(0, 1)
    tri = K.simplices[2] if K.dim >= 2 else np.zeros((0, 3), dtype=np.int64)
    tri_faces = K.faces(2) if K.dim >= 2 else np.zeros((0, 3), dtype=np.int64)
    tri_top = tri_faces[np.arange(len(tri)), np.argmax(f[tri_faces], axis=1)] if len(tri) else np.zeros(0, np.int64)
    inc02 = K.incidence(0, 2) if K.dim >= 2 else None
    out: dict[str, list[int]] = {k: [] for k in ("vertex", "born", "parent", "birth_edge", "death_edge", "infinite")}
    for v in range(K.num_nodes):
        star_e = inc01[v].indices
        if len(star_e) < 2:
            continue
        nb = np.where(edges[star_e, 0] == v, edges[star_e, 1], edges[star_e, 0])
        order = np.lexsort((star_e, f[star_e]))          # entry order, ties by edge row
        rank = {int(nb[i]): r for r, i in enumerate(order)}
        edge_to = {int(nb[i]): int(star_e[i]) for i in range(len(nb))}
        par = {int(u): int(u) for u in nb}
        events = []
        if inc02 is not None:
            for t in inc02[v].indices:
                u, w = (int(x) for x in tri[t] if x != v)
                events.append((f[tri_top[t]], int(t), u, w))
        events.sort()
        cap_edge = int(star_e[np.argmax(f[star_e])])
        for val, t, u, w in events:
            if val > f[cap_edge]:
                cap_edge = int(tri_top[t])
            ru, rw = _find(par, u), _find(par, w)
            if ru == rw:
                continue
            young, old = (ru, rw) if rank[ru] > rank[rw] else (rw, ru)
            par[young] = old
            out["vertex"].append(v)
            out["born"].append(young)
            out["parent"].append(old)
            out["birth_edge"].append(edge_to[young])
            out["death_edge"].append(int(tri_top[t]))
            out["infinite"].append(0)
        roots = sorted({_find(par, int(u)) for u in nb}, key=rank.__getitem__)
        for r in roots[1:]:                                 # infinite bars: killed by the cap, merged into the eldest
            out["vertex"].append(v)
            out["born"].append(r)
            out["parent"].append(roots[0])
            out["birth_edge"].append(edge_to[r])
            out["death_edge"].append(cap_edge)
            out["infinite"].append(1)
    t = {k: torch.as_tensor(np.asarray(val, dtype=np.int64)) for k, val in out.items()}
    return LocalBarcodes(t["vertex"], t["born"], t["parent"], t["birth_edge"], t["death_edge"],
                         f_t[t["birth_edge"]], f_t[t["death_edge"]] * (1 + t["infinite"]), t["infinite"].bool())


def persistent_sheaf_batch(K: SimplicialComplex, z: torch.Tensor, tau: float = 0.0) -> tuple[SheafBatch, LocalBarcodes]:
    """The persistent local homology sheaf of ``(K, z)`` as a :class:`~steerable.sheaf.nn.SheafBatch` whose
    coboundary entries are differentiable in ``z`` (see the module docstring for the maps), and its bars."""
    bars = local_barcodes(K, z)
    keep = (bars.persistence.detach() > tau).nonzero().squeeze(1)
    n = K.num_nodes
    v = bars.vertex[keep]
    dims = torch.bincount(v, minlength=n)
    offsets = torch.cat([torch.zeros(1, dtype=torch.long), dims.cumsum(0)])
    col = torch.arange(len(v))  # bars come grouped by vertex, in vertex order: the stacked stalk rows
    p = bars.persistence[keep]
    e_born = bars.birth_edge[keep]
    edges = K.simplices[1]
    lookup = {(int(a), int(b)): i for i, (a, b) in enumerate(edges)}
    e_par = torch.as_tensor([lookup[tuple(sorted((int(a), int(b))))] for a, b in zip(v, bars.parent[keep])],
                            dtype=torch.long)
    # ρ_{v≤e}[i] · o(v, e) times the coboundary's sign (+1 at e's larger vertex) is −coefficient · p_i at every end
    rows = torch.cat([e_born, e_par])
    cols = torch.cat([col, col])
    vals = torch.cat([-p, p])
    delta = Coboundary(rows, cols, vals, len(edges), int(offsets[-1]), torch.arange(len(edges)))
    e_t = torch.as_tensor(edges, dtype=torch.long).reshape(-1, 2)
    batch = SheafBatch(delta, torch.repeat_interleave(torch.arange(n), dims), dims,
                       torch.cat([e_t.T, e_t.flip(1).T], 1), e_t, torch.zeros(n, dtype=torch.long))
    return batch, bars
