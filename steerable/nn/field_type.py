"""Field types: how the channels of a feature map transform.

A :class:`FieldType` is a gspace plus a list of representations ``rho_1, ..., rho_n`` of its
fibre group; a feature map of this type has ``sum_i dim(rho_i)`` channels and transforms as

    (g . f)(x) = rho(g) f(A(g)^-1 x),        rho = rho_1 (+) ... (+) rho_n.

Example:
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.nn import FieldType
    >>> gs = rot2dOnR2(8)
    >>> t = FieldType(gs, 3 * [gs.regular_repr]) + FieldType(gs, [gs.trivial_repr])
    >>> t.size, len(t)
    (25, 4)
"""
from __future__ import annotations

from functools import cached_property
from typing import Hashable, Iterator, Sequence

import numpy as np
import torch
from ..group.linalg import block_diag

from ..group import GroupElement, Representation, directsum
from ..gspaces import GSpace

__all__ = ["FieldType"]


class FieldType:
    """A gspace and the representations of the fields of a feature map."""

    def __init__(self, gspace: GSpace, representations: Sequence[Representation]) -> None:
        if not isinstance(gspace, GSpace):
            raise TypeError(f"expected a GSpace, got {type(gspace).__name__}")
        representations = list(representations)
        if not representations:
            raise ValueError("a FieldType needs at least one representation")
        for r in representations:
            if not isinstance(r, Representation):
                raise TypeError(f"expected Representation objects, got {type(r).__name__}")
            if r.group != gspace.fibergroup:
                raise ValueError(
                    f"representation {r.name} is of group {r.group.name}, but the gspace {gspace.name} "
                    f"has fibre group {gspace.fibergroup.name}"
                )
        self.gspace = gspace
        self.representations = representations
        self.size = int(sum(r.size for r in representations))
        sizes = np.array([r.size for r in representations])
        self.fields_end = np.cumsum(sizes)
        self.fields_start = self.fields_end - sizes

    @property
    def fibergroup(self):
        return self.gspace.fibergroup

    @cached_property
    def representation(self) -> Representation:
        """The direct sum of the fields' representations."""
        return directsum(self.representations, name="+".join(r.name for r in self.representations))

    @property
    def irreps(self) -> list:
        return [psi for r in self.representations for psi in r.irrep_objects]

    @cached_property
    def change_of_basis(self) -> np.ndarray:
        return block_diag(*[r.change_of_basis for r in self.representations])

    @property
    def testing_elements(self) -> list[GroupElement]:
        return self.gspace.testing_elements

    @cached_property
    def uniform(self) -> bool:
        """True iff all fields have the same representation."""
        return all(r == self.representations[0] for r in self.representations)

    def fiber_matrix(self, g: GroupElement) -> np.ndarray:
        """``rho(g)``, block diagonal over the fields."""
        cache: dict = {}
        blocks = []
        for r in self.representations:
            if id(r) not in cache:
                cache[id(r)] = r(g)
            blocks.append(cache[id(r)])
        return block_diag(*blocks)

    def transform(self, tensor: torch.Tensor, g: GroupElement, mode: str = "bilinear") -> torch.Tensor:
        """``rho(g) f(A(g)^-1 x)`` for a tensor ``(batch, size, *spatial)``."""
        if tensor.dim() < 2 or tensor.shape[1] != self.size:
            raise ValueError(f"expected a tensor of shape (batch, {self.size}, ...), got {tuple(tensor.shape)}")
        m = torch.as_tensor(self.fiber_matrix(g), dtype=tensor.dtype, device=tensor.device)
        out = torch.einsum("oc,bc...->bo...", m, tensor)
        if tensor.dim() > 2:
            out = self.gspace.transform_signal(out, g, mode)
        return out

    # ------------------------------------------------------------------ constructions
    def __add__(self, other: "FieldType") -> "FieldType":
        if not isinstance(other, FieldType):
            raise TypeError(f"can only add FieldTypes, got {type(other).__name__}")
        if other.gspace != self.gspace:
            raise ValueError(f"cannot add field types over different gspaces: {self.gspace.name} and {other.gspace.name}")
        return FieldType(self.gspace, self.representations + other.representations)

    def __len__(self) -> int:
        return len(self.representations)

    def __iter__(self) -> Iterator[Representation]:
        return iter(self.representations)

    def index_select(self, indices: Sequence[int]) -> "FieldType":
        """The field type of the fields ``indices`` (in that order)."""
        return FieldType(self.gspace, [self.representations[i] for i in indices])

    def channel_indices(self, field_indices: Sequence[int]) -> torch.Tensor:
        """Channel indices of the given fields, in order."""
        idx = [np.arange(self.fields_start[i], self.fields_end[i]) for i in field_indices]
        return torch.from_numpy(np.concatenate(idx) if idx else np.zeros(0, dtype=np.int64)).long()

    @cached_property
    def _sort_permutation(self) -> list[int]:
        return sorted(range(len(self)), key=lambda i: (self.representations[i].name, i))

    def sorted(self) -> "FieldType":
        """Fields grouped by representation (stable); see ``sort_permutation``."""
        return self.index_select(self._sort_permutation)

    def restrict(self, id: Hashable) -> "FieldType":
        """The same fields seen by the subgroup ``id`` of the fibre group."""
        sub, _, _ = self.gspace.restrict(id)
        cache: dict = {}
        reps = []
        for r in self.representations:
            if id_(r) not in cache:
                cache[id_(r)] = r.restrict(id)
            reps.append(cache[id_(r)])
        return FieldType(sub, reps)

    def group_fields(self) -> dict[Representation, list[int]]:
        """Field indices grouped by representation, in order of first appearance."""
        groups: dict[Representation, list[int]] = {}
        for i, r in enumerate(self.representations):
            groups.setdefault(r, []).append(i)
        return groups

    def __eq__(self, other: object) -> bool:
        if other is self:  # the common case in layer input checks; also keeps torch.compile graphs whole
            return True
        return (
            isinstance(other, FieldType)
            and other.gspace == self.gspace
            and len(other) == len(self)
            and all(a == b for a, b in zip(self.representations, other.representations))
        )

    def __hash__(self) -> int:
        # __eq__ compares representations by content, not by name: hash them the same way
        # (Representation.__hash__), so that equal field types have equal hashes
        return hash((self.gspace.name, tuple(hash(r) for r in self.representations)))

    def __repr__(self) -> str:
        names = [r.name for r in self.representations]
        if len(names) > 6:
            names = names[:3] + ["..."] + names[-2:]
        return f"[{self.gspace.name}: {{{', '.join(names)}}} ({len(self)} fields, {self.size} channels)]"


def id_(r: Representation) -> int:
    return id(r)
