"""Pooling over fields: norms, the group, and blocks of channels.

* :class:`NormPool`: ``|x_f|`` for any field (an invariant).
* :class:`GroupPooling`: ``max`` over the channels of each permutation field (an invariant).
* :class:`MaxPoolChannels`: ``max`` over blocks of channels permuted among themselves by the group.
* :class:`NormMaxPool`: spatial max pooling of fields, choosing the vector of largest norm.

Example:
    >>> import torch
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.nn import FieldType, GeometricTensor, GroupPooling
    >>> gs = rot2dOnR2(4)
    >>> t = FieldType(gs, [gs.regular_repr])
    >>> GroupPooling(t)(GeometricTensor(torch.arange(4.0).view(1, 4), t)).tensor
    tensor([[3.]])
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..group import Representation, decompose_representation, directsum
from .field_type import FieldType
from .field_type import GeometricTensor
from .misc import check_field_type, groups_by_size, meta_shape, require_permutation
from .module import EquivariantModule

__all__ = ["NormMaxPool", "GroupPooling", "NormPool", "MaxPoolChannels", "block_representation"]

_IntOrTuple = int | Sequence[int]


def _check_spatial(layer: EquivariantModule, t: torch.Tensor, dim: int) -> None:
    if t.dim() != dim + 2:
        raise ValueError(f"{type(layer).__name__} expects a tensor (batch, channels, {dim} spatial axes), got shape {tuple(t.shape)}")

# ---------------------------------------------------------------------- norm / group pooling
class _FieldReducePlain(torch.nn.Module):
    """Torch-only reduction of each field to one channel: ``max`` over its channels or its Euclidean norm."""

    def __init__(self, groups: Sequence[tuple[int, torch.Tensor, torch.Tensor]], n_fields: int, op: str,
                 persistent: bool = True) -> None:
        super().__init__()
        self.sizes = [int(d) for d, _, _ in groups]
        self.n_fields, self.op = n_fields, op
        for i, (_, cin, fout) in enumerate(groups):
            self.register_buffer(f"in_{i}", cin.clone(), persistent=persistent)
            self.register_buffer(f"out_{i}", fout.clone(), persistent=persistent)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, S = x.shape[0], x.shape[2:]
        out = x.new_empty(B, self.n_fields, *S)
        for i, d in enumerate(self.sizes):
            xs = x.index_select(1, getattr(self, f"in_{i}")).reshape(B, -1, d, *S)
            r = xs.amax(2) if self.op == "max" else torch.linalg.vector_norm(xs, dim=2)
            out = out.index_copy(1, getattr(self, f"out_{i}"), r)
        return out


class _FieldReduce(EquivariantModule):
    _op = "max"

    def __init__(self, in_type: FieldType) -> None:
        super().__init__()
        self.in_type = check_field_type(in_type, layer=type(self).__name__)
        self.out_type = FieldType(in_type.gspace, len(in_type) * [in_type.gspace.trivial_repr])
        self._plain = _FieldReducePlain(groups_by_size(in_type), len(in_type), self._op, persistent=False)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        return GeometricTensor(self._plain(x.tensor), self.out_type)

    def export(self) -> torch.nn.Module:
        p = self._plain
        groups = [(d, getattr(p, f"in_{i}"), getattr(p, f"out_{i}")) for i, d in enumerate(p.sizes)]
        return _FieldReducePlain(groups, p.n_fields, p.op)

    def extra_repr(self) -> str:
        return f"{self.in_type} -> {len(self.out_type)} trivial fields"


class GroupPooling(_FieldReduce):
    """Max over the channels of each permutation field: one invariant (trivial) field per input field.

    For a regular field ``x_f`` (a function on the group) this is ``max_h x_f(h)``, invariant
    because ``rho(g)`` only permutes the channels.  Fields must be permutation representations.

    Example:
        >>> import torch
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, GeometricTensor, GroupPooling
        >>> gs = rot2dOnR2(8)
        >>> gp = GroupPooling(FieldType(gs, 3 * [gs.regular_repr]))
        >>> gp(GeometricTensor(torch.randn(1, 24, 5, 5), gp.in_type)).shape
        torch.Size([1, 3, 5, 5])
    """

    _op = "max"

    def __init__(self, in_type: FieldType) -> None:
        check_field_type(in_type, layer="GroupPooling")
        require_permutation(in_type, "GroupPooling")
        super().__init__(in_type)


class NormPool(_FieldReduce):
    """The Euclidean norm ``|x_f|`` of each field: one invariant (trivial) field per input field (any representation).

    Example:
        >>> import torch
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, GeometricTensor, NormPool
        >>> gs = rot2dOnR2(-1); t = FieldType(gs, [gs.irrep(1)])
        >>> NormPool(t)(GeometricTensor(torch.tensor([[3.0, 4.0]]), t)).tensor
        tensor([[5.]])
    """

    _op = "norm"


class _NormMaxPoolPlain(torch.nn.Module):
    """Torch-only :class:`NormMaxPool`."""

    def __init__(self, groups: Sequence[tuple[int, torch.Tensor, torch.Tensor]], dim: int, kernel_size, stride, padding,
                 dilation, ceil_mode: bool, persistent: bool = True) -> None:
        super().__init__()
        self.sizes = [int(d) for d, _, _ in groups]
        for i, (_, cin, _) in enumerate(groups):
            self.register_buffer(f"in_{i}", cin.clone(), persistent=persistent)
        self.dim, self.kernel_size, self.stride, self.padding = dim, kernel_size, stride, padding
        self.dilation, self.ceil_mode = dilation, ceil_mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B = x.shape[0]
        fn = F.max_pool2d if self.dim == 2 else F.max_pool3d
        out = None
        for i, d in enumerate(self.sizes):
            idx = getattr(self, f"in_{i}")
            xs = x.index_select(1, idx).reshape(B, -1, d, *x.shape[2:])
            n = xs.shape[1]
            norms = torch.linalg.vector_norm(xs.detach(), dim=2)
            _, arg = fn(norms, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode, return_indices=True)
            S_out = arg.shape[2:]
            arg = arg.reshape(B, n, 1, -1).expand(B, n, d, -1)
            y = xs.reshape(B, n, d, -1).gather(3, arg).reshape(B, n * d, *S_out)
            if out is None:
                out = x.new_zeros(B, x.shape[1], *S_out)
            out = out.index_copy(1, idx, y)
        return out


class NormMaxPool(EquivariantModule):
    """Per field, keep the vector at the location of largest norm ``|x_f(p)|`` in each window.

    The norm is invariant, so the selected location moves with the input and the selected
    vectors transform by ``rho(g)``: equivariant for any representation (exactly for grid
    symmetries with symmetric windows and no ties).  Works on 2D and 3D gspaces (the dimension
    is the gspace's); other arguments as ``torch.nn.MaxPool2d``.  Gradients flow to the
    selected vectors only.

    Example:
        >>> import torch
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, GeometricTensor, NormMaxPool
        >>> gs = rot2dOnR2(-1); t = FieldType(gs, [gs.irrep(1)])
        >>> x = torch.zeros(1, 2, 2, 2); x[0, :, 1, 0] = torch.tensor([-3.0, 4.0])
        >>> NormMaxPool(t, 2)(GeometricTensor(x, t)).tensor.flatten().tolist()
        [-3.0, 4.0]
    """

    def __init__(self, in_type: FieldType, kernel_size: _IntOrTuple, stride: _IntOrTuple | None = None,
                 padding: _IntOrTuple = 0, dilation: _IntOrTuple = 1, ceil_mode: bool = False) -> None:
        super().__init__()
        self.in_type = self.out_type = check_field_type(in_type, layer="NormMaxPool")
        self._dim = in_type.gspace.dimensionality
        self.kernel_size, self.stride, self.padding = kernel_size, stride if stride is not None else kernel_size, padding
        self.dilation, self.ceil_mode = dilation, ceil_mode
        self._plain = _NormMaxPoolPlain(groups_by_size(in_type), self._dim, kernel_size, self.stride, padding,
                                        dilation, ceil_mode, persistent=False)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        _check_spatial(self, x.tensor, self._dim)
        return GeometricTensor(self._plain(x.tensor), self.out_type)

    def evaluate_output_shape(self, input_shape: Sequence[int]) -> tuple[int, ...]:
        super().evaluate_output_shape(input_shape)
        fn = F.max_pool2d if self._dim == 2 else F.max_pool3d
        return meta_shape(lambda t: fn(t, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode), input_shape)

    def export(self) -> torch.nn.Module:
        p = self._plain
        groups = [(d, getattr(p, f"in_{i}"), None) for i, d in enumerate(p.sizes)]
        return _NormMaxPoolPlain(groups, self._dim, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode)

    def extra_repr(self) -> str:
        return f"{self.in_type}, kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


# ---------------------------------------------------------------------- max over blocks of channels
class _ChannelBlockMax(torch.nn.Module):
    """Torch-only: max over each group of ``kernel_size`` consecutive channels (escnn's plain ``MaxPoolChannels``)."""

    def __init__(self, kernel_size: int) -> None:
        super().__init__()
        self.kernel_size = kernel_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, C = x.shape[:2]
        return x.reshape(B, C // self.kernel_size, self.kernel_size, *x.shape[2:]).amax(2)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}"


_BLOCK_CACHE: dict = {}


def _channel_permutation(r: Representation, g) -> np.ndarray:
    """``perm[j] = i`` where ``rho(g) e_j = e_i``."""
    return np.argmax(np.abs(r(g)), axis=0)


def block_representation(r: Representation, k: int) -> Representation:
    """The permutation representation on the blocks ``{j k, ..., j k + k - 1}`` of a permutation representation.

    Raises ``ValueError`` if ``k`` does not divide ``r.size`` or ``rho(g)`` does not map blocks onto blocks.
    """
    key = (r, k)
    if key in _BLOCK_CACHE:
        return _BLOCK_CACHE[key]
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
            def rho_blocks(g) -> np.ndarray:
                perm = _channel_permutation(r, g)
                P = np.zeros((m, m))
                P[perm[::k] // k, np.arange(m)] = 1.0
                return P

            irreps, Q = decompose_representation(G, rho_blocks, m, name=f"blocks{k}({r.name})")
            out = Representation(G, f"blocks{k}({r.name})", irreps, Q, {"pointwise", "norm", "gated"}, {"permutation": True})
    _BLOCK_CACHE[key] = out
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
        self.out_type = FieldType(in_type.gspace, [block_representation(r, kernel_size) for r in in_type.representations])

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        return GeometricTensor(_ChannelBlockMax(self.kernel_size)(x.tensor), self.out_type)

    def export(self) -> torch.nn.Module:
        return _ChannelBlockMax(self.kernel_size)

    def extra_repr(self) -> str:
        return f"{self.in_type} -> {self.out_type}, kernel_size={self.kernel_size}"
