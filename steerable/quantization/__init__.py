"""Post-training INT8 quantisation of exported (plain PyTorch) models that keeps the grid symmetries exact.

A group element permutes the channels of each regular field and moves pixels.  Rounding is
elementwise, so an INT8 network stays exactly equivariant when every rounding step treats the
channels of a field alike: activations get one scale per tensor, and a convolution's weights one
scale per *field* of output channels (``scheme='per-field'``), the largest ``|w|`` of the field
over 127.5.  Per-channel scales (``'per-channel'``, the usual choice for plain CNNs) may differ between
channels a rotation swaps, so the quantised filter is no longer symmetric; ``'per-tensor'`` is
symmetric but coarser.  (For an *exactly* equivariant filter every channel of a field holds a
permuted copy of the same weights, so min/max per-channel ranges already coincide inside each
field; per-field tying matters wherever they do not: filters equivariant only up to per-channel
gains, per-channel equalisation factors, learned scales.)  The integer arithmetic (exact int32 accumulation, elementwise requantisation)
then maps rotated inputs to rotated activations, and group pooling makes the logits invariant.

:func:`quantize` runs PyTorch's own stack (``torch.ao.quantization`` FX graph mode, the real
``quantized::conv2d`` kernels of the chosen backend); :class:`PerFieldMinMaxObserver` is the
weight observer that ties the scales; :mod:`~steerable.quantization.measure` has the figures a
quantised classifier is judged by (accuracy, AUC, D4 invariance, interleaved latency).

Example:
    >>> import torch
    >>> from steerable.quantization import quantize
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU()).eval()
    >>> q = quantize(net, torch.randn(16, 3, 9, 9), scheme="per-tensor")
    >>> q(torch.randn(1, 3, 9, 9)).shape
    torch.Size([1, 8, 9, 9])
"""
from .measure import accuracy_auc, d4_images, d4_invariance, latency_ms, predict
from .quantize import BACKENDS, SCHEMES, PerFieldMinMaxObserver, quantize, state_dict_bytes

__all__ = ["quantize", "PerFieldMinMaxObserver", "SCHEMES", "BACKENDS", "state_dict_bytes", "accuracy_auc", "d4_images",
           "d4_invariance", "latency_ms", "predict"]
