"""The conventional CNN baseline of the rotated-MNIST experiments (plain ``torch.nn``).

Same architecture as :class:`~steerable.models.SteerableCNN` with ordinary channels instead of
fields: a disk mask on the input, six ``conv -> BatchNorm -> ELU`` blocks (kernels 7, 5, 5,
5, 5, 5; channels ``width * (16, 24, 32, 32, 48, 64)``), Gaussian anti-aliased stride-2
pooling after blocks 2 and 4, global average pooling and an MLP head
``Linear(C, 64) -> BatchNorm1d -> ELU -> Linear(64, classes)``.  On 29x29 inputs the spatial
sizes are 29 -> 25 -> 25 -> 13 -> 13 -> 13 -> 7 -> 7 -> 3 -> 1 (all odd, so every layer keeps
the rotation centre on a pixel).

Example:
    >>> import torch
    >>> net = ConvNet(width=0.5)
    >>> net(torch.zeros(2, 1, 29, 29)).shape
    torch.Size([2, 10])
"""
from __future__ import annotations

import copy
from collections import OrderedDict
from typing import Any, Sequence

import torch
import torch.nn as nn

from ..gspaces import trivialOnR2
from ..nn import FieldType, MaskModule, PointwiseAvgPoolAntialiased2D

__all__ = ["ConvNet", "MNIST_CHANNELS", "MNIST_KERNELS", "MNIST_PADDINGS", "MNIST_POOL_AFTER", "spatial_sizes",
           "scaled_channels"]

#: channels of the six conv layers of the conventional CNN at ``width=1`` (E(2)-CNN paper, MNIST)
MNIST_CHANNELS = (16, 24, 32, 32, 48, 64)
MNIST_KERNELS = (7, 5, 5, 5, 5, 5)
MNIST_PADDINGS = (1, 2, 2, 2, 2, 0)
#: 0-based indices of the blocks followed by stride-2 anti-aliased average pooling
MNIST_POOL_AFTER = (1, 3)
POOL_SIGMA = 0.66
HEAD_HIDDEN = 64


def scaled_channels(channels: Sequence[int], width: float) -> list[int]:
    """``max(1, round(width * c))`` for each layer."""
    if not width > 0:
        raise ValueError(f"width must be positive, got {width!r}")
    return [max(1, int(round(width * c))) for c in channels]


def _pool_out(n: int, sigma: float) -> int:
    r = max(1, int(-(-3 * sigma // 1)))  # ceil(3 sigma), as the blur filter
    k = 2 * r + 1
    return (n + 2 * r - k) // 2 + 1


def spatial_sizes(image_size: int, kernels: Sequence[int] = MNIST_KERNELS, paddings: Sequence[int] = MNIST_PADDINGS,
                  pool_after: Sequence[int] = MNIST_POOL_AFTER, sigma: float = POOL_SIGMA) -> list[int]:
    """Spatial side after every block (after its pooling, if any); raises if it drops below 1.

    Example:
        >>> spatial_sizes(29)
        [25, 13, 13, 7, 7, 3]
    """
    n, out = image_size, []
    for i, (k, p) in enumerate(zip(kernels, paddings)):
        n = n + 2 * p - k + 1
        if i in pool_after:
            n = _pool_out(n, sigma)
        if n < 1:
            raise ValueError(f"image_size={image_size} is too small for this architecture (block {i + 1} output is empty)")
        out.append(n)
    return out


def blur_pool(sigma: float = POOL_SIGMA) -> nn.Module:
    """Plain Gaussian blur + stride-2 subsampling (the export of ``PointwiseAvgPoolAntialiased2D``)."""
    gs = trivialOnR2()
    return PointwiseAvgPoolAntialiased2D(FieldType(gs, [gs.trivial_repr]), sigma=sigma, stride=2).export()


def input_mask(image_size: int, margin: float = 1.0) -> nn.Module:
    """Plain disk mask (the export of ``MaskModule``)."""
    gs = trivialOnR2()
    return MaskModule(FieldType(gs, [gs.trivial_repr]), image_size, margin=margin).export()


def make_head(n_in: int, num_classes: int, hidden: int = HEAD_HIDDEN, bn: bool = True) -> nn.Sequential:
    """``Linear -> BatchNorm1d -> ELU -> Linear``: the invariant classifier of every model (no BN if ``bn=False``)."""
    return nn.Sequential(OrderedDict(
        fc1=nn.Linear(n_in, hidden), bn=nn.BatchNorm1d(hidden) if bn else nn.Identity(), act=nn.ELU(),
        fc2=nn.Linear(hidden, num_classes),
    ))


class ConvNet(nn.Module):
    """The conventional CNN baseline (see module docs).

    Args:
        in_channels, num_classes: input channels and classes.
        width: multiplies :data:`MNIST_CHANNELS` (or ``channels``).
        channels: channels of the six conv layers at ``width=1``.
        image_size: input side (checked in ``forward`` when ``mask`` is on).
        mask: multiply the input by a disk mask (as the equivariant models do).
        bn: batch normalisation after each conv and in the head (``False``: none anywhere, e.g. for
            exact agreement of data-parallel and single-process training).
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10, width: float = 1.0,
                 channels: Sequence[int] = MNIST_CHANNELS, image_size: int = 29, mask: bool = True, bn: bool = True,
                 kernels: Sequence[int] = MNIST_KERNELS, paddings: Sequence[int] = MNIST_PADDINGS,
                 pool_after: Sequence[int] = MNIST_POOL_AFTER) -> None:
        super().__init__()
        if not (len(channels) == len(kernels) == len(paddings)):
            raise ValueError(f"channels, kernels and paddings need equal lengths, got {len(channels)}, "
                             f"{len(kernels)}, {len(paddings)}")
        self.image_size = image_size
        spatial_sizes(image_size, kernels, paddings, pool_after)
        chans = scaled_channels(channels, width)
        layers: list[tuple[str, nn.Module]] = []
        if mask:
            layers.append(("mask", input_mask(image_size)))
        c_in = in_channels
        for i, (c, k, p) in enumerate(zip(chans, kernels, paddings)):
            layers.append((f"conv{i + 1}", nn.Conv2d(c_in, c, k, padding=p, bias=not bn)))
            if bn:
                layers.append((f"bn{i + 1}", nn.BatchNorm2d(c)))
            layers.append((f"act{i + 1}", nn.ELU()))
            if i in pool_after:
                layers.append((f"pool{i + 1}", blur_pool()))
            c_in = c
        layers += [("gap", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten())]
        self.features = nn.Sequential(OrderedDict(layers))
        self.head = make_head(c_in, num_classes, bn=bn)
        self.channels = chans
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))

    def export(self) -> nn.Module:
        """A plain ``nn.Sequential`` copy (this model is plain already)."""
        return nn.Sequential(OrderedDict(features=copy.deepcopy(self.features), head=copy.deepcopy(self.head)))

    def describe(self) -> dict[str, Any]:
        return {"kind": "cnn", "channels": self.channels}
