"""Branching and merging of labelled fields (escnn's ``BranchingModule`` / ``MergeModule``).

:class:`BranchingModule` splits a tensor into one :class:`GeometricTensor` per label;
:class:`MergeModule` applies one module per label (or per list of labels) to such a dict and
concatenates the outputs.  ``MergeModule(...)(BranchingModule(...)(x))`` is the
:class:`~steerable.nn.MultipleModule` computation with the split in the open, so a branch may
take several labelled tensors (``GatedNonLinearity2`` takes the gates and the gated fields).
Selecting fields commutes with ``(+)_f rho_f(g)``, so both layers are equivariant whenever
the branches are: ``branch(g . x)[l] = g . branch(x)[l]`` and
``merge({l: g . x_l}) = g . merge({l: x_l})``.

Example:
    >>> import torch
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.nn import BranchingModule, FieldType, GeometricTensor, IdentityModule, MergeModule, NormPool
    >>> gs = rot2dOnR2(4)
    >>> t = FieldType(gs, [gs.regular_repr, gs.irrep(1)])
    >>> branch = BranchingModule(t, ["reg", "vec"])
    >>> merge = MergeModule([(IdentityModule(branch.out_type["reg"]), "reg"), (NormPool(branch.out_type["vec"]), "vec")])
    >>> merge(branch(GeometricTensor(torch.randn(2, 6), t))).shape
    torch.Size([2, 5])
"""
from __future__ import annotations

from typing import Hashable, Sequence, Union

import torch

from ._fields import check_field_type
from .exported.layers import ChannelSplit, MergeMap
from ..gspaces.field_type import FieldType, GeometricTensor, tensor_directsum
from .module import EquivariantModule

__all__ = ["BranchingModule", "MergeModule"]

#: one label, or several labels whose tensors a branch takes as separate arguments
Labels = Union[Hashable, Sequence[Hashable]]


def _sort_key(reshuffle: int, labels: list[Hashable], t: FieldType):
    """Field order for escnn's ``reshuffle`` levels: by label (1), then size (2), then representation name (3)."""
    order = {label: i for i, label in enumerate(dict.fromkeys(labels))}

    def key(i: int) -> tuple:
        r = t.representations[i]
        return (order[labels[i]], r.size if reshuffle >= 2 else 0, r.name if reshuffle >= 3 else "", i)

    return key


class BranchingModule(EquivariantModule):
    """Split the fields by label: ``{label: the fields carrying it, in input order}``.

    Args:
        in_type: the input field type.
        labels: one label per field of ``in_type``.
        reshuffle: escnn's field-sorting level (0-3); the output of each label is the same set
            of fields in every case, and within a label fields keep their input order unless
            ``reshuffle >= 2`` sorts them by size (and ``3`` then by representation name).

    ``out_type`` is a dict ``{label: FieldType}`` in the order labels first appear.

    Example:
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import BranchingModule, FieldType
        >>> gs = rot2dOnR2(4)
        >>> b = BranchingModule(FieldType(gs, [gs.trivial_repr, gs.irrep(1), gs.trivial_repr]), ["s", "v", "s"])
        >>> {k: v.size for k, v in b.out_type.items()}
        {'s': 2, 'v': 2}
    """

    def __init__(self, in_type: FieldType, labels: Sequence[Hashable], reshuffle: int = 0) -> None:
        super().__init__()
        self.in_type = check_field_type(in_type, layer="BranchingModule")
        labels = list(labels)
        if len(labels) != len(in_type):
            raise ValueError(f"BranchingModule: expected {len(in_type)} labels (one per field), got {len(labels)}")
        if reshuffle not in (0, 1, 2, 3):
            raise ValueError(f"BranchingModule: reshuffle must be 0, 1, 2 or 3, got {reshuffle!r}")
        self.labels, self.reshuffle = labels, reshuffle
        key = _sort_key(reshuffle, labels, in_type)
        self.out_type: dict[Hashable, FieldType] = {}  # type: ignore[assignment]
        self._fields: dict[Hashable, list[int]] = {}
        for label in dict.fromkeys(labels):
            fields = sorted((i for i, l in enumerate(labels) if l == label), key=key)
            self._fields[label] = fields
            self.out_type[label] = in_type.index_select(fields)
        self._labels = list(self._fields)
        for i, label in enumerate(self._labels):
            self.register_buffer(f"idx_{i}", in_type.channel_indices(self._fields[label]), persistent=False)

    def forward(self, x: GeometricTensor) -> dict[Hashable, GeometricTensor]:  # type: ignore[override]
        x = self._check_input(x)
        return {label: GeometricTensor(x.tensor.index_select(1, getattr(self, f"idx_{i}")), self.out_type[label], x.coords)
                for i, label in enumerate(self._labels)}

    def evaluate_output_shape(self, input_shape: Sequence[int]) -> dict[Hashable, tuple[int, ...]]:  # type: ignore[override]
        if len(input_shape) < 2 or input_shape[1] != self.in_type.size:
            raise ValueError(f"BranchingModule: expected input shape (batch, {self.in_type.size}, ...), got {tuple(input_shape)}")
        return {label: (input_shape[0], t.size, *input_shape[2:]) for label, t in self.out_type.items()}

    def check_equivariance(self, *args, **kwargs):  # type: ignore[override]
        raise NotImplementedError("BranchingModule outputs a dict of tensors; check each branch with the layers "
                                  "that consume it (e.g. MergeModule(...) after it)")

    def export(self) -> torch.nn.Module:
        """A :class:`~steerable.nn.exported.ChannelSplit` returning ``{str(label): tensor}``."""
        return ChannelSplit([str(label) for label in self._labels],
                            [getattr(self, f"idx_{i}") for i in range(len(self._labels))])

    def extra_repr(self) -> str:
        return f"{self.in_type}, labels={self._labels}, reshuffle={self.reshuffle}"


class MergeModule(EquivariantModule):
    """Apply each module to its labelled tensors (a dict, as :class:`BranchingModule` returns) and concatenate.

    Args:
        modules: ``(module, label)`` pairs, or ``(module, [label, ...])`` to pass several labelled
            tensors to ``module`` as positional arguments (in that order).  A single-label
            module's ``in_type`` fixes the type expected for that label.

    ``in_type`` is a dict ``{label: FieldType}`` of the single-label branches; ``out_type`` is the
    direct sum of the branch outputs in the order of ``modules``.

    Example:
        >>> import torch
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, GeometricTensor, MergeModule, ReLU
        >>> gs = rot2dOnR2(4); t = FieldType(gs, [gs.regular_repr])
        >>> MergeModule([(ReLU(t), "a"), (ReLU(t), "b")])({"a": GeometricTensor(torch.ones(1, 4), t),
        ...                                               "b": GeometricTensor(-torch.ones(1, 4), t)}).tensor
        tensor([[1., 1., 1., 1., 0., 0., 0., 0.]])
    """

    def __init__(self, modules: Sequence[tuple[EquivariantModule, Labels]]) -> None:
        super().__init__()
        modules = list(modules)
        if not modules:
            raise ValueError("MergeModule needs at least one (module, label) pair")
        self._branch_labels: list[list[Hashable]] = []
        self.in_type: dict[Hashable, FieldType] = {}  # type: ignore[assignment]
        for i, item in enumerate(modules):
            if not (isinstance(item, tuple) and len(item) == 2):
                raise TypeError(f"MergeModule: modules must be (module, label) pairs, got {item!r}")
            m, labels = item
            if not isinstance(m, EquivariantModule):
                raise TypeError(f"MergeModule: expected an EquivariantModule for label {labels!r}, got {type(m).__name__}")
            labels = list(labels) if isinstance(labels, (list, tuple)) else [labels]
            if len(labels) == 1:
                prev = self.in_type.get(labels[0])
                if prev is not None and prev != m.in_type:
                    raise ValueError(f"MergeModule: label {labels[0]!r} is given type {m.in_type} by one module and "
                                     f"{prev} by another")
                self.in_type[labels[0]] = m.in_type
            self.add_module(f"branch_{i}", m)
            self._branch_labels.append(labels)
        outs = [getattr(self, f"branch_{i}").out_type for i in range(len(modules))]
        out = outs[0]
        for t in outs[1:]:
            out = out + t
        self.out_type = out

    def _branches(self) -> list[EquivariantModule]:
        return [getattr(self, f"branch_{i}") for i in range(len(self._branch_labels))]

    def forward(self, x: dict[Hashable, GeometricTensor]) -> GeometricTensor:  # type: ignore[override]
        if not isinstance(x, dict):
            raise TypeError(f"MergeModule expects a dict {{label: GeometricTensor}} (as BranchingModule returns), "
                            f"got {type(x).__name__}")
        missing = [label for labels in self._branch_labels for label in labels if label not in x]
        if missing:
            raise ValueError(f"MergeModule: expected tensors for labels {sorted(map(str, set(missing)))}, "
                             f"got labels {sorted(map(str, x))}")
        for label, t in self.in_type.items():
            if not isinstance(x[label], GeometricTensor) or x[label].type != t:
                got = x[label].type if isinstance(x[label], GeometricTensor) else type(x[label]).__name__
                raise ValueError(f"MergeModule: label {label!r} expects type {t}, got {got}")
        outs = [m(*[x[label] for label in labels]) for m, labels in zip(self._branches(), self._branch_labels)]
        return GeometricTensor(tensor_directsum(outs).tensor, self.out_type)

    def evaluate_output_shape(self, input_shapes: dict[Hashable, Sequence[int]]) -> tuple[int, ...]:  # type: ignore[override]
        shapes = []
        for m, labels in zip(self._branches(), self._branch_labels):
            shapes.append(m.evaluate_output_shape(*[tuple(input_shapes[label]) for label in labels]))
        if any(s[2:] != shapes[0][2:] for s in shapes):
            raise ValueError(f"MergeModule: branches produce different spatial shapes {[s[2:] for s in shapes]}")
        return (shapes[0][0], self.out_type.size, *shapes[0][2:])

    def check_equivariance(self, *args, **kwargs):  # type: ignore[override]
        raise NotImplementedError("MergeModule takes a dict of tensors; check it after a BranchingModule")

    def export(self) -> torch.nn.Module:
        """A :class:`~steerable.nn.exported.MergeMap` taking ``{str(label): tensor}``."""
        return MergeMap([m.export() for m in self._branches()], [[str(label) for label in ls] for ls in self._branch_labels])

    def extra_repr(self) -> str:
        return f"labels={self._branch_labels} -> {self.out_type}"
