"""Clebsch-Gordan decompositions of tensor products of irreps.

For irreps ``psi_a, psi_b`` of ``G`` the CG matrix ``C`` (orthogonal, ``d_a d_b`` square)
satisfies::

    kron(psi_a(g), psi_b(g)) = C ((+)_J psi_J(g)) C^T

The columns of ``C`` belonging to one output copy of ``psi_J`` are the CG coefficients
``C[(i, j), m]`` of ``psi_a (x) psi_b -> psi_J``.  Groups that know them in closed form
say so through ``Group._closed_form_tensor`` (the planar groups: frequency addition,
``e^{i a t} e^{i b t} = e^{i (a + b) t}``); otherwise they are computed numerically (exact
to round-off, see :mod:`steerable.group.decompose`).  Either way they are cached per group
instance.

Example:
    >>> from steerable.group import so3_group, clebsch_gordan
    >>> G = so3_group(4)
    >>> [(psi.id, C.shape) for psi, C in clebsch_gordan(G.irrep(1), G.irrep(1))]
    [((0,), (9, 1)), ((1,), (9, 3)), ((2,), (9, 5))]
"""
from __future__ import annotations

import numpy as np

from .decompose import decompose_representation
from .exceptions import InsufficientIrrepsException, UnderconstrainedCGSystem
from .irrep import IrreducibleRepresentation

__all__ = ["decompose_irreps_tensor", "clebsch_gordan", "numerical_decompose_irreps_tensor"]


def decompose_irreps_tensor(
    psi_a: IrreducibleRepresentation, psi_b: IrreducibleRepresentation
) -> tuple[list[IrreducibleRepresentation], np.ndarray]:
    """Irreps and orthogonal change of basis of ``psi_a (x) psi_b`` (cached; returns a copy)."""
    G = psi_a.group
    if psi_b.group != G:
        raise ValueError(f"cannot tensor irreps of {G.name} and {psi_b.group.name}")
    key = ("tensor", psi_a.id, psi_b.id)
    if key not in G._cache:
        closed = G._closed_form_tensor(psi_a.id, psi_b.id)
        if closed is not None:
            ids, Q = closed
            G._cache[key] = ([G.irrep(*i) for i in ids], Q)
    if key not in G._cache:
        def rho(g):
            return np.kron(psi_a(g), psi_b(g))

        lie = None
        if G.continuous:
            la, lb = G._irrep_lie_algebra(psi_a.id), G._irrep_lie_algebra(psi_b.id)
            Ia, Ib = np.eye(psi_a.size), np.eye(psi_b.size)
            lie = [np.kron(x, Ib) + np.kron(Ia, y) for x, y in zip(la, lb)]
        def rho_batch(elements):
            values = [g.value for g in elements]
            A = G._irrep_matrices(psi_a.id, values)
            B = G._irrep_matrices(psi_b.id, values)
            return np.einsum("nij,nkl->nikjl", A, B).reshape(len(values), A.shape[1] * B.shape[1], -1)

        try:
            irreps, Q = decompose_representation(
                G, rho, psi_a.size * psi_b.size, lie, name=f"{psi_a.name} x {psi_b.name}", rho_batch=rho_batch
            )
        except InsufficientIrrepsException as err:
            raise UnderconstrainedCGSystem(G, None, psi_a.id, psi_b.id, len(G.generators), str(err)) from err
        G._cache[key] = (irreps, Q)
    irreps, Q = G._cache[key]
    return list(irreps), Q.copy()


def numerical_decompose_irreps_tensor(
    psi_a: IrreducibleRepresentation, psi_b: IrreducibleRepresentation
) -> tuple[list[IrreducibleRepresentation], np.ndarray]:
    """``decompose_irreps_tensor`` by the numerical decomposition only (uncached): the
    reference the closed forms are tested and benchmarked against."""
    G = psi_a.group

    def rho(g):
        return np.kron(psi_a(g), psi_b(g))

    lie = None
    if G.continuous:
        la, lb = G._irrep_lie_algebra(psi_a.id), G._irrep_lie_algebra(psi_b.id)
        Ia, Ib = np.eye(psi_a.size), np.eye(psi_b.size)
        lie = [np.kron(x, Ib) + np.kron(Ia, y) for x, y in zip(la, lb)]
    return decompose_representation(G, rho, psi_a.size * psi_b.size, lie, name=f"{psi_a.name} x {psi_b.name}")


def clebsch_gordan(
    psi_a: IrreducibleRepresentation, psi_b: IrreducibleRepresentation
) -> list[tuple[IrreducibleRepresentation, np.ndarray]]:
    """``[(psi_J, C_J), ...]``: each output irrep copy with its ``(d_a d_b, d_J)`` CG block."""
    irreps, Q = decompose_irreps_tensor(psi_a, psi_b)
    out, p = [], 0
    for psi in irreps:
        out.append((psi, Q[:, p : p + psi.size]))
        p += psi.size
    return out
