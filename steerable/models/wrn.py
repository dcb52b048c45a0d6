"""Wide ResNets WRN-d-k (Zagoruyko & Komodakis), conventional and equivariant, for larger images.

``depth = 6 n + 4``: a 3x3 stem conv, three stages of ``n`` pre-activation wide blocks
(``BN -> ReLU -> conv3x3(stride) -> BN -> ReLU -> conv3x3``, 1x1 projection shortcut when the
shape changes) with ``16k, 32k, 64k`` channels and strides 1, 2, 2, then
``BN -> ReLU -> global average pooling -> Linear``.

The equivariant version (``group='d8'``, ``'c8'``, ``'so2'``..., optionally ``'d8|c4'`` with the
restriction at the start of stage ``restrict_stage``) uses the same fields, width rule and
parameter matching as :class:`~steerable.models.SteerableCNN`, a group pooling before the final
linear layer, and exports to plain PyTorch like every model here.  Stride-2 convolutions keep
the grid symmetries exact only on odd sides (e.g. 33 -> 17 -> 9); on even sides (CIFAR's 32)
the 90-degree invariance is approximate.

Example:
    >>> import torch
    >>> net = WideResNet(depth=10, widen_factor=1, group="c4", image_size=17).eval()
    >>> x = torch.randn(1, 3, 17, 17)
    >>> bool(torch.allclose(net(x), net(torch.rot90(x, 1, (2, 3))), atol=1e-4))
    True
"""
from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..kernels.harmonics import DEFAULT_CUTOFF
from ..nn import (
    FieldType,
    FourierPointwise,
    GeometricTensor,
    GroupPooling,
    IIDBatchNorm2d,
    InnerBatchNorm,
    NormPool,
    PointwiseDropout,
    R2Conv,
    ReLU,
    RestrictionModule,
)
from .groups import GroupSpec, make_gspace, parse_group_spec
from .steerable_cnn import count_parameters

__all__ = ["WideResNet", "parse_wrn_name"]


def parse_wrn_name(name: str) -> dict[str, Any]:
    """``'wrn-16-4'`` -> ``{depth: 16, widen_factor: 4}``; ``'wrn-16-4-d8'`` adds ``group='d8'``.

    Example:
        >>> parse_wrn_name("wrn-28-10-d8|c4")
        {'depth': 28, 'widen_factor': 10, 'group': 'd8|c4'}
    """
    parts = name.split("-", 3)
    if len(parts) < 3 or parts[0] != "wrn" or not parts[1].isdigit() or not parts[2].isdigit():
        raise ValueError(f"expected a WRN name 'wrn-DEPTH-K[-GROUP]' such as 'wrn-16-4' or 'wrn-16-4-d8', got {name!r}")
    out: dict[str, Any] = {"depth": int(parts[1]), "widen_factor": int(parts[2])}
    if len(parts) == 4:
        out["group"] = parts[3]
    return out


# ---------------------------------------------------------------------- conventional
class _PlainBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int, dropout: float) -> None:
        super().__init__()
        self.bn1, self.act1 = nn.BatchNorm2d(c_in), nn.ReLU()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn2, self.act2 = nn.BatchNorm2d(c_out), nn.ReLU()
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.shortcut = nn.Conv2d(c_in, c_out, 1, stride, 0, bias=False) if (stride != 1 or c_in != c_out) else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        o = self.act1(self.bn1(x))
        y = self.conv2(self.drop(self.act2(self.bn2(self.conv1(o)))))
        return y + (x if self.shortcut is None else self.shortcut(o))


# ---------------------------------------------------------------------- equivariant
class _Fields:
    """Field kind of a stage: regular fields (finite groups) or band-limited Fourier fields."""

    def __init__(self, gspace, maxfreq: int, fourier_n: int | None) -> None:
        self.gspace, self.maxfreq, self.fourier_n = gspace, maxfreq, fourier_n
        self.continuous = gspace.fibergroup.continuous

    def type(self, n: int) -> FieldType:
        if self.continuous:
            return FourierPointwise.field_type(self.gspace, n, self.maxfreq)
        return FieldType(self.gspace, n * [self.gspace.regular_repr])

    @property
    def dim(self) -> int:
        return self.type(1).size

    def act(self, t: FieldType) -> nn.Module:
        if self.continuous:
            kw = {} if self.fourier_n is None else {"N": self.fourier_n}
            return FourierPointwise(self.gspace, len(t), self.maxfreq, function="p_relu", **kw)
        return ReLU(t)

    def bn(self, t: FieldType) -> nn.Module:
        return IIDBatchNorm2d(t) if self.continuous else InnerBatchNorm(t)


class _PlainEquivariantBlockExport(nn.Module):
    def __init__(self, parts: dict[str, nn.Module]) -> None:
        super().__init__()
        for k, v in parts.items():
            self.add_module(k, v)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        o = self.act1(self.bn1(x))
        y = self.conv2(self.drop(self.act2(self.bn2(self.conv1(o)))))
        return y + (x if self.shortcut is None else self.shortcut(o))


class _EquivariantBlock(nn.Module):
    def __init__(self, t_in: FieldType, fields: _Fields, n_out: int, stride: int, dropout: float,
                 conv_kw: dict[str, Any]) -> None:
        super().__init__()
        self.in_type = t_in
        self.bn1 = fields.bn(t_in) if _is_kind(t_in, fields) else _bn_any(t_in)
        self.act1 = fields.act(t_in) if _is_kind(t_in, fields) else _act_any(t_in, fields)
        mid = self.act1.out_type
        t_out = fields.type(n_out)
        self.conv1 = R2Conv(mid, t_out, 3, stride=stride, padding=1, bias=False, **conv_kw)
        self.bn2 = fields.bn(t_out)
        self.act2 = fields.act(t_out)
        self.dropout = dropout
        t_act2 = self.act2.out_type
        self.drop = PointwiseDropout(t_act2, dropout) if dropout > 0 else None
        self.conv2 = R2Conv(t_act2, t_out, 3, padding=1, bias=False, **conv_kw)
        self.shortcut = (R2Conv(mid, t_out, 1, stride=stride, bias=False, **conv_kw)
                         if (stride != 1 or mid != t_out) else None)
        self.out_type = t_out

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        o = self.act1(self.bn1(x))
        h = self.act2(self.bn2(self.conv1(o)))
        if self.drop is not None:
            h = self.drop(h)
        y = self.conv2(h)
        return y + (x if self.shortcut is None else self.shortcut(o))

    def export(self) -> nn.Module:
        return _PlainEquivariantBlockExport({
            "bn1": self.bn1.export(), "act1": self.act1.export(), "conv1": self.conv1.export(),
            "bn2": self.bn2.export(), "act2": self.act2.export(),
            "drop": nn.Identity() if self.drop is None else self.drop.export(),
            "conv2": self.conv2.export(), "shortcut": None if self.shortcut is None else self.shortcut.export(),
        })


def _is_kind(t: FieldType, fields: _Fields) -> bool:
    ref = fields.type(1).representations[0]
    return all(r == ref for r in t.representations)


def _bn_any(t: FieldType) -> nn.Module:
    return InnerBatchNorm(t) if all(r.is_permutation for r in t.representations) else IIDBatchNorm2d(t)


def _act_any(t: FieldType, fields: _Fields) -> nn.Module:
    if all(r.is_permutation for r in t.representations):
        return ReLU(t)
    raise ValueError(f"no pointwise nonlinearity for the restricted fields {t}; restrict to a finite subgroup")


class WideResNet(nn.Module):
    """WRN-``depth``-``widen_factor``, conventional (``group=None``) or equivariant (see module docs).

    Args:
        depth: ``6 n + 4``.
        widen_factor: ``k``.
        group: ``None`` for the conventional WRN, else a group spec (``'d8'``, ``'c8|c4'``...).
        restrict_stage: stage (1 or 2) whose first block is only equivariant to the subgroup.
        in_channels, num_classes, image_size: data shape.
        dropout: dropout inside the blocks.
        match_params: fit the field counts to the conventional WRN's parameter count.
        maxfreq, fourier_n: fields of ``SO(2)``/``O(2)`` models.
        fields: explicit field counts of the stem and the three stages (overrides the width rule).
        frequencies_cutoff: band limit of the kernel bases (``None``: the library default).
    """

    def __init__(self, depth: int = 16, widen_factor: int = 4, group: str | GroupSpec | None = None,
                 restrict: str | None = None, restrict_stage: int = 2, in_channels: int = 3, num_classes: int = 10,
                 image_size: int = 33, dropout: float = 0.0, match_params: bool = True, maxfreq: int = 3,
                 fourier_n: int | None = 16, base_channels: int = 16, fields: Sequence[int] | None = None,
                 frequencies_cutoff: float | None = None) -> None:
        super().__init__()
        if depth < 10 or (depth - 4) % 6:
            raise ValueError(f"WRN depth must be 6n + 4 >= 10, got {depth}")
        if widen_factor < 1:
            raise ValueError(f"widen_factor must be >= 1, got {widen_factor}")
        n = (depth - 4) // 6
        widths = [base_channels, base_channels * widen_factor, 2 * base_channels * widen_factor,
                  4 * base_channels * widen_factor]
        self.depth, self.widen_factor, self.image_size = depth, widen_factor, image_size
        self.equivariant = group is not None
        if not self.equivariant:
            self.spec = None
            self.stem = nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False)
            blocks, c = [], widths[0]
            for s, w in enumerate(widths[1:]):
                for b in range(n):
                    blocks.append(_PlainBlock(c, w, (1 if s == 0 else 2) if b == 0 else 1, dropout))
                    c = w
            self.blocks = nn.ModuleList(blocks)
            self.bn, self.act = nn.BatchNorm2d(c), nn.ReLU()
            self.fc = nn.Linear(c, num_classes)
            self.fields = widths
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            self.param_ratio = 1.0
            return

        spec = parse_group_spec(group, restrict)
        if spec.restrict_id is not None and restrict_stage not in (1, 2):
            raise ValueError(f"restrict_stage must be 1 or 2, got {restrict_stage}")
        self.spec = spec
        gs = make_gspace(spec)
        fields_g = _Fields(gs, maxfreq, fourier_n)
        fields_h = fields_g
        if spec.restrict_id is not None:
            sub, _, _ = gs.restrict(spec.restrict_id)
            fields_h = _Fields(sub, maxfreq, fourier_n)
        stage_fields = [fields_g] + [fields_h if (spec.restrict_id is not None and s >= restrict_stage) else fields_g
                                     for s in range(3)]
        # stage_fields[0]: stem; [1..3]: stages
        dims = [f.dim for f in stage_fields]
        self.frequencies_cutoff = float(DEFAULT_CUTOFF if frequencies_cutoff is None else frequencies_cutoff)
        ckw = {"frequencies_cutoff": self.frequencies_cutoff}
        if fields is not None:
            if len(fields) != 4 or any(int(f) < 1 for f in fields):
                raise ValueError(f"fields must be 4 positive ints (stem and three stages), got {fields!r}")
            scale = None
        elif match_params:
            target = count_parameters(WideResNet(depth, widen_factor, None, in_channels=in_channels,
                                                 num_classes=num_classes, image_size=image_size,
                                                 base_channels=base_channels))
            best, best_err, cache = 1.0, float("inf"), {}
            for s in np.arange(0.3, 4.0, 0.01):
                counts = [max(1, int(round(s * w / math.sqrt(d)))) for w, d in zip(widths, dims)]
                err = abs(math.log(self._estimate(counts, stage_fields, n, in_channels, num_classes,
                                                  spec, restrict_stage, cache, ckw) / target))
                if err < best_err - 1e-12:
                    best, best_err = float(s), err
            scale = round(best, 3)
        else:
            scale = 1.0
        if fields is not None:
            counts = [int(f) for f in fields]
        else:
            counts = [max(1, int(round(scale * w / math.sqrt(d)))) for w, d in zip(widths, dims)]
        self.scale, self.fields = scale, counts

        self.in_type = FieldType(gs, in_channels * [gs.trivial_repr])
        self.stem = R2Conv(self.in_type, fields_g.type(counts[0]), 3, padding=1, bias=False, **ckw)
        t = self.stem.out_type
        blocks: list[nn.Module] = []
        for s in range(3):
            fl = stage_fields[s + 1]
            for b in range(n):
                if spec.restrict_id is not None and s == restrict_stage and b == 0:
                    res = RestrictionModule(t, spec.restrict_id)
                    blocks.append(res)
                    t = res.out_type
                blk = _EquivariantBlock(t, fl, counts[s + 1], (1 if s == 0 else 2) if b == 0 else 1, dropout, ckw)
                blocks.append(blk)
                t = blk.out_type
        self.blocks = nn.ModuleList(blocks)
        self.bn = stage_fields[3].bn(t)
        self.act = stage_fields[3].act(t)
        t = self.act.out_type
        self.invariant = GroupPooling(t) if all(r.is_permutation for r in t.representations) else NormPool(t)
        self.fc = nn.Linear(len(t), num_classes)
        ref = count_parameters(WideResNet(depth, widen_factor, None, in_channels=in_channels, num_classes=num_classes,
                                          image_size=image_size, base_channels=base_channels))
        self.param_ratio = count_parameters(self) / ref

    @staticmethod
    def _estimate(counts, stage_fields, n, in_channels, num_classes, spec, restrict_stage, cache: dict,
                  ckw: dict[str, Any]) -> int:
        """Parameter count for ``counts`` without building the layers (per-pair basis sizes, cached in ``cache``)."""

        def pair(t_in: FieldType, t_out: FieldType, k: int) -> int:
            key = (t_in.representations[0].name, t_in.gspace.name, t_out.representations[0].name, k)
            if key not in cache:
                cache[key] = R2Conv(t_in, t_out, k, bias=False, initialize=False, **ckw).weights.numel()
            return cache[key]

        f0 = stage_fields[0]
        triv = FieldType(f0.gspace, [f0.gspace.trivial_repr])
        p = in_channels * counts[0] * pair(triv, f0.type(1), 3)
        c_prev, f_prev = counts[0], f0
        for s in range(3):
            fl, c = stage_fields[s + 1], counts[s + 1]
            for b in range(n):
                t_in1 = f_prev.type(1)
                if spec.restrict_id is not None and s == restrict_stage and b == 0:
                    t_in1 = t_in1.restrict(spec.restrict_id)
                p += 2 * c_prev  # bn1
                p += c * c_prev * pair(t_in1, fl.type(1), 3) + 2 * c  # conv1, bn2
                p += c * c * pair(fl.type(1), fl.type(1), 3)  # conv2
                if b == 0:
                    p += c * c_prev * pair(t_in1, fl.type(1), 1)
                c_prev, f_prev = c, fl
        return p + 2 * c_prev + c_prev * num_classes + num_classes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.equivariant:
            h = self.stem(x)
            for b in self.blocks:
                h = b(h)
            h = F.adaptive_avg_pool2d(self.act(self.bn(h)), 1).flatten(1)
            return self.fc(h)
        h = self.stem(GeometricTensor(x, self.in_type))
        for b in self.blocks:
            h = b(h)
        h = self.act(self.bn(h))
        h = GeometricTensor(F.adaptive_avg_pool2d(h.tensor, 1), h.type)
        return self.fc(self.invariant(h).tensor.flatten(1))

    @torch.no_grad()
    def export(self) -> nn.Module:
        """A plain ``nn.Sequential`` with the same eval-mode outputs."""
        import copy

        was = self.training
        self.eval()
        try:
            if not self.equivariant:
                net = nn.Sequential(OrderedDict(
                    stem=copy.deepcopy(self.stem), blocks=nn.Sequential(*copy.deepcopy(list(self.blocks))),
                    bn=copy.deepcopy(self.bn), act=nn.ReLU(), gap=nn.AdaptiveAvgPool2d(1), flatten=nn.Flatten(),
                    fc=copy.deepcopy(self.fc)))
            else:
                net = nn.Sequential(OrderedDict(
                    stem=self.stem.export(), blocks=nn.Sequential(*[b.export() for b in self.blocks]),
                    bn=self.bn.export(), act=self.act.export(), gap=nn.AdaptiveAvgPool2d(1),
                    invariant=self.invariant.export(), flatten=nn.Flatten(), fc=copy.deepcopy(self.fc)))
        finally:
            self.train(was)
        p = next(self.parameters())
        return net.to(device=p.device, dtype=p.dtype).eval()

    def rebuild_kwargs(self) -> dict[str, Any]:
        """Resolved field counts and band limit (stored in checkpoints; see ``SteerableCNN.rebuild_kwargs``)."""
        if not self.equivariant:
            return {}
        return {"fields": list(self.fields), "frequencies_cutoff": self.frequencies_cutoff}

    def describe(self) -> dict[str, Any]:
        return {"kind": "wrn", "depth": self.depth, "widen_factor": self.widen_factor,
                "group": None if self.spec is None else self.spec.full_name, "fields": self.fields,
                "param_ratio": round(self.param_ratio, 4)}
