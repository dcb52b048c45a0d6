"""Sheaf neural networks on the (persistent) local homology sheaf of a simplicial complex.

* :class:`SimplicialComplex`: clique complexes of graphs, Vietoris–Rips complexes of point clouds, boundary
  matrices, stars and links in sparse form.
* :func:`local_homology_sheaf`: stalks ``H_k(K, K ∖ St σ)`` and restriction maps induced by inclusions of pairs.
* :func:`sheaf_laplacian`: the coboundary and ``L_F = δᵀδ`` as a block-sparse matrix.
* :mod:`steerable.sheaf.nn`: sheaf diffusion, sheaf attention and GCN/GAT baselines with one interface.
* :mod:`steerable.sheaf.persistent`: the persistent variant, differentiable in the node embeddings.
"""
from .complex import SimplicialComplex, check_edge_index, knn_edges, radius_edges
from .homology import Sheaf, graph_local_homology_sheaf, helmert_basis, hop_reach, local_homology_sheaf
from .laplacian import coboundary, global_sections_dim, sheaf_laplacian, stalk_offsets

__all__ = ["SimplicialComplex", "check_edge_index", "knn_edges", "radius_edges", "Sheaf", "local_homology_sheaf",
           "graph_local_homology_sheaf", "helmert_basis", "hop_reach", "coboundary", "sheaf_laplacian",
           "stalk_offsets", "global_sections_dim"]
