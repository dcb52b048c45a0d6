"""Fourier nonlinearities: apply a pointwise function to band-limited signals sampled on a group grid.

A field of the band-limited regular representation holds the Fourier coefficients ``c`` of a
signal ``f`` on the fibre group ``G`` (ordered as the irreps of ``G.bl_regular_representation(L)``,
see :mod:`steerable.group.fourier`).  With ``A`` the sampling matrix of a grid ``g_1..g_n``
(``f(g_k) = (A c)_k``) and ``A^+`` its least-squares inverse, the layer computes, per field,

    c  ->  A_out^+ sigma(A c).

Left translation by ``h`` acts on ``c`` by ``rho(h)`` and on ``f`` by ``f(h^-1 .)``.  If
``h^-1`` maps the grid onto itself, the samples are just permuted, so the layer commutes with
``rho(h)`` exactly: for every element of a finite group (the grid is the whole group), for the
rotations by multiples of ``2 pi / N`` (and the matching reflections) with the ``'regular'``
grid of ``SO(2)``/``O(2)``, and for the 24 (48) cube symmetries with the ``'*_cube'`` grids of
``SO(3)``/``O(3)``.  For other elements of a continuous group, ``sigma(f)`` is not band-limited
and aliasing makes equivariance approximate; the error falls as the grid grows.  Measured with
random inputs and group elements (float64, error relative to ``max |output|``) at the default
grid size, about 4 samples per Fourier coefficient, for band limits 1-3: at most 2 % for
``SO(2)``/``O(2)`` (each doubling of ``N`` divides it by ~4 for ReLU, ~8 for ELU) and 4-9 % for
``SO(3)``/``O(3)`` (each doubling of ``N`` roughly halves it).  The tests assert 3 % and 12 %.

Example:
    >>> import torch
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.nn import FourierELU, GeometricTensor
    >>> gs = rot2dOnR2(-1)
    >>> elu = FourierELU(gs, channels=4, irreps=2)          # band limit L = 2, grid of 20 rotations
    >>> x = GeometricTensor(torch.randn(8, 4 * 5), elu.in_type)
    >>> elu(x).shape
    torch.Size([8, 20])
"""
from __future__ import annotations

import copy
import math
from typing import Any, Sequence, Union

import numpy as np
import torch

from ...group import FourierTransform, Group, GroupElement, IrreducibleRepresentation, Representation
from ...gspaces import GSpace
from ..exported.activations import FourierActivation, fourier_coefficients, fourier_samples
from ..exported.adaptive import AdaptiveFourierActivation
from ...gspaces.field_type import FieldType, GeometricTensor
from ..module import EquivariantModule
from ._common import Activation, resolve_activation
from .adaptive import build_adaptive, check_sampling

__all__ = ["FourierPointwise", "FourierELU", "grid_spec", "check_normalize"]

#: a band limit ``L`` or a list of irreps (``IrreducibleRepresentation`` s or their ids)
IrrepsSpec = Union[int, Sequence[Any]]

#: grid samples per Fourier coefficient used when ``N`` is not given
_SAMPLES_PER_COEFFICIENT = 4


def _frequency(psi: IrreducibleRepresentation) -> int:
    return int(psi.attributes.get("frequency", 0))


def irrep_list(G: Group, irreps: IrrepsSpec, name: str = "irreps") -> list[IrreducibleRepresentation]:
    """The irreps a band limit (``G.irreps_up_to(L)``) or a list of irreps / irrep ids names, checked:
    non-empty, of ``G``, none twice."""
    if isinstance(irreps, (int, np.integer)) and not isinstance(irreps, bool):
        if irreps < 0:
            raise ValueError(f"{name}: the band limit must be >= 0, got {irreps}")
        return list(G.irreps_up_to(int(irreps)))
    if isinstance(irreps, (str, bytes)) or not isinstance(irreps, Sequence) or len(irreps) == 0:
        raise TypeError(f"{name} must be a band limit (int) or a non-empty list of irreps or irrep ids, got {irreps!r}")
    psis: list[IrreducibleRepresentation] = []
    for item in irreps:
        psi = item if isinstance(item, IrreducibleRepresentation) else G.irrep(*(item if isinstance(item, tuple) else (item,)))
        if psi.group != G:
            raise ValueError(f"{name}: irrep {psi.name} belongs to {psi.group.name}, not to {G.name}")
        if psi in psis:
            raise ValueError(f"{name}: irrep {psi.name} is listed twice")
        psis.append(psi)
    return psis


def _resolve_irreps(G: Group, irreps: IrrepsSpec, name: str = "irreps") -> tuple[Representation, int | None, int]:
    """``(representation, band limit or None, max frequency)`` of band-limited signals on ``G``."""
    if isinstance(irreps, (int, np.integer)) and not isinstance(irreps, bool):
        if irreps < 0:
            raise ValueError(f"{name}: the band limit must be >= 0, got {irreps}")
        return G.bl_regular_representation(int(irreps)), int(irreps), int(irreps)
    psis = irrep_list(G, irreps, name)
    L = max(_frequency(p) for p in psis)
    if set(psis) == set(G.irreps_up_to(L)):
        return G.bl_regular_representation(L), L, L
    copies = [p for p in psis for _ in range(p.size // p.sum_of_squares_constituents)]
    ids = ";".join(",".join(str(i) for i in p.id) for p in psis)
    rep = Representation(G, f"regular[{ids}]", copies, None, {"norm", "gated", "fourier"}, {"irreps": list(psis)})
    return rep, None, L


def _sampling_matrix(G: Group, elements: list[GroupElement], rep: Representation) -> np.ndarray:
    """``A[k, (psi, j, i)] = sqrt(d_psi) psi(g_k)[i, j]`` for the irreps of ``rep`` (copies consecutive)."""
    cols, k = [], 0
    while k < len(rep.irrep_objects):
        psi = rep.irrep_objects[k]
        copies = psi.size // psi.sum_of_squares_constituents
        m = psi.matrices(elements)
        cols += [math.sqrt(psi.size) * m[:, :, j] for j in range(copies)]
        k += copies
    return np.concatenate(cols, axis=1)


def _transform(G: Group, grid: list[GroupElement], rep: Representation, L: int | None) -> tuple[np.ndarray, np.ndarray]:
    """``(A, A^+)`` for ``rep`` on ``grid``; raises ValueError if the grid is too small."""
    if L is not None:
        ft = FourierTransform(G, grid, L)
        return ft.A, ft.A_pinv
    A = _sampling_matrix(G, grid, rep)
    if A.shape[0] < A.shape[1] or np.linalg.matrix_rank(A, tol=1e-8 * max(A.shape)) < A.shape[1]:
        raise ValueError(f"a grid of {A.shape[0]} elements cannot determine the {A.shape[1]} Fourier coefficients "
                         f"of {rep.name}; use a larger grid")
    return A, np.linalg.pinv(A)


def _grid(G: Group, kind: str, N: int | None, **kwargs: Any) -> list[GroupElement]:
    """``G.grid(kind, N)``, plus ``'<kind>_cube'`` on SO(3)/O(3): the grid times the 24 cube rotations."""
    if kind.endswith("_cube") and "cube" in getattr(G, "grid_kinds", ()):
        cube = [c for c in G.grid("cube") if np.linalg.det(G.standard_matrix(c)) > 0]
        return [c @ g for c in cube for g in G.grid(kind[: -len("_cube")], N, **kwargs)]
    return G.grid(kind, N, **kwargs)


def grid_spec(grid_args: Sequence[Any], grid_kind: str | None, N: int | None,
              grid_kwargs: dict[str, Any]) -> tuple[str | None, int | None]:
    """``(grid_kind, N)`` from escnn's ``*grid_args`` (``(kind, N)``), ``type=`` and steerable's keywords.

    ``grid_kwargs`` loses its ``type`` entry; each of kind and ``N`` may be given once.
    """
    if len(grid_args) > 2:
        raise TypeError(f"expected at most two positional grid arguments (kind, N), got {len(grid_args)}: {grid_args!r}")
    given = {"kind": [v for v in (grid_args[0] if grid_args else None, grid_kind, grid_kwargs.pop("type", None))
                      if v is not None],
             "N": [v for v in (grid_args[1] if len(grid_args) > 1 else None, N) if v is not None]}
    for what, values in given.items():
        if len(values) > 1:
            raise ValueError(f"give the grid {what} once (positionally, as grid_kind/type or N), got {values}")
    kind = given["kind"][0] if given["kind"] else None
    if kind is not None and not isinstance(kind, str):
        raise TypeError(f"the grid kind must be a string such as 'regular', got {kind!r}")
    return kind, (given["N"][0] if given["N"] else None)


def check_normalize(normalize: bool) -> None:
    """escnn's ``normalize=False`` (unnormalised sampling matrix) is not built: say so instead of ignoring it."""
    if not normalize:
        raise ValueError("normalize=False is not supported: steerable samples with the normalised matrix "
                         "A[k, (psi, i, j)] = sqrt(d_psi) psi(g_k)[i, j] (escnn's default normalize=True)")


class SampledPointwise(EquivariantModule):
    """Shared forward/export of the Fourier activations: ``y = A^+ sigma(A x)`` channel by channel.

    Subclasses set the buffers ``A`` (coefficients -> samples on a grid), ``A_pinv`` (samples ->
    output coefficients), ``channels`` and the activation ``act``.
    """

    A: torch.Tensor
    A_pinv: torch.Tensor
    channels: int
    act: torch.nn.Module

    #: the adaptive-grid forward (``sampling="adaptive"``), or None for the fixed grid
    adaptive: AdaptiveFourierActivation | None

    def _set_sampling(self, sampling: str, canonicalize: str, learnable_head: bool, eps: float,
                      rho: Representation, rho_out: Representation) -> None:
        """Builds ``self.adaptive`` for ``sampling="adaptive"`` from ``A``/``A_pinv`` (see :mod:`.adaptive`)."""
        check_sampling(sampling, canonicalize, eps)
        if not isinstance(learnable_head, bool):
            raise TypeError(f"learnable_head must be a bool, got {learnable_head!r}")
        self.sampling, self.canonicalize = sampling, canonicalize
        self.adaptive = None
        if sampling == "adaptive":
            G = self.in_type.fibergroup
            self.adaptive = build_adaptive(G, rho, rho_out, self.A.numpy(), self.A_pinv.numpy(), self.channels,
                                           self.act, canonicalize, learnable_head, eps)

    @property
    def fallback_count(self) -> torch.Tensor | None:
        """Adaptive sampling: how many frames of the last forward fell back to the fixed grid (norm below ``eps``)."""
        return None if self.adaptive is None else self.adaptive.last_fallbacks

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        if self.adaptive is not None:
            return GeometricTensor(self.adaptive(x.tensor), self.out_type, x.coords)
        samples = self.act(fourier_samples(x.tensor, self.A, self.channels))
        y = fourier_coefficients(samples, self.A_pinv, list(x.tensor.shape[2:]))
        return GeometricTensor(y, self.out_type, x.coords)

    def export(self) -> torch.nn.Module:
        """A :class:`~steerable.nn.exported.FourierActivation` (torch only; the adaptive form an
        :class:`~steerable.nn.exported.adaptive.AdaptiveFourierActivation`)."""
        if self.adaptive is not None:
            m = copy.deepcopy(self.adaptive)
            for sub in m.modules():  # derived buffers are non-persistent in the layer, saved with the export
                sub._non_persistent_buffers_set.clear()
            return m
        return FourierActivation(self.A, self.A_pinv, self.channels, copy.deepcopy(self.act))


class FourierPointwise(SampledPointwise):
    """``c -> A_out^+ sigma(A c)`` per field of the band-limited regular representation.

    Args:
        gspace: the gspace; its fibre group ``G`` is sampled.
        channels: number of fields (copies of the band-limited regular representation).
        irreps: a band limit ``L`` (the fields are ``G.bl_regular_representation(L)``) or a list of
            irreps / irrep ids spanning the signals (each irrep ``d/e`` times, in that order).
        function: ``'p_relu'`` (default), ``'p_elu'``, ``'p_leaky_relu'``, ``'p_sigmoid'``,
            ``'p_tanh'`` or an elementwise callable.
        out_irreps: the irreps of the output signals (default: ``irreps``).
        *grid_args: escnn's positional grid arguments ``(kind, N)`` (the same as ``grid_kind``, ``N``).
        inplace: accepted for escnn compatibility (the output is always a new tensor).
        normalize: escnn's flag for the normalised sampling matrix, the only one steerable builds
            (``False`` raises ``ValueError``).
        grid_kind: ``G.grid`` kind; default ``'regular'`` (the whole group for finite groups;
            ``N`` rotations, and ``N`` reflections for ``O(2)``) or ``'thomson'`` for
            ``SO(3)``/``O(3)``, which also accept ``'thomson_cube'`` etc. (exact on the cube
            symmetries).  ``type=`` is accepted as an alias (escnn spelling).
        N: grid size passed to ``G.grid`` (ignored by finite groups).  Default: about 4 samples per
            Fourier coefficient at the band limit, e.g. ``N = 8 L + 4`` for ``SO(2)``/``O(2)``.
        sampling: ``'fixed'`` (default, the grid above) or ``'adaptive'``: sample on ``{h(c) g_i}`` with an
            equivariantly predicted ``h(c)``, exactly equivariant for every element of ``SO(2)``,
            ``O(2)``, ``SO(3)``, ``O(3)`` and every grid with at least as many samples as coefficients
            (:mod:`steerable.nn.nonlinearities.adaptive`).
        canonicalize: adaptive only: one ``h`` per ``'field'`` (default) and location, per
            ``'location'`` (shared by the fields there) or per ``'sample'`` (one for the whole input).
        learnable_head: adaptive only: predict ``h`` from a learnable equivariant mix of the
            frequency-1 vectors (and pseudo-scalars) instead of the first ones.
        eps: adaptive only: where a norm the frame needs is below ``eps``, the fixed grid is used
            (counted in :attr:`fallback_count` per forward).
        **grid_kwargs: forwarded to ``G.grid`` (e.g. ``seed``).

    Attributes:
        grid: the group elements sampled; ``A``, ``A_pinv``: float64 non-persistent buffers
        (cast to the input dtype in ``forward``).
    """

    def __init__(self, gspace: GSpace, channels: int, irreps: IrrepsSpec, *grid_args: Any, function: Activation = "p_relu",
                 inplace: bool = True, out_irreps: IrrepsSpec | None = None, normalize: bool = True,
                 grid_kind: str | None = None, N: int | None = None, sampling: str = "fixed",
                 canonicalize: str = "field", learnable_head: bool = False, eps: float = 1e-4,
                 **grid_kwargs: Any) -> None:
        super().__init__()
        if not isinstance(gspace, GSpace):
            raise TypeError(f"gspace must be a GSpace, got {type(gspace).__name__}")
        if isinstance(channels, bool) or not isinstance(channels, (int, np.integer)) or channels < 1:
            raise ValueError(f"channels must be a positive int, got {channels!r}")
        grid_kind, N = grid_spec(grid_args, grid_kind, N, grid_kwargs)
        check_normalize(normalize)
        self.inplace = inplace  # accepted for escnn compatibility; the output is always a new tensor
        G = gspace.fibergroup
        self.channels = int(channels)
        rho, L_in, f_in = _resolve_irreps(G, irreps)
        rho_out, L_out, f_out = (rho, L_in, f_in) if out_irreps is None else _resolve_irreps(G, out_irreps, "out_irreps")
        self.rho, self.rho_out = rho, rho_out
        self.in_type = FieldType(gspace, self.channels * [rho])
        self.out_type = FieldType(gspace, self.channels * [rho_out])
        self.function, self.act = resolve_activation(function, "p")

        if not G.continuous:
            grid_kind = grid_kind or "regular"
            self.grid = G.elements if grid_kind in ("regular", "all") else _grid(G, grid_kind, N, **grid_kwargs)
        else:
            grid_kind = grid_kind or ("regular" if "regular" in G.grid_kinds else "thomson")
            if N is None:
                per_n = len(_grid(G, grid_kind, 1, **grid_kwargs))
                D = G.bl_regular_representation(max(f_in, f_out)).size
                N = max(1, math.ceil(_SAMPLES_PER_COEFFICIENT * D / per_n))
            self.grid = _grid(G, grid_kind, N, **grid_kwargs)
        self.grid_kind, self.N = grid_kind, N
        A, A_pinv = _transform(G, self.grid, rho, L_in)
        if out_irreps is not None:
            _, A_pinv = _transform(G, self.grid, rho_out, L_out)
        self.register_buffer("A", torch.from_numpy(np.ascontiguousarray(A)), persistent=False)
        self.register_buffer("A_pinv", torch.from_numpy(np.ascontiguousarray(A_pinv)), persistent=False)
        self._set_sampling(sampling, canonicalize, learnable_head, eps, rho, rho_out)

    @classmethod
    def field_type(cls, gspace: GSpace, channels: int, irreps: IrrepsSpec) -> FieldType:
        """The input type of ``cls(gspace, channels, irreps, ...)``: ``channels`` band-limited regular fields."""
        if not isinstance(gspace, GSpace):
            raise TypeError(f"gspace must be a GSpace, got {type(gspace).__name__}")
        rho, _, _ = _resolve_irreps(gspace.fibergroup, irreps)
        return FieldType(gspace, int(channels) * [rho])

    def extra_repr(self) -> str:
        return (f"{self.in_type} -> {self.out_type}, function={self.function}, grid={self.grid_kind}"
                f"{'' if self.N is None else f'(N={self.N})'} of {len(self.grid)} elements"
                + ("" if self.adaptive is None else f", sampling=adaptive({self.canonicalize})"))


class FourierELU(FourierPointwise):
    """:class:`FourierPointwise` with ``sigma = ELU(alpha)``; same arguments otherwise."""

    def __init__(self, gspace: GSpace, channels: int, irreps: IrrepsSpec, *grid_args: Any, inplace: bool = True,
                 out_irreps: IrrepsSpec | None = None, normalize: bool = True, alpha: float = 1.0, **grid_kwargs: Any) -> None:
        super().__init__(gspace, channels, irreps, *grid_args, function=torch.nn.ELU(alpha=alpha), inplace=inplace,
                         out_irreps=out_irreps, normalize=normalize, **grid_kwargs)
        self.function = f"elu(alpha={alpha:g})"
