"""Models for rotation-equivariance experiments (rotated MNIST and larger images).

* :class:`ConvNet`: the conventional CNN baseline;
* :class:`SteerableCNN`: C_N / D_N / SO(2) / O(2) steerable CNNs of the E(2)-CNN paper's MNIST
  experiments, with optional restriction to a subgroup in the late layers;
* :class:`WideResNet`: WRN-d-k, conventional or equivariant;
* :func:`mobilenet_v2`: MobileNetV2, plain or on regular fields of C_N / D_N (per-field depthwise convs);
* :func:`count_macs`: multiply-accumulates, parameters and weight bytes of any of them;
* :func:`build_model`: any of them by name (``'cnn'``, ``'c8'``, ``'d16|c16'``, ``'wrn-16-4-d8'``...).

Every model maps ``(batch, channels, H, W)`` tensors to logits, has parameter counts close to the
conventional model's at the same ``width`` (see :class:`SteerableCNN` for the rule), and
``export()`` s to a plain ``torch.nn.Module`` with the same eval-mode outputs.

Example:
    >>> import torch
    >>> net = build_model("d4", width=0.25).eval()
    >>> plain = net.export()
    >>> x = torch.randn(2, 1, 29, 29)
    >>> bool(torch.allclose(net(x), plain(x), atol=1e-5))
    True
"""
from .cnn import ConvNet
from .groups import GroupSpec, make_gspace, parse_group_spec
from .cost import ModelCost, count_macs
from .mobilenet import EquivariantMobileNetV2, mobilenet_v2
from .mobilenet_plain import MOBILENET_V2_SETTING, MOBILENET_V2_TINY_SETTING, PlainMobileNetV2
from .registry import MODEL_NAMES, build_model, canonical_model_name, check_model_kwargs
from .steerable_cnn import SteerableCNN, count_parameters
from .wrn import WideResNet, parse_wrn_name

__all__ = ["ConvNet", "SteerableCNN", "WideResNet", "build_model", "check_model_kwargs", "canonical_model_name", "MODEL_NAMES",
           "count_parameters", "GroupSpec", "parse_group_spec", "make_gspace", "parse_wrn_name",
           "mobilenet_v2", "EquivariantMobileNetV2", "PlainMobileNetV2", "MOBILENET_V2_SETTING", "MOBILENET_V2_TINY_SETTING",
           "count_macs", "ModelCost"]
