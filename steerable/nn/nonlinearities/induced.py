"""Nonlinearities for induced fields ``Ind_H^G sigma``: per-block norms and per-block gates.

An induced field has ``n = [G:H]`` blocks of ``d = sigma.size`` channels, one per coset of
``H``; ``rho(g)`` moves block ``i`` to block ``j = pi_g(i)`` and acts on it by an orthogonal
``sigma(h)``.  Hence the block norms ``|x_i|`` are permuted by ``g``, and

* :class:`InducedNormNonLinearity`: ``x_i -> s(|x_i| + b_f) x_i`` with one bias per *field* (shared by
  its blocks, which ``g`` permutes), commutes with ``rho(g)``;
* :class:`InducedGatedNonLinearity1`: a gate field of the quotient representation ``G/H``
  (``n`` channels, permuted by the same ``pi_g``) gates the blocks of one induced field:
  ``x_i -> sigmoid(s_i + b) x_i``.

Example:
    >>> import torch
    >>> from steerable.gspaces import flipRot2dOnR2
    >>> from steerable.nn import FieldType, GeometricTensor, InducedNormNonLinearity
    >>> gs = flipRot2dOnR2(4, axis=0.0); G = gs.fibergroup
    >>> rho = G.induced_representation((None, 4), G.subgroup((None, 4))[0].irrep(1))   # 2 blocks of 2
    >>> nl = InducedNormNonLinearity(FieldType(gs, [rho]), "squash")
    >>> nl(GeometricTensor(torch.tensor([[3.0, 4.0, 0.0, 1.0]]), nl.in_type)).tensor   # norms 5 and 1
    tensor([[0.5769, 0.7692, 0.0000, 0.5000]])
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from .._fields import check_field_type, induced_block_index, induced_structure, require_induced
from ..exported.activations import GateActivation, NormActivation, gate_activation, norm_activation
from ...gspaces.field_type import FieldType, GeometricTensor
from ..module import EquivariantModule
from .gated import GATED_ID, GATES_ID

__all__ = ["InducedNormNonLinearity", "InducedGatedNonLinearity1"]

_FUNCTIONS = ("n_relu", "n_sigmoid", "squash")


class InducedNormNonLinearity(EquivariantModule):
    """``x_i -> s(|x_i|) x_i`` on every block ``x_i`` of every induced field, one bias per field.

    Args:
        in_type: fields of induced representations ``G.induced_representation(id, sigma)``.
        function: ``'n_relu'`` (default), ``'n_sigmoid'`` or ``'squash'``, as in
            :class:`~steerable.nn.NormNonLinearity`.
        bias: learn one bias per field (initialised at 0), shared by its blocks; ``'squash'`` has none.

    ``out_type == in_type``.
    """

    def __init__(self, in_type: FieldType, function: str = "n_relu", bias: bool = True) -> None:
        super().__init__()
        check_field_type(in_type, layer="InducedNormNonLinearity")
        if function not in _FUNCTIONS:
            raise ValueError(f"InducedNormNonLinearity: function must be one of {_FUNCTIONS}, got {function!r}")
        block_of_channel, field_of_block = induced_block_index(in_type, "InducedNormNonLinearity")
        self.in_type = self.out_type = in_type
        self.function = function
        self.n_blocks = int(field_of_block.numel())
        self.register_buffer("block_of_channel", block_of_channel, persistent=False)
        self.register_buffer("field_of_block", field_of_block, persistent=False)
        if bias and function != "squash":
            self.bias = torch.nn.Parameter(torch.zeros(len(in_type)))
        else:
            self.register_parameter("bias", None)

    def _block_bias(self) -> torch.Tensor | None:
        return None if self.bias is None else self.bias.index_select(0, self.field_of_block)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        y = norm_activation(x.tensor, self.block_of_channel, self.n_blocks, self._block_bias(), self.function)
        return GeometricTensor(y, self.out_type, x.coords)

    def export(self) -> torch.nn.Module:
        """A :class:`~steerable.nn.exported.NormActivation` over the blocks (the field biases repeated per block)."""
        bias = self._block_bias()
        return NormActivation(self.block_of_channel, self.n_blocks, None if bias is None else bias.detach(), self.function)

    def extra_repr(self) -> str:
        return f"{self.in_type}, function={self.function}, blocks={self.n_blocks}, bias={self.bias is not None}"


class InducedGatedNonLinearity1(EquivariantModule):
    """Quotient-representation gates gate the blocks of induced fields: ``x_i -> sigmoid(s_i + b_k) x_i``.

    Args:
        in_type: gate fields (``G.quotient_representation(id)``, ``n = [G:H]`` channels) and gated
            fields (``G.induced_representation(id, sigma)``, ``n`` blocks), all from the same subgroup.
        gates: one label per field, ``'gate'`` or ``'gated'``; the ``k``-th gate gates the ``k``-th
            gated field.  Default: the first half of the fields are gates.
        drop_gates: output the gated fields only (default) or keep the gates, as
            ``sigmoid(s + b)``, in place.
        bias: learn one bias per gate field (shared by its ``n`` channels, which ``g`` permutes).
    """

    def __init__(self, in_type: FieldType, gates: Sequence[str] | None = None, drop_gates: bool = True,
                 bias: bool = True) -> None:
        super().__init__()
        name = "InducedGatedNonLinearity1"
        check_field_type(in_type, layer=name)
        n = len(in_type)
        if gates is None:
            if n % 2:
                raise ValueError(f"{name}: without `gates`, in_type needs an even number of fields, got {n}")
            gates = [GATES_ID] * (n // 2) + [GATED_ID] * (n // 2)
        gates = list(gates)
        if len(gates) != n or any(g not in (GATES_ID, GATED_ID) for g in gates):
            raise ValueError(f"{name}: gates must be {n} labels {GATES_ID!r}/{GATED_ID!r}, got {gates}")
        info = require_induced(in_type, name)
        gate_fields = [i for i, g in enumerate(gates) if g == GATES_ID]
        gated_fields = [i for i, g in enumerate(gates) if g == GATED_ID]
        if len(gate_fields) != len(gated_fields) or not gate_fields:
            raise ValueError(f"{name}: need as many gates as gated fields (at least one), got {len(gate_fields)} "
                             f"and {len(gated_fields)}")
        H = info[0][0]
        for i in range(n):
            if info[i][0] != H:
                raise ValueError(f"{name}: every field must be induced from the same subgroup {H}; field {i} is "
                                 f"induced from {info[i][0]}")
        for i in gate_fields:
            r = in_type.representations[i]
            sigma = r.attributes["inducing_repr"]
            if not (sigma.size == 1 and sigma.is_trivial()):
                raise ValueError(f"{name}: gate field {i} must be a quotient representation (induced from the "
                                 f"trivial one), got {r.name!r}")
        self.in_type, self.gates, self.drop_gates = in_type, gates, drop_gates
        self.out_type = in_type.index_select(gated_fields) if drop_gates else in_type
        gate_ch = in_type.channel_indices(gate_fields)
        gated_ch = in_type.channel_indices(gated_fields)
        # gated channel c of the k-th gated field, block j = c // d, is gated by channel j of the k-th gate
        gate_of, gate_field_of_channel, offset = [], [], 0
        for k, (gi, fi) in enumerate(zip(gate_fields, gated_fields)):
            size_gate = in_type.representations[gi].size
            d = induced_structure(in_type.representations[fi])[1]
            if in_type.representations[fi].size // d != size_gate:
                raise ValueError(f"{name}: gated field {fi} has {in_type.representations[fi].size // d} blocks but its "
                                 f"gate (field {gi}) has {size_gate} channels")
            gate_of += [offset + c // d for c in range(in_type.representations[fi].size)]
            gate_field_of_channel += [k] * size_gate
            offset += size_gate
        self.register_buffer("gate_channels", gate_ch, persistent=False)
        self.register_buffer("gated_channels", gated_ch, persistent=False)
        self.register_buffer("gate_of_gated_channel", torch.tensor(gate_of, dtype=torch.long), persistent=False)
        self.register_buffer("gate_field_of_channel", torch.tensor(gate_field_of_channel, dtype=torch.long),
                             persistent=False)
        if drop_gates:
            self.register_buffer("output_index", None, persistent=False)
        else:
            pos = np.empty(in_type.size, dtype=np.int64)
            pos[gate_ch.numpy()] = np.arange(len(gate_ch))
            pos[gated_ch.numpy()] = len(gate_ch) + np.arange(len(gated_ch))
            self.register_buffer("output_index", torch.from_numpy(pos), persistent=False)
        if bias:
            self.bias = torch.nn.Parameter(torch.zeros(len(gate_fields)))
        else:
            self.register_parameter("bias", None)

    def _channel_bias(self) -> torch.Tensor | None:
        return None if self.bias is None else self.bias.index_select(0, self.gate_field_of_channel)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        y = gate_activation(x.tensor, self.gate_channels, self.gated_channels, self.gate_of_gated_channel,
                            self._channel_bias(), self.output_index)
        return GeometricTensor(y, self.out_type, x.coords)

    def export(self) -> torch.nn.Module:
        """A :class:`~steerable.nn.exported.GateActivation` (the gate biases repeated per channel)."""
        bias = self._channel_bias()
        return GateActivation(self.gate_channels, self.gated_channels, self.gate_of_gated_channel,
                              None if bias is None else bias.detach(), self.output_index)

    def extra_repr(self) -> str:
        return f"{self.in_type} -> {self.out_type}, drop_gates={self.drop_gates}, bias={self.bias is not None}"
