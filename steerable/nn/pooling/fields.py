"""Pooling of fields by invariants: the group max of permutation fields, the norm of any field.

* :class:`NormPool`: ``|x_f|`` for any field (an invariant).
* :class:`GroupPooling`: ``max`` over the channels of each permutation field (an invariant).
* :class:`InducedNormPool`: the largest block norm of each induced field (an invariant).
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

import torch
import torch.nn.functional as F

from .._fields import (
    IntOrTuple, check_field_type, check_spatial_dims, groups_by_size, induced_block_index, meta_shape, require_permutation,
)
from ..exported.layers import FieldReduceMap, InducedNormPoolMap, NormMaxPoolMap
from ...gspaces.field_type import FieldType, GeometricTensor
from ..module import EquivariantModule

__all__ = ["NormMaxPool", "GroupPooling", "NormPool", "InducedNormPool"]


# ---------------------------------------------------------------------- norm / group pooling
class _FieldReduce(EquivariantModule):
    _op = "max"

    def __init__(self, in_type: FieldType) -> None:
        super().__init__()
        self.in_type = check_field_type(in_type, layer=type(self).__name__)
        self.out_type = FieldType(in_type.gspace, len(in_type) * [in_type.gspace.trivial_repr])
        self._plain = FieldReduceMap(groups_by_size(in_type), len(in_type), self._op, persistent=False)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        return GeometricTensor(self._plain(x.tensor), self.out_type)

    def export(self) -> torch.nn.Module:
        p = self._plain
        groups = [(d, getattr(p, f"in_{i}"), getattr(p, f"out_{i}")) for i, d in enumerate(p.sizes)]
        return FieldReduceMap(groups, p.n_fields, p.op)

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


class InducedNormPool(EquivariantModule):
    """The largest block norm of each induced field: ``y_f = max_i |x_{f,i}|``, one trivial field per input field.

    An induced field ``Ind_H^G sigma`` has ``[G:H]`` blocks of ``sigma.size`` channels which
    ``rho(g)`` permutes (acting on each by an orthogonal ``sigma(h)``), so the set of block
    norms, and its maximum, is invariant.

    Args:
        in_type: fields of induced representations (``G.induced_representation(id, sigma)``).

    Example:
        >>> import torch
        >>> from steerable.gspaces import flipRot2dOnR2
        >>> from steerable.nn import FieldType, GeometricTensor, InducedNormPool
        >>> gs = flipRot2dOnR2(4, axis=0.0); G = gs.fibergroup
        >>> rho = G.induced_representation((None, 4), G.subgroup((None, 4))[0].irrep(1))
        >>> InducedNormPool(FieldType(gs, [rho]))(GeometricTensor(torch.tensor([[3.0, 4.0, 0.0, 1.0]]), FieldType(gs, [rho]))).tensor
        tensor([[5.]])
    """

    def __init__(self, in_type: FieldType) -> None:
        super().__init__()
        self.in_type = check_field_type(in_type, layer="InducedNormPool")
        block_of_channel, field_of_block = induced_block_index(in_type, "InducedNormPool")
        self.out_type = FieldType(in_type.gspace, len(in_type) * [in_type.gspace.trivial_repr])
        self._plain = InducedNormPoolMap(block_of_channel, field_of_block, len(in_type), persistent=False)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        return GeometricTensor(self._plain(x.tensor), self.out_type, x.coords)

    def export(self) -> torch.nn.Module:
        p = self._plain
        return InducedNormPoolMap(p.block_of_channel, p.field_of_block, p.n_fields)

    def extra_repr(self) -> str:
        return f"{self.in_type} -> {len(self.out_type)} trivial fields"


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

    def __init__(self, in_type: FieldType, kernel_size: IntOrTuple, stride: IntOrTuple | None = None,
                 padding: IntOrTuple = 0, dilation: IntOrTuple = 1, ceil_mode: bool = False) -> None:
        super().__init__()
        self.in_type = self.out_type = check_field_type(in_type, layer="NormMaxPool")
        self._dim = in_type.gspace.dimensionality
        self.kernel_size, self.stride, self.padding = kernel_size, stride if stride is not None else kernel_size, padding
        self.dilation, self.ceil_mode = dilation, ceil_mode
        self._plain = NormMaxPoolMap(groups_by_size(in_type), self._dim, kernel_size, self.stride, padding,
                                        dilation, ceil_mode, persistent=False)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        check_spatial_dims(self, x.tensor, self._dim)
        return GeometricTensor(self._plain(x.tensor), self.out_type)

    def evaluate_output_shape(self, input_shape: Sequence[int]) -> tuple[int, ...]:
        super().evaluate_output_shape(input_shape)
        fn = F.max_pool2d if self._dim == 2 else F.max_pool3d
        return meta_shape(lambda t: fn(t, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode), input_shape)

    def export(self) -> torch.nn.Module:
        p = self._plain
        groups = [(d, getattr(p, f"in_{i}"), None) for i, d in enumerate(p.sizes)]
        return NormMaxPoolMap(groups, self._dim, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode)

    def extra_repr(self) -> str:
        return f"{self.in_type}, kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
