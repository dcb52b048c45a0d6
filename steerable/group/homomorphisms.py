"""Intertwiners between two representations, and splitting a representation by a permutation.

* :func:`homomorphism_space`: a basis of ``Hom_G(rho1, rho2) = {H : rho2(g) H = H rho1(g)}``.
  With ``rho_i = Q_i (+) psi Q_i^T``, Schur's lemma gives one block ``Q2[:, b] E Q1[:, a]^T`` for
  every pair of equal irreps (copy ``a`` in ``rho1``, copy ``b`` in ``rho2``) and every ``E`` of
  the endomorphism basis of that irrep: ``sum_(a, b) e_psi`` matrices, orthogonal in the
  Frobenius inner product (``||H||^2 = d_psi``).
* :func:`disentangle`: the finest split of ``rho`` into a direct sum by a *permutation* of its
  coordinates.  Coordinate ``r`` and irrep copy ``a`` are linked when ``Q[r, a] != 0``; each
  connected component of this bipartite graph is one summand.

Example:
    >>> from steerable.group import cyclic_group, homomorphism_space
    >>> G = cyclic_group(4)
    >>> homomorphism_space(G.irrep(1), G.irrep(1)).shape
    (2, 2, 2)
"""
from __future__ import annotations

import numpy as np

from .decompose import decompose_representation
from .representation import Representation

__all__ = ["homomorphism_space", "disentangle", "coordinate_blocks"]


def _offsets(rho: Representation) -> np.ndarray:
    return np.concatenate([[0], np.cumsum([psi.size for psi in rho.irrep_objects])]).astype(int)


def homomorphism_space(rho1: Representation, rho2: Representation) -> np.ndarray:
    """A basis ``(n, rho2.size, rho1.size)`` of the ``G``-equivariant linear maps ``rho1 -> rho2``."""
    for name, r in (("rho1", rho1), ("rho2", rho2)):
        if not isinstance(r, Representation):
            raise TypeError(f"{name} must be a Representation, got {type(r).__name__}")
    if rho1.group != rho2.group:
        raise ValueError(f"rho1 and rho2 must be representations of one group, got {rho1.group.name} and {rho2.group.name}")
    o1, o2 = _offsets(rho1), _offsets(rho2)
    basis = []
    for a, psi_a in enumerate(rho1.irrep_objects):
        Qa = rho1.change_of_basis[:, o1[a]:o1[a + 1]]
        for b, psi_b in enumerate(rho2.irrep_objects):
            if psi_a != psi_b:
                continue
            Qb = rho2.change_of_basis[:, o2[b]:o2[b + 1]]
            basis.extend(Qb @ E @ Qa.T for E in psi_a.endomorphism_basis())
    if not basis:
        return np.zeros((0, rho2.size, rho1.size))
    return np.stack(basis)


def coordinate_blocks(rho: Representation, atol: float = 1e-9) -> list[list[int]]:
    """The finest partition of the coordinates of ``rho`` into blocks that no ``rho(g)`` mixes.

    Coordinates ``i`` and ``j`` are joined when ``rho(g)[i, j] != 0`` for a generator ``g`` (plus
    the testing elements of a continuous group); the connected components ``S`` span coordinate
    subspaces with ``rho(g) V_S = V_S`` for every ``g``, and no finer coordinate split has this
    property.  Blocks are listed by their smallest coordinate.  E.g. the regular representation
    of ``D_3`` restricted to a reflection subgroup ``C_2`` splits into three pairs, each the
    regular representation of ``C_2``.
    """
    G = rho.group
    elements = list(G.generators) + (list(G.testing_elements()) if G.continuous else [])
    parent = list(range(rho.size))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for g in elements:
        for i, j in zip(*np.nonzero(np.abs(rho(g)) > atol)):
            a, b = find(int(i)), find(int(j))
            if a != b:
                parent[max(a, b)] = min(a, b)
    blocks: dict[int, list[int]] = {}
    for i in range(rho.size):
        blocks.setdefault(find(i), []).append(i)
    return sorted(blocks.values(), key=lambda b: b[0])


def disentangle(repr: Representation) -> tuple[np.ndarray, list[Representation]]:
    """The finest split of ``repr`` into blocks by a permutation of its coordinates.

    Returns ``(P, [rho_1, ..., rho_m])`` with a permutation matrix ``P`` and
    ``P repr(g) P^T = rho_1(g) (+) ... (+) rho_m(g)``; the blocks are :func:`coordinate_blocks`,
    each decomposed into irreps.  A block of a permutation representation is one again (it keeps
    every nonlinearity); other blocks keep the norm and gated ones."""
    if not isinstance(repr, Representation):
        raise TypeError(f"disentangle needs a Representation, got {type(repr).__name__}")
    n = repr.size
    blocks = coordinate_blocks(repr)
    if len(blocks) == 1:
        return np.eye(n), [repr]
    P = np.zeros((n, n))
    P[np.arange(n), np.concatenate(blocks)] = 1.0
    perm = repr.is_permutation
    nl = set(repr.supported_nonlinearities) if perm else {"norm", "gated"} & set(repr.supported_nonlinearities)
    out: list[Representation] = []
    for k, block in enumerate(blocks):
        idx = np.ix_(block, block)
        name = f"{repr.name}_{k}"
        irreps, Q = decompose_representation(repr.group, lambda g, idx=idx: repr(g)[idx], len(block), name=name)
        out.append(Representation(repr.group, name, irreps, Q, nl, {"permutation": True} if perm else {}))
    return P, out

