"""Gated nonlinearities: invariant scalars gate the other fields.

The input holds ``n`` *gate* fields (trivial, one channel each) and ``n`` *gated* fields (any
representation).  The ``k``-th gate (in field order) multiplies the ``k``-th gated field:

    y_k = sigmoid(s_k + b_k) f_k,

which commutes with ``rho(g)`` because ``s_k`` is invariant and ``rho(g)`` is linear.

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

from typing import Sequence

import numpy as np
import torch

from ..field_type import FieldType, GeometricTensor
from ..module import EquivariantModule
from .._fields import check_field_type, field_index
from ..exported.activations import GateActivation, gate_activation

__all__ = ["GatedNonLinearity1", "GATES_ID", "GATED_ID"]

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
