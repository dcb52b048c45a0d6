"""Plain-PyTorch MobileNetV2 (torchvision's architecture), also the target of the equivariant model's ``export()``.

The network is ``features`` (a stem ``conv3x3 s2 -> BN -> ReLU6``, the inverted residual blocks,
a last ``conv1x1 -> BN -> ReLU6``), then ``pool`` (max over the channels of each field of
``field_size`` channels: the identity for ``field_size = 1``), global average pooling,
dropout and a linear classifier.  Every :class:`ConvBNAct` may carry a BatchNorm or have it
folded into the convolution (``y = s (W x + b) + t = (s W) x + (s b + t)``), and every
convolution carries ``field_size``: the number of consecutive output channels that form one
field (channels a group element permutes among themselves).  Quantisers read it to share
one scale per field (:func:`steerable.quantization.quantize`).

The module is torch only and traceable by ``torch.fx`` (no data-dependent control flow).

Example:
    >>> import torch
    >>> net = PlainMobileNetV2.build(num_classes=10).eval()
    >>> sum(p.numel() for p in PlainMobileNetV2.build(num_classes=1000).parameters())
    3504872
    >>> net(torch.randn(1, 3, 33, 33)).shape
    torch.Size([1, 10])
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn

__all__ = ["PlainMobileNetV2", "ConvBNAct", "InvertedResidual", "FieldMaxPool", "make_divisible", "MOBILENET_V2_SETTING",
           "MOBILENET_V2_TINY_SETTING"]

#: MobileNetV2's stage table: expansion t, output channels c, repeats n, first stride s
MOBILENET_V2_SETTING: tuple[tuple[int, int, int, int], ...] = (
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))
#: four stages (stem stride 2 and three stride-2 stages: 33 -> 17 -> 9 -> 5 -> 3), for small images and CPU runs
MOBILENET_V2_TINY_SETTING: tuple[tuple[int, int, int, int], ...] = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 2, 2), (6, 64, 2, 2))


def make_divisible(v: float, divisor: int = 8) -> int:
    """torchvision's channel rounding: the multiple of ``divisor`` nearest ``v``, never below 90% of ``v``.

    Example:
        >>> make_divisible(32 * 0.35), make_divisible(1280 * 1.0)
        (16, 1280)
    """
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if new < 0.9 * v:
        new += divisor
    return new


class ConvBNAct(nn.Module):
    """``act(bn(conv(x)))`` with optional ``bn`` (``None`` once folded) and ``act`` (``None``: linear)."""

    def __init__(self, conv: nn.Conv2d, bn: nn.Module | None, act: nn.Module | None) -> None:
        super().__init__()
        self.conv, self.bn, self.act = conv, bn, act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        if self.act is not None:
            x = self.act(x)
        return x


class InvertedResidual(nn.Module):
    """``x + layers(x)`` when ``use_res`` else ``layers(x)`` (expansion, depthwise, linear projection)."""

    def __init__(self, layers: Sequence[nn.Module], use_res: bool) -> None:
        super().__init__()
        self.layers = nn.Sequential(*layers)
        self.use_res = bool(use_res)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.use_res:
            return x + self.layers(x)
        return self.layers(x)


class FieldMaxPool(nn.Module):
    """Max over each field's ``field_size`` consecutive channels: ``(B, F k, H, W) -> (B, F, H, W)``."""

    def __init__(self, field_size: int) -> None:
        super().__init__()
        self.field_size = int(field_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.field_size == 1:
            return x
        return x.unflatten(1, (-1, self.field_size)).amax(2)

    def extra_repr(self) -> str:
        return f"field_size={self.field_size}"


def _conv(c_in: int, c_out: int, k: int, stride: int = 1, groups: int = 1, bias: bool = False, field_size: int = 1) -> nn.Conv2d:
    conv = nn.Conv2d(c_in, c_out, k, stride, (k - 1) // 2, groups=groups, bias=bias)
    conv.field_size = field_size  # read by the per-field quantiser
    return conv


class PlainMobileNetV2(nn.Module):
    """MobileNetV2 on plain tensors ``(B, C, H, W) -> (B, num_classes)``; see the module docs.

    Build the conventional network with :meth:`build`; the equivariant model's ``export()``
    builds one from its expanded, BN-folded filters.

    Args:
        features: the convolutional trunk.
        field_size: channels per field of the trunk's output (pooled by :class:`FieldMaxPool`).
        classifier: the final ``nn.Linear``.
        dropout: dropout probability before the classifier.
    """

    def __init__(self, features: nn.Sequential, field_size: int, classifier: nn.Linear, dropout: float = 0.2) -> None:
        super().__init__()
        self.features = features
        self.pool = FieldMaxPool(field_size)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = classifier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.gap(self.pool(self.features(x))).flatten(1)
        return self.classifier(self.dropout(h))

    @classmethod
    def build(cls, num_classes: int = 1000, width_mult: float = 1.0, in_channels: int = 3,
              setting: Sequence[tuple[int, int, int, int]] = MOBILENET_V2_SETTING, stem_channels: int = 32,
              last_channel: int = 1280, dropout: float = 0.2) -> "PlainMobileNetV2":
        """torchvision's ``mobilenet_v2`` (same layers and parameter count, torchvision's initialisation)."""
        c = make_divisible(stem_channels * width_mult)
        last = make_divisible(last_channel * max(1.0, width_mult))
        layers: list[nn.Module] = [ConvBNAct(_conv(in_channels, c, 3, 2), nn.BatchNorm2d(c), nn.ReLU6())]
        for t, ch, n, s in setting:
            out = make_divisible(ch * width_mult)
            for i in range(n):
                stride = s if i == 0 else 1
                hidden = int(round(c * t))
                blk: list[nn.Module] = []
                if t != 1:
                    blk.append(ConvBNAct(_conv(c, hidden, 1), nn.BatchNorm2d(hidden), nn.ReLU6()))
                blk.append(ConvBNAct(_conv(hidden, hidden, 3, stride, groups=hidden), nn.BatchNorm2d(hidden), nn.ReLU6()))
                blk.append(ConvBNAct(_conv(hidden, out, 1), nn.BatchNorm2d(out), None))
                layers.append(InvertedResidual(blk, stride == 1 and c == out))
                c = out
        layers.append(ConvBNAct(_conv(c, last, 1), nn.BatchNorm2d(last), nn.ReLU6()))
        net = cls(nn.Sequential(*layers), 1, nn.Linear(last, num_classes), dropout)
        for m in net.modules():  # torchvision's initialisation
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)
        return net

    @torch.no_grad()
    def export(self) -> "PlainMobileNetV2":
        """A copy in eval mode with every BatchNorm folded into its convolution (same eval-mode outputs)."""
        import copy

        net = copy.deepcopy(self).eval()
        for m in net.modules():
            if isinstance(m, ConvBNAct) and isinstance(m.bn, nn.BatchNorm2d):
                s = m.bn.weight / torch.sqrt(m.bn.running_var + m.bn.eps)
                m.conv = fold_affine(m.conv, s, m.bn.bias - m.bn.running_mean * s)
                m.bn = None
        return net


def fold_affine(conv: nn.Conv2d, scale: torch.Tensor, shift: torch.Tensor) -> nn.Conv2d:
    """``conv`` followed by ``y[c] = scale[c] x[c] + shift[c]`` as one convolution with a bias (keeps ``field_size``)."""
    out = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, conv.dilation,
                    conv.groups, bias=True, padding_mode=conv.padding_mode, device=conv.weight.device, dtype=conv.weight.dtype)
    with torch.no_grad():
        out.weight.copy_(conv.weight * scale.view(-1, 1, 1, 1))
        b = conv.bias if conv.bias is not None else torch.zeros_like(shift)
        out.bias.copy_(b * scale + shift)
    out.field_size = getattr(conv, "field_size", 1)
    return out
