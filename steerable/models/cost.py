"""Inference cost of a model: multiply-accumulates (MACs), parameters and weight bytes, measured by a forward pass.

A convolution with ``C_in`` input and ``C_out`` output channels, ``groups`` groups and a ``k_1 x k_2``
kernel costs ``C_out H' W' (C_in / groups) k_1 k_2`` MACs on an output of side ``H' x W'``; a
linear layer ``in -> out`` costs ``in * out`` per row.  Counted layers: ``torch.nn.Conv{1,2,3}d``,
``torch.nn.Linear``, the steerable convolutions (their expanded filter is one convolution of
the same shape) and the quantised ``Conv2d``/``Linear`` of ``torch.ao`` (duck-typed on their
``in_channels``/``in_features`` attributes).  Biases, BatchNorm, activations and pooling are
not counted (MobileNet's convention).

Weight bytes: the bytes of the floating tensors of the ``state_dict`` (parameters and BN statistics;
derived buffers such as sampled bases are not in it); for a quantised model, of its INT8 weights
(one byte per element), their per-channel scales and the float biases.

Example:
    >>> import torch
    >>> cost = count_macs(torch.nn.Conv2d(3, 8, 3, padding=1), (1, 3, 10, 10))
    >>> cost.macs == 8 * 10 * 10 * 3 * 9, cost.parameters
    (True, 224)
"""
from __future__ import annotations

import math
from typing import NamedTuple, Sequence

import torch
import torch.nn as nn

__all__ = ["count_macs", "ModelCost"]


class ModelCost(NamedTuple):
    """``macs`` for the given input shape (all of its batch), ``parameters``, ``weight_bytes``."""

    macs: int
    parameters: int
    weight_bytes: int


def _layer_macs(m: nn.Module, out: torch.Tensor) -> int | None:
    if isinstance(out, tuple):
        out = out[0]
    t = getattr(out, "tensor", out)  # GeometricTensor or Tensor
    if not isinstance(t, torch.Tensor):
        return None
    if hasattr(m, "in_type") and hasattr(m, "out_type") and hasattr(m, "kernel_size") and hasattr(m, "groups"):
        c_in, groups = m.in_type.size, m.groups
        k = m.kernel_size if isinstance(m.kernel_size, tuple) else (m.kernel_size,) * (t.dim() - 2)
        return t.numel() * (c_in // groups) * math.prod(k)
    if hasattr(m, "in_channels") and hasattr(m, "kernel_size") and hasattr(m, "groups"):
        k = m.kernel_size if isinstance(m.kernel_size, tuple) else (m.kernel_size,) * (t.dim() - 2)
        return t.numel() * (m.in_channels // m.groups) * math.prod(k)
    if hasattr(m, "in_features") and hasattr(m, "out_features"):
        return t.numel() * m.in_features
    return None


def _weight_bytes(model: nn.Module) -> tuple[int, int]:
    params = sum(p.numel() for p in model.parameters())
    nbytes = 0
    # the state dict is what defines the model (derived buffers such as sampled bases are not in it);
    # quantised modules keep their weights packed there, outside parameters()
    for v in model.state_dict().values():
        if isinstance(v, tuple):  # packed params of a quantised Linear: (weight, bias)
            v = v[0]
        if not isinstance(v, torch.Tensor):
            continue
        if v.is_quantized:
            params += v.numel()
            nbytes += v.numel() * v.element_size()
            if v.qscheme() in (torch.per_channel_affine, torch.per_channel_symmetric):
                nbytes += v.q_per_channel_scales().numel() * 4
        elif v.is_floating_point():
            nbytes += v.numel() * v.element_size()
    return params, nbytes


@torch.no_grad()
def count_macs(model: nn.Module, input_shape: Sequence[int], dtype: torch.dtype = torch.float32) -> ModelCost:
    """MACs of one forward pass on a zero input of ``input_shape`` (batch included), parameters and weight bytes.

    Args:
        model: any ``torch.nn.Module`` (run in eval mode, restored afterwards).
        input_shape: e.g. ``(1, 3, 33, 33)``.
        dtype: dtype of the probe input.

    Example:
        >>> count_macs(torch.nn.Linear(4, 3), (2, 4)).macs
        24
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    shape = tuple(int(s) for s in input_shape)
    if not shape or min(shape) < 1:
        raise ValueError(f"input_shape must be positive sizes (batch, channels, ...), got {tuple(input_shape)}")
    total = [0]
    hooks = []

    def hook(m: nn.Module, inp, out) -> None:
        macs = _layer_macs(m, out)
        if macs is not None:
            total[0] += macs

    for m in model.modules():
        if _is_counted(m):
            hooks.append(m.register_forward_hook(hook))
    was = model.training
    model.eval()
    try:
        model(torch.zeros(shape, dtype=dtype))
    finally:
        for h in hooks:
            h.remove()
        model.train(was)
    params, nbytes = _weight_bytes(model)
    return ModelCost(int(total[0]), int(params), int(nbytes))


def _is_counted(m: nn.Module) -> bool:
    return (hasattr(m, "in_type") and hasattr(m, "out_type") and hasattr(m, "kernel_size") and hasattr(m, "groups")) or (
        hasattr(m, "in_channels") and hasattr(m, "kernel_size") and hasattr(m, "groups")) or (
        hasattr(m, "in_features") and hasattr(m, "out_features"))
