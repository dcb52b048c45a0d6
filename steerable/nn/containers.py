"""Containers and structural layers: sequential and branching containers, identity,
restriction to a subgroup, splitting fields into the blocks the group never mixes, reordering fields.
Branching and merging of labelled fields live in :mod:`steerable.nn.branching`.

Every layer here satisfies ``layer(g . x) = g . layer(x)`` exactly, for every ``g`` of
the fibre group (for :class:`RestrictionModule`, every ``g`` of the subgroup).

Example:
    >>> import torch
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.nn import FieldType, GeometricTensor, IdentityModule, SequentialModule
    >>> gs = rot2dOnR2(4)
    >>> t = FieldType(gs, [gs.regular_repr])
    >>> net = SequentialModule(IdentityModule(t), IdentityModule(t))
    >>> net(GeometricTensor(torch.randn(1, 4, 5, 5), t)).shape
    torch.Size([1, 4, 5, 5])
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Hashable, Iterator, Sequence

import torch

from ..group import Representation, disentangle
from ._fields import check_field_type
from .exported.layers import BranchesMap, ChannelSelect
from ..gspaces.field_type import FieldType, GeometricTensor, tensor_directsum
from .module import EquivariantModule

__all__ = [
    "SequentialModule", "MultipleModule", "IdentityModule", "RestrictionModule", "DisentangleModule",
    "ReshuffleModule",
]


# ---------------------------------------------------------------------- containers
class SequentialModule(EquivariantModule):
    """Equivariant layers applied in order; the output type of each must equal the input type of the next.

    A composition of equivariant maps is equivariant: ``f_n(...f_1(g.x)) = g.f_n(...f_1(x))``.

    Args:
        *modules: :class:`EquivariantModule` s, or a single ``OrderedDict`` name -> module.

    Example:
        >>> import torch
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, GeometricTensor, R2Conv, InnerBatchNorm, SequentialModule
        >>> gs = rot2dOnR2(4); t = FieldType(gs, 2 * [gs.regular_repr])
        >>> net = SequentialModule(R2Conv(t, t, 3, padding=1), InnerBatchNorm(t))
        >>> net(GeometricTensor(torch.randn(2, 8, 7, 7), t)).type == t
        True
    """

    def __init__(self, *modules: EquivariantModule | "OrderedDict[str, EquivariantModule]") -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (OrderedDict, dict)):
            items = list(modules[0].items())
        else:
            items = [(str(i), m) for i, m in enumerate(modules)]
        if not items:
            raise ValueError("SequentialModule needs at least one module")
        self.in_type: FieldType | None = None
        self.out_type: FieldType | None = None
        for name, m in items:
            self.add_module(name, m)

    def add_module(self, name: str, module: torch.nn.Module | None) -> None:  # type: ignore[override]
        """Append ``module`` under ``name``, checking that its input type is the current output type."""
        if not isinstance(module, EquivariantModule):
            raise TypeError(f"SequentialModule takes EquivariantModules, got {type(module).__name__} for {name!r}")
        if len(self._modules) and self.out_type != module.in_type:
            last = list(self._modules)[-1]
            raise ValueError(
                f"SequentialModule: module {name!r} ({type(module).__name__}) expects input type {module.in_type}, "
                f"but the previous module {last!r} ({type(self._modules[last]).__name__}) outputs {self.out_type}"
            )
        super().add_module(name, module)
        if self.in_type is None:
            self.in_type = module.in_type
        self.out_type = module.out_type

    def append(self, module: EquivariantModule) -> "SequentialModule":
        self.add_module(str(len(self._modules)), module)
        return self

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        for m in self._modules.values():
            x = m(x)
        return x

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[EquivariantModule]:
        return iter(self._modules.values())  # type: ignore[arg-type]

    def __getitem__(self, i: int) -> EquivariantModule:
        return list(self._modules.values())[i]  # type: ignore[return-value]

    def evaluate_output_shape(self, input_shape: Sequence[int]) -> tuple[int, ...]:
        shape = tuple(input_shape)
        for m in self._modules.values():
            shape = m.evaluate_output_shape(shape)  # type: ignore[operator]
        return shape

    def export(self) -> torch.nn.Sequential:
        """``torch.nn.Sequential`` of the exported submodules (same names), in eval mode: exports
        are the inference-mode maps (running statistics frozen, dropout off)."""
        exported = torch.nn.Sequential(OrderedDict((n, m.export()) for n, m in self._modules.items()))  # type: ignore[operator]
        return exported.eval()


class MultipleModule(EquivariantModule):
    """Split the fields by label, apply one module per label group, concatenate the outputs.

    ``labels[i]`` labels field ``i`` of ``in_type``; ``modules`` is a list of ``(module, label)``:
    each module receives the fields carrying its label (in their original order) and must have
    ``in_type`` equal to their field type.  The output is the direct sum of the outputs in the
    order of ``modules``, so it is equivariant when every branch is.  A label may feed several
    branches; every label must feed at least one (no field is dropped silently).

    Example:
        >>> import torch
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, GeometricTensor, MultipleModule, IdentityModule, NormPool
        >>> gs = rot2dOnR2(4)
        >>> t = FieldType(gs, [gs.regular_repr, gs.irrep(1), gs.regular_repr])
        >>> a, b = t.index_select([0, 2]), t.index_select([1])
        >>> m = MultipleModule(t, ["r", "i", "r"], [(IdentityModule(a), "r"), (NormPool(b), "i")])
        >>> m(GeometricTensor(torch.randn(1, 10, 5, 5), t)).shape
        torch.Size([1, 9, 5, 5])
    """

    def __init__(self, in_type: FieldType, labels: Sequence[Hashable],
                 modules: Sequence[tuple[EquivariantModule, Hashable]], reshuffle: int = 0) -> None:
        super().__init__()
        check_field_type(in_type, layer="MultipleModule")
        labels = list(labels)
        if len(labels) != len(in_type):
            raise ValueError(f"MultipleModule: expected {len(in_type)} labels (one per field), got {len(labels)}")
        modules = list(modules)
        if not modules:
            raise ValueError("MultipleModule needs at least one (module, label) pair")
        self.in_type = in_type
        self.labels = labels
        self.reshuffle = reshuffle  # accepted for escnn compatibility; channels are always gathered by index
        used = set()
        out_types = []
        self.branch_labels: list[Hashable] = []
        for i, item in enumerate(modules):
            if not (isinstance(item, tuple) and len(item) == 2):
                raise TypeError(f"MultipleModule: modules must be (module, label) pairs, got {item!r}")
            m, lab = item
            if not isinstance(m, EquivariantModule):
                raise TypeError(f"MultipleModule: expected an EquivariantModule for label {lab!r}, got {type(m).__name__}")
            fields = [j for j, l in enumerate(labels) if l == lab]
            if not fields:
                raise ValueError(f"MultipleModule: no field carries label {lab!r} (labels: {sorted(set(map(str, labels)))})")
            sub = in_type.index_select(fields)
            if m.in_type != sub:
                raise ValueError(f"MultipleModule: module for label {lab!r} expects input type {m.in_type}, but the fields "
                                 f"labelled {lab!r} have type {sub}")
            self.add_module(f"branch_{i}", m)
            self.register_buffer(f"idx_{i}", in_type.channel_indices(fields), persistent=False)
            self.branch_labels.append(lab)
            out_types.append(m.out_type)
            used.add(lab)
        unused = [l for l in dict.fromkeys(labels) if l not in used]
        if unused:
            raise ValueError(f"MultipleModule: labels {unused} are not used by any module (their fields would be dropped)")
        out = out_types[0]
        for t in out_types[1:]:
            out = out + t
        self.out_type = out
        self._n = len(modules)

    def _branches(self) -> list[EquivariantModule]:
        return [getattr(self, f"branch_{i}") for i in range(self._n)]

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        outs = []
        for i, m in enumerate(self._branches()):
            sub = GeometricTensor(x.tensor.index_select(1, getattr(self, f"idx_{i}")), m.in_type)
            outs.append(m(sub))
        return GeometricTensor(tensor_directsum(outs).tensor, self.out_type)

    def evaluate_output_shape(self, input_shape: Sequence[int]) -> tuple[int, ...]:
        super().evaluate_output_shape(input_shape)
        shapes = [m.evaluate_output_shape((input_shape[0], m.in_type.size, *input_shape[2:])) for m in self._branches()]
        if any(s[2:] != shapes[0][2:] for s in shapes):
            raise ValueError(f"MultipleModule: branches produce different spatial shapes {[s[2:] for s in shapes]}")
        return (input_shape[0], self.out_type.size, *shapes[0][2:])

    def export(self) -> torch.nn.Module:
        return BranchesMap([getattr(self, f"idx_{i}") for i in range(self._n)], [m.export() for m in self._branches()])

    def extra_repr(self) -> str:
        return f"{self.in_type}, labels={sorted(set(map(str, self.labels)))}"


# ---------------------------------------------------------------------- structural layers
class IdentityModule(EquivariantModule):
    """``y = x`` (trivially equivariant); export: ``torch.nn.Identity``."""

    def __init__(self, in_type: FieldType) -> None:
        super().__init__()
        self.in_type = self.out_type = check_field_type(in_type, layer="IdentityModule")

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        return self._check_input(x)

    def export(self) -> torch.nn.Module:
        return torch.nn.Identity()

    def extra_repr(self) -> str:
        return f"{self.in_type}"


class RestrictionModule(EquivariantModule):
    """The same tensor, seen by the subgroup ``id`` of the fibre group: ``out_type = in_type.restrict(id)``.

    For every ``h`` in the subgroup ``H``, ``layer(incl(h) . x) = h . layer(x)``;
    :meth:`check_equivariance` tests exactly this on the subgroup's grid-exact elements.

    Example:
        >>> import torch
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, GeometricTensor, RestrictionModule
        >>> gs = rot2dOnR2(8)
        >>> m = RestrictionModule(FieldType(gs, [gs.regular_repr]), 4)
        >>> m.out_type.fibergroup.name
        'C4'
    """

    def __init__(self, in_type: FieldType, id: Hashable) -> None:
        super().__init__()
        self.in_type = check_field_type(in_type, layer="RestrictionModule")
        self.id = id
        self.out_type = in_type.restrict(id)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        return GeometricTensor(x.tensor, self.out_type, x.coords)

    @torch.no_grad()
    def check_equivariance(self, x: torch.Tensor | None = None, elements=None, atol: float = 1e-5, rtol: float = 1e-5,
                           spatial: int = 9, raise_on_fail: bool = True) -> list:
        """Compares ``layer(incl(h) . x)`` with ``h . layer(x)`` for ``h`` in the subgroup."""
        from .module import EquivarianceError

        if x is None:
            d = self.in_type.gspace.dimensionality
            x = torch.randn(2, self.in_type.size, *([spatial] * d), generator=torch.Generator().manual_seed(0))
        _, incl, _ = self.in_type.gspace.restrict(self.id)
        gx = GeometricTensor(x, self.in_type)
        y = self(gx)
        elements = list(elements) if elements is not None else self.out_type.testing_elements
        errors = []
        for h in elements:
            y1 = self(gx.transform(incl(h))).tensor
            errors.append((h, float((y1 - y.transform(h).tensor).abs().max())))
        scale = float(y.tensor.abs().max())
        bad = [(h, e) for h, e in errors if e > atol + rtol * scale]
        if bad and raise_on_fail:
            raise EquivarianceError(f"RestrictionModule is not equivariant: worst {max(e for _, e in bad):.3g} at {bad[0][0]}")
        return errors

    def export(self) -> torch.nn.Module:
        return torch.nn.Identity()

    def extra_repr(self) -> str:
        return f"{self.in_type} -> {self.out_type}, id={self.id!r}"


class DisentangleModule(EquivariantModule):
    """Permute the channels of every field so that it splits into the smallest blocks the group never mixes.

    For each field ``rho`` the channels are partitioned by :func:`steerable.group.coordinate_blocks` into blocks
    ``S_1, S_2, ...`` with ``rho(g) V_S = V_S``; the output holds, per input field, the channels
    of ``S_1``, then ``S_2``, ... as separate fields of type ``rho|_S``.  The map is a permutation
    ``P`` of channels with ``P rho(g) P^T = (+)_k rho|_{S_k}(g)``, hence equivariant, and, as in
    escnn, no irrep change of basis is applied: a restricted regular representation keeps its
    regular blocks of the subgroup (for the irrep basis use ``Q^T`` explicitly).  A field that
    does not split is kept as it is (same representation).

    Example:
        >>> import torch
        >>> from steerable.gspaces import flipRot2dOnR2
        >>> from steerable.nn import FieldType, DisentangleModule
        >>> gs = flipRot2dOnR2(3, axis=0.0)
        >>> t = FieldType(gs, [gs.regular_repr]).restrict((0, 1))   # D3 regular seen by a reflection
        >>> [r.size for r in DisentangleModule(t).out_type]
        [2, 2, 2]
    """

    def __init__(self, in_type: FieldType) -> None:
        super().__init__()
        self.in_type = check_field_type(in_type, layer="DisentangleModule")
        splits: dict[Representation, tuple[list[int], list[Representation]]] = {}  # per distinct field
        out_reps: list[Representation] = []
        index: list[int] = []
        for r, start in zip(in_type.representations, in_type.fields_start):
            if r not in splits:
                P, reps = disentangle(r)
                splits[r] = ([int(c) for c in P.argmax(1)], reps)  # output channel i <- input channel order[i]
            order, reps = splits[r]
            out_reps += reps
            index += [int(start) + c for c in order]
        self.out_type = FieldType(in_type.gspace, out_reps)
        self._identity = index == list(range(in_type.size))
        self.register_buffer("permutation", torch.tensor(index, dtype=torch.long), persistent=False)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        t = x.tensor if self._identity else x.tensor.index_select(1, self.permutation)
        return GeometricTensor(t, self.out_type, x.coords)

    def export(self) -> torch.nn.Module:
        return torch.nn.Identity() if self._identity else ChannelSelect(self.permutation)

    def extra_repr(self) -> str:
        return f"{self.in_type} -> {self.out_type}"


class ReshuffleModule(EquivariantModule):
    """Reorder the fields: output field ``i`` is input field ``permutation[i]``.

    Moving whole fields commutes with the block-diagonal ``(+)_f rho_f(g)``, so the layer is
    equivariant for any field types.

    Args:
        in_type: the input field type (``n`` fields).
        permutation: a permutation of ``0, ..., n - 1``.

    Example:
        >>> import torch
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, GeometricTensor, ReshuffleModule
        >>> gs = rot2dOnR2(4)
        >>> t = FieldType(gs, [gs.trivial_repr, gs.irrep(1)])
        >>> ReshuffleModule(t, [1, 0])(GeometricTensor(torch.tensor([[0.0, 1.0, 2.0]]), t)).tensor
        tensor([[1., 2., 0.]])
    """

    def __init__(self, in_type: FieldType, permutation: Sequence[int]) -> None:
        super().__init__()
        self.in_type = check_field_type(in_type, layer="ReshuffleModule")
        perm = [int(p) for p in permutation]
        if sorted(perm) != list(range(len(in_type))):
            raise ValueError(f"ReshuffleModule: expected a permutation of 0..{len(in_type) - 1} (one entry per field), "
                             f"got {list(permutation)}")
        self.permutation = perm
        self.out_type = in_type.index_select(perm)
        self.register_buffer("index", in_type.channel_indices(perm), persistent=False)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        return GeometricTensor(x.tensor.index_select(1, self.index), self.out_type, x.coords)

    def export(self) -> torch.nn.Module:
        return ChannelSelect(self.index)

    def extra_repr(self) -> str:
        return f"{self.in_type}, permutation={self.permutation}"
