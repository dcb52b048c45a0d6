"""Equivariant normalisation layers.

Batch normalisation is equivariant when its statistics are invariant and the map it applies
commutes with ``rho(g)``: a mean may only be subtracted along directions that transform
trivially, and a field may only be rescaled by one scalar per irreducible block (one per field,
or one per irrep in the irrep basis).  All layers below are built from one recipe: split
the channels into *groups* (fields, or irreps), and for each group ``G``

    y_G = w_G (x_G - P_G mu) / sqrt(var_G + eps) + E_G b

with ``P_G mu`` the mean projected onto the trivial directions ``E_G`` of the group, and
``var_G`` the mean over its components of ``|x_G - P_G mu|^2``.  The batch statistics of
``g . x`` equal those of ``x`` whenever ``g`` permutes the grid, so training-mode outputs are
exactly equivariant; in eval mode the running statistics make the layer a fixed equivariant
affine map, which :meth:`export` returns as a plain module (:class:`ChannelAffine`, or
:class:`ChannelLinear` for :class:`GNormBatchNorm`, both in :mod:`steerable.nn.exported`).

=====================  ============================  ================================  ==============
layer                  groups                        mean subtracted along             fields allowed
=====================  ============================  ================================  ==============
InnerBatchNorm         fields                        the constant vector of the field  permutation
NormBatchNorm          fields                        whole trivial fields only         any
InducedNormBatchNorm   fields (all their blocks)     none (no trivial irreps)          induced
IIDBatchNorm{1,2,3}d   fields                        the trivial irreps (``Q`` cols)   any
GNormBatchNorm         irreps (in the basis ``Q^T x``) trivial irreps                  any
FieldNorm              fields, per sample & location the trivial irreps                any
=====================  ============================  ================================  ==============

Example:
    >>> import torch
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.nn import FieldType, GeometricTensor, InnerBatchNorm
    >>> gs = rot2dOnR2(8)
    >>> t = FieldType(gs, 4 * [gs.regular_repr])
    >>> bn = InnerBatchNorm(t)
    >>> y = bn(GeometricTensor(torch.randn(8, 32, 5, 5) * 3 + 1, t))
    >>> abs(float(y.tensor.detach().mean())) < 1e-5, bn.running_mean.shape
    (True, torch.Size([4]))
"""
from __future__ import annotations

import warnings

import numpy as np
import torch

from ._fields import (
    check_field_type, check_spatial_dims, field_index, require_induced, require_permutation, trivial_block_columns,
)
from .exported.layers import BatchStatsNormMap, ChannelAffine, ChannelLinear, FieldNormMap
from ..gspaces.field_type import FieldType, GeometricTensor
from .module import EquivariantModule

__all__ = ["InnerBatchNorm", "NormBatchNorm", "IIDBatchNorm1d", "IIDBatchNorm2d", "IIDBatchNorm3d",
           "GNormBatchNorm", "FieldNorm", "InducedNormBatchNorm"]


def _pinv_columns(E: np.ndarray) -> np.ndarray:
    """Left inverse of a matrix with mutually orthogonal non-zero columns."""
    n = (E**2).sum(0)
    return (E / np.where(n > 0, n, 1.0)).T


class _GroupBatchNorm(EquivariantModule):
    """Shared machinery: ``groups`` of channels (``gidx``), trivial directions ``E`` (C x T), optional basis ``Q``."""

    _spatial_dims: tuple[int, ...] | None = None  # allowed numbers of spatial axes (None: any)

    def __init__(self, in_type: FieldType, gidx: np.ndarray, E: np.ndarray, Q: np.ndarray | None,
                 eps: float, momentum: float | None, affine: bool, track_running_stats: bool) -> None:
        super().__init__()
        self.in_type = self.out_type = in_type
        if not eps > 0:
            raise ValueError(f"{type(self).__name__}: eps must be positive, got {eps!r}")
        if momentum is not None and not 0.0 <= momentum <= 1.0:
            raise ValueError(f"{type(self).__name__}: momentum must be in [0, 1] or None, got {momentum!r}")
        self.eps, self.momentum, self.affine, self.track_running_stats = float(eps), momentum, affine, track_running_stats
        G = int(gidx.max()) + 1
        T = E.shape[1]
        gsize = np.bincount(gidx, minlength=G).astype(np.float64)
        gtriv = np.zeros(G)
        for j in range(T):
            gtriv[gidx[np.flatnonzero(E[:, j])[0]]] += 1
        self.n_groups, self.n_trivial = G, T
        # a group with t trivial directions in d channels needs N d > t values to estimate its variance
        self._min_values = float((gtriv / gsize).max()) if G else 0.0
        self.register_buffer("_gidx", torch.from_numpy(gidx).long(), persistent=False)
        self.register_buffer("_gsize", torch.from_numpy(gsize).float(), persistent=False)
        self.register_buffer("_gtriv", torch.from_numpy(gtriv).float(), persistent=False)
        self.register_buffer("_E", torch.from_numpy(E).float(), persistent=False)
        self.register_buffer("_Epinv", torch.from_numpy(_pinv_columns(E)).float(), persistent=False)
        self.register_buffer("_Q", None if Q is None else torch.from_numpy(Q).float(), persistent=False)
        if affine:
            self.weight = torch.nn.Parameter(torch.ones(G))
            self.bias = torch.nn.Parameter(torch.zeros(T))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", torch.zeros(T))
            self.register_buffer("running_var", torch.ones(G))
            self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    # ------------------------------------------------------------------ torch.nn.BatchNorm-like API
    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1.0)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            with torch.no_grad():
                self.weight.fill_(1.0)
                self.bias.zero_()

    # ------------------------------------------------------------------ computation
    def _to_basis(self, t: torch.Tensor, inverse: bool) -> torch.Tensor:
        if self._Q is None:
            return t
        eq = "oc,bc...->bo..." if inverse else "co,bc...->bo..."
        return torch.einsum(eq, self._Q.to(t.dtype), t)

    def _stats(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(a, var)``: trivial-mean coefficients ``(T,)`` and group variances ``(G,)``, updating running stats."""
        dims = [0] + list(range(2, z.dim()))
        n = z.numel() // max(z.shape[1], 1)
        use_batch = self.training or not self.track_running_stats
        if not use_batch:
            return self.running_mean.to(z.dtype), self.running_var.to(z.dtype)
        if self.n_trivial > 0 and n <= self._min_values:
            raise ValueError(f"{type(self).__name__}: expected more than 1 value per channel when training, "
                             f"got input of shape {tuple(z.shape)}")
        var_c, m_c = torch.var_mean(z, dims, unbiased=False)
        a = self._Epinv.to(z.dtype) @ m_c
        mu_c = self._E.to(z.dtype) @ a
        sq = torch.zeros(self.n_groups, dtype=z.dtype, device=z.device).index_add(0, self._gidx, var_c + (m_c - mu_c) ** 2)
        var = sq / self._gsize.to(z.dtype)
        if self.training and self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                f = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
                nd = n * self._gsize.to(z.dtype)
                unbiased = var * nd / (nd - self._gtriv.to(z.dtype)).clamp_min(1.0)
                self.running_mean.mul_(1 - f).add_(f * a.detach().to(self.running_mean.dtype))
                self.running_var.mul_(1 - f).add_(f * unbiased.detach().to(self.running_var.dtype))
        return a, var

    def _affine(self, a: torch.Tensor, var: torch.Tensor, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-channel ``(scale, shift)`` in the working basis: ``y = z * scale + shift``."""
        s = torch.rsqrt(var + self.eps)
        if self.affine:
            s = s * self.weight.to(dtype)
        scale = s[self._gidx]
        shift = -(self._E.to(dtype) @ a) * scale
        if self.affine:
            shift = shift + self._E.to(dtype) @ self.bias.to(dtype)
        return scale, shift

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        if self._spatial_dims is not None:
            check_spatial_dims(self, x.tensor, self._spatial_dims)
        z = self._to_basis(x.tensor, inverse=False)
        a, var = self._stats(z)
        scale, shift = self._affine(a, var, z.dtype)
        shape = [1, -1] + [1] * (z.dim() - 2)
        y = z * scale.view(shape) + shift.view(shape)
        return GeometricTensor(self._to_basis(y, inverse=True), self.out_type)

    @torch.no_grad()
    def export(self) -> torch.nn.Module:
        """The eval-mode map as a plain module: :class:`ChannelAffine` (``ChannelLinear`` when a change of basis is used).

        With ``track_running_stats=False`` (batch statistics also in eval mode) a torch-only
        module computing the batch statistics is returned instead.
        """
        dtype = self._E.dtype
        if not self.track_running_stats:
            bias_c = None if not self.affine else self._E @ self.bias
            return BatchStatsNormMap(self._gidx, self._gsize, self._E, self._Epinv, self._Q,
                                    None if not self.affine else self.weight, bias_c, self.eps).eval()
        # the running statistics are frozen into an affine map: that is the eval-mode layer, so
        # the module is returned in eval mode (a training-mode flag would misstate what it computes)
        return self._export_running_stats(dtype).eval()

    def _export_running_stats(self, dtype: torch.dtype) -> torch.nn.Module:
        scale, shift = self._affine(self.running_mean.to(dtype), self.running_var.to(dtype), dtype)
        if self._Q is None:
            return ChannelAffine(scale, shift)
        Q = self._Q.to(dtype)
        return ChannelLinear(Q @ torch.diag(scale) @ Q.T, Q @ shift)

    def extra_repr(self) -> str:
        return (f"{self.in_type}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class InnerBatchNorm(_GroupBatchNorm):
    """Batch norm for permutation-representation fields (trivial, regular, quotient): one mean and variance per field.

    For each field ``f`` the mean and variance are taken over the batch, the spatial
    locations *and* the channels of ``f``; the affine weight and bias are per field.  A
    permutation of the channels leaves both the statistics and the map unchanged, hence
    ``bn(g . x) = g . bn(x)``.  (As escnn's ``InnerBatchNorm``.)

    Args:
        in_type: field type whose fields are all permutation representations.
        eps, momentum, affine, track_running_stats: as in ``torch.nn.BatchNorm2d``.

    Shape: ``(B, C, *spatial)`` with any number of spatial axes.
    Buffers: ``running_mean``, ``running_var`` (one per field), ``num_batches_tracked``.

    Example:
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, InnerBatchNorm
        >>> gs = rot2dOnR2(4)
        >>> InnerBatchNorm(FieldType(gs, 3 * [gs.regular_repr])).weight.shape
        torch.Size([3])
    """

    def __init__(self, in_type: FieldType, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True) -> None:
        check_field_type(in_type, layer="InnerBatchNorm")
        require_permutation(in_type, "InnerBatchNorm")
        gidx = field_index(in_type).numpy()
        E = np.zeros((in_type.size, len(in_type)))
        E[np.arange(in_type.size), gidx] = 1.0  # one "trivial" direction per field: the constant vector
        super().__init__(in_type, gidx, E, None, eps, momentum, affine, track_running_stats)


class NormBatchNorm(_GroupBatchNorm):
    """Batch norm by norms: non-trivial fields are divided by ``sqrt(E|x_f|^2 / d_f + eps)``, no mean subtracted.

    Trivial fields (``rho.is_trivial()``) get ordinary batch norm (mean per channel, variance
    per field, bias).  Non-trivial fields (any representation) get one weight each and no bias;
    scaling a field by a scalar commutes with ``rho(g)``, and ``|x_f|`` is invariant.
    (As escnn's ``NormBatchNorm``.)

    Args:
        in_type: any field type.
        eps, momentum, affine, track_running_stats: as in ``torch.nn.BatchNorm2d``.

    Buffers: ``running_mean`` (one per channel of the trivial fields), ``running_var`` (one per
    field: variance for trivial fields, mean squared norm / d for the others).

    Example:
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, NormBatchNorm
        >>> gs = rot2dOnR2(-1)
        >>> bn = NormBatchNorm(FieldType(gs, [gs.trivial_repr, gs.irrep(1), gs.irrep(2)]))
        >>> bn.weight.shape, bn.bias.shape
        (torch.Size([3]), torch.Size([1]))
    """

    def __init__(self, in_type: FieldType, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True) -> None:
        check_field_type(in_type, layer="NormBatchNorm")
        gidx = field_index(in_type).numpy()
        cols = []
        for r, s in zip(in_type.representations, in_type.fields_start):
            if r.is_trivial():
                cols.extend(range(s, s + r.size))
        E = np.eye(in_type.size)[:, cols]
        super().__init__(in_type, gidx, E, None, eps, momentum, affine, track_running_stats)


class _IIDBatchNorm(_GroupBatchNorm):
    """Batch norm under the i.i.d. assumption: per field, the mean is projected onto its trivial irreps.

    For a field ``rho = Q ((+) psi_i) Q^T`` with trivial columns ``E = Q[:, trivial]``:

        mu_f = E E^T E[x_f],   var_f = E|x_f - mu_f|^2 / d_f,   y_f = w_f (x_f - mu_f) / sqrt(var_f + eps) + E b_f

    ``E E^T`` commutes with ``rho(g)`` (it projects onto the invariant subspace), so the layer is
    equivariant for any representation.  The running variance uses the unbiased correction
    ``N d / (N d - t)`` (``N`` values per channel, ``t`` trivial irreps in the field).

    Args:
        in_type: any field type.
        eps, momentum, affine, track_running_stats: as in ``torch.nn.BatchNorm2d``.

    Buffers: ``running_mean`` (one per trivial irrep: the coefficients ``E^T mu``), ``running_var`` (one per field).
    """

    _gspace_dim: int | None = None  # required dimensionality of the gspace (None: any)

    def __init__(self, in_type: FieldType, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True) -> None:
        name = type(self).__name__
        check_field_type(in_type, layer=name, dim=self._gspace_dim)
        gidx = field_index(in_type).numpy()
        E = trivial_block_columns(in_type)
        super().__init__(in_type, gidx, E, None, eps, momentum, affine, track_running_stats)


class IIDBatchNorm1d(_IIDBatchNorm):
    __doc__ = _IIDBatchNorm.__doc__ + """
    Shape: ``(B, C)`` or ``(B, C, L)``.

    Example:
        >>> import torch
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, GeometricTensor, IIDBatchNorm1d
        >>> gs = rot2dOnR2(4); t = FieldType(gs, [gs.regular_repr])
        >>> IIDBatchNorm1d(t)(GeometricTensor(torch.randn(16, 4), t)).shape
        torch.Size([16, 4])
    """
    _spatial_dims = (0, 1)


class IIDBatchNorm2d(_IIDBatchNorm):
    __doc__ = _IIDBatchNorm.__doc__ + """
    Shape: ``(B, C, H, W)`` on a gspace over R^2.

    Example:
        >>> import torch
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, GeometricTensor, IIDBatchNorm2d
        >>> gs = rot2dOnR2(4); t = FieldType(gs, [gs.regular_repr, gs.irrep(1)])
        >>> bn = IIDBatchNorm2d(t)
        >>> bn.bias.shape  # one trivial irrep in the regular field, none in irrep(1)
        torch.Size([1])
    """
    _spatial_dims = (2,)
    _gspace_dim = 2


class IIDBatchNorm3d(_IIDBatchNorm):
    __doc__ = _IIDBatchNorm.__doc__ + """
    Shape: ``(B, C, D, H, W)`` on a gspace over R^3.

    Example:
        >>> from steerable.gspaces import rot3dOnR3
        >>> from steerable.nn import FieldType, IIDBatchNorm3d
        >>> gs = rot3dOnR3(); t = FieldType(gs, [gs.trivial_repr, gs.irrep(1)])
        >>> IIDBatchNorm3d(t).running_var.shape
        torch.Size([2])
    """
    _spatial_dims = (3,)
    _gspace_dim = 3


class InducedNormBatchNorm(_GroupBatchNorm):
    """Batch norm for induced fields without trivial irreps: one variance (and weight) per field, no mean.

    For ``rho = Ind_H^G sigma`` with no trivial irrep, ``(1/|G|) sum_g rho(g) v = 0``, so the
    mean is taken as zero; each field is divided by ``sqrt(E|x_f|^2 / d_f + eps)``, the mean
    squared norm over batch, locations and all its blocks (which ``g`` permutes, so the
    statistic is invariant).  A scalar per field commutes with ``rho(g)``.  (As escnn's
    ``InducedNormBatchNorm``; steerable computes the same statistic as :class:`NormBatchNorm`
    does for non-trivial fields.)

    Args:
        in_type: fields of induced representations containing no trivial irrep.
        eps, momentum, affine, track_running_stats: as in ``torch.nn.BatchNorm2d``.

    Buffers: ``running_var`` (one per field), ``running_mean`` (empty), ``num_batches_tracked``.

    Example:
        >>> from steerable.gspaces import flipRot2dOnR2
        >>> from steerable.nn import FieldType, InducedNormBatchNorm
        >>> gs = flipRot2dOnR2(4, axis=0.0); G = gs.fibergroup
        >>> rho = G.induced_representation((None, 4), G.subgroup((None, 4))[0].irrep(1))
        >>> InducedNormBatchNorm(FieldType(gs, 3 * [rho])).weight.shape
        torch.Size([3])
    """

    def __init__(self, in_type: FieldType, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True) -> None:
        check_field_type(in_type, layer="InducedNormBatchNorm")
        require_induced(in_type, "InducedNormBatchNorm")
        for i, r in enumerate(in_type.representations):
            if any(psi.is_trivial() for psi in r.irrep_objects):
                raise ValueError(f"InducedNormBatchNorm needs fields without trivial irreps (their mean is not zero); "
                                 f"field {i} of {in_type} ({r.name!r}) contains one")
        gidx = field_index(in_type).numpy()
        super().__init__(in_type, gidx, np.zeros((in_type.size, 0)), None, eps, momentum, affine, track_running_stats)


class GNormBatchNorm(_GroupBatchNorm):
    """Batch norm per irrep: normalise every irrep component of every field in the irrep basis ``z = Q^T x``.

    Each irrep instance ``z_i`` (of dimension ``d_i``) is divided by ``sqrt(E|z_i - mu_i|^2 / d_i + eps)``
    and scaled by its own weight; ``mu_i = E[z_i]`` (and a bias) only for trivial irreps.  By
    Schur's lemma a scalar per irrep commutes with ``psi_i(g)``, so ``y = Q norm(Q^T x)`` is
    equivariant for any representation.  (As escnn's ``GNormBatchNorm``.)

    Args:
        in_type: any field type.
        eps, momentum, affine, track_running_stats: as in ``torch.nn.BatchNorm2d``.

    Buffers: ``running_mean`` (one per trivial irrep), ``running_var`` (one per irrep instance).
    In eval mode the layer is ``y = Q diag(s) Q^T x + c``; :meth:`export` returns it as a
    :class:`ChannelLinear` (a ``ChannelAffine`` when every ``Q`` is the identity).

    Example:
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, GNormBatchNorm
        >>> gs = rot2dOnR2(4)
        >>> GNormBatchNorm(FieldType(gs, [gs.regular_repr])).weight.shape  # irreps 0, 1, 2 of C4
        torch.Size([3])
    """

    def __init__(self, in_type: FieldType, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True) -> None:
        check_field_type(in_type, layer="GNormBatchNorm")
        irreps = in_type.irreps
        gidx = np.repeat(np.arange(len(irreps)), [psi.size for psi in irreps])
        starts = np.concatenate([[0], np.cumsum([psi.size for psi in irreps])[:-1]])
        cols = [int(s) for psi, s in zip(irreps, starts) if psi.is_trivial()]
        E = np.eye(in_type.size)[:, cols]
        Q = in_type.change_of_basis
        Q = None if np.allclose(Q, np.eye(in_type.size)) else Q
        super().__init__(in_type, gidx, E, Q, eps, momentum, affine, track_running_stats)


# ---------------------------------------------------------------------- FieldNorm
class FieldNorm(EquivariantModule):
    """Layer-norm-like normalisation of each field by its own norm, per sample and per location.

    For each sample, location and field ``f`` (no batch or spatial statistics, no running
    statistics: train and eval behave the same)::

        mu = E E^T x_f,   y_f = w_f (x_f - mu) / sqrt(|x_f - mu|^2 / d_f + eps) + E b_f

    with ``E`` the trivial columns of the field's change of basis (its invariant directions).
    ``|x_f - mu|`` is invariant and ``E E^T`` commutes with ``rho(g)``, so the layer is
    equivariant for any representation.  Note: a field that is *entirely* trivial (e.g. a
    scalar) has ``x_f - mu = 0`` and is mapped to its bias, like ``LayerNorm`` over one feature;
    a warning is issued for such fields.  (As escnn's ``FieldNorm``.)

    Args:
        in_type: any field type.
        eps: added to the variance.
        affine: learn one weight per field and a bias per trivial irrep.

    Example:
        >>> import torch
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, GeometricTensor, FieldNorm
        >>> gs = rot2dOnR2(-1); t = FieldType(gs, [gs.irrep(1)])
        >>> y = FieldNorm(t, affine=False)(GeometricTensor(torch.tensor([[3.0, 4.0]]), t))
        >>> [round(v, 4) for v in y.tensor[0].tolist()]
        [0.8485, 1.1314]
    """

    def __init__(self, in_type: FieldType, eps: float = 1e-5, affine: bool = True) -> None:
        super().__init__()
        self.in_type = self.out_type = check_field_type(in_type, layer="FieldNorm")
        if not eps > 0:
            raise ValueError(f"FieldNorm: eps must be positive, got {eps!r}")
        self.eps, self.affine = float(eps), affine
        trivial = sorted({r.name for r in in_type.representations if r.is_trivial()})
        if trivial:
            warnings.warn(f"FieldNorm maps entirely trivial fields {trivial} to constants (their bias); "
                          "normalise scalar fields with a batch norm instead", UserWarning, stacklevel=2)
        E = trivial_block_columns(in_type)
        gidx = field_index(in_type)
        self.register_buffer("_gidx", gidx, persistent=False)
        self.register_buffer("_gsize", torch.tensor([float(r.size) for r in in_type.representations]), persistent=False)
        self.register_buffer("_E", torch.from_numpy(E).float(), persistent=False)
        self.register_buffer("_Epinv", torch.from_numpy(_pinv_columns(E)).float(), persistent=False)
        if affine:
            self.weight = torch.nn.Parameter(torch.ones(len(in_type)))
            self.bias = torch.nn.Parameter(torch.zeros(E.shape[1]))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        y = FieldNormMap.normalise(x.tensor, self._gidx, self._gsize, self._E, self._Epinv, self.weight, self.bias, self.eps)
        return GeometricTensor(y, self.out_type)

    @torch.no_grad()
    def export(self) -> torch.nn.Module:
        return FieldNormMap(self._gidx, self._gsize, self._E, self._Epinv, self.weight, self.bias, self.eps).eval()

    def extra_repr(self) -> str:
        return f"{self.in_type}, eps={self.eps}, affine={self.affine}"
