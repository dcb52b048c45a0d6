"""The interface of compact groups and their elements.

A :class:`Group` is a compact group ``G`` whose elements are stored by a canonical
parameter (an ``int`` for ``C_N``, an angle for ``SO(2)``, a unit quaternion for
``SO(3)``...).  This module is the bottom of :mod:`steerable.group`: it imports nothing
else of the package.  Representations, irreps and the constructions built from them
(regular, quotient, induced, restricted, tensor products) sit above it and are reached
through the abstract methods declared here, implemented by
:class:`steerable.group.compact.CompactGroup`, the base of every concrete group.

Properties guaranteed by every group::

    (g @ h) @ k == g @ (h @ k),   g @ ~g == G.identity,   G.element(g.to(p), p) == g

Example:
    >>> from steerable.group import cyclic_group
    >>> G = cyclic_group(4)
    >>> g = G.element(1)
    >>> (g @ g @ g @ g) == G.identity
    True
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, Callable, Hashable, Iterable, Sequence

import numpy as np

if TYPE_CHECKING:  # annotations only: the classes live above this module
    from .irrep import IrreducibleRepresentation
    from .representation import Representation

__all__ = ["Group", "GroupElement", "SubgroupTriple"]


class GroupElement:
    """An element of a :class:`Group`, stored by the group's canonical parameter.

    Supports ``g @ h`` (composition), ``~g`` (inverse), ``==`` and hashing.
    """

    __slots__ = ("group", "value", "_key")

    def __init__(self, group: "Group", value: Any) -> None:
        self.group = group
        self.value = value
        self._key = group._hash_key(value)

    def __matmul__(self, other: "GroupElement") -> "GroupElement":
        if not isinstance(other, GroupElement):
            # not ours to handle: lets ``g @ x`` reach ``x.__rmatmul__`` (e.g. a GeometricTensor);
            # Python raises a TypeError naming both operand types when nobody handles it
            return NotImplemented
        if other.group != self.group:
            raise ValueError(
                f"cannot compose elements of different groups: {self.group.name} and {other.group.name}"
            )
        return GroupElement(self.group, self.group._combine(self.value, other.value))

    def __invert__(self) -> "GroupElement":
        return GroupElement(self.group, self.group._inverse(self.value))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GroupElement):
            return NotImplemented
        return self.group == other.group and self.group._equal(self.value, other.value)

    def __hash__(self) -> int:
        return hash((self.group.name, self._key))

    def to(self, param: str) -> Any:
        """This element in the parametrisation ``param`` (see ``Group.parametrisations``)."""
        return self.group._to_param(self.value, param)

    @property
    def param(self) -> str:
        return self.group.parametrisations[0]

    def __repr__(self) -> str:
        return f"{self.group.name}[{self.group._repr_value(self.value)}]"


SubgroupTriple = tuple["Group", Callable[[GroupElement], GroupElement], Callable[[GroupElement], "GroupElement | None"]]


class Group(ABC):
    """A compact group: elements, subgroups and the representation interface.

    Subclasses implement the primitive operations on canonical parameter values
    (``_combine``, ``_inverse``, ``_canonical``, ``_equal``, ``_hash_key``, ``_from_param``,
    ``_to_param``, ``_irrep_matrix``, ``_irrep_ids``) and the subgroup table
    (``_subgroup``).  Two groups compare equal iff they are of the same kind with the same
    ``name`` (the name spells the constructor arguments that change the group, so equality
    is by value and survives ``pickle``/``torch.save``).  Caches live on the instance
    (``_cache``), never in the process.
    """

    #: parametrisation names accepted by :meth:`element` and :meth:`GroupElement.to`;
    #: the first one is the canonical parametrisation.
    parametrisations: tuple[str, ...] = ()
    #: whether the group is a continuous (Lie) group.
    continuous: bool = False

    def __init__(self, name: str, maxfreq: int | None = None) -> None:
        self.name = name
        self.maxfreq = maxfreq
        self._irreps: dict[tuple, "IrreducibleRepresentation"] = {}
        self._subgroups: dict[Hashable, SubgroupTriple] = {}
        # caches of numerical constructions; per group instance, never global
        self._cache: dict[Hashable, Any] = {}

    # ------------------------------------------------------------------ elements
    def element(self, value: Any, param: str | None = None) -> GroupElement:
        """Build an element from ``value`` given in parametrisation ``param`` (default: canonical)."""
        param = self.parametrisations[0] if param is None else param
        if param not in self.parametrisations:
            raise ValueError(
                f"{self.name} has no parametrisation {param!r}; expected one of {self.parametrisations}"
            )
        try:
            canonical = self._canonical(self._from_param(value, param))
        except (TypeError, ValueError, IndexError) as err:
            # malformed values (wrong type/length, non-numbers) surface as ValueError with context
            raise ValueError(f"invalid {self.name} element {value!r} in parametrisation {param!r}: {err}") from err
        return GroupElement(self, canonical)

    @property
    def PARAM(self) -> str:
        """The canonical parametrisation (escnn's name for ``parametrisations[0]``)."""
        return self.parametrisations[0]

    @property
    def identity(self) -> GroupElement:
        return GroupElement(self, self._identity_value())

    @property
    def elements(self) -> list[GroupElement] | None:
        """All elements of a finite group; ``None`` for a continuous group."""
        return None

    def order(self) -> int:
        """Number of elements; -1 for continuous groups."""
        return -1 if self.continuous else len(self.elements)

    @property
    def generators(self) -> list[GroupElement]:
        """Elements generating a dense subgroup: constraints imposed on them hold on all of G."""
        raise NotImplementedError

    def sample(self, rng: np.random.Generator | int | None = None) -> GroupElement:
        """A Haar-random element (seeded by ``rng``)."""
        rng = np.random.default_rng(rng)
        return GroupElement(self, self._canonical(self._sample_value(rng)))

    def grid(self, kind: str = "regular", N: int | None = None, **kwargs: Any) -> list[GroupElement]:
        """A grid of elements; finite groups return all elements for ``kind='regular'``."""
        if not self.continuous and kind in ("regular", "all"):
            return self.elements
        raise ValueError(f"{self.name} has no grid of kind {kind!r}")

    def testing_elements(self) -> list[GroupElement]:
        """A small set of elements for tests: all elements of a finite group, a grid otherwise."""
        if not self.continuous:
            return self.elements
        return self.grid("regular", 8) if "regular" in self.grid_kinds else self.grid("rand", 8)

    grid_kinds: tuple[str, ...] = ("regular",)

    def _check_element(self, g: Any) -> GroupElement:
        if not isinstance(g, GroupElement):
            raise TypeError(f"expected an element of {self.name}, got {type(g).__name__}")
        if g.group != self:
            raise ValueError(f"expected an element of {self.name}, got an element of {g.group.name}")
        return g

    def elements_from(self, values: Iterable[Any], param: str | None = None) -> list[GroupElement]:
        return [self.element(v, param) for v in values]

    # ------------------------------------------------------------------ irreps (interface)
    @abstractmethod
    def irrep(self, *id: Any) -> "IrreducibleRepresentation":
        """The irreducible representation with identifier ``id`` (cached per group)."""

    @abstractmethod
    def irreps(self) -> list["IrreducibleRepresentation"]:
        """All irreps (up to ``maxfreq`` for continuous groups)."""

    @property
    @abstractmethod
    def trivial_representation(self) -> "IrreducibleRepresentation": ...

    def _normalise_irrep_id(self, id: tuple) -> tuple:
        if len(id) == 1 and isinstance(id[0], tuple):
            id = id[0]
        try:
            key = tuple(int(i) for i in id)
            ok = all(k == i for k, i in zip(key, id))  # rejects 1.5 and '1' (int() would truncate/parse)
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValueError(f"irrep ids of {self.name} are integers, got {id!r}")
        return key

    def _irrep_ids_up_to(self, L: int) -> list[tuple]:
        return self._irrep_ids()

    # ------------------------------------------------------------------ subgroups
    def subgroup(self, id: Hashable) -> SubgroupTriple:
        """``(H, inclusion, restriction)`` for the subgroup with identifier ``id``.

        ``inclusion`` maps elements of ``H`` to elements of this group; ``restriction``
        maps an element of this group to the corresponding element of ``H`` (or ``None``
        if it does not lie in ``H``).  Raises ``ValueError`` for an invalid ``id``.
        """
        key = self._normalise_subgroup_id(id)
        if key not in self._subgroups:
            self._subgroups[key] = self._subgroup(key)
        return self._subgroups[key]

    @property
    def subgroup_self_id(self) -> Hashable:
        """The id of the group itself in :meth:`subgroup` (escnn's name)."""
        raise ValueError(f"{self.name} does not name itself as a subgroup")

    @property
    def subgroup_trivial_id(self) -> Hashable:
        """The id of the trivial subgroup ``{e}`` in :meth:`subgroup` (escnn's name)."""
        raise ValueError(f"{self.name} does not name its trivial subgroup")

    def _normalise_subgroup_id(self, id: Hashable) -> Hashable:
        return id

    @abstractmethod
    def _subgroup(self, id: Hashable) -> SubgroupTriple: ...

    # ------------------------------------------------------------------ representations (interface)
    @property
    @abstractmethod
    def regular_representation(self) -> "Representation": ...

    @abstractmethod
    def quotient_representation(self, subgroup_id: Hashable, name: str | None = None) -> "Representation": ...

    @abstractmethod
    def induced_representation(self, subgroup_id: Hashable, repr: "Representation", name: str | None = None) -> "Representation": ...

    @abstractmethod
    def restrict_representation(self, id: Hashable, repr: "Representation") -> "Representation":
        """``Res^G_H repr`` for the subgroup ``id`` (escnn's signature: subgroup id first)."""

    @abstractmethod
    def _tensor_product(self, a: "Representation", b: "Representation", name: str | None = None) -> "Representation":
        """``a (x) b`` decomposed into irreps."""

    # ------------------------------------------------------------------ primitives
    @abstractmethod
    def _identity_value(self) -> Any: ...

    @abstractmethod
    def _combine(self, a: Any, b: Any) -> Any: ...

    @abstractmethod
    def _inverse(self, a: Any) -> Any: ...

    @abstractmethod
    def _canonical(self, a: Any) -> Any: ...

    @abstractmethod
    def _equal(self, a: Any, b: Any) -> bool: ...

    @abstractmethod
    def _hash_key(self, a: Any) -> Hashable: ...

    @abstractmethod
    def _from_param(self, value: Any, param: str) -> Any: ...

    @abstractmethod
    def _to_param(self, value: Any, param: str) -> Any: ...

    @abstractmethod
    def _sample_value(self, rng: np.random.Generator) -> Any: ...

    @abstractmethod
    def _irrep_ids(self) -> list[tuple]: ...

    @abstractmethod
    def _trivial_id(self) -> tuple: ...

    @abstractmethod
    def _irrep_info(self, id: tuple) -> dict[str, Any]:
        """``dict(size=.., type='R'|'C'|'H', attributes=..)``; ValueError if no such irrep."""

    @abstractmethod
    def _irrep_matrix(self, id: tuple, value: Any) -> np.ndarray: ...

    def _irrep_matrices(self, id: tuple, values: Sequence[Any]) -> np.ndarray:
        """Batched irrep matrices; groups override this with a vectorised version."""
        return np.stack([self._irrep_matrix(id, v) for v in values])

    def _repr_value(self, value: Any) -> str:
        return repr(value)

    def _closed_form_tensor(self, id_a: tuple, id_b: tuple) -> tuple[list[tuple], np.ndarray] | None:
        """``(irrep ids, Q)`` of ``psi_a (x) psi_b`` in closed form, or ``None``: decompose numerically."""
        return None

    # Lie-algebra data, for continuous groups: matrices of d(psi)(X_a) for a basis X_a of
    # the Lie algebra of the identity component.  Used to split representations into
    # isotypic components through the Casimir operator.
    def _irrep_lie_algebra(self, id: tuple) -> list[np.ndarray]:
        return []

    def _lie_algebra_dim(self) -> int:
        return 0

    def _lie_exp(self, a: int, t: float) -> GroupElement:
        """``exp(t X_a)`` for the a-th Lie algebra basis element."""
        raise ValueError(f"{self.name} has no Lie algebra")

    def _restricted_lie_algebra(self, subgroup_id: Hashable, psi: "IrreducibleRepresentation") -> list[np.ndarray] | None:
        """``d psi`` on the Lie algebra of a continuous subgroup; ``None``: finite differences."""
        return None

    def _restricted_irrep(self, subgroup_id: Hashable, psi: "IrreducibleRepresentation") -> tuple[list, np.ndarray] | None:
        """``Res psi`` in closed form, ``(irreps of H, Q)``, where the group knows it; ``None``: decompose numerically."""
        return None

    def _irreps_with_casimir(self, c: float) -> list["IrreducibleRepresentation"]:
        """Irreps on which the Casimir ``-sum_a d psi(X_a)^2`` acts as the scalar ``c``."""
        raise ValueError(f"{self.name} has no Casimir operator")

    def _irrep_sort_key(self, id: tuple) -> tuple:
        return tuple(reversed(id))

    # ------------------------------------------------------------------ value semantics
    def __eq__(self, other: object) -> bool:
        return isinstance(other, Group) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return self.name
