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

from .group import Group, GroupElement
from .linalg import block_diag

if TYPE_CHECKING:  # annotations only: irreps are a subclass defined above this module
    from .irrep import IrreducibleRepresentation

__all__ = ["Representation", "directsum", "change_basis"]

_ORTHO_TOL = 1e-8


class Representation:
    """A real orthogonal representation ``rho(g) = Q (+)_i psi_i(g) Q^T``.

    Args:
        group: the group ``G``.
        name: a readable name (used in ``repr`` and by layers to label fields).
        irreps: the irreps ``psi_i`` of ``G`` in order, as ids (escnn's form, e.g. ``[(0,), (1,)]``)
            or as :class:`IrreducibleRepresentation` objects.
        change_of_basis: the orthogonal ``Q`` (``size x size``); identity if ``None``.
        supported_nonlinearities: names of nonlinearities that commute with ``rho``
            (``'pointwise'`` for permutation representations, ``'norm'``, ``'gated'``...).
        attributes: free-form metadata (escnn's extra keyword arguments land here too).
        change_of_basis_inv: optional ``Q^{-1}``; must equal ``Q^T``.
        representation, character: accepted for escnn compatibility; the matrices are always
            computed from the irreps and ``Q``.

    Attributes:
        irreps: the irrep **ids** (as in escnn: ``[G.irrep(*id) for id in rho.irreps]``).
        irrep_objects: the irreps as :class:`IrreducibleRepresentation` objects.

    Example:
        >>> from steerable.group import cyclic_group
        >>> G = cyclic_group(4)
        >>> rho = Representation(G, "two", [(0,), (1,)], None)
        >>> rho.irreps, rho.size
        ([(0,), (1,)], 3)
    """

    def __init__(
        self,
        group: Group,
        name: str,
        irreps: Sequence[Any],
        change_of_basis: np.ndarray | None = None,
        supported_nonlinearities: Sequence[str] = (),
        attributes: dict[str, Any] | None = None,
        representation: Any = None,
        character: Any = None,
        change_of_basis_inv: np.ndarray | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(group, Group):
            raise TypeError(f"expected a Group, got {type(group).__name__}")
        self.group = group
        self.name = name
        objects = [_as_irrep(group, psi) for psi in irreps]
        self.irreps: list[tuple] = [psi.id for psi in objects]
        self.__dict__["irrep_objects"] = objects  # seeds the cached property
        self.size = int(sum(psi.size for psi in objects))
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
        if change_of_basis_inv is not None:
            inv = np.asarray(change_of_basis_inv, dtype=np.float64)
            if inv.shape != change_of_basis.shape or np.abs(inv - change_of_basis.T).max() > 1e-6:
                raise ValueError(f"change_of_basis_inv of {name} must be the inverse (= transpose) of change_of_basis")
        self.change_of_basis = change_of_basis
        self.change_of_basis_inv = change_of_basis.T
        self.supported_nonlinearities = set(supported_nonlinearities)
        self.attributes = dict(attributes or {})
        self.attributes.update(kwargs)

    @cached_property
    def irrep_objects(self) -> list["IrreducibleRepresentation"]:
        """The irreps ``psi_i`` as objects, in order (``[G.irrep(*id) for id in self.irreps]``)."""
        return [self.group.irrep(*id) for id in self.irreps]

    # ------------------------------------------------------------------ evaluation
    def __call__(self, g: GroupElement) -> np.ndarray:
        """The matrix ``rho(g)`` (float64, a fresh array)."""
        self.group._check_element(g)
        blocks = [psi._matrix(g.value) for psi in self.irrep_objects]
        return self._conjugate(block_diag(*blocks))

    def matrices(self, elements: Sequence[GroupElement]) -> np.ndarray:
        """``rho(g)`` for many elements, shape ``(len(elements), size, size)``."""
        for g in elements:
            self.group._check_element(g)
        values = [g.value for g in elements]
        out = np.zeros((len(values), self.size, self.size))
        p = 0
        cache: dict[tuple, np.ndarray] = {}
        for psi in self.irrep_objects:
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
        return float(sum(np.trace(psi._matrix(g.value)) for psi in self.irrep_objects))

    def lie_algebra(self) -> list[np.ndarray]:
        """``d rho(X_a)`` for a basis of the Lie algebra of the identity component (empty if finite)."""
        gens = [self.group._irrep_lie_algebra(id) for id in self.irreps]
        n = len(gens[0]) if gens else 0
        return [self._conjugate(block_diag(*[g[a] for g in gens])) for a in range(n)]

    def endomorphism_basis(self) -> np.ndarray:
        """A basis ``(n, size, size)`` of ``End(rho) = {E : E rho(g) = rho(g) E for all g}``.

        Closed form (Schur): in the irrep basis an endomorphism maps the ``a``-th copy of
        ``psi`` to the ``b``-th copy by an element of ``End(psi)`` and is zero between
        inequivalent irreps, so ``End(rho) = Q (span_{psi, a, b, k} E_ab (x) B_k) Q^T``
        with ``B_k`` the basis of ``End(psi)``; ``n = sum_psi m_psi^2 e_psi``.  Orthonormal in
        the Frobenius inner product scaled by ``1/d_psi`` per block.
        """
        offsets = np.concatenate([[0], np.cumsum([psi.size for psi in self.irrep_objects])]).astype(int)
        by_id: dict[tuple, list[int]] = {}
        for i, id in enumerate(self.irreps):
            by_id.setdefault(id, []).append(i)
        bases = {id: self.irrep_objects[c[0]].endomorphism_basis() for id, c in by_id.items()}
        n = sum(len(c) ** 2 * bases[id].shape[0] for id, c in by_id.items())
        out = np.zeros((n, self.size, self.size))  # one allocation: these bases get large
        i = 0
        identity = self._is_identity_basis
        for id, copies in by_id.items():
            B = bases[id]
            e, d = B.shape[0], B.shape[1]
            m = len(copies)
            if identity:
                for a in copies:
                    for b in copies:
                        out[i : i + e, offsets[a] : offsets[a] + d, offsets[b] : offsets[b] + d] = B
                        i += e
                continue
            # each element E_ab (x) B_k is a rank-d block, so Q E Q^-1 = Q[:, a] B_k Q^-1[b, :]: the cost is
            # n size^2 d instead of the n size^3 of conjugating the full matrices
            cols = np.concatenate([np.arange(offsets[a], offsets[a] + d) for a in copies])
            L = self.change_of_basis[:, cols].reshape(self.size, m, d).transpose(1, 0, 2)  # (m, size, d)
            R = self.change_of_basis_inv[cols, :].reshape(m, d, self.size)  # (m, d, size)
            LB = L[:, None] @ B[None]  # (m, e, size, d)
            out[i : i + m * m * e] = (LB[:, None] @ R[None, :, None]).reshape(m * m * e, self.size, self.size)
            i += m * m * e
        return out

    # ------------------------------------------------------------------ properties
    def is_trivial(self) -> bool:
        """True iff every irrep is the trivial one (then ``rho(g) = I`` for all ``g``)."""
        t = self.group._trivial_id()
        return all(id == t for id in self.irreps)

    def contains_trivial(self) -> bool:
        """True iff the trivial irrep occurs in ``rho`` (``rho`` has invariant vectors)."""
        return self.group._trivial_id() in self.irreps

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
        """How often the irrep ``irrep_id`` occurs in ``rho``."""
        key = self.group._normalise_irrep_id(irrep_id if isinstance(irrep_id, tuple) else (irrep_id,))
        return sum(1 for id in self.irreps if id == key)

    @property
    def irrep_ids(self) -> list[tuple]:
        """The irrep ids (same as :attr:`irreps`)."""
        return list(self.irreps)

    # ------------------------------------------------------------------ constructions
    def __add__(self, other: "Representation") -> "Representation":
        return directsum([self, other])

    def tensor(self, other: "Representation") -> "Representation":
        """``rho (x) other``, decomposed into irreps."""
        if not isinstance(other, Representation):
            raise TypeError(f"can only tensor with a Representation, got {type(other).__name__}")
        return self.group._tensor_product(self, other)

    def restrict(self, id: Hashable) -> "Representation":
        """``Res^G_H rho``: this representation restricted to the subgroup ``id``."""
        return self.group.restrict_representation(id, self)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Representation)
            and other.group == self.group
            and other.irreps == self.irreps
            and other.size == self.size
            and np.allclose(other.change_of_basis, self.change_of_basis, atol=1e-9)
        )

    def __hash__(self) -> int:
        # only what __eq__ compares exactly (the name is not compared): equal => equal hashes
        return hash((self.group.name, tuple(self.irreps)))

    def __getstate__(self) -> dict[str, Any]:
        # the irrep objects are rebuilt from the ids (and the group's own cache) after unpickling
        state = dict(self.__dict__)
        state.pop("irrep_objects", None)
        state.pop("_is_identity_basis", None)
        return state

    def __repr__(self) -> str:
        return f"{self.group.name}|[{self.name}]:{self.size}"


def _as_irrep(group: Group, psi: Any) -> "IrreducibleRepresentation":
    """An irrep given as an object or as an id (tuple or int), checked to belong to ``group``."""
    if isinstance(psi, Representation):
        if getattr(psi, "id", None) is None or len(psi.irreps) != 1:
            raise TypeError(f"irreps must be irreducible representations or irrep ids; got the representation {psi!r}")
        if psi.group != group:
            raise ValueError(f"irrep {psi.name} belongs to {psi.group.name}, not to {group.name}")
        return psi  # type: ignore[return-value]
    if isinstance(psi, (tuple, int, np.integer)):
        return group.irrep(*(psi if isinstance(psi, tuple) else (psi,)))
    raise TypeError(f"expected an IrreducibleRepresentation or an irrep id of {group.name}, got {type(psi).__name__}")


def _is_permutation_matrix(m: np.ndarray) -> bool:
    return bool(
        np.all((m == 0) | (m == 1)) and np.all(m.sum(axis=0) == 1) and np.all(m.sum(axis=1) == 1)
    )


def directsum(
    reprs: Sequence[Representation], change_of_basis: np.ndarray | None = None, name: str | None = None
) -> Representation:
    """Direct sum of ``reprs``: ``Q diag(rho_1, …, rho_n) Q^T`` (escnn's signature); ``Q = I`` if ``change_of_basis`` is None.

    Example:
        >>> from steerable.group import so2_group
        >>> G = so2_group(2)
        >>> directsum([G.irrep(0), G.irrep(2)]).irreps
        [(0,), (2,)]
    """
    if isinstance(change_of_basis, str):  # the older positional form directsum(reprs, name)
        change_of_basis, name = None, change_of_basis
    reprs = list(reprs)
    if not reprs:
        raise ValueError("directsum needs at least one representation")
    group = reprs[0].group
    for r in reprs:
        if not isinstance(r, Representation):
            raise TypeError(f"expected Representation, got {type(r).__name__}")
        if r.group != group:
            raise ValueError(f"cannot sum representations of {group.name} and {r.group.name}")
    irreps = [psi for r in reprs for psi in r.irrep_objects]
    Q = block_diag(*[r.change_of_basis for r in reprs])
    common = set.intersection(*[r.supported_nonlinearities for r in reprs])
    perm = all(r.is_permutation for r in reprs) if not group.continuous else None
    attrs = {"permutation": perm} if perm is not None else {}
    name = name or "+".join(r.name for r in reprs)
    if change_of_basis is not None:
        Q = np.asarray(change_of_basis, dtype=np.float64) @ Q
        common, attrs = set(), {}  # a generic basis change keeps neither pointwise maps nor permutations
    return Representation(group, name, irreps, Q, common, attrs)


def change_basis(repr: Representation, change_of_basis: np.ndarray, name: str,
                 supported_nonlinearities: Sequence[str] | None = None) -> Representation:
    """The representation ``Q repr(g) Q^T`` for an orthogonal ``Q = change_of_basis`` (escnn's signature).

    ``supported_nonlinearities`` defaults to none (a change of basis generally breaks pointwise ones).
    """
    Q = np.asarray(change_of_basis, dtype=np.float64)
    if Q.shape != (repr.size, repr.size):
        raise ValueError(f"change of basis must have shape {(repr.size, repr.size)}, got {Q.shape}")
    if np.abs(Q.T @ Q - np.eye(repr.size)).max() > _ORTHO_TOL:
        raise ValueError("change of basis must be orthogonal (Q^T Q = I)")
    return Representation(repr.group, name, repr.irrep_objects, Q @ repr.change_of_basis, supported_nonlinearities or ())
