"""Max over blocks of channels that the group permutes among themselves.

Example:
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.nn import FieldType, MaxPoolChannels
    >>> gs = rot2dOnR2(8)
    >>> MaxPoolChannels(FieldType(gs, [gs.regular_repr]), 8).out_type.size
    1
"""
from __future__ import annotations

import numpy as np
import torch

from ...group import GroupElement, Representation, decompose_representation, directsum
from .._fields import check_field_type, require_permutation
from ..exported.layers import ChannelBlockMax
from ...gspaces.field_type import FieldType, GeometricTensor
from ..module import EquivariantModule

__all__ = ["MaxPoolChannels", "block_representation"]


def _channel_permutation(r: Representation, g: GroupElement) -> np.ndarray:
    """``perm[j] = i`` where ``rho(g) e_j = e_i``."""
    return np.argmax(np.abs(r(g)), axis=0)


def block_representation(r: Representation, k: int) -> Representation:
    """The permutation representation on the blocks ``{j k, ..., j k + k - 1}`` of a permutation representation.

    Raises ``ValueError`` if ``k`` does not divide ``r.size`` or ``rho(g)`` does not map blocks onto blocks.
    """
    G = r.group
    if r.size % k:
        raise ValueError(f"MaxPoolChannels: kernel_size={k} does not divide the size {r.size} of field {r.name}")
    m = r.size // k
    if k == 1:
        out = r
    elif r.is_trivial() or G.continuous:
        out = G.trivial_representation if m == 1 else directsum(m * [G.trivial_representation], name=f"{m}x trivial")
    else:
        for g in G.generators:
            perm = _channel_permutation(r, g)
            for b in range(m):
                if len({int(i) // k for i in perm[b * k : (b + 1) * k]}) != 1:
                    raise ValueError(
                        f"MaxPoolChannels: the blocks of {k} consecutive channels of field {r.name} are not permuted "
                        f"among themselves by {g} (channel block {b} is split), so the max is not equivariant"
                    )
        if m == 1:
            out = G.trivial_representation
        else:
            def rho_blocks(g: GroupElement) -> np.ndarray:
                perm = _channel_permutation(r, g)
                P = np.zeros((m, m))
                P[perm[::k] // k, np.arange(m)] = 1.0
                return P

            irreps, Q = decompose_representation(G, rho_blocks, m, name=f"blocks{k}({r.name})")
            out = Representation(G, f"blocks{k}({r.name})", irreps, Q, {"pointwise", "norm", "gated"}, {"permutation": True})
    return out


class MaxPoolChannels(EquivariantModule):
    """Max over each group of ``kernel_size`` consecutive channels of every (permutation) field.

    As escnn's ``MaxPoolChannels`` (which :class:`GroupPooling` exports to), but typed: each
    field of size ``d`` must be a permutation representation whose channel blocks
    ``{j k, ..., j k + k - 1}`` are permuted among themselves by every ``rho(g)`` (a system of
    imprimitivity).  The output field is then the permutation representation on the ``d / k``
    blocks (computed and decomposed into irreps), so the layer is equivariant.  Examples:
    ``kernel_size = d`` is :class:`GroupPooling`; for the regular representation of ``D_N``
    (channels: the N rotations, then the N reflections) ``kernel_size = N`` pools over the
    rotations and leaves a 2-dimensional field on which reflections act by swapping.

    Example:
        >>> from steerable.gspaces import flipRot2dOnR2
        >>> from steerable.nn import FieldType, MaxPoolChannels
        >>> gs = flipRot2dOnR2(4, axis=0.0)
        >>> m = MaxPoolChannels(FieldType(gs, [gs.regular_repr]), 4)
        >>> m.out_type.size, [psi.name for psi in m.out_type.irreps]
        (2, ['irrep_0,0', 'irrep_1,0'])
    """

    def __init__(self, in_type: FieldType, kernel_size: int) -> None:
        super().__init__()
        self.in_type = check_field_type(in_type, layer="MaxPoolChannels")
        if not isinstance(kernel_size, int) or kernel_size < 1:
            raise ValueError(f"MaxPoolChannels: kernel_size must be a positive int, got {kernel_size!r}")
        require_permutation(in_type, "MaxPoolChannels")
        self.kernel_size = kernel_size
        blocks: dict[Representation, Representation] = {}  # one decomposition per distinct field
        for r in in_type.representations:
            if r not in blocks:
                blocks[r] = block_representation(r, kernel_size)
        self.out_type = FieldType(in_type.gspace, [blocks[r] for r in in_type.representations])

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        return GeometricTensor(ChannelBlockMax(self.kernel_size)(x.tensor), self.out_type)

    def export(self) -> torch.nn.Module:
        return ChannelBlockMax(self.kernel_size)

    def extra_repr(self) -> str:
        return f"{self.in_type} -> {self.out_type}, kernel_size={self.kernel_size}"
