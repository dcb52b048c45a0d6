"""Expansion of learnable coefficients into a steerable filter (one matmul per pair of field kinds).

For every pair ``(rho_out, rho_in)`` of representations occurring in the output and input
field types, the basis ``B`` (``b x d_out x d_in x K``, sampled on the kernel grid) is shared by
all ``n_out x n_in`` field pairs of that kind; their coefficients ``w`` (``n_out n_in x b``) give

    filter[out fields, in fields] = (w @ B.reshape(b, -1)).reshape(n_out, n_in, d_out, d_in, K)

A layer whose input and output each have a single kind of field (the common case) expands its
filter with exactly one matmul.  Weight initialisation is He-like and vectorised: every
coefficient of output kind ``rho_out`` is drawn from ``N(0, 2 / S)`` with
``S = sum_pairs n_in sum_b ||B_b||^2 / d_out`` so each output channel gets variance ~2 per
unit input variance, as ``kaiming_normal_`` gives a plain convolution.

The per-pair bases, their grid and their element order come from a
:class:`~steerable.kernels.ConvBasis`: the basis owns the layout of a pair's coefficients
(``w[n_out, n_in, b]``, ``b`` in the basis's order); the expansion only stacks the pairs, in the
order of the field types' kinds.
"""
from __future__ import annotations

import math
import torch

from ..kernels import ConvBasis, EmptyBasisError
from ..gspaces.field_type import FieldType

__all__ = ["BlocksBasisExpansion"]


class BlocksBasisExpansion(torch.nn.Module):
    """Maps a flat coefficient vector to a filter ``(out.size, in.size, *kernel_shape)``.

    Args:
        in_type, out_type: the field types.
        basis: the convolution basis (grid, radial profile, one kernel basis per pair of representations).
    """

    def __init__(self, in_type: FieldType, out_type: FieldType, basis: ConvBasis) -> None:
        super().__init__()
        if in_type.gspace != out_type.gspace:
            raise ValueError(f"input and output field types live on different gspaces: {in_type.gspace} and {out_type.gspace}")
        if not isinstance(basis, ConvBasis):
            raise TypeError(f"basis must be a steerable.kernels.ConvBasis, got {type(basis).__name__}")
        if basis.gspace != in_type.gspace:
            raise ValueError(f"the basis is for {basis.gspace}, but the field types live on {in_type.gspace}")
        self.in_type, self.out_type, self.basis = in_type, out_type, basis
        self.kernel_size = basis.kernel_size
        self.kernel_shape = basis.kernel_shape
        K = math.prod(self.kernel_shape)
        self.pairs: list[dict] = []
        # float64 copies: .double() must give float64-accurate filters, not widened float32 ones
        self._basis64: list[torch.Tensor] = []
        offset = 0
        in_groups, out_groups = in_type.group_fields(), out_type.group_fields()
        empty = []
        for r_out, f_out in out_groups.items():
            for r_in, f_in in in_groups.items():
                try:
                    B = basis.sample_pair(r_in, r_out, torch.float64)
                except EmptyBasisError:
                    empty.append(f"{r_in.name}->{r_out.name}")
                    continue
                expected = (r_out.size, r_in.size, *self.kernel_shape)
                if B.dim() != 3 + len(self.kernel_shape) or tuple(B.shape[1:]) != expected:
                    raise ValueError(f"{type(basis).__name__}.sample_pair returned shape {tuple(B.shape)}, "
                                     f"expected (dim, {', '.join(map(str, expected))})")
                dim = B.shape[0]
                B = B.reshape(dim, r_out.size * r_in.size * K)
                n = len(f_out) * len(f_in) * dim
                i = len(self.pairs)
                self.register_buffer(f"basis_{i}", B.float(), persistent=False)
                self._basis64.append(B)
                self.register_buffer(f"out_idx_{i}", out_type.channel_indices(f_out), persistent=False)
                self.register_buffer(f"in_idx_{i}", in_type.channel_indices(f_in), persistent=False)
                self.pairs.append(dict(
                    n_out=len(f_out), n_in=len(f_in), d_out=r_out.size, d_in=r_in.size, dim=dim,
                    start=offset, stop=offset + n, r_out=r_out,
                    sq_norm=float((B**2).sum()) / r_out.size,
                    full=len(f_out) == len(out_type) and len(f_in) == len(in_type),
                ))
                offset += n
        if offset == 0:
            raise ValueError(
                f"no equivariant kernel maps {in_type} to {out_type} with kernel size {self.kernel_size} "
                f"(empty pairs: {', '.join(empty)}); use a larger odd kernel or other representations"
            )
        self.dimension = offset

    def _apply(self, fn, recurse: bool = True):
        super()._apply(fn, recurse)
        for i, B in enumerate(self._basis64):
            buf = getattr(self, f"basis_{i}")
            if buf.dtype == torch.float64:
                setattr(self, f"basis_{i}", B.to(buf.device))
        return self

    def initialize(self, weights: torch.Tensor, generator: torch.Generator | None = None) -> None:
        """He-like initialisation of ``weights`` (in place, vectorised over all pairs)."""
        S: dict[int, float] = {}
        for p in self.pairs:
            S[id(p["r_out"])] = S.get(id(p["r_out"]), 0.0) + p["n_in"] * p["sq_norm"]
        std = torch.empty(self.dimension, dtype=torch.float64)
        for p in self.pairs:
            std[p["start"] : p["stop"]] = (2.0 / S[id(p["r_out"])]) ** 0.5
        with torch.no_grad():
            noise = torch.randn(self.dimension, generator=generator, dtype=torch.float64)
            weights.copy_((noise * std).to(weights.dtype))

    def forward(self, weights: torch.Tensor) -> torch.Tensor:
        """The filter ``(out.size, in.size, *kernel_shape)`` for coefficient vector ``weights``;
        ``(groups, dimension)`` coefficients give ``(groups, out.size, in.size, *kernel_shape)``
        (one matmul for all groups when both types hold a single kind of field, e.g. depthwise
        convolutions per field)."""
        # math.prod, not np.prod: under torch.compile np.prod is traced as a tensor op and int()
        # of it is a data-dependent graph break in every layer
        K = math.prod(self.kernel_shape)
        if weights.dim() == 2:
            if len(self.pairs) == 1 and self.pairs[0]["full"]:
                p, g = self.pairs[0], weights.shape[0]
                B = self.basis_0.to(weights.dtype)
                w = weights[:, p["start"] : p["stop"]].reshape(g * p["n_out"] * p["n_in"], p["dim"])
                block = (w @ B).reshape(g, p["n_out"], p["n_in"], p["d_out"], p["d_in"], K).permute(0, 1, 3, 2, 4, 5)
                return block.reshape(g, self.out_type.size, self.in_type.size, *self.kernel_shape)
            return torch.stack([self(w) for w in weights])
        if len(self.pairs) == 1 and self.pairs[0]["full"]:
            p = self.pairs[0]
            block = self._pair_block(0, p, weights)
            return block.reshape(self.out_type.size, self.in_type.size, *self.kernel_shape)
        filt = weights.new_zeros(self.out_type.size, self.in_type.size, K)
        for i, p in enumerate(self.pairs):
            block = self._pair_block(i, p, weights).reshape(p["n_out"] * p["d_out"], p["n_in"] * p["d_in"], K)
            out_idx, in_idx = getattr(self, f"out_idx_{i}"), getattr(self, f"in_idx_{i}")
            filt = filt.index_put((out_idx[:, None], in_idx[None, :]), block)
        return filt.reshape(self.out_type.size, self.in_type.size, *self.kernel_shape)

    def _pair_block(self, i: int, p: dict, weights: torch.Tensor) -> torch.Tensor:
        B = getattr(self, f"basis_{i}").to(weights.dtype)
        w = weights[p["start"] : p["stop"]].reshape(p["n_out"] * p["n_in"], p["dim"])
        K = B.shape[1] // (p["d_out"] * p["d_in"])
        block = (w @ B).reshape(p["n_out"], p["n_in"], p["d_out"], p["d_in"], K)
        return block.permute(0, 2, 1, 3, 4)

    def extra_repr(self) -> str:
        return f"pairs={len(self.pairs)}, coefficients={self.dimension}, kernel={self.kernel_shape}"
