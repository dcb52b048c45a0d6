"""Dropout, upsampling, disk masks and quadratic invariant maps.

* :class:`PointwiseDropout`, :class:`FieldDropout`: identity in eval mode; in training mode
  their random masks are equivariant in distribution (the law of ``layer(g.x)`` equals the
  law of ``g.layer(x)``).
* :class:`R2Upsampling`, :class:`R3Upsampling`: the same interpolation on every channel,
  which commutes with any channel mixing ``rho(g)``; exactly equivariant under the grid
  symmetries for integer scale factors, approximately under other rotations.
* :class:`MaskModule`: multiplication by a rotation-invariant smooth disk/ball.
* :class:`InvariantMaps`: all quadratic invariants ``x_f^T A x_f`` of each field.

Example:
    >>> import torch
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.nn import FieldType, GeometricTensor, R2Upsampling
    >>> gs = rot2dOnR2(8)
    >>> t = FieldType(gs, [gs.regular_repr])
    >>> R2Upsampling(t, scale_factor=2)(GeometricTensor(torch.randn(1, 8, 5, 5), t)).shape
    torch.Size([1, 8, 10, 10])
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..group import tensor_product
from .field_type import FieldType
from .field_type import GeometricTensor
from .misc import check_field_type, field_index, meta_shape, require_permutation
from .module import EquivariantModule

__all__ = ["PointwiseDropout", "FieldDropout", "R2Upsampling", "R3Upsampling", "MaskModule", "InvariantMaps",
           "build_mask"]


def _check_p(p: float, layer: str) -> float:
    if not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{layer}: dropout probability p must be in [0, 1], got {p!r}")
    return float(p)


# ---------------------------------------------------------------------- dropout
class PointwiseDropout(EquivariantModule):
    """Elementwise dropout (``torch.nn.Dropout``) on fields that are permutation representations.

    A mask of i.i.d. Bernoulli entries has the same law after permuting channels and pixels,
    so the layer is equivariant in distribution; in eval mode it is the identity.

    Args:
        in_type: field type; every field must be a permutation representation.
        p: probability of zeroing an entry (survivors are scaled by ``1 / (1 - p)``).
        inplace: as in ``torch.nn.Dropout``.

    Example:
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, PointwiseDropout
        >>> gs = rot2dOnR2(4)
        >>> PointwiseDropout(FieldType(gs, [gs.regular_repr]), p=0.1)
        PointwiseDropout(p=0.1)
    """

    def __init__(self, in_type: FieldType, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        self.in_type = self.out_type = check_field_type(in_type, layer="PointwiseDropout")
        require_permutation(in_type, "PointwiseDropout")
        self.p = _check_p(p, "PointwiseDropout")
        self.inplace = inplace

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        return GeometricTensor(F.dropout(x.tensor, self.p, self.training, self.inplace), self.out_type)

    def export(self) -> torch.nn.Module:
        return torch.nn.Dropout(self.p, self.inplace).train(self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}" + (", inplace=True" if self.inplace else "")


class _FieldDropoutPlain(torch.nn.Module):
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


class FieldDropout(EquivariantModule):
    """Drops whole fields: one Bernoulli draw per (sample, field), shared by its channels and locations.

    Scaling a field by a scalar commutes with any ``rho(g)``, and the mask does not depend on
    the location, so this works for every representation (equivariant in distribution).

    Example:
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, FieldDropout
        >>> gs = rot2dOnR2(-1)
        >>> FieldDropout(FieldType(gs, 3 * [gs.irrep(1)]), p=0.2).p
        0.2
    """

    def __init__(self, in_type: FieldType, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        self.in_type = self.out_type = check_field_type(in_type, layer="FieldDropout")
        self.p = _check_p(p, "FieldDropout")
        self.inplace = inplace  # accepted for escnn compatibility; the output is always a new tensor
        self._plain = _FieldDropoutPlain(field_index(in_type), len(in_type), self.p, persistent=False)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        self._plain.train(self.training)
        return GeometricTensor(self._plain(x.tensor), self.out_type)

    def export(self) -> torch.nn.Module:
        m = _FieldDropoutPlain(self._plain.fidx, len(self.in_type), self.p)
        return m.train(self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


# ---------------------------------------------------------------------- upsampling
class _Upsampling(EquivariantModule):
    _dim = 2
    _modes: tuple[str, ...] = ()

    def __init__(self, in_type: FieldType, scale_factor: float | None = None, size: int | Sequence[int] | None = None,
                 mode: str = "bilinear", align_corners: bool | None = None) -> None:
        super().__init__()
        name = type(self).__name__
        self.in_type = self.out_type = check_field_type(in_type, dim=self._dim, layer=name)
        if (scale_factor is None) == (size is None):
            raise ValueError(f"{name}: give exactly one of scale_factor and size, got scale_factor={scale_factor!r}, size={size!r}")
        if mode not in self._modes:
            raise ValueError(f"{name}: mode must be one of {self._modes}, got {mode!r}")
        if mode == "nearest" and align_corners:
            raise ValueError(f"{name}: align_corners only applies to interpolating modes, not 'nearest'")
        if scale_factor is not None and (not isinstance(scale_factor, (int, float)) or scale_factor <= 0):
            raise ValueError(f"{name}: scale_factor must be a positive number, got {scale_factor!r}")
        self.scale_factor, self.size, self.mode = scale_factor, size, mode
        self.align_corners = None if mode == "nearest" else bool(align_corners)

    def _up(self, t: torch.Tensor) -> torch.Tensor:
        return F.interpolate(t, size=self.size, scale_factor=self.scale_factor, mode=self.mode, align_corners=self.align_corners)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        if x.tensor.dim() != self._dim + 2:
            raise ValueError(f"{type(self).__name__} expects a tensor (batch, channels, {self._dim} spatial axes), "
                             f"got shape {tuple(x.shape)}")
        return GeometricTensor(self._up(x.tensor), self.out_type)

    def evaluate_output_shape(self, input_shape: Sequence[int]) -> tuple[int, ...]:
        super().evaluate_output_shape(input_shape)
        return meta_shape(self._up, input_shape)

    def export(self) -> torch.nn.Module:
        return torch.nn.Upsample(size=self.size, scale_factor=self.scale_factor, mode=self.mode, align_corners=self.align_corners)

    def extra_repr(self) -> str:
        s = f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        return s + f", mode={self.mode!r}" + (f", align_corners={self.align_corners}" if self.mode != "nearest" else "")


class R2Upsampling(_Upsampling):
    """``F.interpolate`` on every channel of a 2D feature map (any field types).

    The interpolation acts identically on each channel, so it commutes with ``rho(g)``; it
    commutes with the 90 degree rotations and flips of the grid when the sampling is symmetric
    (integer ``scale_factor``, or ``mode='bilinear'``), and approximately with other rotations
    of smooth signals.

    Args:
        in_type: field type on a gspace over R^2.
        scale_factor, size: exactly one of them, as in ``torch.nn.Upsample``.
        mode: ``'bilinear'`` (default), ``'bicubic'`` or ``'nearest'``.
        align_corners: as in ``torch.nn.Upsample`` (interpolating modes only).

    Example:
        >>> import torch
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, R2Upsampling
        >>> gs = rot2dOnR2(4)
        >>> R2Upsampling(FieldType(gs, [gs.regular_repr]), size=9).evaluate_output_shape((1, 4, 5, 5))
        (1, 4, 9, 9)
    """

    _dim = 2
    _modes = ("bilinear", "bicubic", "nearest")


class R3Upsampling(_Upsampling):
    """``F.interpolate`` on every channel of a 3D feature map; modes ``'trilinear'`` (default) or ``'nearest'``.

    Example:
        >>> from steerable.gspaces import rot3dOnR3
        >>> from steerable.nn import FieldType, R3Upsampling
        >>> gs = rot3dOnR3()
        >>> R3Upsampling(FieldType(gs, [gs.irrep(1)]), scale_factor=2).evaluate_output_shape((1, 3, 4, 4, 4))
        (1, 3, 8, 8, 8)
    """

    _dim = 3
    _modes = ("trilinear", "nearest")

    def __init__(self, in_type: FieldType, scale_factor: float | None = None, size: int | Sequence[int] | None = None,
                 mode: str = "trilinear", align_corners: bool | None = None) -> None:
        super().__init__(in_type, scale_factor, size, mode, align_corners)


# ---------------------------------------------------------------------- masks
def build_mask(S: int, dim: int = 2, margin: float = 0.0, sigma: float = 2.0, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """A smooth disk (``dim=2``) or ball (``dim=3``) on the centred ``S^dim`` grid.

    With ``c = (S - 1) / 2`` and radius ``R = c (1 - margin / 100)``, the mask is ``1`` for
    ``|p| <= R`` and ``exp(-(|p| - R)^2 / sigma^2)`` outside; it depends only on ``|p|``, so it
    is invariant under every rotation/reflection of the grid.
    """
    if S < 1:
        raise ValueError(f"mask size S must be a positive int, got {S!r}")
    c = (S - 1) / 2
    R = c * (1.0 - margin / 100.0)
    ax = torch.arange(S, dtype=torch.float64) - c
    grids = torch.meshgrid(*([ax] * dim), indexing="ij")
    r = torch.sqrt(sum(g**2 for g in grids))
    m = torch.where(r <= R, torch.ones_like(r), torch.exp(-((r - R) ** 2) / sigma**2)) if sigma > 0 else (r <= R).double()
    return m.to(dtype)


class _MaskPlain(torch.nn.Module):
    """Torch-only :class:`MaskModule`: ``x * mask``."""

    def __init__(self, mask: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("mask", mask.detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.mask.to(x.dtype)


class MaskModule(EquivariantModule):
    """Multiply every channel by a smooth disk (2D) / ball (3D) mask of side ``S`` (see :func:`build_mask`).

    Pixels near the corners move off the grid under non-grid rotations; masking them makes
    rotated inputs comparable.  The mask is rotation invariant, so the layer is equivariant.

    Args:
        in_type: field type.
        S: the spatial side of the inputs (they must be ``S x S`` or ``S x S x S``).
        margin: margin in percent of the radius, as in escnn.
        sigma: width of the Gaussian fall-off outside the radius, in pixels.

    Example:
        >>> import torch
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, GeometricTensor, MaskModule
        >>> gs = rot2dOnR2(8); t = FieldType(gs, [gs.trivial_repr])
        >>> MaskModule(t, 9)(GeometricTensor(torch.ones(1, 1, 9, 9), t)).tensor[0, 0, 4, 4].item()
        1.0
    """

    def __init__(self, in_type: FieldType, S: int, margin: float = 0.0, sigma: float = 2.0) -> None:
        super().__init__()
        self.in_type = self.out_type = check_field_type(in_type, layer="MaskModule")
        if not isinstance(S, int) or S < 1:
            raise ValueError(f"MaskModule: S must be a positive int, got {S!r}")
        self.S, self.margin, self.sigma = S, float(margin), float(sigma)
        d = in_type.gspace.dimensionality
        self.register_buffer("mask", build_mask(S, d, margin, sigma), persistent=False)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        d = self.in_type.gspace.dimensionality
        if tuple(x.shape[2:]) != (self.S,) * d:
            raise ValueError(f"MaskModule expects spatial shape {(self.S,) * d}, got {tuple(x.shape[2:])}")
        return GeometricTensor(x.tensor * self.mask.to(x.dtype), self.out_type)

    def export(self) -> torch.nn.Module:
        return _MaskPlain(self.mask)

    def extra_repr(self) -> str:
        return f"S={self.S}, margin={self.margin}, sigma={self.sigma}"


# ---------------------------------------------------------------------- invariant maps
def quadratic_invariants(r) -> np.ndarray:
    """``(K, d, d)``: a Frobenius-orthonormal basis of the symmetric ``A`` with ``rho(g)^T A rho(g) = A``.

    Built from the trivial irreps of ``rho (x) rho = Q_tp ((+) psi) Q_tp^T``: each trivial
    column of ``Q_tp`` reshaped to ``d x d`` is an invariant bilinear form; ``x (x) x`` is
    symmetric, so only the symmetric parts matter (antisymmetric forms give ``x^T A x = 0``).
    """
    tp = tensor_product(r, r)
    d = r.size
    cols, p = [], 0
    for psi in tp.irrep_objects:
        if psi.is_trivial():
            A = tp.change_of_basis[:, p].reshape(d, d)  # kron index i * d + j <-> x_i x_j
            cols.append(((A + A.T) / 2).ravel())
        p += psi.size
    if not cols:
        return np.zeros((0, d, d))
    U, s, _ = np.linalg.svd(np.stack(cols, 1), full_matrices=False)
    U = U[:, s > 1e-8 * max(1.0, s.max())].T
    for u in U:  # deterministic signs: positive trace (positive semi-definite forms give x^T A x >= 0), else first entry
        tr = u.reshape(d, d).trace()
        ref = tr if abs(tr) > 1e-8 else u[np.flatnonzero(np.abs(u) > 1e-8)[0]]
        if ref < 0:
            u *= -1
    return U.reshape(-1, d, d)


class _QuadraticPlain(torch.nn.Module):
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


class InvariantMaps(EquivariantModule):
    """All quadratic invariants of each field: ``y_{f,k} = x_f^T A_k x_f``, trivial output fields.

    For a field of type ``rho``, the ``A_k`` span the symmetric trivial part of
    ``rho (x) rho`` (:func:`quadratic_invariants`): ``y_{f,k}`` are the coefficients of the
    projection of ``x_f (x) x_f`` onto the trivial irreps of the decomposed tensor product
    (expressed in an orthonormal basis of the symmetric ones, so none is identically zero).
    Since ``rho(g)^T A_k rho(g) = A_k``, every output is invariant; output fields are in
    input-field order, ``K_rho`` consecutive trivial fields per input field.  E.g. a 2D irrep
    of SO(2) gives ``|x|^2 / sqrt(2)``; the regular field of ``C_N`` gives its ``N/2 + 1``
    power-spectrum / autocorrelation invariants.

    Example:
        >>> import torch
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, GeometricTensor, InvariantMaps
        >>> gs = rot2dOnR2(-1)
        >>> m = InvariantMaps(FieldType(gs, [gs.irrep(1), gs.irrep(2)]))
        >>> len(m.out_type)
        2
    """

    def __init__(self, in_type: FieldType) -> None:
        super().__init__()
        self.in_type = check_field_type(in_type, layer="InvariantMaps")
        forms: dict = {}
        counts = []
        for r in in_type.representations:
            if r not in forms:
                forms[r] = quadratic_invariants(r)
            counts.append(forms[r].shape[0])
        if sum(counts) == 0:
            raise ValueError(f"InvariantMaps: {in_type} has no quadratic invariants")
        self.out_type = FieldType(in_type.gspace, sum(counts) * [in_type.gspace.trivial_repr])
        out_start = np.concatenate([[0], np.cumsum(counts)])
        groups = []
        for r, A in forms.items():
            fields = [i for i, s in enumerate(in_type.representations) if s == r]
            if A.shape[0] == 0:
                continue
            cout = torch.from_numpy(np.concatenate([np.arange(out_start[i], out_start[i + 1]) for i in fields])).long()
            groups.append((torch.from_numpy(A).float(), in_type.channel_indices(fields), cout))
        self._plain = _QuadraticPlain(groups, self.out_type.size, persistent=False)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        return GeometricTensor(self._plain(x.tensor), self.out_type)

    def export(self) -> torch.nn.Module:
        p = self._plain
        return _QuadraticPlain([(getattr(p, f"forms_{i}"), getattr(p, f"in_{i}"), getattr(p, f"out_{i}"))
                                for i in range(p.n)], self.out_type.size)

    def extra_repr(self) -> str:
        return f"{self.in_type} -> {len(self.out_type)} invariants"
