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

from .representation import Representation

__all__ = ["homomorphism_space", "disentangle"]


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


def disentangle(repr: Representation) -> tuple[np.ndarray, list[Representation]]:
    """The finest split of ``repr`` into blocks by a permutation of its coordinates.

    Returns ``(P, [rho_1, ..., rho_m])`` with a permutation matrix ``P`` and
    ``P repr(g) P^T = rho_1(g) (+) ... (+) rho_m(g)``."""
    if not isinstance(repr, Representation):
        raise TypeError(f"disentangle needs a Representation, got {type(repr).__name__}")
    n, irreps = repr.size, repr.irrep_objects
    offsets = _offsets(repr)
    linked = ~np.isclose(repr.change_of_basis, 0.0, atol=1e-9)  # (coordinates, irrep columns)
    # union-find over nodes: coordinates 0..n-1, irrep copies n..n+len(irreps)-1
    parent = list(range(n + len(irreps)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a in range(len(irreps)):
        for r in np.nonzero(linked[:, offsets[a]:offsets[a + 1]].any(axis=1))[0]:
            parent[find(int(r))] = find(n + a)
    blocks: dict[int, tuple[list[int], list[int]]] = {}
    for a in range(len(irreps)):  # blocks ordered by their first irrep
        blocks.setdefault(find(n + a), ([], []))[1].append(a)
    for r in range(n):
        blocks[find(r)][0].append(r)
    P = np.zeros((n, n))
    out: list[Representation] = []
    pos = 0
    for rows, copies in blocks.values():
        cols = np.concatenate([np.arange(offsets[a], offsets[a + 1]) for a in copies])
        Q = repr.change_of_basis[np.ix_(rows, cols)]
        P[pos + np.arange(len(rows)), rows] = 1.0
        pos += len(rows)
        perm = repr.is_permutation and _is_permutation_rep(repr, Q, [irreps[a] for a in copies])
        nl = set(repr.supported_nonlinearities) if perm or len(blocks) == 1 else {"norm", "gated"} & set(repr.supported_nonlinearities)
        out.append(Representation(repr.group, f"{repr.name}_{len(out)}", [irreps[a] for a in copies], Q, nl,
                                  {"permutation": True} if perm else {}))
    return P, out


def _is_permutation_rep(repr: Representation, Q: np.ndarray, irreps: list) -> bool:
    """Whether the block ``Q (+) psi Q^T`` permutes coordinates on the group's generators."""
    gens = repr.group.generators  # products of permutations are permutations
    offs = np.concatenate([[0], np.cumsum([p.size for p in irreps])]).astype(int)
    for g in gens:
        D = np.zeros((Q.shape[1],) * 2)
        for k, p in enumerate(irreps):
            D[offs[k]:offs[k + 1], offs[k]:offs[k + 1]] = p(g)
        M = Q @ D @ Q.T
        R = np.round(M)
        if np.abs(M - R).max() > 1e-8 or not (np.all(R.sum(0) == 1) and np.all(R.sum(1) == 1) and R.min() >= 0):
            return False
    return True
