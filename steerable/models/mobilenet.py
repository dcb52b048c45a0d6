"""Equivariant MobileNetV2 on regular fields of a finite planar group (C_N or D_N), and the plain one.

Inverted residual block on regular fields (Mohamed, Cesa, Cohen & Welling 2020):

* 1x1 expansion by ``t`` (skipped when ``t = 1``): an equivariant 1x1 conv between regular fields,
  i.e. a group convolution over the fibre, ``|G|`` parameters per pair of fields;
  field-wise BatchNorm (:class:`~steerable.nn.InnerBatchNorm`), pointwise ReLU6;
* 3x3 *depthwise* steerable conv where depthwise means per field: ``groups = number of fields``,
  each field mapped to itself by a steerable 3x3 kernel; BN, ReLU6;
* 1x1 linear projection and BN, no activation; ``x +`` the block when the stride is 1 and the
  field counts match.

Stem ``3x3 s2`` from the ``in_channels`` trivial fields, the stage table ``(t, c, n, s)``, a last
1x1 conv, then group pooling (max over each regular field: invariant), global average pooling,
dropout and a linear layer.  Every map is equivariant, pooling makes the logits invariant:
exactly under the grid symmetries of the group (90-degree rotations and the flips of D4) when
every stride-2 layer sees an odd side, i.e. for sides ``2^k + 1`` (33, 65, 97...).

**Channel rule.** A plain stage with ``c`` channels (``make_divisible(c * width_mult, 8)`` as in
torchvision) gets ``max(1, round(c / sqrt|G|))`` regular fields with ``channels="params"`` (the
default): a 1x1 layer then has ``c_in c_out`` parameters like the plain one (and ``|G|`` times
its MACs); with ``channels="macs"`` it gets ``max(1, round(c / |G|))`` fields: the same number of
channels, hence the same 1x1 MACs as the plain model (and ``1/|G|`` of the 1x1 parameters).  A
per-field depthwise layer sees the ``|G|`` channels of its field, so it costs ``|G|`` times the
plain depthwise MACs under either rule (:func:`~steerable.models.count_macs` counts them).

Example:
    >>> import torch
    >>> net = mobilenet_v2("d4", num_classes=2, width_mult=0.25, setting="tiny", last_channel=64).eval()
    >>> x = torch.randn(2, 3, 33, 33)
    >>> bool(torch.allclose(net(x), net(torch.rot90(x, 1, (2, 3))), atol=1e-5))
    True
    >>> bool(torch.allclose(net(x), net.export()(x), atol=1e-5))
    True
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..kernels.harmonics import DEFAULT_CUTOFF
from ..nn import FieldType, GeometricTensor, GroupPooling, InnerBatchNorm, R2Conv
from .groups import make_gspace, parse_group_spec
from .mobilenet_plain import (
    MOBILENET_V2_SETTING,
    MOBILENET_V2_TINY_SETTING,
    ConvBNAct,
    InvertedResidual,
    PlainMobileNetV2,
    fold_affine,
    make_divisible,
)

__all__ = ["mobilenet_v2", "EquivariantMobileNetV2", "MOBILENET_V2_SETTING", "MOBILENET_V2_TINY_SETTING"]

_GROUPS = ("trivial", "c4", "c8", "d4", "d8")


def mobilenet_v2(group: str = "d4", num_classes: int = 2, width_mult: float = 1.0, in_channels: int = 3, *,
                 setting: str | Sequence[tuple[int, int, int, int]] = "full", stem_channels: int = 32, last_channel: int = 1280,
                 dropout: float = 0.2, channels: str = "params", fields: Sequence[int] | None = None,
                 frequencies_cutoff: float | None = None, image_size: int | None = None) -> nn.Module:
    """MobileNetV2 on ``(B, in_channels, H, W)`` images: equivariant for ``group`` in ``'c4'``, ``'c8'``, ``'d4'``,
    ``'d8'`` (any ``cN``/``dN`` works), torchvision's plain network for ``'trivial'`` (``'c1'``, ``'cnn'``).

    Args:
        group: the symmetry group (see module docs).
        num_classes: logits.
        width_mult: torchvision's width multiplier.
        in_channels: image channels.
        setting: stage table ``(t, c, n, s)``, or ``'full'`` (MobileNetV2's) / ``'tiny'`` (four stages).
        stem_channels, last_channel, dropout: plain widths of the stem and last layer, classifier dropout.
        channels, fields, frequencies_cutoff: the equivariant model's width rule, explicit field
            counts and kernel band limit (see :class:`EquivariantMobileNetV2`); not for ``'trivial'``.
        image_size: the image side, checked only (any side works; ``2^k + 1`` keeps the symmetry exact).

    Example:
        >>> sum(p.numel() for p in mobilenet_v2("trivial", num_classes=1000).parameters())
        3504872
    """
    if not isinstance(group, str):
        raise TypeError(f"group must be a string such as {', '.join(_GROUPS)}, got {type(group).__name__}")
    if image_size is not None and (not isinstance(image_size, int) or image_size < 1):
        raise ValueError(f"image_size must be a positive int, got {image_size!r}")
    if isinstance(setting, str):
        if setting not in ("full", "tiny"):
            raise ValueError(f"setting must be 'full', 'tiny' or rows (t, c, n, s), got {setting!r}")
        setting = MOBILENET_V2_SETTING if setting == "full" else MOBILENET_V2_TINY_SETTING
    g = group.strip().lower()
    if g in ("trivial", "c1", "cnn", "plain"):
        if channels != "params" or fields is not None or frequencies_cutoff is not None:
            raise ValueError("the plain MobileNetV2 (group='trivial') takes no channels=, fields= or frequencies_cutoff=")
        return PlainMobileNetV2.build(num_classes=num_classes, width_mult=width_mult, in_channels=in_channels, setting=setting,
                                      stem_channels=stem_channels, last_channel=last_channel, dropout=dropout)
    return EquivariantMobileNetV2(g, num_classes=num_classes, width_mult=width_mult, in_channels=in_channels, setting=setting,
                                  stem_channels=stem_channels, last_channel=last_channel, channels=channels, fields=fields,
                                  dropout=dropout, frequencies_cutoff=frequencies_cutoff)


class _Block(nn.Module):
    """One inverted residual block on regular fields (the module docs' three layers)."""

    def __init__(self, t_in: FieldType, n_out: int, expand: int, stride: int, ckw: dict[str, Any]) -> None:
        super().__init__()
        gs = t_in.gspace
        reg = gs.regular_repr
        hidden = FieldType(gs, len(t_in) * expand * [reg])
        t_out = FieldType(gs, n_out * [reg])
        parts: list[tuple[nn.Module, nn.Module, bool]] = []
        if expand != 1:
            parts.append((R2Conv(t_in, hidden, 1, bias=False, **ckw), InnerBatchNorm(hidden), True))
        parts.append((R2Conv(hidden, hidden, 3, padding=1, stride=stride, groups=len(hidden), bias=False, **ckw),
                      InnerBatchNorm(hidden), True))
        parts.append((R2Conv(hidden, t_out, 1, bias=False, **ckw), InnerBatchNorm(t_out), False))
        self.convs = nn.ModuleList(p[0] for p in parts)
        self.bns = nn.ModuleList(p[1] for p in parts)
        self.acts = [p[2] for p in parts]
        self.use_res = stride == 1 and t_in == t_out
        self.in_type, self.out_type = t_in, t_out

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        h = x.tensor
        for conv, bn, act in zip(self.convs, self.bns, self.acts):
            h = bn(conv(GeometricTensor(h, conv.in_type))).tensor
            if act:
                h = F.relu6(h)
        return GeometricTensor(h + x.tensor if self.use_res else h, self.out_type)

    def export(self) -> InvertedResidual:
        return InvertedResidual([_export_cba(c, b, a) for c, b, a in zip(self.convs, self.bns, self.acts)], self.use_res)


def _export_cba(conv: R2Conv, bn: InnerBatchNorm, act: bool) -> ConvBNAct:
    """``conv -> bn -> (ReLU6)`` as a plain conv with the eval-mode BN folded in."""
    plain = conv.export()
    plain.field_size = conv.out_type.representations[0].size
    affine = bn.export()
    return ConvBNAct(fold_affine(plain, affine.scale, affine.shift), None, nn.ReLU6() if act else None)


class EquivariantMobileNetV2(nn.Module):
    """MobileNetV2 on regular fields of ``C_N`` / ``D_N``; logits invariant under the group (see module docs).

    Args:
        group: ``'cN'`` or ``'dN'`` (``N >= 2``).
        num_classes, width_mult, in_channels: as in :func:`mobilenet_v2`.
        setting: stage table of ``(t, c, n, s)`` (default MobileNetV2's; ``MOBILENET_V2_TINY_SETTING`` has four stages).
        stem_channels, last_channel: plain widths of the stem and of the last 1x1 layer.
        channels: ``'params'`` (fields = plain channels / ``sqrt |G|``) or ``'macs'`` (fields = plain channels / ``|G|``).
        fields: explicit field counts ``[stem, stage 1, ..., last]`` (overrides the rule).
        dropout: before the classifier.
        frequencies_cutoff: band limit of the 3x3 kernel bases (``None``: the library default).

    Shape: ``(B, in_channels, H, W) -> (B, num_classes)``; ``H, W = 2^k + 1`` keep stride 2 grid-exact.

    Example:
        >>> net = EquivariantMobileNetV2("c4", width_mult=0.25, setting=MOBILENET_V2_TINY_SETTING, last_channel=32)
        >>> net.fields
        [4, 4, 4, 4, 8, 16]
    """

    def __init__(self, group: str = "d4", num_classes: int = 2, width_mult: float = 1.0, in_channels: int = 3,
                 setting: Sequence[tuple[int, int, int, int]] = MOBILENET_V2_SETTING, stem_channels: int = 32,
                 last_channel: int = 1280, channels: str = "params", fields: Sequence[int] | None = None,
                 dropout: float = 0.2, frequencies_cutoff: float | None = None) -> None:
        super().__init__()
        spec = parse_group_spec(group)
        if spec.kind not in ("c", "d") or spec.restrict_id is not None or spec.order < 2:
            raise ValueError(f"unknown group {group!r} for MobileNetV2; expected one of {', '.join(_GROUPS)} (or cN / dN)")
        if channels not in ("params", "macs"):
            raise ValueError(f"channels must be 'params' or 'macs', got {channels!r}")
        if not isinstance(in_channels, int) or in_channels < 1:
            raise ValueError(f"in_channels must be a positive int, got {in_channels!r}")
        setting = [tuple(int(v) for v in row) for row in setting]
        if not setting or any(len(r) != 4 or min(r) < 1 for r in setting):
            raise ValueError(f"setting must be rows of 4 positive ints (t, c, n, s), got {setting!r}")
        self.spec, self.channels, self.setting = spec, channels, setting
        self.in_channels, self.num_classes, self.width_mult = in_channels, num_classes, width_mult
        gs = make_gspace(spec)
        order = spec.order
        div = math.sqrt(order) if channels == "params" else float(order)
        plain = [stem_channels * width_mult] + [c * width_mult for _, c, _, _ in setting] + [last_channel * max(1.0, width_mult)]
        counts = [max(1, int(round(make_divisible(c) / div))) for c in plain]
        if fields is not None:
            if len(fields) != len(counts) or any(int(f) < 1 for f in fields):
                raise ValueError(f"fields must be {len(counts)} positive ints (stem, {len(setting)} stages, last), got {fields!r}")
            counts = [int(f) for f in fields]
        self.fields = counts
        self.frequencies_cutoff = float(DEFAULT_CUTOFF if frequencies_cutoff is None else frequencies_cutoff)
        ckw = {"frequencies_cutoff": self.frequencies_cutoff}
        reg = gs.regular_repr
        self.in_type = FieldType(gs, in_channels * [gs.trivial_repr])
        t = FieldType(gs, counts[0] * [reg])
        self.stem = R2Conv(self.in_type, t, 3, padding=1, stride=2, bias=False, **ckw)
        self.stem_bn = InnerBatchNorm(t)
        blocks: list[_Block] = []
        for (e, _, n, s), f in zip(setting, counts[1:-1]):
            for i in range(n):
                blk = _Block(t, f, e, s if i == 0 else 1, ckw)
                blocks.append(blk)
                t = blk.out_type
        self.blocks = nn.ModuleList(blocks)
        t_last = FieldType(gs, counts[-1] * [reg])
        self.last = R2Conv(t, t_last, 1, bias=False, **ckw)
        self.last_bn = InnerBatchNorm(t_last)
        self.pool = GroupPooling(t_last)
        self.drop = nn.Dropout(dropout)
        self.classifier = nn.Linear(counts[-1], num_classes)
        nn.init.normal_(self.classifier.weight, 0, 0.01)
        nn.init.zeros_(self.classifier.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.dim() != 4 or x.shape[1] != self.in_channels:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"expected images of shape (batch, {self.in_channels}, H, W), got {got}")
        h = self.stem_bn(self.stem(GeometricTensor(x, self.in_type)))
        h = GeometricTensor(F.relu6(h.tensor), h.type)
        for b in self.blocks:
            h = b(h)
        h = self.last_bn(self.last(h))
        h = self.pool(GeometricTensor(F.relu6(h.tensor), h.type))
        return self.classifier(self.drop(F.adaptive_avg_pool2d(h.tensor, 1).flatten(1)))

    @torch.no_grad()
    def export(self) -> PlainMobileNetV2:
        """The plain :class:`PlainMobileNetV2` with expanded filters and every BN folded (same eval-mode outputs);
        each conv's ``field_size`` is ``|G|``."""
        import copy

        was = self.training
        self.eval()
        try:
            layers = [_export_cba(self.stem, self.stem_bn, True)] + [b.export() for b in self.blocks]
            layers.append(_export_cba(self.last, self.last_bn, True))
            net = PlainMobileNetV2(nn.Sequential(*layers), self.spec.order, copy.deepcopy(self.classifier), self.drop.p)
        finally:
            self.train(was)
        return net.eval()

    def rebuild_kwargs(self) -> dict[str, Any]:
        """Resolved field counts and band limit (stored in checkpoints)."""
        return {"fields": list(self.fields), "frequencies_cutoff": self.frequencies_cutoff}

    def describe(self) -> dict[str, Any]:
        return {"kind": "mobilenet_v2", "group": self.spec.name, "fields": self.fields, "channels": self.channels,
                "width_mult": self.width_mult}

