"""Representations built from a group's structure: regular, quotient, induced, restricted.

* Regular (finite ``G``): ``(rho(h) f)(g) = f(h^-1 g)`` on functions ``f: G -> R``; a
  permutation representation.  Its change of basis is the normalised Fourier matrix
  ``Q[g, (psi, i, j)] = sqrt(d_psi / |G|) psi(g)[i, j]`` for ``j < d_psi / e_psi``, so each
  irrep appears ``d_psi / e_psi`` times, exactly (no numerical decomposition).
* Band-limited regular (any compact ``G``): the same Fourier-basis model truncated to
  irreps of frequency ``<= L``; it is the representation of band-limited signals on ``G``.
* Quotient ``G/H``: permutation of cosets, ``(rho(h) f)(gH) = f(h^-1 g H)``.
* Induced ``Ind_H^G sigma`` (finite index): ``rho(g) e_(i, a) = sum_b sigma(h)[b, a] e_(j, b)``
  where ``g r_i = r_j h`` for coset representatives ``r_i``.
* Restricted ``Res_H rho``: ``rho`` evaluated on the inclusion of ``H``.
* Tensor product ``a (x) b``: ``kron(a(g), b(g))``, from the Clebsch-Gordan decompositions
  of the pairs of irreps.

These are functions of a group; :class:`steerable.group.compact.CompactGroup` exposes them as
methods (this module sits below it and imports only the interface and the representation model).
"""
from __future__ import annotations

from typing import Hashable, Sequence

import numpy as np

from .clebsch_gordan import decompose_irreps_tensor
from .decompose import decompose_representation
from .group import Group, GroupElement
from .linalg import block_diag
from .representation import Representation

__all__ = [
    "regular_representation",
    "bl_regular_representation",
    "quotient_representation",
    "induced_representation",
    "restrict_representation",
    "tensor_product",
    "fourier_columns",
]


def fourier_columns(G: Group, L: int | None = None) -> list[tuple]:
    """The ``(irrep, copies)`` pairs of the (band-limited) regular representation.

    Each irrep ``psi`` contributes ``d_psi / e_psi`` copies (its independent columns).
    """
    irreps = G.irreps() if L is None else [psi for psi in G.irreps_up_to(L)]
    return [(psi, psi.size // psi.sum_of_squares_constituents) for psi in irreps]


def _fourier_matrix(G: Group, elements: list[GroupElement], columns: list[tuple]) -> np.ndarray:
    """``A[g, col] = sqrt(d_psi) psi(g)[i, j]``, columns ordered ``(psi, j, i)``."""
    values = [g.value for g in elements]
    blocks = []
    for psi, copies in columns:
        m = G._irrep_matrices(psi.id, values)  # (n, d, d)
        for j in range(copies):
            blocks.append(np.sqrt(psi.size) * m[:, :, j])
    return np.concatenate(blocks, axis=1)


def regular_representation(G: Group) -> Representation:
    """The regular representation of a finite group (a permutation representation)."""
    key = "regular"
    if key not in G._cache:
        if G.continuous:
            raise ValueError(f"{G.name} is continuous: use bl_regular_representation(L) instead")
        elements = G.elements
        columns = fourier_columns(G)
        Q = _fourier_matrix(G, elements, columns) / np.sqrt(len(elements))
        irreps = [psi for psi, copies in columns for _ in range(copies)]
        G._cache[key] = Representation(
            G, "regular", irreps, Q, {"pointwise", "norm", "gated", "concatenated"},
            {"permutation": True, "elements": elements},
        )
    return G._cache[key]


def bl_regular_representation(G: Group, L: int) -> Representation:
    """Band-limited regular representation: irreps of frequency ``<= L`` in the Fourier basis."""
    key = ("bl_regular", L)
    if key not in G._cache:
        columns = fourier_columns(G, L)
        irreps = [psi for psi, copies in columns for _ in range(copies)]
        G._cache[key] = Representation(G, f"regular_{L}", irreps, None, {"norm", "gated", "fourier"}, {"band_limit": L})
    return G._cache[key]


def _cosets(G: Group, subgroup_id: Hashable) -> tuple[list[GroupElement], list[int], dict, Group, object]:
    """Coset representatives ``r_i`` of ``G/H`` and, for each element, its coset index."""
    H, incl, restr = G.subgroup(subgroup_id)
    if G.continuous:
        reps = _continuous_coset_reps(G, H, incl)
        return reps, [], {}, H, (incl, restr)
    h_elems = [incl(h) for h in H.elements]
    coset_of: dict[GroupElement, int] = {}
    reps: list[GroupElement] = []
    for g in G.elements:
        if g in coset_of:
            continue
        idx = len(reps)
        reps.append(g)
        for h in h_elems:
            coset_of[g @ h] = idx
    return reps, [], coset_of, H, (incl, restr)


def _continuous_coset_reps(G: Group, H: Group, incl) -> list[GroupElement]:
    """Coset representatives for the finite-index subgroups of continuous groups (index 1 or 2)."""
    if H == G:  # the whole group (possibly re-embedded, e.g. O(2) with a rotated flip): one coset
        return [G.identity]
    if H.continuous and G.name == "O(2)" and H.name == "SO(2)":
        return [G.identity, G.element((1, 0.0))]
    if H.continuous and G.name == "O(3)" and H.name == "SO(3)":
        return [G.identity, G._inversion()]
    raise ValueError(
        f"quotient/induced representations of {G.name} need a subgroup of finite index; "
        f"{H.name} is not one that is supported"
    )


def _locate(G: Group, g: GroupElement, reps: list[GroupElement], restr) -> tuple[int, GroupElement]:
    """``(j, h)`` with ``g = r_j incl(h)``."""
    for j, r in enumerate(reps):
        h = restr(~r @ g)
        if h is not None:
            return j, h
    raise ValueError(f"element {g} lies in no coset")  # pragma: no cover - cosets cover G


def quotient_representation(G: Group, subgroup_id: Hashable) -> Representation:
    """Permutation representation of ``G`` on the cosets ``G/H`` (= ``Ind_H^G`` trivial)."""
    key = ("quotient", subgroup_id)
    if key not in G._cache:
        H, _, _ = G.subgroup(subgroup_id)
        rho = induced_representation(G, subgroup_id, H.trivial_representation)
        G._cache[key] = Representation(
            G, f"quotient[{H.name}]", rho.irrep_objects, rho.change_of_basis,
            {"pointwise", "norm", "gated", "concatenated", "induced_gated"},
            {"permutation": True, "induced_from": subgroup_id, "inducing_repr": H.trivial_representation},
        )
    return G._cache[key]


def induced_representation(G: Group, subgroup_id: Hashable, sigma: Representation) -> Representation:
    """``Ind_H^G sigma`` for a subgroup ``H`` of finite index, decomposed into irreps of ``G``."""
    reps, _, _, H, (incl, restr) = _cosets(G, subgroup_id)
    if sigma.group != H:
        raise ValueError(f"induced representation needs a representation of {H.name}, got one of {sigma.group.name}")
    n, d = len(reps), sigma.size

    def rho(g: GroupElement) -> np.ndarray:
        out = np.zeros((n * d, n * d))
        for i, r in enumerate(reps):
            j, h = _locate(G, g @ r, reps, restr)
            out[j * d : (j + 1) * d, i * d : (i + 1) * d] = sigma(h)
        return out

    # Lie groups: the derivative is taken by finite differences inside the decomposition
    irreps, Q = decompose_representation(G, rho, n * d, None, name=f"Ind[{H.name}]({sigma.name})")
    perm = sigma.is_permutation if not G.continuous else None
    attrs = {"permutation": perm} if perm is not None else {}
    # the channels are n blocks of sigma.size, permuted by rho(g) (each moved block acted on by sigma(h)):
    # the induced norm / gated layers read the block size from here
    attrs.update(induced_from=subgroup_id, inducing_repr=sigma)
    supported = ({"pointwise"} if perm else set()) | {"induced_norm", "induced_gated"}
    return Representation(G, f"induced[{H.name}]({sigma.name})", irreps, Q, supported, attrs)


def restrict_representation(rho: Representation, subgroup_id: Hashable) -> Representation:
    """``Res^G_H rho``: ``rho`` on the inclusion of the subgroup ``subgroup_id``."""
    G = rho.group
    H, incl, _ = G.subgroup(subgroup_id)
    blocks, irreps = [], []
    for psi in rho.irrep_objects:
        key = ("restrict", subgroup_id, psi.id)
        if key not in G._cache and (closed := G._restricted_irrep(subgroup_id, psi)) is not None:
            G._cache[key] = closed
        if key not in G._cache:
            lie = None
            if H.continuous:
                lie = G._restricted_lie_algebra(subgroup_id, psi)
            def rho_batch(elements, psi=psi):
                return G._irrep_matrices(psi.id, [incl(h).value for h in elements])

            G._cache[key] = decompose_representation(
                H, lambda h, psi=psi: psi(incl(h)), psi.size, lie, name=f"Res[{H.name}]({psi.name})",
                rho_batch=rho_batch,
            )
        ir, Q = G._cache[key]
        irreps.extend(ir)
        blocks.append(Q)
    Q = rho.change_of_basis @ (blocks[0] if len(blocks) == 1 else block_diag(*blocks))
    nl = set(rho.supported_nonlinearities)
    attrs = {"permutation": rho.is_permutation} if not G.continuous or rho.is_trivial() else {}
    return Representation(H, f"res[{H.name}]({rho.name})", irreps, Q, nl, attrs)


def tensor_product(a: Representation, b: Representation, name: str | None = None) -> Representation:
    """``a (x) b``, decomposed into irreps: ``(a (x) b)(g) = kron(a(g), b(g))``.

    Built from the Clebsch-Gordan decompositions of the pairs of irreps of ``a`` and ``b``.
    """
    if a.group != b.group:
        raise ValueError(f"cannot tensor representations of {a.group.name} and {b.group.name}")
    irreps: list = []
    blocks = []
    for psi_a in a.irrep_objects:
        for psi_b in b.irrep_objects:
            out_irreps, Qab = decompose_irreps_tensor(psi_a, psi_b)
            irreps.extend(out_irreps)
            blocks.append(Qab)
    # kron(Qa D_a Qa^T, Qb D_b Qb^T) = (Qa x Qb) kron(D_a, D_b) (Qa x Qb)^T, and
    # kron(D_a, D_b) is a permutation P of the block diagonal of pairwise krons.
    P = _kron_block_permutation([p.size for p in a.irrep_objects], [p.size for p in b.irrep_objects])
    Q = np.kron(a.change_of_basis, b.change_of_basis) @ P @ block_diag(*blocks)
    perm = (a.is_permutation and b.is_permutation) if not a.group.continuous else None
    attrs = {"permutation": perm} if perm is not None else {}
    nl = {"pointwise"} if perm else set()
    return Representation(a.group, name or f"({a.name})x({b.name})", irreps, Q, nl, attrs)


def _kron_block_permutation(sa: Sequence[int], sb: Sequence[int]) -> np.ndarray:
    """Permutation ``P`` with ``kron(diag(A_i), diag(B_j)) = P diag_{(i,j)}(kron(A_i, B_j)) P^T``."""
    na, nb = sum(sa), sum(sb)
    oa = np.concatenate([[0], np.cumsum(sa)]).astype(int)
    ob = np.concatenate([[0], np.cumsum(sb)]).astype(int)
    rows = []
    for i, da in enumerate(sa):
        for j, db in enumerate(sb):
            x, y = np.meshgrid(np.arange(da), np.arange(db), indexing="ij")
            rows.append(((oa[i] + x) * nb + ob[j] + y).ravel())
    P = np.zeros((na * nb, na * nb))
    P[np.concatenate(rows), np.arange(na * nb)] = 1.0
    return P
