"""Gated nonlinearities: invariant scalars gate the other fields.

The input holds ``n`` *gate* fields (trivial, one channel each) and ``n`` *gated* fields (any
representation).  The ``k``-th gate (in field order) multiplies the ``k``-th gated field:

    y_k = sigmoid(s_k + b_k) f_k,

which commutes with ``rho(g)`` because ``s_k`` is invariant and ``rho(g)`` is linear.
:class:`GatedNonLinearity1` takes gates and gated fields in one tensor, :class:`GatedNonLinearity2`
in two (``forward(gates, gated)``), and :class:`GatedNonLinearityUniform` copies of one field
whose first irreps are its own gates.

Example:
    >>> import torch
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.nn import FieldType, GeometricTensor, GatedNonLinearity1
    >>> gs = rot2dOnR2(8)
    >>> t = FieldType(gs, [gs.trivial_repr, gs.irrep(1)])   # gate, then gated field
    >>> gate = GatedNonLinearity1(t)
    >>> gate(GeometricTensor(torch.tensor([[0.0, 2.0, 4.0]]), t)).tensor   # sigmoid(0) = 1/2
    tensor([[1., 2.]], grad_fn=<MulBackward0>)
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch

from ...group import directsum
from ...gspaces.field_type import FieldType, GeometricTensor
from ..module import EquivariantModule
from .._fields import check_field_type, field_index
from ..exported.activations import (
    GateActivation, SeparateGateActivation, UniformGateActivation, gate_activation,
)

__all__ = ["GatedNonLinearity1", "GatedNonLinearity2", "GatedNonLinearityUniform", "GATES_ID", "GATED_ID"]

GATES_ID = "gate"
GATED_ID = "gated"


class GatedNonLinearity1(EquivariantModule):
    """Multiplies each gated field by the sigmoid of its gate (gates and gated fields in one input).

    Args:
        in_type: gate fields (trivial, size 1) and gated fields (any representation), interleaved
            in any order.
        gates: one label per field of ``in_type``, ``'gate'`` or ``'gated'``; the ``k``-th gate
            (in field order) gates the ``k``-th gated field.  Default: the first half of the fields
            are gates, the second half gated fields (as in escnn).
        drop_gates: if ``True`` (default) the output holds the gated fields only, in their input
            order (``out_type = in_type`` restricted to them); if ``False``, ``out_type == in_type``
            and the gate fields carry ``sigmoid(s_k + b_k)``.
        bias: learn a bias ``b_k`` per gate (initialised at 0).
    """

    def __init__(self, in_type: FieldType, gates: Sequence[str] | None = None, drop_gates: bool = True,
                 bias: bool = True) -> None:
        super().__init__()
        check_field_type(in_type)
        if gates is None:
            if len(in_type) % 2:
                raise ValueError(f"without `gates`, in_type needs an even number of fields (gates, then gated); "
                                 f"got {len(in_type)}")
            gates = [GATES_ID] * (len(in_type) // 2) + [GATED_ID] * (len(in_type) // 2)
        gates = list(gates)
        if len(gates) != len(in_type):
            raise ValueError(f"gates must have one label per field: expected {len(in_type)}, got {len(gates)}")
        for i, (label, r) in enumerate(zip(gates, in_type.representations)):
            if label not in (GATES_ID, GATED_ID):
                raise ValueError(f"gates[{i}] must be {GATES_ID!r} or {GATED_ID!r}, got {label!r}")
            if label == GATES_ID and not (r.size == 1 and r.is_trivial()):
                raise ValueError(f"gate field {i} must have the trivial representation, got {r.name!r} ({r!r})")
        gate_fields = [i for i, g in enumerate(gates) if g == GATES_ID]
        gated_fields = [i for i, g in enumerate(gates) if g == GATED_ID]
        if len(gate_fields) != len(gated_fields) or not gate_fields:
            raise ValueError(f"need as many gates as gated fields (at least one): got {len(gate_fields)} gates "
                             f"and {len(gated_fields)} gated fields")
        self.in_type = in_type
        self.gates = gates
        self.drop_gates = drop_gates
        self.out_type = in_type.index_select(gated_fields) if drop_gates else in_type

        gate_ch = in_type.channel_indices(gate_fields)
        gated_ch = in_type.channel_indices(gated_fields)
        self.register_buffer("gate_channels", gate_ch, persistent=False)
        self.register_buffer("gated_channels", gated_ch, persistent=False)
        # the k-th gated field is gated by the k-th gate: its field index within the gated fields
        self.register_buffer("gate_of_gated_channel", field_index(in_type.index_select(gated_fields)), persistent=False)
        if drop_gates:
            self.register_buffer("output_index", None, persistent=False)
        else:
            # position of every input channel inside cat([gates, gated])
            pos = np.empty(in_type.size, dtype=np.int64)
            pos[gate_ch.numpy()] = np.arange(len(gate_fields))
            pos[gated_ch.numpy()] = len(gate_fields) + np.arange(len(gated_ch))
            self.register_buffer("output_index", torch.from_numpy(pos), persistent=False)
        if bias:
            self.bias = torch.nn.Parameter(torch.zeros(len(gate_fields)))
        else:
            self.register_parameter("bias", None)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        y = gate_activation(x.tensor, self.gate_channels, self.gated_channels, self.gate_of_gated_channel,
                            self.bias, self.output_index)
        return GeometricTensor(y, self.out_type, x.coords)

    def export(self) -> torch.nn.Module:
        """A :class:`~steerable.nn.exported.GateActivation` (torch only)."""
        return GateActivation(self.gate_channels, self.gated_channels, self.gate_of_gated_channel,
                              None if self.bias is None else self.bias.detach(), self.output_index)

    def extra_repr(self) -> str:
        return (f"{self.in_type} -> {self.out_type}, gates={self.gate_channels.numel()}, "
                f"drop_gates={self.drop_gates}, bias={self.bias is not None}")


class GatedNonLinearity2(EquivariantModule):
    """Gates and gated fields in two tensors: ``forward(gates, gated) = sigmoid(s_k + b_k) f_k``.

    Args:
        in_type: a pair ``(gates_type, gated_type)``: ``n`` trivial fields and ``n`` fields of any
            representation; the ``k``-th gate multiplies the ``k``-th gated field.
        bias: learn a bias ``b_k`` per gate (initialised at 0).

    ``out_type == gated_type``.  Use it in a :class:`~steerable.nn.MergeModule` branch labelled
    ``[gate_label, gated_label]``.

    Example:
        >>> import torch
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, GeometricTensor, GatedNonLinearity2
        >>> gs = rot2dOnR2(8)
        >>> gt, vt = FieldType(gs, [gs.trivial_repr]), FieldType(gs, [gs.irrep(1)])
        >>> GatedNonLinearity2((gt, vt))(GeometricTensor(torch.zeros(1, 1), gt), GeometricTensor(torch.ones(1, 2), vt)).tensor
        tensor([[0.5000, 0.5000]], grad_fn=<MulBackward0>)
    """

    def __init__(self, in_type: tuple[FieldType, FieldType], bias: bool = True) -> None:
        super().__init__()
        if not (isinstance(in_type, (tuple, list)) and len(in_type) == 2):
            raise TypeError(f"GatedNonLinearity2: in_type must be a pair (gates_type, gated_type), got {in_type!r}")
        gates_type = check_field_type(in_type[0], "in_type[0]", layer="GatedNonLinearity2")
        gated_type = check_field_type(in_type[1], "in_type[1]", layer="GatedNonLinearity2")
        if gates_type.gspace != gated_type.gspace:
            raise ValueError(f"GatedNonLinearity2: gates and gated fields must share a gspace: {gates_type.gspace} vs "
                             f"{gated_type.gspace}")
        for i, r in enumerate(gates_type.representations):
            if not (r.size == 1 and r.is_trivial()):
                raise ValueError(f"GatedNonLinearity2: gate field {i} must have the trivial representation, got {r.name!r}")
        if len(gates_type) != len(gated_type):
            raise ValueError(f"GatedNonLinearity2: expected as many gates as gated fields, got {len(gates_type)} gates "
                             f"and {len(gated_type)} gated fields")
        self.in_type = (gates_type, gated_type)  # type: ignore[assignment]
        self.out_type = gated_type
        self.register_buffer("gate_of_gated_channel", field_index(gated_type), persistent=False)
        if bias:
            self.bias = torch.nn.Parameter(torch.zeros(len(gates_type)))
        else:
            self.register_parameter("bias", None)

    def forward(self, gates: GeometricTensor, gated: GeometricTensor) -> GeometricTensor:  # type: ignore[override]
        for name, x, t in (("gates", gates, self.in_type[0]), ("gated", gated, self.in_type[1])):
            if not isinstance(x, GeometricTensor):
                raise TypeError(f"GatedNonLinearity2 expects {name} as a GeometricTensor of type {t}, got {type(x).__name__}")
            if x.type != t:
                raise ValueError(f"GatedNonLinearity2 expects {name} of type {t}, got {x.type}")
        g = gates.tensor
        if self.bias is not None:
            g = g + self.bias.to(g.dtype).reshape([1, -1] + [1] * (g.dim() - 2))
        y = gated.tensor * torch.sigmoid(g).index_select(1, self.gate_of_gated_channel)
        return GeometricTensor(y, self.out_type, gated.coords)

    def evaluate_output_shape(self, gates_shape: Sequence[int], gated_shape: Sequence[int]) -> tuple[int, ...]:  # type: ignore[override]
        if tuple(gates_shape[2:]) != tuple(gated_shape[2:]) or gates_shape[0] != gated_shape[0]:
            raise ValueError(f"GatedNonLinearity2: gates {tuple(gates_shape)} and gated {tuple(gated_shape)} shapes differ")
        return tuple(gated_shape)

    def check_equivariance(self, *args, **kwargs):  # type: ignore[override]
        raise NotImplementedError("GatedNonLinearity2 takes two tensors; check it inside a MergeModule")

    def export(self) -> torch.nn.Module:
        """A :class:`~steerable.nn.exported.SeparateGateActivation` taking ``(gates, gated)``."""
        return SeparateGateActivation(self.gate_of_gated_channel, None if self.bias is None else self.bias.detach())

    def extra_repr(self) -> str:
        return f"gates={self.in_type[0]}, gated={self.in_type[1]}, bias={self.bias is not None}"


class GatedNonLinearityUniform(EquivariantModule):
    """Gates inside one field kind ``psi_0^n (+) psi_1 (+) (+) psi_n`` (first ``n`` irreps trivial): the ``k``-th
    trivial irrep gates the ``k``-th non-gate irrep, ``y = gate(s_k) x_k``.

    The representation must have the identity change of basis, so the irreps are the channel
    blocks; the output field is ``psi_1 (+) ... (+) psi_n`` (the gates are dropped).

    Args:
        in_type: ``m`` copies of the same representation of this form.
        gate: an elementwise function (default ``torch.sigmoid``).

    Example:
        >>> import torch
        >>> from steerable.group import directsum
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, GeometricTensor, GatedNonLinearityUniform
        >>> gs = rot2dOnR2(4); G = gs.fibergroup
        >>> t = FieldType(gs, 2 * [directsum([G.irrep(0), G.irrep(1)])])
        >>> GatedNonLinearityUniform(t).out_type.size
        4
    """

    def __init__(self, in_type: FieldType, gate: Callable[[torch.Tensor], torch.Tensor] = torch.sigmoid) -> None:
        super().__init__()
        name = "GatedNonLinearityUniform"
        check_field_type(in_type, layer=name)
        if not callable(gate):
            raise TypeError(f"{name}: gate must be a callable, got {type(gate).__name__}")
        reps = set(in_type.representations)
        if len(reps) != 1:
            raise ValueError(f"{name}: expected copies of one representation, got {sorted(r.name for r in reps)}")
        r = in_type.representations[0]
        psis = list(r.irrep_objects)
        n = len(psis) // 2
        if len(psis) % 2 or not all(p.is_trivial() for p in psis[:n]):
            raise ValueError(f"{name}: the field needs 2n irreps, the first n trivial (the gates); got "
                             f"{[p.name for p in psis]}")
        if not np.allclose(r.change_of_basis, np.eye(r.size)):
            raise ValueError(f"{name}: the field {r.name!r} must have the identity change of basis")
        self.in_type, self.gate = in_type, gate
        out_rep = directsum(psis[n:], name=f"gated({r.name})")
        self.out_type = FieldType(in_type.gspace, len(in_type) * [out_rep])
        gate_ch, gated_ch, gate_of = [], [], []
        for f, start in enumerate(in_type.fields_start):
            p = int(start) + n
            for k, psi in enumerate(psis[n:]):
                gated_ch += range(p, p + psi.size)
                gate_of += [f * n + k] * psi.size
                p += psi.size
            gate_ch += range(int(start), int(start) + n)
        for nm, v in (("gate_channels", gate_ch), ("gated_channels", gated_ch), ("gate_of_gated_channel", gate_of)):
            self.register_buffer(nm, torch.tensor(v, dtype=torch.long), persistent=False)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        g = self.gate(x.tensor.index_select(1, self.gate_channels))
        y = x.tensor.index_select(1, self.gated_channels) * g.index_select(1, self.gate_of_gated_channel)
        return GeometricTensor(y, self.out_type, x.coords)

    def export(self) -> torch.nn.Module:
        """A :class:`~steerable.nn.exported.UniformGateActivation` (TorchScript-able only with a torch.nn gate)."""
        return UniformGateActivation(self.gate_channels, self.gated_channels, self.gate_of_gated_channel, self.gate)

    def extra_repr(self) -> str:
        return f"{self.in_type} -> {self.out_type}"
