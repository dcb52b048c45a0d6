"""Relaxed steerable convolutions: ``steerable.nn``'s R2Conv/R3Conv with a likelihood over the group.

The filter is ``sum_b (hat lambda . w)_b B_b`` over the relaxed basis of
:mod:`steerable.partial.basis`: each block of coefficients is multiplied by the Fourier
coefficient ``hat lambda(phi_c)`` of the layer's :class:`~steerable.partial.GroupLikelihood`
before the usual expansion.  At initialisation ``lambda`` is uniform and the layer is exactly
equivariant (``conv(g x) = g conv(x)`` as for ``steerable.nn.R2Conv``); as ``lambda``
concentrates at the identity the kernel becomes the unconstrained band-limited one.  Gradients
reach both the coefficients ``w`` and ``theta``.  Caching in eval mode, ``export()`` and
``state_dict`` behave as in ``steerable.nn`` (the likelihood's ``theta`` is part of the state).

Example:
    >>> import torch
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.nn import FieldType, GeometricTensor
    >>> from steerable.partial import R2Conv
    >>> gs = rot2dOnR2(8)
    >>> t = FieldType(gs, [gs.regular_repr])
    >>> R2Conv(t, t, 5, padding=2)(GeometricTensor(torch.randn(1, 8, 9, 9), t)).shape
    torch.Size([1, 8, 9, 9])
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import torch

from ..gspaces.field_type import FieldType
from ..kernels import EmptyBasisError
from ..nn import BlocksBasisExpansion
from ..nn import R2Conv as _EquivariantR2Conv
from ..nn import R3Conv as _EquivariantR3Conv
from .basis import RelaxedConvBasis, RelaxedKernelBasis, mixing_index
from .likelihood import GroupLikelihood, max_frequency

__all__ = ["R2Conv", "R3Conv", "RelaxedExpansion", "default_likelihood"]


def default_likelihood(group: Any, band_limit: int = 2) -> GroupLikelihood:
    """A fresh uniform likelihood on ``group`` of band ``min(band_limit, the group's maximum frequency)``."""
    top = max_frequency(group.fibergroup if hasattr(group, "fibergroup") else group)
    return GroupLikelihood(group, band_limit if top is None else min(band_limit, top))


class RelaxedExpansion(torch.nn.Module):
    """Coefficients ``w`` -> filter: ``w_eff = blockdiag(hat lambda(phi_c)) w``, then a :class:`BlocksBasisExpansion`.

    Args:
        expansion: the expansion over a :class:`~steerable.partial.basis.RelaxedConvBasis`.
        likelihood: the likelihood whose Fourier coefficients weight the blocks.
    """

    def __init__(self, expansion: BlocksBasisExpansion, likelihood: GroupLikelihood) -> None:
        super().__init__()
        basis = expansion.basis
        if not isinstance(basis, RelaxedConvBasis):
            raise TypeError(f"RelaxedExpansion needs an expansion over a RelaxedConvBasis, got {type(basis).__name__}")
        self.expansion, self.likelihood = expansion, likelihood
        self.bases: list[RelaxedKernelBasis] = []
        for r_out in expansion.out_type.group_fields():  # the expansion's own pair order
            for r_in in expansion.in_type.group_fields():
                try:
                    self.bases.append(basis.pair(r_in, r_out))  # built once by the expansion, kept by the basis
                except EmptyBasisError:
                    continue
        coef, src = mixing_index(expansion.pairs, self.bases, [p.id for p in likelihood.output_irreps],
                                 likelihood._out_sizes, expansion.dimension)
        self.register_buffer("coef_index", coef, persistent=False)
        self.register_buffer("source_index", src, persistent=False)
        self.dimension = expansion.dimension
        self.basis = basis

    @property
    def pairs(self) -> list[dict]:
        return self.expansion.pairs

    def effective_weights(self, weights: torch.Tensor) -> torch.Tensor:
        """``blockdiag(hat lambda(phi_c)) w``: the coefficients in the relaxed basis."""
        hat = self.likelihood.fourier_flat().to(weights)
        hat = torch.cat([hat, hat.new_zeros(1)])  # the padding index reads a zero
        return (hat[self.coef_index] * weights[self.source_index]).sum(-1)

    def forward(self, weights: torch.Tensor) -> torch.Tensor:
        return self.expansion(self.effective_weights(weights))

    def initialize(self, weights: torch.Tensor, generator: torch.Generator | None = None) -> None:
        """He-like initialisation of the filter that uniform ``lambda`` sees (its trivial blocks only)."""
        self.expansion.initialize(weights, generator)
        trivial = self.likelihood.group.trivial_representation.id
        total: dict[int, float] = {}
        kept: dict[int, float] = {}
        for i, (p, b) in enumerate(zip(self.expansion.pairs, self.bases)):
            B = getattr(self.expansion, f"basis_{i}").double()
            mask = torch.tensor([a["irrep"] == trivial for a in b.attributes_list()])
            key = id(p["r_out"])
            total[key] = total.get(key, 0.0) + p["n_in"] * float((B ** 2).sum())
            kept[key] = kept.get(key, 0.0) + p["n_in"] * float((B[mask] ** 2).sum())
        with torch.no_grad():
            for p in self.expansion.pairs:
                key = id(p["r_out"])
                if kept[key] > 0:
                    weights[p["start"] : p["stop"]] *= (total[key] / kept[key]) ** 0.5

    def kernel(self, weights: torch.Tensor, points: torch.Tensor, relaxed: bool = True) -> torch.Tensor:
        """The continuous kernel at ``points`` ``(N, d)``: ``(N, out.size, in.size)`` (for tests and plots);
        ``relaxed=False``: the unconstrained kernel of the same coefficients (``hat lambda = I``)."""
        w = self.effective_weights(weights.to(points.dtype)) if relaxed else weights.to(points.dtype)
        e = self.expansion
        K = points.new_zeros(points.shape[0], e.out_type.size, e.in_type.size)
        for i, (p, b) in enumerate(zip(e.pairs, self.bases)):
            Bp = b.sample(points)  # (N, dim, d_o, d_i)
            wp = w[p["start"] : p["stop"]].reshape(p["n_out"], p["n_in"], p["dim"])
            block = torch.einsum("abn,pnoi->paobi", wp, Bp).reshape(points.shape[0], p["n_out"] * p["d_out"], p["n_in"] * p["d_in"])
            out_idx, in_idx = getattr(e, f"out_idx_{i}"), getattr(e, f"in_idx_{i}")
            K[:, out_idx[:, None], in_idx[None, :]] = block
        return K

    def extra_repr(self) -> str:
        return f"coefficients={self.dimension}, irreps={len(self.likelihood.output_irreps)}"


class _Relaxed:
    """What the relaxed convolutions add to ``steerable.nn``'s: the likelihood and its cache key."""

    basisexpansion: RelaxedExpansion
    weights: torch.nn.Parameter

    def _build(self, name: str, in_type: FieldType, out_type: FieldType, kernel_size: int, likelihood: GroupLikelihood | None,
               escnn_only: dict[str, Any], basis_kwargs: dict[str, Any], conv_kwargs: dict[str, Any], initialize: bool) -> None:
        """The constructor both relaxed convolutions share: checks, the relaxed basis, the parent conv, the likelihood."""
        _no_escnn_only(name, **escnn_only)
        lam = _check_likelihood(likelihood, in_type, name)
        dim = type(self)._dim
        relaxed = RelaxedConvBasis(in_type.gspace, kernel_size, lam.output_band_limit, **basis_kwargs) \
            if isinstance(kernel_size, int) and kernel_size >= 1 and in_type.gspace.dimensionality == dim else None
        super().__init__(in_type, out_type, kernel_size, initialize=False, basis=relaxed, **conv_kwargs)  # type: ignore[call-arg]
        self._relax(lam, initialize)

    def _relax(self, likelihood: GroupLikelihood, initialize: bool) -> None:
        self.basisexpansion = RelaxedExpansion(self.basisexpansion, likelihood)
        self._likelihood_key: tuple | None = None
        if initialize:
            self.reset_parameters()

    @property
    def likelihood(self) -> GroupLikelihood:
        """The likelihood ``lambda`` over the group (shared with every layer it was passed to)."""
        return self.basisexpansion.likelihood

    def kernel(self, points: torch.Tensor) -> torch.Tensor:
        """The continuous kernel at ``points`` ``(N, d)`` (groups=1): ``(N, out.size, in.size)``."""
        return self.basisexpansion.kernel(self.weights[: self.basisexpansion.dimension], points)

    def _filter(self):
        theta = self.likelihood.theta
        key = (theta._version, theta.data_ptr(), theta.dtype)
        if key != self._likelihood_key:  # a changed lambda is a changed filter
            self._cache, self._likelihood_key = None, key
        return super()._filter()  # type: ignore[misc]


def _check_likelihood(likelihood: GroupLikelihood | None, in_type: FieldType, layer: str) -> GroupLikelihood:
    if not isinstance(in_type, FieldType):
        raise TypeError(f"in_type must be a FieldType, got {type(in_type).__name__}")
    if likelihood is None:
        return default_likelihood(in_type.gspace)
    if not isinstance(likelihood, GroupLikelihood):
        raise TypeError(f"{layer}: likelihood must be a steerable.partial.GroupLikelihood or None, got {type(likelihood).__name__}")
    if likelihood.group != in_type.gspace.fibergroup:
        raise ValueError(f"{layer}: the likelihood is on {likelihood.group.name}, but the layer's group is "
                         f"{in_type.gspace.fibergroup.name}")
    return likelihood


def _no_escnn_only(layer: str, **kw: Any) -> None:
    given = sorted(k for k, v in kw.items() if v not in (None, False))
    if given:
        raise ValueError(f"{layer} builds its own relaxed basis: {', '.join(given)} cannot be used here")


class R2Conv(_Relaxed, _EquivariantR2Conv):
    """Relaxed steerable 2D convolution: :class:`steerable.nn.R2Conv` whose kernel constraint is
    weighted by a likelihood ``lambda`` over the group (exactly equivariant at uniform ``lambda``).

    The arguments are those of :class:`steerable.nn.R2Conv` (``in_type``, ``out_type``, ``kernel_size``,
    ``padding``, ``stride``, ``dilation``, ``padding_mode``, ``groups``, ``bias``, ``sigma``,
    ``frequencies_cutoff``, ``rings``, ``recompute``, ``initialize``, ``maximum_frequency``), and:

    Args:
        likelihood: the :class:`~steerable.partial.GroupLikelihood` on the layer's group
            (pass one object to several layers to share it); ``None``: a new uniform one of band 2.
        maximum_offset, basis_filter, basis: not available (the relaxed basis is built here).

    Shape: as :class:`steerable.nn.R2Conv`.

    Example:
        >>> import torch
        >>> from steerable.gspaces import flipRot2dOnR2
        >>> from steerable.nn import FieldType, GeometricTensor
        >>> from steerable.partial import GroupLikelihood, R2Conv
        >>> gs = flipRot2dOnR2(-1, maximum_frequency=2)
        >>> t = FieldType(gs, [gs.irrep(1, 1), gs.trivial_repr])
        >>> conv = R2Conv(t, t, 3, padding=1, likelihood=GroupLikelihood(gs, band_limit=2))
        >>> conv(GeometricTensor(torch.randn(1, 3, 7, 7), t)).shape
        torch.Size([1, 3, 7, 7])
    """

    def __init__(self, in_type: FieldType, out_type: FieldType, kernel_size: int, padding: int = 0, stride: int = 1,
                 dilation: int = 1, padding_mode: str = "zeros", groups: int = 1, bias: bool = True,
                 sigma: float | Sequence[float] | None = None,
                 frequencies_cutoff: float | Callable[[float], float] | None = None, rings: Sequence[float] | None = None,
                 maximum_offset: int | None = None, recompute: bool = False, basis_filter: Callable[[dict], bool] | None = None,
                 initialize: bool = True, *, maximum_frequency: int | None = None, basis: Any = None,
                 likelihood: GroupLikelihood | None = None) -> None:
        self._build("partial.R2Conv", in_type, out_type, kernel_size, likelihood,
                    dict(maximum_offset=maximum_offset, basis_filter=basis_filter, basis=basis),
                    dict(rings=rings, sigma=sigma, maximum_frequency=maximum_frequency, frequencies_cutoff=frequencies_cutoff),
                    dict(padding=padding, stride=stride, dilation=dilation, padding_mode=padding_mode, groups=groups,
                         bias=bias, recompute=recompute), initialize)


class R3Conv(_Relaxed, _EquivariantR3Conv):
    """Relaxed steerable 3D convolution (see :class:`R2Conv`; the group is a subgroup of ``O(3)``).

    Example:
        >>> import torch
        >>> from steerable.gspaces import rot3dOnR3
        >>> from steerable.nn import FieldType, GeometricTensor
        >>> from steerable.partial import R3Conv
        >>> gs = rot3dOnR3(maximum_frequency=1)
        >>> t = FieldType(gs, [gs.trivial_repr, gs.irrep(1)])
        >>> R3Conv(t, t, 3, padding=1)(GeometricTensor(torch.randn(1, 4, 5, 5, 5), t)).shape
        torch.Size([1, 4, 5, 5, 5])
    """

    def __init__(self, in_type: FieldType, out_type: FieldType, kernel_size: int, padding: int = 0, stride: int = 1,
                 dilation: int = 1, padding_mode: str = "zeros", groups: int = 1, bias: bool = True,
                 sigma: float | Sequence[float] | None = None,
                 frequencies_cutoff: float | Callable[[float], float] | None = None, rings: Sequence[float] | None = None,
                 recompute: bool = False, basis_filter: Callable[[dict], bool] | None = None, initialize: bool = True, *,
                 maximum_offset: int | None = None, maximum_frequency: int | None = None, basis: Any = None,
                 likelihood: GroupLikelihood | None = None) -> None:
        self._build("partial.R3Conv", in_type, out_type, kernel_size, likelihood,
                    dict(maximum_offset=maximum_offset, basis_filter=basis_filter, basis=basis),
                    dict(rings=rings, sigma=sigma, maximum_frequency=maximum_frequency, frequencies_cutoff=frequencies_cutoff),
                    dict(padding=padding, stride=stride, dilation=dilation, padding_mode=padding_mode, groups=groups,
                         bias=bias, recompute=recompute), initialize)
