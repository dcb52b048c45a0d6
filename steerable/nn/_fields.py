"""Field helpers shared by the layers: argument checks and index maps of a :class:`FieldType`.

Every layer in ``steerable.nn`` checks its arguments and builds its channel maps through
these functions, so one concept has one definition and one error message:

* :func:`check_field_type`, :func:`check_same_gspace`, :func:`check_spatial_dims`: boundary checks
  that raise ``TypeError`` / ``ValueError`` naming what was expected and what came;
* :func:`require_permutation`: a pointwise map ``sigma`` commutes with ``rho(g)`` for every
  ``g`` iff each ``rho(g)`` is a permutation matrix;
* :func:`is_signed_permutation`: every ``rho(g)`` is a signed permutation (``[sigma(f), sigma(-f)]``
  then transforms by a permutation representation);
* :func:`field_index`, :func:`field_slices`, :func:`groups_by_size`: which channels belong to which field;
* :func:`trivial_columns`, :func:`trivial_block_columns`: the invariant directions ``Q[:, trivial]``
  of a representation ``rho = Q ((+) psi_i) Q^T`` (the only directions a bias or a mean may have);
* :func:`induced_structure`, :func:`induced_block_index`: the blocks of induced fields ``Ind_H^G sigma``.

Example:
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.nn import FieldType
    >>> from steerable.nn._fields import field_index, field_slices
    >>> gs = rot2dOnR2(4)
    >>> t = FieldType(gs, [gs.regular_repr, gs.trivial_repr])
    >>> field_index(t).tolist(), field_slices(t)
    ([0, 0, 0, 0, 1], [slice(0, 4, None), slice(4, 5, None)])
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch

from ..group import Representation
from ..group.linalg import is_signed_permutation_matrix
from ..gspaces.field_type import FieldType

#: an int or one int per spatial axis, as torch's pooling layers take
IntOrTuple = int | Sequence[int]

__all__ = [
    "IntOrTuple", "check_field_type", "check_same_gspace", "check_spatial_dims", "require_permutation", "is_signed_permutation",
    "is_signed_permutation_matrix", "field_index", "field_slices", "groups_by_size", "trivial_columns",
    "trivial_block_columns", "meta_shape", "check_probability", "induced_structure", "require_induced",
    "induced_block_index",
]


# ---------------------------------------------------------------------- boundary checks
def _prefix(layer: str) -> str:
    return f"{layer}: " if layer else ""


def check_field_type(in_type: object, name: str = "in_type", dim: int | None = None, layer: str = "") -> FieldType:
    """Return ``in_type`` if it is a :class:`FieldType` (on a gspace over ``R^dim`` when ``dim`` is given).

    Raises:
        TypeError: ``in_type`` is not a FieldType.
        ValueError: its gspace acts on ``R^n`` with ``n != dim``.
    """
    if not isinstance(in_type, FieldType):
        raise TypeError(f"{_prefix(layer)}{name} must be a FieldType, got {type(in_type).__name__}")
    if dim is not None and in_type.gspace.dimensionality != dim:
        raise ValueError(
            f"{_prefix(layer)}expected {name} on a gspace over R^{dim}, got one on "
            f"R^{in_type.gspace.dimensionality} ({in_type.gspace.name})"
        )
    return in_type


def check_same_gspace(in_type: FieldType, out_type: FieldType, layer: str = "") -> None:
    """``ValueError`` unless ``in_type`` and ``out_type`` live on the same gspace."""
    if in_type.gspace != out_type.gspace:
        raise ValueError(f"{_prefix(layer)}in_type and out_type must share a gspace: {in_type.gspace} vs {out_type.gspace}")


def check_type_pair(in_type: object, out_type: object, dim: int, layer: str = "") -> tuple[FieldType, FieldType]:
    """The checks of a layer mapping ``in_type`` to ``out_type`` over ``R^dim``: both field types, on
    one gspace acting on ``R^dim`` (:func:`check_field_type`, :func:`check_same_gspace`)."""
    check_field_type(in_type, "in_type", layer=layer)
    check_field_type(out_type, "out_type", layer=layer)
    check_same_gspace(in_type, out_type, layer)
    return check_field_type(in_type, "in_type", dim, layer), out_type


def check_spatial_dims(layer: object, t: torch.Tensor, dims: int | Sequence[int]) -> None:
    """``ValueError`` unless ``t`` is ``(batch, channels, *spatial)`` with ``len(spatial)`` in ``dims``."""
    allowed = (dims,) if isinstance(dims, int) else tuple(dims)
    if t.dim() - 2 not in allowed:
        ranks = " or ".join(f"{d + 2}-d" for d in allowed)
        axes = " or ".join(str(d) for d in allowed)
        raise ValueError(f"{type(layer).__name__} expects a {ranks} tensor (batch, channels, {axes} spatial axes), "
                         f"got shape {tuple(t.shape)}")


def check_probability(p: object, layer: str, name: str = "p") -> float:
    """``p`` as a float in ``[0, 1]``, else ``ValueError``."""
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{_prefix(layer)}probability {name} must be in [0, 1], got {p!r}")
    return float(p)


# ---------------------------------------------------------------------- permutation representations
def require_permutation(in_type: FieldType, layer: str, alternatives: str = "a norm-based or gated layer") -> None:
    """``ValueError`` unless every field is a permutation representation (pointwise maps commute with them).

    The message names the first offending field, its representation and what to use instead.
    """
    for i, r in enumerate(in_type.representations):
        if not r.is_permutation:
            raise ValueError(
                f"{layer} acts pointwise on channels, which is equivariant only for permutation representations "
                f"(trivial, regular, quotient); field {i} of {in_type} has representation {r.name!r}. "
                f"Use {alternatives} for such fields."
            )


def is_signed_permutation(rep: Representation) -> bool:
    """True iff every ``rep(g)`` is a signed permutation matrix (checked on the generators, which suffices)."""
    if rep.is_permutation:
        return True
    return all(is_signed_permutation_matrix(rep(g)) for g in rep.group.generators)


# ---------------------------------------------------------------------- channel maps
def field_index(t: FieldType) -> torch.Tensor:
    """``(t.size,)`` long tensor: the index of the field each channel belongs to."""
    sizes = torch.tensor([r.size for r in t.representations], dtype=torch.long)
    return torch.repeat_interleave(torch.arange(len(t)), sizes)


def field_slices(t: FieldType) -> list[slice]:
    """``[slice(start_i, end_i)]``: the channels of field ``i``."""
    return [slice(int(s), int(e)) for s, e in zip(t.fields_start, t.fields_end)]


def groups_by_size(t: FieldType, fields: Sequence[int] | None = None) -> list[tuple[int, torch.Tensor, torch.Tensor]]:
    """``[(d, channels, fields)]``: the fields of each size ``d`` with their channel indices (field-major).

    Fields of one size can be reshaped to ``(batch, n, d, ...)`` and processed at once.
    """
    fields = range(len(t)) if fields is None else fields
    out = []
    for d in sorted({t.representations[i].size for i in fields}):
        sel = [i for i in fields if t.representations[i].size == d]
        out.append((d, t.channel_indices(sel), torch.tensor(sel, dtype=torch.long)))
    return out


def trivial_columns(r: Representation) -> np.ndarray:
    """``(r.size, t)``: the orthonormal directions of ``r`` that transform trivially (columns of ``Q``)."""
    cols, p = [], 0
    for psi in r.irrep_objects:
        if psi.is_trivial():
            cols.append(r.change_of_basis[:, p])
        p += psi.size
    return np.stack(cols, 1) if cols else np.zeros((r.size, 0))


def trivial_block_columns(t: FieldType) -> np.ndarray:
    """``(t.size, T)``: :func:`trivial_columns` of every field placed at its channels (one column per trivial irrep)."""
    blocks = [trivial_columns(r) for r in t.representations]
    E = np.zeros((t.size, sum(b.shape[1] for b in blocks)))
    j = 0
    for b, s in zip(blocks, t.fields_start):
        E[s : s + b.shape[0], j : j + b.shape[1]] = b
        j += b.shape[1]
    return E


def meta_shape(fn: Callable[[torch.Tensor], torch.Tensor], input_shape: Sequence[int]) -> tuple[int, ...]:
    """Output shape of ``fn`` on a ``meta`` tensor of ``input_shape`` (no memory, no compute)."""
    return tuple(fn(torch.empty(*input_shape, device="meta")).shape)


# ---------------------------------------------------------------------- induced representations
def induced_structure(r: Representation) -> tuple[object, int] | None:
    """``(H, d)`` if ``r = Ind_H^G sigma`` with ``d = sigma.size``, else None.

    The channels of an induced field are ``[G:H]`` consecutive blocks of ``d``; every ``r(g)``
    moves block ``i`` to a block ``j`` acting on it by ``sigma(h)``, so the norms of the blocks
    (``sigma`` orthogonal) are permuted by ``g``.  Quotient representations are ``Ind_H^G 1``.
    """
    sigma = r.attributes.get("inducing_repr")
    if sigma is None:
        return None
    return sigma.group, int(sigma.size)


def require_induced(in_type: FieldType, layer: str) -> list[tuple[object, int]]:
    """``[(H, d)]`` per field; ``ValueError`` naming the first field that is not an induced representation."""
    out = []
    for i, r in enumerate(in_type.representations):
        info = induced_structure(r)
        if info is None:
            raise ValueError(f"{layer} needs induced representations (G.induced_representation(subgroup_id, sigma)); "
                             f"field {i} of {in_type} has representation {r.name!r}")
        out.append(info)
    return out


def induced_block_index(in_type: FieldType, layer: str) -> tuple[torch.Tensor, torch.Tensor]:
    """``(block_of_channel (C,), field_of_block (n_blocks,))`` for a type of induced fields."""
    blocks, fields = [], []
    nb = 0
    for i, ((_, d), r) in enumerate(zip(require_induced(in_type, layer), in_type.representations)):
        n = r.size // d
        blocks += [nb + c // d for c in range(r.size)]
        fields += [i] * n
        nb += n
    return torch.tensor(blocks, dtype=torch.long), torch.tensor(fields, dtype=torch.long)
