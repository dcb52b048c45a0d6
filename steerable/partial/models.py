"""A small steerable CNN whose convolutions learn their degree of equivariance.

:class:`PartialCNN` stacks ``conv -> batch norm -> nonlinearity`` blocks (stride-2 anti-aliased
pooling after all but the last), pools the feature map to a ``pool_grid`` of cells, maps each
cell's fields to invariants (group pooling for regular fields, norms for band-limited ones) and
ends with a linear head.  Per group:

=============  ============================  ==============  ===========  ===============
group          fields                        batch norm      activation   invariant map
=============  ============================  ==============  ===========  ===============
``cN``         regular                       InnerBatchNorm  ELU          GroupPooling
``so2``/``o2`` band-limited regular, ``L``   IIDBatchNorm2d  FourierELU   NormPool
=============  ============================  ==============  ===========  ===============

With ``relaxed=True`` every conv is a :class:`steerable.partial.R2Conv` with its own likelihood
(``layer_id`` = block index; ``share=True``: one likelihood for all), so the network starts
exactly equivariant and :func:`steerable.partial.regularization` plus training decide how much
each layer keeps; ``relaxed=False`` gives the fully equivariant network with the same fields.
A ``pool_grid`` other than ``(1, 1)`` keeps where features are (left / right digit of DDMNIST):
the network is then equivariant locally, not globally.

Example:
    >>> import torch
    >>> net = PartialCNN("c4", fields=(2, 2, 2), image_size=(15, 15))
    >>> net(torch.randn(2, 1, 15, 15)).shape
    torch.Size([2, 10])
"""
from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..gspaces import GSpace, flipRot2dOnR2, rot2dOnR2
from ..nn import (
    ELU, FieldType, FourierELU, GeometricTensor, GroupPooling, IIDBatchNorm2d, InnerBatchNorm, NormPool,
    PointwiseAvgPoolAntialiased2D, SequentialModule,
)
from ..nn import R2Conv as EquivariantR2Conv
from .conv import R2Conv
from .likelihood import GroupLikelihood, LikelihoodSet

__all__ = ["PartialCNN", "partial_gspace", "PARTIAL_GROUPS"]

#: the group names :class:`PartialCNN` takes (any ``cN``/``dN`` works too)
PARTIAL_GROUPS = ("so2", "o2", "c4", "c8", "d4")


def partial_gspace(group: str, maxfreq: int = 2) -> GSpace:
    """The gspace of ``'so2'``, ``'o2'``, ``'cN'`` or ``'dN'`` on the plane (``maxfreq``: band of ``so2``/``o2``)."""
    g = group.strip().lower() if isinstance(group, str) else ""
    if g == "so2":
        return rot2dOnR2(-1, maximum_frequency=max(6, 2 * maxfreq))
    if g == "o2":
        return flipRot2dOnR2(-1, maximum_frequency=max(6, 2 * maxfreq))
    if len(g) > 1 and g[0] in "cd" and g[1:].isdigit() and int(g[1:]) >= 1:
        N = int(g[1:])
        return rot2dOnR2(N) if g[0] == "c" else flipRot2dOnR2(N)
    raise ValueError(f"group must be 'so2', 'o2', 'cN' or 'dN' (N >= 1), got {group!r}")


class PartialCNN(nn.Module):
    """A steerable CNN with relaxed (learned-degree) or exactly equivariant convolutions.

    Args:
        group: ``'so2'``, ``'o2'``, ``'cN'`` or ``'dN'``.
        fields: fields per block (its length is the depth); default ``3 x round(8 width)``.
        kernels: kernel size per block (default 5 for all but the last, 3 for it).
        in_channels, num_classes: input channels (trivial fields) and classes.
        image_size: ``(H, W)`` of the inputs (checked in ``forward``).
        relaxed: relaxed convolutions (``False``: exactly equivariant ones).
        band_limit, output_band_limit: of the likelihoods (capped at a finite group's maximum frequency).
        share: one likelihood shared by all convolutions (``layer_id`` 0).
        maxfreq: band limit of the ``so2``/``o2`` fields; fourier_n: grid of their FourierELU.
        pool_grid: cells of the final average pooling (``(1, 2)`` keeps left from right).
        width: scales the default fields (``steerable train --width``).

    Shape: ``(B, in_channels, H, W) -> (B, num_classes)``.
    """

    def __init__(self, group: str = "so2", fields: Sequence[int] | None = None, kernels: Sequence[int] | None = None,
                 in_channels: int = 1, num_classes: int = 10, image_size: tuple[int, int] | int = 29,
                 relaxed: bool = True, band_limit: int = 2, output_band_limit: int | None = None, share: bool = False,
                 maxfreq: int = 2, fourier_n: int = 8, pool_grid: tuple[int, int] = (1, 1), width: float = 1.0) -> None:
        super().__init__()
        if not isinstance(width, (int, float)) or isinstance(width, bool) or not width > 0:
            raise ValueError(f"width must be a positive number, got {width!r}")
        fields = [max(1, round(8 * width))] * 3 if fields is None else [int(f) for f in fields]
        if not fields or any(f < 1 for f in fields):
            raise ValueError(f"fields must be a non-empty list of positive ints, got {fields!r}")
        kernels = [5] * (len(fields) - 1) + [3] if kernels is None else [int(k) for k in kernels]
        if len(kernels) != len(fields) or any(k < 1 or k % 2 == 0 for k in kernels):
            raise ValueError(f"kernels must be {len(fields)} odd positive ints, got {kernels!r}")
        self.image_size = (image_size, image_size) if isinstance(image_size, int) else tuple(int(s) for s in image_size)
        self.group, self.relaxed, self.pool_grid = group, bool(relaxed), tuple(pool_grid)
        gs = partial_gspace(group, maxfreq)
        G = gs.fibergroup
        self.continuous = G.continuous
        top = None if G.continuous else max(int(p.attributes.get("frequency", 0)) for p in G.irreps())
        L = band_limit if top is None else min(band_limit, top)
        L_out = (L if output_band_limit is None else output_band_limit)
        L_out = L_out if top is None else min(L_out, top)
        self.likelihood_bank = LikelihoodSet(gs, band_limit=L, output_band_limit=L_out) if relaxed else None
        self.in_type = FieldType(gs, in_channels * [gs.trivial_repr])
        blocks: list[tuple[str, nn.Module]] = []
        t_in = self.in_type
        for i, (n, k) in enumerate(zip(fields, kernels)):
            t_out = FourierELU.field_type(gs, n, maxfreq) if self.continuous else FieldType(gs, n * [gs.regular_repr])
            blocks.append((f"conv{i + 1}", self._conv(t_in, t_out, k, 0 if share else i)))
            blocks.append((f"bn{i + 1}", IIDBatchNorm2d(t_out) if self.continuous else InnerBatchNorm(t_out)))
            act = FourierELU(gs, n, maxfreq, N=fourier_n) if self.continuous else ELU(t_out)
            blocks.append((f"act{i + 1}", act))
            t_out = act.out_type
            if i < len(fields) - 1:
                blocks.append((f"pool{i + 1}", PointwiseAvgPoolAntialiased2D(t_out, sigma=0.66, stride=2)))
            t_in = t_out
        self.features = SequentialModule(OrderedDict(blocks))
        perm = all(r.is_permutation for r in t_in.representations)
        self.invariant = GroupPooling(t_in) if perm else NormPool(t_in)
        cells = self.pool_grid[0] * self.pool_grid[1]
        self.head = nn.Sequential(nn.BatchNorm1d(len(t_in) * cells), nn.ELU(), nn.Linear(len(t_in) * cells, num_classes))
        self.fields, self.kernels = fields, kernels

    def _conv(self, t_in: FieldType, t_out: FieldType, k: int, layer_id: int) -> nn.Module:
        if self.likelihood_bank is None:
            return EquivariantR2Conv(t_in, t_out, k, padding=k // 2, bias=False)
        return R2Conv(t_in, t_out, k, padding=k // 2, bias=False, likelihood=self.likelihood_bank.get(layer_id))

    @property
    def likelihoods(self) -> list[GroupLikelihood]:
        """The likelihoods, by layer id (empty for ``relaxed=False``)."""
        if self.likelihood_bank is None:
            return []
        return [self.likelihood_bank[k] for k in sorted(self.likelihood_bank.keys(), key=int)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_type.size or tuple(x.shape[2:]) != self.image_size:
            raise ValueError(f"PartialCNN expects (B, {self.in_type.size}, {self.image_size[0]}, {self.image_size[1]}), "
                             f"got {tuple(x.shape)}")
        y = self.features(GeometricTensor(x, self.in_type))
        pooled = GeometricTensor(F.adaptive_avg_pool2d(y.tensor, self.pool_grid), y.type)
        return self.head(self.invariant(pooled).tensor.flatten(1))

    def describe(self) -> dict[str, Any]:
        return {"kind": "partial" if self.relaxed else "steerable", "group": self.group, "fields": self.fields,
                "parameters": sum(p.numel() for p in self.parameters())}


def fit_fields(target: int, depth: int = 3, **kw: Any) -> list[int]:
    """Equal fields per block whose :class:`PartialCNN` has the parameter count closest to ``target`` (log scale)."""
    best, best_err = [1] * depth, math.inf
    lo, hi = 1, 128
    while lo <= hi:  # parameter counts grow with the fields: bisect, then compare the neighbours
        mid = (lo + hi) // 2
        n = sum(p.numel() for p in PartialCNN(fields=[mid] * depth, **kw).parameters())
        err = abs(math.log(n / target))
        if err < best_err:
            best, best_err = [mid] * depth, err
        if n < target:
            lo = mid + 1
        else:
            hi = mid - 1
    return best
