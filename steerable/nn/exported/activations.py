"""Plain-PyTorch modules returned by the nonlinearities' ``export()`` (this file imports only torch).

Each class acts on raw tensors of shape ``(batch, channels, *spatial)`` (any number of spatial
axes, including none), holds its index maps and matrices as buffers, and is TorchScript
compatible unless it wraps a user callable.  The equivariant layers call the same functions, so
``layer.export()(x.tensor)`` equals ``layer(x).tensor`` by construction.

Example:
    >>> import torch
    >>> m = NormActivation(torch.tensor([0, 0, 1]), 2, torch.tensor([-4.0, -1.0]), "n_relu")
    >>> m(torch.tensor([[3.0, 4.0, -2.0]])).detach()   # norms 5, 2 -> 1, 1
    tensor([[ 0.6000,  0.8000, -1.0000]])
"""
from __future__ import annotations

import math
from typing import Callable, Optional

import torch
import torch.nn.functional as F

__all__ = [
    "Lambda", "NormActivation", "GateActivation", "ConcatenatedActivation", "TensorProductMap", "FourierActivation",
    "activation_module", "norm_activation", "gate_activation", "concatenated_activation", "tensor_product_map",
    "fourier_samples", "fourier_coefficients", "SeparateGateActivation", "UniformGateActivation",
    "VectorFieldActivation",
]


class Lambda(torch.nn.Module):
    """Wraps a user callable ``fn`` acting elementwise on tensors (not TorchScript-able)."""

    def __init__(self, fn: Callable[[torch.Tensor], torch.Tensor]) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)

    def extra_repr(self) -> str:
        return getattr(self.fn, "__name__", repr(self.fn))


def activation_module(name: str, **kwargs) -> torch.nn.Module:
    """``torch.nn`` module for ``'relu'``, ``'elu'``, ``'leaky_relu'``, ``'sigmoid'``, ``'tanh'``."""
    if name == "relu":
        return torch.nn.ReLU(**kwargs)
    if name == "elu":
        return torch.nn.ELU(**kwargs)
    if name == "leaky_relu":
        return torch.nn.LeakyReLU(**kwargs)
    if name == "sigmoid":
        return torch.nn.Sigmoid()
    if name == "tanh":
        return torch.nn.Tanh()
    raise ValueError(f"unknown activation {name!r}; expected 'relu', 'elu', 'leaky_relu', 'sigmoid' or 'tanh'")


# ---------------------------------------------------------------------------------------- norm
def norm_activation(x: torch.Tensor, field_of_channel: torch.Tensor, nfields: int, bias: Optional[torch.Tensor],
                    kind: str) -> torch.Tensor:
    """Per field ``f``: ``f * s(|f|)`` with ``s = relu(n+b)/n``, ``sigmoid(n+b)`` or ``n/(1+n^2)``."""
    shape = list(x.shape)
    shape[1] = nfields
    sq = torch.zeros(shape, dtype=x.dtype, device=x.device).index_add_(1, field_of_channel, x * x)
    # clamped below: no division by zero and a zero (not NaN) gradient of the norm at f = 0
    eps2: float = 6.2e-5 if x.dtype == torch.float16 else 1e-12
    n = torch.sqrt(torch.clamp(sq, min=eps2))
    if bias is not None:
        b = bias.to(x.dtype).reshape([1, nfields] + [1] * (x.dim() - 2))
        nb = n + b
    else:
        nb = n
    if kind == "n_relu":
        scale = torch.relu(nb) / n
    elif kind == "n_sigmoid":
        scale = torch.sigmoid(nb)
    elif kind == "squash":
        scale = n / (1.0 + sq)
    else:
        raise ValueError("unknown norm nonlinearity " + kind)
    return x * scale.index_select(1, field_of_channel)


class NormActivation(torch.nn.Module):
    """Norm nonlinearity on fields given by ``field_of_channel`` (see :func:`norm_activation`)."""

    def __init__(self, field_of_channel: torch.Tensor, nfields: int, bias: Optional[torch.Tensor], kind: str) -> None:
        super().__init__()
        self.register_buffer("field_of_channel", field_of_channel.clone().long())
        self.nfields = int(nfields)
        self.kind = kind
        self.bias = None if bias is None else torch.nn.Parameter(bias.detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return norm_activation(x, self.field_of_channel, self.nfields, self.bias, self.kind)

    def extra_repr(self) -> str:
        return f"{self.kind}, fields={self.nfields}, bias={self.bias is not None}"


# ---------------------------------------------------------------------------------------- gate
def gate_activation(x: torch.Tensor, gate_channels: torch.Tensor, gated_channels: torch.Tensor,
                    gate_of_gated_channel: torch.Tensor, bias: Optional[torch.Tensor],
                    output_index: Optional[torch.Tensor]) -> torch.Tensor:
    """``sigmoid(gate_k + b_k) * gated_k``; with ``output_index``, ``cat(gates, gated)[:, output_index]``."""
    gates = x.index_select(1, gate_channels)
    if bias is not None:
        gates = gates + bias.to(x.dtype).reshape([1, -1] + [1] * (x.dim() - 2))
    gates = torch.sigmoid(gates)
    gated = x.index_select(1, gated_channels) * gates.index_select(1, gate_of_gated_channel)
    if output_index is None:
        return gated
    return torch.cat([gates, gated], 1).index_select(1, output_index)


class GateActivation(torch.nn.Module):
    """Gated nonlinearity on raw tensors (see :func:`gate_activation`)."""

    def __init__(self, gate_channels: torch.Tensor, gated_channels: torch.Tensor, gate_of_gated_channel: torch.Tensor,
                 bias: Optional[torch.Tensor], output_index: Optional[torch.Tensor]) -> None:
        super().__init__()
        self.register_buffer("gate_channels", gate_channels.clone().long())
        self.register_buffer("gated_channels", gated_channels.clone().long())
        self.register_buffer("gate_of_gated_channel", gate_of_gated_channel.clone().long())
        self.register_buffer("output_index", None if output_index is None else output_index.clone().long())
        self.bias = None if bias is None else torch.nn.Parameter(bias.detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return gate_activation(x, self.gate_channels, self.gated_channels, self.gate_of_gated_channel, self.bias,
                               self.output_index)

    def extra_repr(self) -> str:
        return f"gates={self.gate_channels.numel()}, drop_gates={self.output_index is None}"


# ---------------------------------------------------------------------------------------- concatenated
def concatenated_activation(pos: torch.Tensor, neg: torch.Tensor, output_index: torch.Tensor) -> torch.Tensor:
    """``cat(pos, neg)[:, output_index]`` with ``pos = act(x)``, ``neg = act(-x)``: per field ``[act(f), act(-f)]``."""
    return torch.cat([pos, neg], 1).index_select(1, output_index)


class ConcatenatedActivation(torch.nn.Module):
    """Concatenated nonlinearity on raw tensors (see :func:`concatenated_activation`)."""

    def __init__(self, act: torch.nn.Module, output_index: torch.Tensor) -> None:
        super().__init__()
        self.act = act
        self.register_buffer("output_index", output_index.clone().long())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return concatenated_activation(self.act(x), self.act(-x), self.output_index)


# ---------------------------------------------------------------------------------------- tensor product
def _channel_linear(x: torch.Tensor, W: torch.Tensor, b: Optional[torch.Tensor]) -> torch.Tensor:
    y = F.linear(torch.movedim(x, 1, -1), W.to(x.dtype), None if b is None else b.to(x.dtype))
    return torch.movedim(y, -1, 1)


def tensor_product_map(x: torch.Tensor, W1: torch.Tensor, b1: Optional[torch.Tensor], W2: torch.Tensor,
                       b2: Optional[torch.Tensor], left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
    """``W2 (x[left] * u[right]) + b2`` with ``u = W1 x + b1`` (channel axis 1)."""
    u = _channel_linear(x, W1, b1)
    t = x.index_select(1, left) * u.index_select(1, right)
    return _channel_linear(t, W2, b2)


class TensorProductMap(torch.nn.Module):
    """Quadratic map of :class:`~steerable.nn.TensorProductModule` on raw tensors."""

    def __init__(self, W1: torch.Tensor, b1: Optional[torch.Tensor], W2: torch.Tensor, b2: Optional[torch.Tensor],
                 left: torch.Tensor, right: torch.Tensor) -> None:
        super().__init__()
        self.W1 = torch.nn.Parameter(W1.detach().clone())
        self.b1 = None if b1 is None else torch.nn.Parameter(b1.detach().clone())
        self.W2 = torch.nn.Parameter(W2.detach().clone())
        self.b2 = None if b2 is None else torch.nn.Parameter(b2.detach().clone())
        self.register_buffer("left", left.clone().long())
        self.register_buffer("right", right.clone().long())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return tensor_product_map(x, self.W1, self.b1, self.W2, self.b2, self.left, self.right)

    def extra_repr(self) -> str:
        return f"in={self.W1.shape[1]}, product={self.left.numel()}, out={self.W2.shape[0]}"


# ---------------------------------------------------------------------------------------- Fourier
def fourier_samples(x: torch.Tensor, A: torch.Tensor, channels: int) -> torch.Tensor:
    """``(batch, channels, grid, prod(spatial))``: each block of ``A.shape[1]`` coefficients sampled, ``A @ c``."""
    c = x.reshape([x.shape[0], channels, A.shape[1], -1])
    return torch.matmul(A.to(x.dtype), c)


def fourier_coefficients(samples: torch.Tensor, A_pinv: torch.Tensor, spatial: list[int]) -> torch.Tensor:
    """The inverse of :func:`fourier_samples` (least squares, ``A_pinv @ s``), back to ``(batch, C, *spatial)``."""
    out = torch.matmul(A_pinv.to(samples.dtype), samples)
    return out.reshape([samples.shape[0], samples.shape[1] * A_pinv.shape[0]] + spatial)


class FourierActivation(torch.nn.Module):
    """``coeffs -> A^+ act(A coeffs)`` per channel (see :func:`fourier_samples`)."""

    def __init__(self, A: torch.Tensor, A_pinv: torch.Tensor, channels: int, act: torch.nn.Module) -> None:
        super().__init__()
        self.register_buffer("A", A.detach().clone())
        self.register_buffer("A_pinv", A_pinv.detach().clone())
        self.channels = int(channels)
        self.act = act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        samples = self.act(fourier_samples(x, self.A, self.channels))
        return fourier_coefficients(samples, self.A_pinv, list(x.shape[2:]))

    def extra_repr(self) -> str:
        return f"channels={self.channels}, grid={self.A.shape[0]}, coefficients={self.A.shape[1]}->{self.A_pinv.shape[0]}"


class SeparateGateActivation(torch.nn.Module):
    """``gated * sigmoid(gates + b)[:, gate_of_gated_channel]`` with gates and gated fields in two tensors."""

    def __init__(self, gate_of_gated_channel: torch.Tensor, bias: Optional[torch.Tensor]) -> None:
        super().__init__()
        self.register_buffer("gate_of_gated_channel", gate_of_gated_channel.clone().long())
        self.bias = None if bias is None else torch.nn.Parameter(bias.detach().clone())

    def forward(self, gates: torch.Tensor, gated: torch.Tensor) -> torch.Tensor:
        if self.bias is not None:
            gates = gates + self.bias.to(gates.dtype).reshape([1, -1] + [1] * (gates.dim() - 2))
        return gated * torch.sigmoid(gates).index_select(1, self.gate_of_gated_channel)


class UniformGateActivation(torch.nn.Module):
    """``x[:, gated] * gate(x[:, gates])[:, gate_of_gated_channel]`` (gate: an elementwise callable)."""

    def __init__(self, gate_channels: torch.Tensor, gated_channels: torch.Tensor, gate_of_gated_channel: torch.Tensor,
                 gate: Callable[[torch.Tensor], torch.Tensor]) -> None:
        super().__init__()
        self.register_buffer("gate_channels", gate_channels.clone().long())
        self.register_buffer("gated_channels", gated_channels.clone().long())
        self.register_buffer("gate_of_gated_channel", gate_of_gated_channel.clone().long())
        self.gate = gate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = self.gate(x.index_select(1, self.gate_channels))
        return x.index_select(1, self.gated_channels) * g.index_select(1, self.gate_of_gated_channel)


class VectorFieldActivation(torch.nn.Module):
    """``relu(max_k x_k) (cos theta_m, sin theta_m)`` on ``(B, n N, *S)`` (``n`` regular fields of ``C_N``)."""

    def __init__(self, N: int, persistent: bool = True) -> None:
        super().__init__()
        theta = 2 * math.pi * torch.arange(N, dtype=torch.float64) / N
        self.register_buffer("directions", torch.stack([torch.cos(theta), torch.sin(theta)], 1), persistent=persistent)
        self.N = int(N)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, S = x.shape[0], x.shape[2:]
        v, m = x.reshape(B, -1, self.N, *S).max(2)
        d = self.directions.to(x.dtype)[m]  # (B, n, *S, 2)
        y = torch.relu(v).unsqueeze(-1) * d
        return torch.movedim(y, -1, 2).reshape(B, -1, *S)
