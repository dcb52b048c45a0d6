"""Real orthogonal representations of compact groups, always stored decomposed into irreps.

Every :class:`Representation` ``rho`` of a group ``G`` is stored as a list of irreps
``psi_1, ..., psi_n`` and an orthogonal change of basis ``Q``::

    rho(g) = Q  (psi_1(g) (+) ... (+) psi_n(g))  Q^T          (Q^T Q = I)

Direct sums, tensor products, restrictions, regular, quotient and induced
representations all reduce to this one model, so layers only ever need the irreps
and ``Q``.

Example:
    >>> from steerable.group import so2_group, directsum
    >>> G = so2_group(4)
    >>> rho = directsum([G.irrep(0), G.irrep(2)])
    >>> rho.size
    3
"""
from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any, Hashable, Sequence

import numpy as np
from .linalg import block_diag

from .group import Group, GroupElement

if TYPE_CHECKING:
    from .irrep import IrreducibleRepresentation

__all__ = ["Representation", "directsum", "change_basis", "tensor_product"]

_ORTHO_TOL = 1e-8


class Representation:
    """A real orthogonal representation ``rho(g) = Q (+)_i psi_i(g) Q^T``.

    Args:
        group: the group ``G``.
        name: a readable name (used in ``repr`` and by layers to label fields).
        irreps: the irreps ``psi_i`` of ``G``, in order.
        change_of_basis: the orthogonal ``Q`` (``size x size``); identity if ``None``.
        supported_nonlinearities: names of nonlinearities that commute with ``rho``
            (``'pointwise'`` for permutation representations, ``'norm'``, ``'gated'``...).
        attributes: free-form metadata.
    """

    def __init__(
        self,
        group: Group,
        name: str,
        irreps: Sequence["IrreducibleRepresentation"],
        change_of_basis: np.ndarray | None = None,
        supported_nonlinearities: Sequence[str] = (),
        attributes: dict[str, Any] | None = None,
    ) -> None:
        from .irrep import IrreducibleRepresentation

        if not isinstance(group, Group):
            raise TypeError(f"expected a Group, got {type(group).__name__}")
        for psi in irreps:
            if not isinstance(psi, IrreducibleRepresentation):
                raise TypeError(f"expected IrreducibleRepresentation, got {type(psi).__name__}")
            if psi.group != group:
                raise ValueError(f"irrep {psi.name} belongs to {psi.group.name}, not to {group.name}")
        self.group = group
        self.name = name
        self.irreps: list[IrreducibleRepresentation] = list(irreps)
        self.size = int(sum(psi.size for psi in self.irreps))
        if change_of_basis is None:
            change_of_basis = np.eye(self.size)
        change_of_basis = np.asarray(change_of_basis, dtype=np.float64)
        if change_of_basis.shape != (self.size, self.size):
            raise ValueError(
                f"change of basis of {name} must have shape {(self.size, self.size)}, "
                f"got {change_of_basis.shape}"
            )
        err = np.abs(change_of_basis.T @ change_of_basis - np.eye(self.size)).max(initial=0.0)
        if err > _ORTHO_TOL:
            raise ValueError(
                f"change of basis of {name} must be orthogonal (Q^T Q = I); max deviation {err:.2e}"
            )
        self.change_of_basis = change_of_basis
        self.change_of_basis_inv = change_of_basis.T
        self.supported_nonlinearities = set(supported_nonlinearities)
        self.attributes = dict(attributes or {})

    # ------------------------------------------------------------------ evaluation
    def __call__(self, g: GroupElement) -> np.ndarray:
        """The matrix ``rho(g)`` (float64, a fresh array)."""
        self.group._check_element(g)
        blocks = [psi._matrix(g.value) for psi in self.irreps]
        return self._conjugate(block_diag(*blocks))

    def matrices(self, elements: Sequence[GroupElement]) -> np.ndarray:
        """``rho(g)`` for many elements, shape ``(len(elements), size, size)``."""
        for g in elements:
            self.group._check_element(g)
        values = [g.value for g in elements]
        out = np.zeros((len(values), self.size, self.size))
        p = 0
        cache: dict[tuple, np.ndarray] = {}
        for psi in self.irreps:
            if psi.id not in cache:
                cache[psi.id] = self.group._irrep_matrices(psi.id, values)
            out[:, p : p + psi.size, p : p + psi.size] = cache[psi.id]
            p += psi.size
        if self._is_identity_basis:
            return out
        return self.change_of_basis @ out @ self.change_of_basis_inv

    def _conjugate(self, m: np.ndarray) -> np.ndarray:
        if self._is_identity_basis:
            return m
        return self.change_of_basis @ m @ self.change_of_basis_inv

    @cached_property
    def _is_identity_basis(self) -> bool:
        return bool(np.array_equal(self.change_of_basis, np.eye(self.size)))

    def character(self, g: GroupElement) -> float:
        """``chi(g) = tr rho(g)`` (basis independent: the sum of the irreps' characters)."""
        self.group._check_element(g)
        return float(sum(np.trace(psi._matrix(g.value)) for psi in self.irreps))

    def lie_algebra(self) -> list[np.ndarray]:
        """``d rho(X_a)`` for a basis of the Lie algebra of the identity component (empty if finite)."""
        gens = [self.group._irrep_lie_algebra(psi.id) for psi in self.irreps]
        n = len(gens[0]) if gens else 0
        return [self._conjugate(block_diag(*[g[a] for g in gens])) for a in range(n)]

    # ------------------------------------------------------------------ properties
    def is_trivial(self) -> bool:
        """True iff every irrep is the trivial one (then ``rho(g) = I`` for all ``g``)."""
        t = self.group._trivial_id()
        return all(psi.id == t for psi in self.irreps)

    @cached_property
    def is_permutation(self) -> bool:
        """True iff every ``rho(g)`` is a permutation matrix (checked on generators).

        Pointwise nonlinearities commute with exactly these representations.
        """
        if self.attributes.get("permutation") is not None:
            return bool(self.attributes["permutation"])
        if self.group.continuous:
            return self.is_trivial()
        for g in self.group.generators:
            m = self(g)
            r = np.round(m)
            if np.abs(m - r).max() > 1e-8 or not _is_permutation_matrix(r):
                return False
        return True

    def multiplicity(self, irrep_id: Hashable) -> int:
        key = self.group._normalise_irrep_id(irrep_id if isinstance(irrep_id, tuple) else (irrep_id,))
        return sum(1 for psi in self.irreps if psi.id == key)

    @property
    def irrep_ids(self) -> list[tuple]:
        return [psi.id for psi in self.irreps]

    # ------------------------------------------------------------------ constructions
    def __add__(self, other: "Representation") -> "Representation":
        return directsum([self, other])

    def tensor(self, other: "Representation") -> "Representation":
        return tensor_product(self, other)

    def restrict(self, subgroup_id: Hashable) -> "Representation":
        """``Res^G_H rho``: this representation restricted to the subgroup ``subgroup_id``."""
        from .constructions import restrict_representation

        return restrict_representation(self, subgroup_id)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Representation)
            and other.group == self.group
            and other.irrep_ids == self.irrep_ids
            and other.size == self.size
            and np.allclose(other.change_of_basis, self.change_of_basis, atol=1e-9)
        )

    def __hash__(self) -> int:
        # only what __eq__ compares exactly (the name is not compared): equal => equal hashes
        return hash((self.group.name, tuple(self.irrep_ids)))

    def __repr__(self) -> str:
        return f"{self.group.name}|[{self.name}]:{self.size}"


def _is_permutation_matrix(m: np.ndarray) -> bool:
    return bool(
        np.all((m == 0) | (m == 1)) and np.all(m.sum(axis=0) == 1) and np.all(m.sum(axis=1) == 1)
    )


def directsum(reprs: Sequence[Representation], name: str | None = None) -> Representation:
    """``rho_1 (+) ... (+) rho_n`` with block-diagonal change of basis."""
    reprs = list(reprs)
    if not reprs:
        raise ValueError("directsum needs at least one representation")
    group = reprs[0].group
    for r in reprs:
        if not isinstance(r, Representation):
            raise TypeError(f"expected Representation, got {type(r).__name__}")
        if r.group != group:
            raise ValueError(f"cannot sum representations of {group.name} and {r.group.name}")
    irreps = [psi for r in reprs for psi in r.irreps]
    Q = block_diag(*[r.change_of_basis for r in reprs])
    common = set.intersection(*[r.supported_nonlinearities for r in reprs])
    perm = all(r.is_permutation for r in reprs) if not group.continuous else None
    attrs = {"permutation": perm} if perm is not None else {}
    name = name or "+".join(r.name for r in reprs)
    return Representation(group, name, irreps, Q, common, attrs)


def change_basis(rho: Representation, Q: np.ndarray, name: str, supported_nonlinearities: Sequence[str] = ()) -> Representation:
    """The representation ``Q rho(g) Q^T`` for an orthogonal ``Q``."""
    Q = np.asarray(Q, dtype=np.float64)
    if Q.shape != (rho.size, rho.size):
        raise ValueError(f"change of basis must have shape {(rho.size, rho.size)}, got {Q.shape}")
    if np.abs(Q.T @ Q - np.eye(rho.size)).max() > _ORTHO_TOL:
        raise ValueError("change of basis must be orthogonal (Q^T Q = I)")
    return Representation(rho.group, name, rho.irreps, Q @ rho.change_of_basis, supported_nonlinearities)


def tensor_product(a: Representation, b: Representation, name: str | None = None) -> Representation:
    """``a (x) b``, decomposed into irreps: ``(a (x) b)(g) = kron(a(g), b(g))``.

    Built from the Clebsch-Gordan decompositions of the pairs of irreps of ``a`` and ``b``.
    """
    from .clebsch_gordan import decompose_irreps_tensor

    if a.group != b.group:
        raise ValueError(f"cannot tensor representations of {a.group.name} and {b.group.name}")
    irreps: list = []
    blocks = []
    for psi_a in a.irreps:
        for psi_b in b.irreps:
            out_irreps, Qab = decompose_irreps_tensor(psi_a, psi_b)
            irreps.extend(out_irreps)
            blocks.append(Qab)
    # kron(Qa D_a Qa^T, Qb D_b Qb^T) = (Qa x Qb) kron(D_a, D_b) (Qa x Qb)^T, and
    # kron(D_a, D_b) is a permutation P of the block diagonal of pairwise krons.
    P = _kron_block_permutation([p.size for p in a.irreps], [p.size for p in b.irreps])
    Q = np.kron(a.change_of_basis, b.change_of_basis) @ P @ block_diag(*blocks)
    perm = (a.is_permutation and b.is_permutation) if not a.group.continuous else None
    attrs = {"permutation": perm} if perm is not None else {}
    nl = {"pointwise"} if perm else set()
    return Representation(a.group, name or f"({a.name})x({b.name})", irreps, Q, nl, attrs)


def _kron_block_permutation(sa: Sequence[int], sb: Sequence[int]) -> np.ndarray:
    """Permutation ``P`` with ``kron(diag(A_i), diag(B_j)) = P diag_{(i,j)}(kron(A_i, B_j)) P^T``."""
    na, nb = sum(sa), sum(sb)
    oa = np.concatenate([[0], np.cumsum(sa)])
    ob = np.concatenate([[0], np.cumsum(sb)])
    P = np.zeros((na * nb, na * nb))
    col = 0
    for i, da in enumerate(sa):
        for j, db in enumerate(sb):
            for x in range(da):
                for y in range(db):
                    P[(oa[i] + x) * nb + ob[j] + y, col] = 1.0
                    col += 1
    return P
