"""The base of every concrete group: a :class:`Group` that builds its irreps and representations.

:class:`steerable.group.group.Group` only declares what a group offers; this class implements
the representation side of it from the group's primitives (``_irrep_info``,
``_irrep_matrices``, ``_subgroup``...) and the constructions of
:mod:`steerable.group.constructions`.  Imports run one way::

    group -> representation -> irrep -> decompose -> clebsch_gordan -> constructions -> compact
          -> planar / spatial / finite rotation / direct product groups

Everything built here is cached on the instance (``_irreps``, ``_cache``), never in the process.

Example:
    >>> from steerable.group import cyclic_group
    >>> G = cyclic_group(4)
    >>> [G.irrep(*id).size for id in G.regular_representation.irreps]
    [1, 2, 1]
"""
from __future__ import annotations

from typing import Any, Hashable

from . import constructions
from .group import Group
from .homspace import HomSpace
from .irrep import IrreducibleRepresentation
from .representation import Representation

__all__ = ["CompactGroup"]


class CompactGroup(Group):
    """A :class:`Group` with its irreps, regular/quotient/induced/restricted representations and
    tensor products (escnn's ``Group`` API)."""

    # ------------------------------------------------------------------ irreps
    def irrep(self, *id: Any) -> IrreducibleRepresentation:
        """The irreducible representation with identifier ``id`` (cached per group)."""
        key = self._normalise_irrep_id(id)
        if key not in self._irreps:
            info = self._irrep_info(key)  # raises ValueError for a non-existing irrep
            self._irreps[key] = IrreducibleRepresentation(self, key, **info)
        return self._irreps[key]

    def irreps(self) -> list[IrreducibleRepresentation]:
        """All irreps (up to ``maxfreq`` for continuous groups)."""
        return [self.irrep(*i) for i in self._irrep_ids()]

    def irreps_up_to(self, L: int) -> list[IrreducibleRepresentation]:
        """Irreps of frequency ``<= L`` (all irreps of a finite group with that frequency)."""
        return [self.irrep(*i) for i in self.bl_irreps(L)]

    def bl_irreps(self, L: int) -> list[tuple]:
        """The ids of the irreps of frequency ``<= L`` (escnn's band-limited irreps)."""
        if isinstance(L, bool) or not isinstance(L, int) or L < 0:
            raise ValueError(f"band limit L must be an integer >= 0, got {L!r}")
        if self.continuous:
            return self._irrep_ids_up_to(L)
        return [psi.id for psi in self.irreps() if psi.attributes.get("frequency", 0) <= L]

    @property
    def trivial_representation(self) -> IrreducibleRepresentation:
        return self.irrep(*self._trivial_id())

    @property
    def representations(self) -> dict[str, Representation]:
        """The representations built so far, by name: the listed irreps, the regular
        representation of a finite group, and every cached quotient/induced/regular one."""
        out: dict[str, Representation] = {psi.name: psi for psi in self.irreps()}
        out.update({psi.name: psi for psi in self._irreps.values()})
        if not self.continuous:
            out["regular"] = self.regular_representation
        for value in self._cache.values():
            if isinstance(value, Representation):
                out.setdefault(value.name, value)
        return out

    # ------------------------------------------------------------------ representations
    @property
    def regular_representation(self) -> Representation:
        """The regular representation of a finite group (a permutation representation)."""
        return constructions.regular_representation(self)

    def bl_regular_representation(self, L: int) -> Representation:
        """Band-limited regular representation: each irrep of frequency <= L, d/e times."""
        self.bl_irreps(L)  # validates L
        return constructions.bl_regular_representation(self, L)

    def quotient_representation(self, subgroup_id: Hashable, name: str | None = None) -> Representation:
        """The permutation representation on the cosets ``G/H`` of the subgroup ``subgroup_id``."""
        rho = constructions.quotient_representation(self, subgroup_id)
        return rho if name is None else _renamed(rho, name)

    def induced_representation(self, subgroup_id: Hashable, repr: Representation, name: str | None = None) -> Representation:
        """``Ind_H^G repr`` for a subgroup ``H = subgroup(subgroup_id)`` of finite index."""
        if not isinstance(repr, Representation):
            raise TypeError(f"induced_representation needs a Representation of the subgroup, got {type(repr).__name__}")
        rho = constructions.induced_representation(self, subgroup_id, repr)
        return rho if name is None else _renamed(rho, name)

    def restrict_representation(self, id: Hashable, repr: Representation) -> Representation:
        """``Res^G_H repr`` for the subgroup ``id``."""
        if not isinstance(repr, Representation):
            raise TypeError(f"restrict_representation needs a Representation, got {type(repr).__name__}")
        if repr.group != self:
            raise ValueError(f"cannot restrict a representation of {repr.group.name} as one of {self.name}")
        return constructions.restrict_representation(repr, id)

    def homspace(self, id: Hashable) -> HomSpace:
        """The homogeneous space ``G / H`` of the subgroup ``id`` (cached on the group)."""
        key = ("homspace", self._normalise_subgroup_id(id))
        if key not in self._cache:
            self._cache[key] = HomSpace(self, id)
        return self._cache[key]

    def _tensor_product(self, a: Representation, b: Representation, name: str | None = None) -> Representation:
        return constructions.tensor_product(a, b, name)


def _renamed(rho: Representation, name: str) -> Representation:
    return Representation(rho.group, name, rho.irrep_objects, rho.change_of_basis, rho.supported_nonlinearities, rho.attributes)
