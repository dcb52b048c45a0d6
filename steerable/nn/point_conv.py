"""Steerable convolutions on point clouds (graphs embedded in R^2 / R^3).

For points ``x_i`` with features ``f_i`` and edges ``(s, t)`` (PyTorch Geometric's
``(source, target)`` order), the layer computes

    y_t = b + aggr_{(s, t) in E}  k(x_t - x_s) f_s,         k = sum_b w_b K_b,

with ``K_b`` the steerable point-kernel basis (:class:`~steerable.kernels.PointConvBasis`), which
is exact for every rotation: ``conv(A(g) x, rho_in(g) f) = rho_out(g) conv(x, f)`` for all
``g`` in the group, not only grid-preserving ones; relative positions make it translation
invariant and permuting the points permutes the output.  ``aggr`` is ``"sum"`` or ``"mean"``.

Because the coefficients do not depend on the edge, the sum over neighbours is taken before
they are applied: with the basis written over harmonics ``H_m``,
``K_b(x) = sum_m C[b, :, :, m] H_m(x)``, the layer first aggregates
``P_t[m, c] = aggr_s H_m(x_t - x_s) f_s[c]`` (edges in chunks, so memory is
``O(chunk M C_in + N M C_in)``) and then applies one dense ``(C_out, M C_in)`` matrix.
No torch_geometric / torch_scatter is needed.

Example:
    >>> import torch
    >>> from steerable.gspaces import rot3dOnR3
    >>> from steerable.nn import FieldType, GeometricTensor, R3PointConv, radius_graph
    >>> gs = rot3dOnR3()
    >>> t_in, t_out = FieldType(gs, [gs.trivial_repr]), FieldType(gs, 2 * [gs.irrep(1)])
    >>> pos = torch.randn(20, 3)
    >>> conv = R3PointConv(t_in, t_out, width=1.0, n_rings=3)
    >>> conv(GeometricTensor(torch.randn(20, 1), t_in, pos), radius_graph(pos, 1.5)).shape
    torch.Size([20, 6])
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch

from ..gspaces.field_type import FieldType, GeometricTensor
from ..kernels import EmptyBasisError, PointConvBasis
from ..kernels.harmonics import harmonic_types, sample_harmonics
from ._fields import check_type_pair, trivial_block_columns
from .graph import check_edge_index
from .module import EquivariantModule

__all__ = ["R2PointConv", "R3PointConv", "PointConvBase"]

_CHUNK_ELEMENTS = 1 << 24  # floats per edge chunk in the aggregation


class _HarmonicAggregate(torch.autograd.Function):
    """``P[t, m, c] = sum_{e: dst_e = t} H[e, m] f[src_e, c]``, chunked over edges in both passes."""

    @staticmethod
    def forward(ctx, H: torch.Tensor, f: torch.Tensor, src: torch.Tensor, dst: torch.Tensor, n: int) -> torch.Tensor:
        E, M = H.shape
        C = f.shape[1]
        P = f.new_zeros(n, M * C)
        step = max(1, _CHUNK_ELEMENTS // max(M * C, 1))
        for a in range(0, E, step):
            h, fs = H[a : a + step], f[src[a : a + step]]
            P.index_add_(0, dst[a : a + step], (h[:, :, None] * fs[:, None, :]).reshape(-1, M * C))
        ctx.save_for_backward(H, f, src, dst)
        ctx.step = step
        return P.reshape(n, M, C)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, gP: torch.Tensor):
        H, f, src, dst = ctx.saved_tensors
        E, step = H.shape[0], ctx.step
        gH = torch.empty_like(H) if ctx.needs_input_grad[0] else None
        gf = torch.zeros_like(f) if ctx.needs_input_grad[1] else None
        gP = gP.contiguous()
        for a in range(0, E, step):
            g = gP[dst[a : a + step]]  # (e, M, C)
            if gH is not None:
                gH[a : a + step] = torch.einsum("emc,ec->em", g, f[src[a : a + step]])
            if gf is not None:
                gf.index_add_(0, src[a : a + step], torch.einsum("emc,em->ec", g, H[a : a + step]))
        return gH, gf, None, None, None


class PointConvBase(EquivariantModule):
    """What every point convolution shares: input checks, edge vectors, aggregation and bias.

    Subclasses implement :meth:`message_sum` (the aggregated messages ``(N, out_type.size)``).
    """

    _dim = 2

    def __init__(self, in_type: FieldType, out_type: FieldType, bias: bool, aggr: str) -> None:
        super().__init__()
        check_type_pair(in_type, out_type, self._dim, type(self).__name__)
        if aggr not in ("sum", "mean"):
            raise ValueError(f"aggr must be 'sum' or 'mean', got {aggr!r}")
        self.in_type, self.out_type, self.aggr = in_type, out_type, aggr
        self.register_buffer("bias_expansion", torch.from_numpy(trivial_block_columns(out_type)).float(), persistent=False)
        if bias and self.bias_expansion.shape[1] > 0:
            self.bias = torch.nn.Parameter(torch.zeros(self.bias_expansion.shape[1]))
        else:
            self.register_parameter("bias", None)

    def _edges(self, x: GeometricTensor, edge_index: torch.Tensor,
               edge_delta: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(src, dst, delta)`` with ``delta = x_dst - x_src`` ``(E, d)``, all validated."""
        x = self._check_input(x)
        name = type(self).__name__
        if x.tensor.dim() != 2:
            raise ValueError(f"{name} expects a tensor of shape (N, {self.in_type.size}) (one row per point), got {tuple(x.tensor.shape)}")
        ei = check_edge_index(edge_index, x.tensor.shape[0], name)
        src, dst = ei[0], ei[1]
        if edge_delta is None:
            if x.coords is None:
                raise ValueError(f"{name} needs point positions: give the GeometricTensor coords of shape (N, {self._dim}) "
                                 "or pass edge_delta")
            delta = x.coords[dst] - x.coords[src]
        else:
            if not isinstance(edge_delta, torch.Tensor) or edge_delta.shape != (ei.shape[1], self._dim):
                got = tuple(edge_delta.shape) if isinstance(edge_delta, torch.Tensor) else type(edge_delta).__name__
                raise ValueError(f"{name}: edge_delta must have shape (E, {self._dim}) = ({ei.shape[1]}, {self._dim}), got {got}")
            delta = edge_delta
        return src, dst, delta.to(x.tensor.dtype)

    def _finish(self, y: torch.Tensor, dst: torch.Tensor, x: GeometricTensor) -> GeometricTensor:
        if self.aggr == "mean":
            deg = torch.zeros(y.shape[0], dtype=y.dtype, device=y.device).index_add_(0, dst, torch.ones_like(dst, dtype=y.dtype))
            y = y / deg.clamp(min=1)[:, None]
        if self.bias is not None:
            y = y + self.bias_expansion.to(y.dtype) @ self.bias.to(y.dtype)
        return GeometricTensor(y, self.out_type, x.coords)

    def evaluate_output_shape(self, input_shape: Sequence[int]) -> tuple[int, ...]:
        if len(input_shape) != 2 or input_shape[1] != self.in_type.size:
            raise ValueError(f"expected input shape (N, {self.in_type.size}), got {tuple(input_shape)}")
        return (input_shape[0], self.out_type.size)


class _RdPointConv(PointConvBase):
    def __init__(
        self,
        in_type: FieldType,
        out_type: FieldType,
        groups: int = 1,
        bias: bool = True,
        sigma: float | Sequence[float] | None = None,
        width: float | None = None,
        n_rings: int | None = None,
        frequencies_cutoff: float | Callable[[float], float] | None = None,
        rings: Sequence[float] | None = None,
        basis_filter: Callable[[dict], bool] | None = None,
        recompute: bool = False,
        initialize: bool = True,
        *,
        maximum_frequency: int | None = None,
        aggr: str = "sum",
    ) -> None:
        super().__init__(in_type, out_type, bias, aggr)
        if groups != 1:
            # escnn accepts the argument for future use and supports only 1 as well
            raise ValueError(f"{type(self).__name__} supports groups=1 only, got {groups!r}")
        self.groups, self.recompute = groups, bool(recompute)
        self.basis = PointConvBasis(in_type.gspace, width=width, n_rings=n_rings, rings=rings, sigma=sigma,
                                    frequencies_cutoff=frequencies_cutoff, maximum_frequency=maximum_frequency,
                                    filter=basis_filter)
        M = sum(t[4] for t in harmonic_types(self.basis.spec))
        self.n_harmonics = M
        self.pairs: list[dict] = []
        offset, empty = 0, []
        for r_out, f_out in out_type.group_fields().items():
            for r_in, f_in in in_type.group_fields().items():
                try:
                    b = self.basis.pair(r_in, r_out)
                except EmptyBasisError:
                    empty.append(f"{r_in.name}->{r_out.name}")
                    continue
                i = len(self.pairs)
                # the pair's expansion C[b, o, i, m] * scale_b, kept in float64 for .double()
                self.register_buffer(f"expansion_{i}", (b.coefficients * b.scale[:, None, None, None]).float(), persistent=False)
                setattr(self, f"_expansion64_{i}", b.coefficients * b.scale[:, None, None, None])
                self.register_buffer(f"out_idx_{i}", out_type.channel_indices(f_out), persistent=False)
                self.register_buffer(f"in_idx_{i}", in_type.channel_indices(f_in), persistent=False)
                n = len(f_out) * len(f_in) * b.dim
                self.pairs.append(dict(n_out=len(f_out), n_in=len(f_in), d_out=r_out.size, d_in=r_in.size, dim=b.dim,
                                       start=offset, stop=offset + n, out_key=id(r_out)))
                offset += n
        if offset == 0:
            raise ValueError(f"no equivariant point kernel maps {in_type} to {out_type} on {self.basis} "
                             f"(empty pairs: {', '.join(empty)}); add rings or raise frequencies_cutoff")
        self.weights = torch.nn.Parameter(torch.zeros(offset))
        if initialize:
            self.reset_parameters()

    def _apply(self, fn, recurse: bool = True):
        super()._apply(fn, recurse)
        for i in range(len(self.pairs)):
            buf = getattr(self, f"expansion_{i}")
            if buf.dtype == torch.float64:
                setattr(self, f"expansion_{i}", getattr(self, f"_expansion64_{i}").to(buf.device))
        return self

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """He-like: each output channel gets variance ~2 per unit input variance and per neighbour
        (the elements have unit mean square over the support)."""
        fan: dict[int, float] = {}
        for p in self.pairs:
            fan[p["out_key"]] = fan.get(p["out_key"], 0.0) + p["n_in"] * p["dim"]
        std = torch.empty(self.weights.numel(), dtype=torch.float64)
        for p in self.pairs:
            std[p["start"] : p["stop"]] = (2.0 / fan[p["out_key"]]) ** 0.5
        with torch.no_grad():
            self.weights.copy_((torch.randn(self.weights.numel(), generator=generator, dtype=torch.float64) * std).to(self.weights.dtype))
            if self.bias is not None:
                self.bias.zero_()

    def expand_parameters(self) -> torch.Tensor:
        """The dense map ``K`` ``(out_type.size, M, in_type.size)`` with ``y_t = K . P_t``."""
        M = self.n_harmonics
        K = self.weights.new_zeros(self.out_type.size, M, self.in_type.size)
        for i, p in enumerate(self.pairs):
            C = getattr(self, f"expansion_{i}").to(self.weights.dtype)  # (b, o, i, M)
            w = self.weights[p["start"] : p["stop"]].reshape(p["n_out"], p["n_in"], p["dim"])
            block = torch.einsum("xyb,boim->xomyi", w, C).reshape(p["n_out"] * p["d_out"], M, p["n_in"] * p["d_in"])
            oi, ii = getattr(self, f"out_idx_{i}"), getattr(self, f"in_idx_{i}")
            K = K.index_put((oi[:, None, None], torch.arange(M, device=K.device)[None, :, None], ii[None, None, :]), block)
        return K

    def forward(self, x: GeometricTensor, edge_index: torch.Tensor, edge_delta: torch.Tensor | None = None) -> GeometricTensor:
        """Args: ``x`` ``(N, in_type.size)`` with ``coords`` ``(N, d)``; ``edge_index`` ``(2, E)``;
        optional ``edge_delta`` ``(E, d)`` (``x_target - x_source``, e.g. with periodic images)."""
        src, dst, delta = self._edges(x, edge_index, edge_delta)
        f = x.tensor
        H = sample_harmonics(self.basis.spec, delta).T.contiguous()  # (E, M)
        P = _HarmonicAggregate.apply(H, f, src, dst, f.shape[0])  # (N, M, C_in)
        K = self.expand_parameters().to(f.dtype)
        y = P.reshape(f.shape[0], -1) @ K.reshape(K.shape[0], -1).T
        return self._finish(y, dst, x)

    def extra_repr(self) -> str:
        return (f"{self.in_type} -> {self.out_type}, rings={self.basis.spec.radii}, aggr={self.aggr!r}, "
                f"bias={self.bias is not None}, coefficients={self.weights.numel()}")


class R2PointConv(_RdPointConv):
    """Steerable point convolution on ``R^2``: ``y_t = b + aggr_s k(x_t - x_s) f_s`` (module docstring).

    Args:
        in_type, out_type: field types on a gspace over ``R^2``.
        groups: only ``1`` (escnn's argument).
        bias: a bias on the trivial components of the output.
        sigma, width, n_rings, frequencies_cutoff, rings: the rings of the kernel basis
            (:func:`~steerable.kernels.point_ring_spec`; ``rings`` or ``width``/``n_rings``).
        basis_filter: predicate on an element's attributes (escnn's).
        recompute: accepted for escnn's signature (the kernel is always expanded from the weights).
        initialize: He-like initialisation (else zeros).
        maximum_frequency: cap on the harmonic frequency (keyword only).
        aggr: ``"sum"`` (default) or ``"mean"`` over the neighbours (keyword only).

    Shape:
        ``x``: ``(N, in_type.size)`` with ``coords`` ``(N, 2)``; ``edge_index``: ``(2, E)`` int64;
        ``edge_delta``: optional ``(E, 2)``; output ``(N, out_type.size)`` with the same coords.

    Example:
        >>> import torch
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, GeometricTensor, R2PointConv, knn_graph
        >>> gs = rot2dOnR2(8)
        >>> t = FieldType(gs, [gs.regular_repr])
        >>> pos = torch.randn(30, 2)
        >>> R2PointConv(t, t, width=1.0, n_rings=3)(GeometricTensor(torch.randn(30, 8), t, pos), knn_graph(pos, 6)).shape
        torch.Size([30, 8])
    """

    _dim = 2


class R3PointConv(_RdPointConv):
    """Steerable point convolution on ``R^3`` (see :class:`R2PointConv` for the arguments).

    Example:
        >>> import torch
        >>> from steerable.gspaces import flipRot3dOnR3
        >>> from steerable.nn import FieldType, GeometricTensor, R3PointConv, knn_graph
        >>> gs = flipRot3dOnR3()
        >>> t = FieldType(gs, [gs.irrep(0, 0), gs.irrep(1, 1)])
        >>> pos = torch.randn(30, 3)
        >>> R3PointConv(t, t)(GeometricTensor(torch.randn(30, 4), t, pos), knn_graph(pos, 6)).shape
        torch.Size([30, 4])
    """

    _dim = 3
