"""A tensor together with its field type.

Example:
    >>> import torch
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.nn import FieldType, GeometricTensor
    >>> gs = rot2dOnR2(4)
    >>> t = FieldType(gs, [gs.regular_repr])
    >>> x = GeometricTensor(torch.randn(2, 4, 5, 5), t)
    >>> x.transform(gs.fibergroup.element(1)).shape
    torch.Size([2, 4, 5, 5])
"""
from __future__ import annotations

from typing import Any, Hashable, Iterator, Sequence

import torch

from ..group import GroupElement
from .field_type import FieldType

__all__ = ["GeometricTensor", "tensor_directsum", "directsum"]


class GeometricTensor:
    """``tensor`` of shape ``(batch, type.size, *spatial)`` transforming as ``type``."""

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
        return GeometricTensor(self.tensor.to(*args, **kwargs), self.type, self.coords)

    def detach(self) -> "GeometricTensor":
        return GeometricTensor(self.tensor.detach(), self.type, self.coords)

    def __len__(self) -> int:
        return self.tensor.shape[0]

    def __iter__(self) -> Iterator["GeometricTensor"]:
        """Iterate over the batch, one ``GeometricTensor`` (batch size 1) per sample."""
        for i in range(len(self)):
            yield GeometricTensor(self.tensor[i : i + 1], self.type)

    def __getitem__(self, index: Any) -> "GeometricTensor":
        """``x[batch_slice, field_slice, *spatial_slices]``; the second index selects *fields*."""
        if not isinstance(index, tuple):
            index = (index,)
        batch = index[0]
        if isinstance(batch, int):
            batch = slice(batch, batch + 1)
        rest = index[2:]
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
        return GeometricTensor(t, typ)

    # ------------------------------------------------------------------ algebra
    def _check_same(self, other: "GeometricTensor", op: str) -> None:
        if not isinstance(other, GeometricTensor):
            raise TypeError(f"can only {op} a GeometricTensor, got {type(other).__name__}")
        if other.type != self.type:
            raise ValueError(f"cannot {op} tensors of different field types: {self.type} and {other.type}")

    def __add__(self, other: "GeometricTensor") -> "GeometricTensor":
        self._check_same(other, "add")
        return GeometricTensor(self.tensor + other.tensor, self.type)

    def __sub__(self, other: "GeometricTensor") -> "GeometricTensor":
        self._check_same(other, "subtract")
        return GeometricTensor(self.tensor - other.tensor, self.type)

    def __mul__(self, other: float | int | torch.Tensor) -> "GeometricTensor":
        if isinstance(other, torch.Tensor) and other.numel() != 1:
            raise ValueError("a GeometricTensor can only be multiplied by a scalar (which commutes with the action)")
        if isinstance(other, GeometricTensor):
            raise TypeError("use tensor products (TensorProductModule) to multiply two GeometricTensors")
        return GeometricTensor(self.tensor * other, self.type)

    __rmul__ = __mul__

    def __truediv__(self, other: float | int) -> "GeometricTensor":
        return GeometricTensor(self.tensor / other, self.type)

    # ------------------------------------------------------------------ group action
    def transform(self, g: GroupElement, mode: str = "bilinear") -> "GeometricTensor":
        """``g . x``: the fibres by ``rho(g)``, the base space by ``A(g)`` (exact on testing elements)."""
        return GeometricTensor(self.type.transform(self.tensor, g, mode), self.type)

    def restrict(self, id: Hashable) -> "GeometricTensor":
        return GeometricTensor(self.tensor, self.type.restrict(id))

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
        typ = typ + t.type
    return GeometricTensor(torch.cat([t.tensor for t in tensors], 1), typ)


directsum = tensor_directsum
