"""``quantize(model, calibration_data, scheme, backend)``: static INT8 post-training quantisation (see package docs)."""
from __future__ import annotations

import io
import warnings
from typing import Iterable

import torch
import torch.nn as nn

from ..nn.module import EquivariantModule

__all__ = ["quantize", "PerFieldMinMaxObserver", "SCHEMES", "BACKENDS", "state_dict_bytes"]

SCHEMES = ("per-field", "per-channel", "per-tensor")
BACKENDS = ("x86", "fbgemm", "qnnpack", "onednn")


def _ao():
    """``torch.ao.quantization`` (deprecated in favour of torchao since torch 2.10, still the in-tree stack)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import torch.ao.quantization as q
        from torch.ao.quantization import quantize_fx
    return q, quantize_fx


def _observer_base():
    return _ao()[0].PerChannelMinMaxObserver


class PerFieldMinMaxObserver(_observer_base()):
    """Symmetric INT8 weight observer with one scale per field of ``field_size`` consecutive output channels.

    ``scale_f = max_{c in f} max |w_c| / 127.5`` (the per-channel observer's range, maximised over
    each field), so all channels of a field round alike.  ``field_size=1`` is per-channel.

    Example:
        >>> obs = PerFieldMinMaxObserver(field_size=2)
        >>> _ = obs(torch.tensor([[1.0], [-4.0], [2.0], [0.5]]).view(4, 1, 1, 1))
        >>> [round(v * 127.5, 4) for v in obs.calculate_qparams()[0].tolist()]
        [4.0, 4.0, 2.0, 2.0]
    """

    def __init__(self, field_size: int = 1, ch_axis: int = 0, dtype: torch.dtype = torch.qint8,
                 qscheme: torch.qscheme = torch.per_channel_symmetric, **kw) -> None:
        super().__init__(ch_axis=ch_axis, dtype=dtype, qscheme=qscheme, **kw)
        if not isinstance(field_size, int) or field_size < 1:
            raise ValueError(f"field_size must be a positive int, got {field_size!r}")
        self.field_size = field_size

    def calculate_qparams(self) -> tuple[torch.Tensor, torch.Tensor]:
        mn, mx, k = self.min_val, self.max_val, self.field_size
        if k > 1 and mn.numel() > 0:
            if mn.numel() % k:
                raise ValueError(f"{mn.numel()} output channels do not split into fields of {k}")
            mn = mn.view(-1, k).amin(1, keepdim=True).expand(-1, k).reshape(-1)
            mx = mx.view(-1, k).amax(1, keepdim=True).expand(-1, k).reshape(-1)
        return self._calculate_qparams(mn, mx)


def _check_model(model: nn.Module, scheme: str) -> list[tuple[str, nn.Module]]:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    for name, m in model.named_modules():
        if isinstance(m, EquivariantModule):
            raise ValueError(f"quantize() takes the exported plain model: {name or 'the model'} is a {type(m).__name__}; "
                             f"call model.export() first (it expands the filters and folds BatchNorm)")
    layers = [(n, m) for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    if not layers:
        raise ValueError("the model has no Conv2d or Linear layer to quantise")
    if scheme == "per-field":
        missing = [n for n, m in layers if isinstance(m, nn.Conv2d) and not isinstance(getattr(m, "field_size", None), int)]
        if missing:
            raise ValueError(f"scheme='per-field' needs each Conv2d's field_size (channels per field), as export() of a "
                             f"steerable model sets it; missing on {missing[:3]}")
    return layers


def _calibration_batches(data: torch.Tensor | Iterable[torch.Tensor], first: nn.Module) -> list[torch.Tensor]:
    batches = [data] if isinstance(data, torch.Tensor) else list(data)
    if not batches:
        raise ValueError("calibration_data is empty; give a tensor (N, C, H, W) or an iterable of such batches")
    want = first.in_channels if isinstance(first, nn.Conv2d) else first.in_features
    for b in batches:
        if isinstance(b, (tuple, list)):  # (x, y) pairs from a DataLoader
            b = b[0]
        if not isinstance(b, torch.Tensor) or not b.is_floating_point():
            raise TypeError(f"calibration batches must be float tensors, got {type(b).__name__}")
        ok = b.dim() == 4 and b.shape[1] == want if isinstance(first, nn.Conv2d) else b.shape[-1] == want
        if not ok or b.shape[0] < 1:
            shape = f"(N, {want}, H, W)" if isinstance(first, nn.Conv2d) else f"(N, {want})"
            raise ValueError(f"calibration data must have shape {shape} for this model, got {tuple(b.shape)}")
    return [b[0] if isinstance(b, (tuple, list)) else b for b in batches]


def _qconfig(q, scheme: str, field_size: int, reduce_range: bool, conv: bool):
    act = q.HistogramObserver.with_args(dtype=torch.quint8, qscheme=torch.per_tensor_affine, reduce_range=reduce_range)
    if scheme == "per-tensor":
        w = q.MinMaxObserver.with_args(dtype=torch.qint8, qscheme=torch.per_tensor_symmetric)
    else:  # per-channel: fields of one channel; linear layers map invariant features, their rows may differ
        w = PerFieldMinMaxObserver.with_args(field_size=field_size if (scheme == "per-field" and conv) else 1)
    return q.QConfig(activation=act, weight=w)


@torch.no_grad()
def quantize(model: nn.Module, calibration_data: torch.Tensor | Iterable[torch.Tensor], scheme: str = "per-field",
             backend: str = "x86") -> nn.Module:
    """Static INT8 quantisation (weights and activations) of an exported model, calibrated on ``calibration_data``.

    Math: ``w_q = clamp(round(w / s_w), -128, 127)`` per output channel group (see ``scheme``),
    activations ``a_q = clamp(round(a / s_a) + z_a, 0, 255)`` per tensor, ``s_a, z_a`` from
    histograms of the calibration activations.

    Args:
        model: a plain ``torch.nn.Module`` (e.g. ``mobilenet_v2('d4').export()``), not modified.
        calibration_data: a float tensor ``(N, C, H, W)`` or an iterable of such batches (or ``(x, y)`` pairs).
        scheme: ``'per-field'`` (one weight scale per field: ``conv.field_size`` channels; exact
            symmetry), ``'per-channel'`` or ``'per-tensor'``.
        backend: the quantised engine, ``'x86'``, ``'fbgemm'``, ``'qnnpack'`` or ``'onednn'``; it is
            made ``torch.backends.quantized.engine`` (the quantised kernels read that global).

    Returns:
        a ``torch.fx.GraphModule`` taking and returning float tensors, INT8 inside.

    Example:
        >>> net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.Flatten(), torch.nn.Linear(4 * 25, 2)).eval()
        >>> q = quantize(net, torch.randn(8, 1, 7, 7), scheme="per-channel")
        >>> q(torch.randn(2, 1, 7, 7)).shape
        torch.Size([2, 2])
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    if backend not in BACKENDS or backend not in torch.backends.quantized.supported_engines:
        raise ValueError(f"backend must be one of {[b for b in BACKENDS if b in torch.backends.quantized.supported_engines]}, "
                         f"got {backend!r}")
    layers = _check_model(model, scheme)
    batches = _calibration_batches(calibration_data, layers[0][1])
    q, qfx = _ao()
    torch.backends.quantized.engine = backend
    # fbgemm/x86 accumulate u8 x s8 products in 16 bits on older CPUs: 7-bit activations avoid overflow
    reduce_range = backend in ("x86", "fbgemm")
    import copy

    net = copy.deepcopy(model).eval()
    mapping = q.QConfigMapping().set_global(_qconfig(q, scheme, 1, reduce_range, conv=False))
    for name, m in layers:
        mapping.set_module_name(name, _qconfig(q, scheme, int(getattr(m, "field_size", 1)), reduce_range, isinstance(m, nn.Conv2d)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (DeprecationWarning, UserWarning))
        prepared = qfx.prepare_fx(net, mapping, example_inputs=(batches[0][:1],))
        for b in batches:
            prepared(b)
        qnet = qfx.convert_fx(prepared)
    qnet.quantization_scheme, qnet.quantization_backend = scheme, backend
    return qnet.eval()


def state_dict_bytes(model: nn.Module) -> int:
    """Bytes of ``torch.save(model.state_dict())`` (the stored size of the weights, INT8 or float)."""
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    return buf.getbuffer().nbytes
