"""Plain-PyTorch modules returned by the structural layers' ``export()`` (this file imports only torch).

Containers, dropout, masks, invariant maps, pooling and normalisation export to these modules
(or to ``torch.nn`` ones).  Each acts on raw tensors ``(batch, channels, *spatial)``, keeps its
index maps and matrices as buffers, and is what the equivariant layer itself runs in
``forward``, so ``layer.export()(x.tensor)`` equals ``layer(x).tensor`` by construction.

Example:
    >>> import torch
    >>> ChannelAffine(torch.tensor([2.0, 3.0]), torch.tensor([0.0, 1.0]))(torch.ones(1, 2)).tolist()
    [[2.0, 4.0]]
"""
from __future__ import annotations

from typing import Dict, List, Sequence

import torch
import torch.nn.functional as F

__all__ = [
    "ChannelAffine", "ChannelLinear", "BranchesMap", "FieldDropoutMap", "MaskMap", "QuadraticInvariantsMap",
    "BlurPoolMap", "FieldReduceMap", "NormMaxPoolMap", "ChannelBlockMax", "BatchStatsNormMap", "FieldNormMap",
    "ChannelSelect", "ChannelSplit", "MergeMap", "InducedNormPoolMap",
]


class ChannelAffine(torch.nn.Module):
    """``y[:, c] = scale[c] * x[:, c] + shift[c]`` on tensors ``(B, C, *spatial)`` (torch only)."""

    def __init__(self, scale: torch.Tensor, shift: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("scale", scale.detach().clone())
        self.register_buffer("shift", shift.detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = [1, -1] + [1] * (x.dim() - 2)
        return x * self.scale.view(shape) + self.shift.view(shape)

    def extra_repr(self) -> str:
        return f"channels={self.scale.numel()}"



class ChannelLinear(torch.nn.Module):
    """``y[:, :, p] = W x[:, :, p] + b`` at every location ``p`` (a 1x1 convolution in any dimension; torch only)."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None = None) -> None:
        super().__init__()
        self.register_buffer("weight", weight.detach().clone())
        self.register_buffer("bias", None if bias is None else bias.detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.linear(torch.movedim(x, 1, -1), self.weight, self.bias)
        return torch.movedim(y, -1, 1)

    def extra_repr(self) -> str:
        return f"in_channels={self.weight.shape[1]}, out_channels={self.weight.shape[0]}, bias={self.bias is not None}"



class BranchesMap(torch.nn.Module):
    """Torch-only export of :class:`MultipleModule`: gather channels, run each branch, concatenate."""

    def __init__(self, indices: Sequence[torch.Tensor], branches: Sequence[torch.nn.Module]) -> None:
        super().__init__()
        self.branches = torch.nn.ModuleList(branches)
        for i, idx in enumerate(indices):
            self.register_buffer(f"idx_{i}", idx.clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = [m(x.index_select(1, getattr(self, f"idx_{i}"))) for i, m in enumerate(self.branches)]
        return torch.cat(outs, 1)



class FieldDropoutMap(torch.nn.Module):
    """Torch-only :class:`FieldDropout`: one Bernoulli draw per (sample, field)."""

    def __init__(self, fidx: torch.Tensor, n_fields: int, p: float, persistent: bool = True) -> None:
        super().__init__()
        self.register_buffer("fidx", fidx.clone(), persistent=persistent)
        self.n_fields, self.p = n_fields, p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        if self.p == 1.0:
            return torch.zeros_like(x)
        keep = torch.empty(x.shape[0], self.n_fields, device=x.device, dtype=x.dtype).bernoulli_(1.0 - self.p)
        mask = keep.index_select(1, self.fidx) / (1.0 - self.p)
        return x * mask.view(*mask.shape, *([1] * (x.dim() - 2)))



class MaskMap(torch.nn.Module):
    """Torch-only :class:`MaskModule`: ``x * mask``."""

    def __init__(self, mask: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("mask", mask.detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.mask.to(x.dtype)



class QuadraticInvariantsMap(torch.nn.Module):
    """Torch-only :class:`InvariantMaps`: ``y = x_f^T A_k x_f`` per field and form, grouped by field kind."""

    def __init__(self, groups: Sequence[tuple[torch.Tensor, torch.Tensor, torch.Tensor]], out_size: int,
                 persistent: bool = True) -> None:
        super().__init__()
        self.out_size = out_size
        self.n = len(groups)
        for i, (forms, cin, cout) in enumerate(groups):
            self.register_buffer(f"forms_{i}", forms.clone(), persistent=persistent)
            self.register_buffer(f"in_{i}", cin.clone(), persistent=persistent)
            self.register_buffer(f"out_{i}", cout.clone(), persistent=persistent)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x.new_zeros(x.shape[0], self.out_size, *x.shape[2:])
        for i in range(self.n):
            A = getattr(self, f"forms_{i}").to(x.dtype)
            d = A.shape[1]
            xs = x.index_select(1, getattr(self, f"in_{i}"))
            xs = xs.reshape(x.shape[0], -1, d, *x.shape[2:])
            y = torch.einsum("bnd...,kde,bne...->bnk...", xs, A, xs)
            out = out.index_copy(1, getattr(self, f"out_{i}"), y.reshape(x.shape[0], -1, *x.shape[2:]))
        return out



class BlurPoolMap(torch.nn.Module):
    """Torch-only Gaussian blur + subsampling (the same filter on every channel)."""

    def __init__(self, filt: torch.Tensor, stride: int, padding: int, persistent: bool = True) -> None:
        super().__init__()
        self.register_buffer("filter", filt.detach().clone(), persistent=persistent)
        self.stride, self.padding = stride, padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, C = x.shape[:2]
        d = self.filter.dim()
        fn = F.conv2d if d == 2 else F.conv3d
        w = self.filter.to(x.dtype)[None, None]
        y = fn(x.reshape(B * C, 1, *x.shape[2:]), w, None, self.stride, self.padding)
        return y.reshape(B, C, *y.shape[2:])



class FieldReduceMap(torch.nn.Module):
    """Torch-only reduction of each field to one channel: ``max`` over its channels or its Euclidean norm."""

    def __init__(self, groups: Sequence[tuple[int, torch.Tensor, torch.Tensor]], n_fields: int, op: str,
                 persistent: bool = True) -> None:
        super().__init__()
        self.sizes = [int(d) for d, _, _ in groups]
        self.n_fields, self.op = n_fields, op
        for i, (_, cin, fout) in enumerate(groups):
            self.register_buffer(f"in_{i}", cin.clone(), persistent=persistent)
            self.register_buffer(f"out_{i}", fout.clone(), persistent=persistent)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, S = x.shape[0], x.shape[2:]
        out = x.new_empty(B, self.n_fields, *S)
        for i, d in enumerate(self.sizes):
            xs = x.index_select(1, getattr(self, f"in_{i}")).reshape(B, -1, d, *S)
            r = xs.amax(2) if self.op == "max" else torch.linalg.vector_norm(xs, dim=2)
            out = out.index_copy(1, getattr(self, f"out_{i}"), r)
        return out



class NormMaxPoolMap(torch.nn.Module):
    """Torch-only :class:`NormMaxPool`."""

    def __init__(self, groups: Sequence[tuple[int, torch.Tensor, torch.Tensor]], dim: int, kernel_size, stride, padding,
                 dilation, ceil_mode: bool, persistent: bool = True) -> None:
        super().__init__()
        self.sizes = [int(d) for d, _, _ in groups]
        for i, (_, cin, _) in enumerate(groups):
            self.register_buffer(f"in_{i}", cin.clone(), persistent=persistent)
        self.dim, self.kernel_size, self.stride, self.padding = dim, kernel_size, stride, padding
        self.dilation, self.ceil_mode = dilation, ceil_mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B = x.shape[0]
        fn = F.max_pool2d if self.dim == 2 else F.max_pool3d
        out = None
        for i, d in enumerate(self.sizes):
            idx = getattr(self, f"in_{i}")
            xs = x.index_select(1, idx).reshape(B, -1, d, *x.shape[2:])
            n = xs.shape[1]
            norms = torch.linalg.vector_norm(xs.detach(), dim=2)
            _, arg = fn(norms, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode, return_indices=True)
            S_out = arg.shape[2:]
            arg = arg.reshape(B, n, 1, -1).expand(B, n, d, -1)
            y = xs.reshape(B, n, d, -1).gather(3, arg).reshape(B, n * d, *S_out)
            if out is None:
                out = x.new_zeros(B, x.shape[1], *S_out)
            out = out.index_copy(1, idx, y)
        return out



class ChannelBlockMax(torch.nn.Module):
    """Torch-only: max over each group of ``kernel_size`` consecutive channels (escnn's plain ``MaxPoolChannels``)."""

    def __init__(self, kernel_size: int) -> None:
        super().__init__()
        self.kernel_size = kernel_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, C = x.shape[:2]
        return x.reshape(B, C // self.kernel_size, self.kernel_size, *x.shape[2:]).amax(2)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}"



class BatchStatsNormMap(torch.nn.Module):
    """Torch-only normalisation with *batch* statistics (export of layers with ``track_running_stats=False``)."""

    def __init__(self, gidx, gsize, E, Epinv, Q, scale_w, bias_c, eps: float) -> None:
        super().__init__()
        for name, v in dict(gidx=gidx, gsize=gsize, E=E, Epinv=Epinv, Q=Q, weight=scale_w, bias_c=bias_c).items():
            self.register_buffer(name, None if v is None else v.detach().clone())
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = x if self.Q is None else torch.einsum("co,bc...->bo...", self.Q.to(x.dtype), x)
        dims = [0] + list(range(2, x.dim()))
        var_c, m_c = torch.var_mean(z, dims, unbiased=False)
        mu_c = self.E.to(x.dtype) @ (self.Epinv.to(x.dtype) @ m_c)
        sq = torch.zeros(self.gsize.numel(), dtype=x.dtype, device=x.device).index_add(0, self.gidx, var_c + (m_c - mu_c) ** 2)
        s = torch.rsqrt(sq / self.gsize.to(x.dtype) + self.eps)
        if self.weight is not None:
            s = s * self.weight.to(x.dtype)
        sc = s[self.gidx]
        shape = [1, -1] + [1] * (x.dim() - 2)
        y = z * sc.view(shape) + ((0 if self.bias_c is None else self.bias_c.to(x.dtype)) - mu_c * sc).view(shape)
        return y if self.Q is None else torch.einsum("oc,bc...->bo...", self.Q.to(x.dtype), y)



class FieldNormMap(torch.nn.Module):
    """Torch-only :class:`FieldNorm` (per sample and location; no running statistics)."""

    def __init__(self, gidx, gsize, E, Epinv, weight, bias, eps: float, persistent: bool = True) -> None:
        super().__init__()
        for name, v in dict(gidx=gidx, gsize=gsize, E=E, Epinv=Epinv).items():
            self.register_buffer(name, v.detach().clone(), persistent=persistent)
        self.register_buffer("weight", None if weight is None else weight.detach().clone())
        self.register_buffer("bias", None if bias is None else bias.detach().clone())
        self.eps = eps

    @staticmethod
    def normalise(x: torch.Tensor, gidx, gsize, E, Epinv, weight, bias, eps: float) -> torch.Tensor:
        E, Epinv = E.to(x.dtype), Epinv.to(x.dtype)
        centered = x
        if E.shape[1] > 0:
            a = torch.einsum("tc,bc...->bt...", Epinv, x)
            centered = x - torch.einsum("ct,bt...->bc...", E, a)
        sq = x.new_zeros(x.shape[0], gsize.numel(), *x.shape[2:]).index_add(1, gidx, centered**2)
        s = torch.rsqrt(sq / gsize.to(x.dtype).view(1, -1, *([1] * (x.dim() - 2))) + eps)
        if weight is not None:
            s = s * weight.to(x.dtype).view(1, -1, *([1] * (x.dim() - 2)))
        y = centered * s.index_select(1, gidx)
        if bias is not None and E.shape[1] > 0:
            y = y + (E @ bias.to(x.dtype)).view(1, -1, *([1] * (x.dim() - 2)))
        return y

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.normalise(x, self.gidx, self.gsize, self.E, self.Epinv, self.weight, self.bias, self.eps)



class ChannelSelect(torch.nn.Module):
    """``y = x[:, index]``: channels gathered (permuted, selected or repeated) by ``index``."""

    def __init__(self, index: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("index", index.detach().clone().long())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.index_select(1, self.index)

    def extra_repr(self) -> str:
        return f"channels={self.index.numel()}"


class ChannelSplit(torch.nn.Module):
    """``{label: x[:, index_label]}``: the channels of each label (a dict of tensors, labels as strings)."""

    def __init__(self, labels: Sequence[str], indices: Sequence[torch.Tensor]) -> None:
        super().__init__()
        self.labels: List[str] = [str(label) for label in labels]
        for i, idx in enumerate(indices):
            self.register_buffer(f"idx_{i}", idx.detach().clone().long())

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        out: Dict[str, torch.Tensor] = {}
        for i, label in enumerate(self.labels):
            out[label] = x.index_select(1, getattr(self, f"idx_{i}"))
        return out


class MergeMap(torch.nn.Module):
    """``cat([m_k(*[inputs[l] for l in labels_k])])``: each branch applied to its labelled tensors, outputs stacked."""

    def __init__(self, branches: Sequence[torch.nn.Module], labels: Sequence[Sequence[str]]) -> None:
        super().__init__()
        self.branches = torch.nn.ModuleList(branches)
        self.labels = [[str(label) for label in ls] for ls in labels]

    def forward(self, inputs: Dict[str, torch.Tensor]) -> torch.Tensor:
        return torch.cat([m(*[inputs[label] for label in ls]) for m, ls in zip(self.branches, self.labels)], 1)


class InducedNormPoolMap(torch.nn.Module):
    """Per field, the largest norm of its blocks: ``y_f = max_{i in f} |x_i|`` (blocks given by ``block_of_channel``)."""

    def __init__(self, block_of_channel: torch.Tensor, field_of_block: torch.Tensor, n_fields: int,
                 persistent: bool = True) -> None:
        super().__init__()
        self.register_buffer("block_of_channel", block_of_channel.detach().clone().long(), persistent=persistent)
        self.register_buffer("field_of_block", field_of_block.detach().clone().long(), persistent=persistent)
        self.n_blocks, self.n_fields = int(field_of_block.numel()), int(n_fields)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, S = x.shape[0], x.shape[2:]
        sq = x.new_zeros(B, self.n_blocks, *S).index_add(1, self.block_of_channel, x * x)
        # clamped below: a zero block has norm 0 with a finite (zero) gradient
        norms = torch.sqrt(torch.clamp(sq, min=1e-12))
        idx = self.field_of_block.view(1, -1, *([1] * len(S))).expand_as(norms)
        return x.new_zeros(B, self.n_fields, *S).scatter_reduce(1, idx, norms, "amax", include_self=False)
