"""Field types, and the tensors typed by them: how the channels of a feature map transform.

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

A :class:`GeometricTensor` is a tensor together with its field type (``t(x)`` wraps ``x``);
both live here because each refers to the other.
"""
from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any, Hashable, Iterator, Sequence

import numpy as np
import torch
from ..group.linalg import block_diag

from ..group import GroupElement, Representation, directsum

if TYPE_CHECKING:  # annotations only: gspace.py imports this module for GSpace.type
    from .gspace import GSpace

__all__ = ["FieldType", "GeometricTensor", "tensor_directsum"]


class FieldType:
    """A gspace and the representations of the fields of a feature map."""

    def __init__(self, gspace: GSpace, representations: Sequence[Representation]) -> None:
        # a structural check: every GSpace has a fibre group and a dimensionality (this module
        # sits below gspace.py, which builds field types in GSpace.type)
        if not (hasattr(gspace, "fibergroup") and hasattr(gspace, "dimensionality")):
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

    def __call__(self, tensor: torch.Tensor, coords: torch.Tensor | None = None) -> "GeometricTensor":
        """Wrap ``tensor`` (and optional point ``coords``) as a ``GeometricTensor`` of this type:
        ``in_type(x)`` is ``GeometricTensor(x, in_type)``."""
        return GeometricTensor(tensor, self, coords)

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

    def transform_fibers(self, input: torch.Tensor, element: GroupElement) -> torch.Tensor:
        """``rho(g) f(x)`` at every point ``x`` (the base space is not moved; escnn's name), for a
        tensor ``(batch, size, *spatial)``."""
        if not isinstance(element, GroupElement):
            raise TypeError(f"expected a GroupElement, got {element.__class__.__name__}")
        if input.dim() < 2 or input.shape[1] != self.size:
            raise ValueError(f"expected a tensor of shape (batch, {self.size}, ...), got {tuple(input.shape)}")
        m = torch.as_tensor(self.fiber_matrix(element), dtype=input.dtype, device=input.device)
        return torch.einsum("oc,bc...->bo...", m, input)

    def transform(self, tensor: torch.Tensor, g: GroupElement, mode: str = "bilinear") -> torch.Tensor:
        """``rho(g) f(A(g)^-1 x)`` for a tensor ``(batch, size, *spatial)``."""
        out = self.transform_fibers(tensor, g)
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


class GeometricTensor:
    """A ``tensor`` transforming as the field type ``type``.

    On a grid, ``tensor`` has shape ``(batch, type.size, *spatial)`` and ``g`` acts by
    ``(g . f)(x) = rho(g) f(A(g)^-1 x)``.  On a point cloud, ``tensor`` has shape
    ``(N, type.size)`` (one row per point) and ``coords`` of shape ``(N, d)`` holds the points'
    positions; ``g`` acts on the features by ``rho(g)`` and on the positions by ``x -> A(g) x``.
    Every operation that keeps the points (slicing over the first axis, ``+``, ``-``, scalar
    ``*`` and ``/``, ``to``, ``detach``, ``transform``, ``restrict``, ``split``,
    :func:`tensor_directsum`) carries ``coords`` along.

    Args:
        tensor: the features.
        type: their :class:`FieldType`.
        coords: optional ``(N, d)`` positions, ``d`` the dimension of the base space.

    Example:
        >>> import torch
        >>> from steerable import gspaces, nn
        >>> gs = gspaces.rot2dOnR2(4)
        >>> t = nn.FieldType(gs, [gs.irrep(1)])
        >>> x = nn.GeometricTensor(torch.randn(5, 2), t, coords=torch.randn(5, 2))
        >>> y = gs.fibergroup.element(1) @ x            # rotate features and positions by 90 degrees
        >>> y.coords.shape
        torch.Size([5, 2])
    """

    def __init__(self, tensor: torch.Tensor, type: FieldType, coords: torch.Tensor | None = None) -> None:
        if not isinstance(tensor, torch.Tensor):
            raise TypeError(f"expected a torch.Tensor, got {tensor.__class__.__name__}")
        if not isinstance(type, FieldType):
            raise TypeError(f"expected a FieldType, got {type.__class__.__name__}")
        if tensor.dim() < 2 or tensor.shape[1] != type.size:
            raise ValueError(
                f"tensor of shape {tuple(tensor.shape)} does not match field type {type}: "
                f"expected shape (batch, {type.size}, ...)"
            )
        if coords is not None:
            if not isinstance(coords, torch.Tensor):
                raise TypeError(f"coords must be a torch.Tensor of shape (N, d) or None, got {coords.__class__.__name__}")
            d = type.gspace.dimensionality
            if coords.dim() != 2 or coords.shape != (tensor.shape[0], d):
                raise ValueError(
                    f"coords must have shape (N, {d}) = ({tensor.shape[0]}, {d}) for a tensor of shape "
                    f"{tuple(tensor.shape)} on {type.gspace.name}, got {tuple(coords.shape)}"
                )
        self.tensor = tensor
        self.type = type
        self.coords = coords

    # ------------------------------------------------------------------ tensor-like
    @property
    def shape(self) -> torch.Size:
        return self.tensor.shape

    @property
    def device(self) -> torch.device:
        return self.tensor.device

    @property
    def dtype(self) -> torch.dtype:
        return self.tensor.dtype

    def size(self, dim: int | None = None):
        return self.tensor.size() if dim is None else self.tensor.size(dim)

    def to(self, *args: Any, **kwargs: Any) -> "GeometricTensor":
        coords = None if self.coords is None else self.coords.to(*args, **kwargs)
        return GeometricTensor(self.tensor.to(*args, **kwargs), self.type, coords)

    def detach(self) -> "GeometricTensor":
        return GeometricTensor(self.tensor.detach(), self.type, self.coords)

    def __len__(self) -> int:
        return self.tensor.shape[0]

    def __iter__(self) -> Iterator["GeometricTensor"]:
        """Iterate over the batch, one ``GeometricTensor`` (batch size 1) per sample."""
        for i in range(len(self)):
            yield GeometricTensor(self.tensor[i : i + 1], self.type, self._coords_at(slice(i, i + 1)))

    def __getitem__(self, index: Any) -> "GeometricTensor":
        """``x[batch_slice, field_slice, *spatial_slices]``; the second index selects *fields*."""
        if not isinstance(index, tuple):
            index = (index,)
        index = self._expand_ellipsis(index)
        batch = index[0]
        if isinstance(batch, int):
            batch = slice(batch, batch + 1)
        rest = index[2:]
        if rest and self.coords is not None:
            raise IndexError("a point-cloud GeometricTensor (with coords) has no spatial axes to index")
        t = self.tensor[batch]
        typ = self.type
        if len(index) > 1:
            f = index[1]
            fields = list(range(len(self.type)))
            fields = [fields[f]] if isinstance(f, int) else fields[f]
            typ = self.type.index_select(fields)
            t = t[:, self.type.channel_indices(fields).to(t.device)]
        if rest:
            t = t[(slice(None), slice(None)) + tuple(rest)]
        return GeometricTensor(t, typ, self._coords_at(batch))

    def _coords_at(self, batch: Any) -> torch.Tensor | None:
        return None if self.coords is None else self.coords[batch]

    def _expand_ellipsis(self, index: tuple) -> tuple:
        """Replace one ``...`` by as many full slices as it stands for (numpy's rule), so that
        ``x[..., 2:7, 2:7]`` slices the last two (spatial) axes and never the batch or fields."""
        n_ellipsis = sum(1 for i in index if i is Ellipsis)
        if n_ellipsis == 0:
            return index
        if n_ellipsis > 1:
            raise IndexError("an index can only have a single ellipsis ('...')")
        if any(i is None for i in index):
            raise IndexError("a GeometricTensor cannot be indexed with None (it would add an axis with no meaning)")
        k = next(j for j, i in enumerate(index) if i is Ellipsis)
        n_fill = self.tensor.dim() - (len(index) - 1)
        if n_fill < 0:
            raise IndexError(f"too many indices for a GeometricTensor with {self.tensor.dim()} axes: {len(index) - 1}")
        return index[:k] + (slice(None),) * n_fill + index[k + 1:]

    # ------------------------------------------------------------------ algebra
    def _check_same(self, other: "GeometricTensor", op: str) -> None:
        if not isinstance(other, GeometricTensor):
            raise TypeError(f"can only {op} a GeometricTensor, got {type(other).__name__}")
        if other.type != self.type:
            raise ValueError(f"cannot {op} tensors of different field types: {self.type} and {other.type}")
        if not _same_coords(self.coords, other.coords):
            raise ValueError(f"cannot {op} tensors whose coords differ: features at different points")

    def __add__(self, other: "GeometricTensor") -> "GeometricTensor":
        self._check_same(other, "add")
        return GeometricTensor(self.tensor + other.tensor, self.type, self.coords)

    def __sub__(self, other: "GeometricTensor") -> "GeometricTensor":
        self._check_same(other, "subtract")
        return GeometricTensor(self.tensor - other.tensor, self.type, self.coords)

    def __mul__(self, other: float | int | torch.Tensor) -> "GeometricTensor":
        if isinstance(other, torch.Tensor) and other.numel() != 1:
            raise ValueError("a GeometricTensor can only be multiplied by a scalar (which commutes with the action)")
        if isinstance(other, GeometricTensor):
            raise TypeError("use tensor products (TensorProductModule) to multiply two GeometricTensors")
        return GeometricTensor(self.tensor * other, self.type, self.coords)

    __rmul__ = __mul__

    def __truediv__(self, other: float | int) -> "GeometricTensor":
        return GeometricTensor(self.tensor / other, self.type, self.coords)

    # ------------------------------------------------------------------ group action
    def transform(self, g: GroupElement, mode: str = "bilinear") -> "GeometricTensor":
        """``g . x``: the fibres by ``rho(g)``, the base space by ``A(g)`` (exact on testing
        elements); ``coords`` (if any) become ``A(g) x``."""
        if not isinstance(g, GroupElement):
            raise TypeError(f"expected a GroupElement, got {g.__class__.__name__}")
        coords = self.coords
        if coords is not None:
            A = torch.as_tensor(self.type.gspace.basespace_action(g), dtype=coords.dtype, device=coords.device)
            coords = coords @ A.T
        return GeometricTensor(self.type.transform(self.tensor, g, mode), self.type, coords)

    def transform_fibers(self, element: GroupElement) -> "GeometricTensor":
        """``rho(g) f(x)``: the fibres transformed, the base space (and ``coords``) left in place."""
        return GeometricTensor(self.type.transform_fibers(self.tensor, element), self.type, self.coords)

    def __rmatmul__(self, g: GroupElement) -> "GeometricTensor":
        """``g @ x`` is ``x.transform(g)``."""
        if not isinstance(g, GroupElement):
            return NotImplemented
        return self.transform(g)

    def restrict(self, id: Hashable) -> "GeometricTensor":
        return GeometricTensor(self.tensor, self.type.restrict(id), self.coords)

    def split(self, breaks: Sequence[int | None]) -> list["GeometricTensor"]:
        """Split at field indices ``breaks`` (``None`` for the ends), e.g. ``[None, 2, None]``."""
        breaks = [0 if b is None and i == 0 else len(self.type) if b is None else b for i, b in enumerate(breaks)]
        out = []
        for a, b in zip(breaks[:-1], breaks[1:]):
            if not 0 <= a < b <= len(self.type):
                raise ValueError(f"invalid split points {breaks} for {len(self.type)} fields")
            out.append(self[:, a:b])
        return out

    def __repr__(self) -> str:
        return f"GeometricTensor(shape={tuple(self.tensor.shape)}, type={self.type})"


def tensor_directsum(tensors: Sequence[GeometricTensor]) -> GeometricTensor:
    """Concatenate along the channel axis; the field types are summed."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("need at least one GeometricTensor")
    typ = tensors[0].type
    for t in tensors[1:]:
        if not _same_coords(tensors[0].coords, t.coords):
            raise ValueError("cannot concatenate GeometricTensors whose coords differ")
        typ = typ + t.type
    return GeometricTensor(torch.cat([t.tensor for t in tensors], 1), typ, tensors[0].coords)


def _same_coords(a: torch.Tensor | None, b: torch.Tensor | None) -> bool:
    if a is None or b is None:
        return a is b
    return a is b or (a.shape == b.shape and bool(torch.equal(a, b)))
