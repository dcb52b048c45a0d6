"""Concatenated nonlinearities: ``f -> [sigma(f), sigma(-f)]`` on every field.

If every ``rho(g)`` is a *signed* permutation (``(rho(g) f)_i = s_i f_pi(i)``, ``s_i = +-1``),
then ``[sigma(rho(g) f), sigma(-rho(g) f)]`` is a permutation of ``[sigma(f), sigma(-f)]``, so the
output transforms by a permutation representation of twice the size, for any elementwise
``sigma``.

Output layout, for every input field ``f_i`` (``d_i`` channels) in order: ``d_i`` channels
``sigma(f_i)`` followed by ``d_i`` channels ``sigma(-f_i)``.  The output field type is

* two fields ``rho_i, rho_i`` when ``rho_i`` is a permutation representation (regular, quotient,
  trivial): each half transforms like the input field;
* one field of the ``2 d_i``-dimensional permutation representation ``concatenated(rho_i)`` when
  ``rho_i`` is a signed but not a plain permutation representation (e.g. the sign irrep of
  ``C_2``, or the frequency-1 irrep of ``C_4``, whose concatenation is the regular representation).

Example:
    >>> import torch
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.nn import ConcatenatedNonLinearity, FieldType, GeometricTensor
    >>> gs = rot2dOnR2(2)
    >>> nl = ConcatenatedNonLinearity(FieldType(gs, [gs.regular_repr]))
    >>> nl(GeometricTensor(torch.tensor([[1.0, -2.0]]), nl.in_type)).tensor
    tensor([[1., 0., 0., 2.]])
    >>> len(nl.out_type)
    2
"""
from __future__ import annotations

import copy

import numpy as np
import torch

from ...group import GroupElement, Representation, decompose_representation
from ...gspaces.field_type import FieldType, GeometricTensor
from ..module import EquivariantModule
from .._fields import check_field_type, field_slices, is_signed_permutation
from ._common import Activation, resolve_activation
from ..exported.activations import ConcatenatedActivation, concatenated_activation

__all__ = ["ConcatenatedNonLinearity", "concatenated_representation"]


def concatenated_representation(rho: Representation) -> Representation:
    """The permutation representation of ``[sigma(f), sigma(-f)]`` for a signed-permutation ``rho``.

    ``sigma(g)`` maps ``e_j -> e_i`` (``s = +1``) or ``e_j -> e_(i+d)`` (``s = -1``) on the first half
    and symmetrically on the second, where ``rho(g)[i, j] = s``.
    """
    if not is_signed_permutation(rho):
        raise ValueError(f"representation {rho.name!r} ({rho!r}) is not a signed permutation representation, "
                         "so it does not support concatenated nonlinearities")
    d = rho.size

    def sigma(g: GroupElement) -> np.ndarray:
        m = np.round(rho(g))
        pos, neg = np.clip(m, 0, None), np.clip(-m, 0, None)
        return np.block([[pos, neg], [neg, pos]])

    irreps, Q = decompose_representation(rho.group, sigma, 2 * d, None, name=f"concatenated({rho.name})")
    return Representation(rho.group, f"concatenated({rho.name})", irreps, Q,
                          {"pointwise", "norm", "gated", "concatenated"}, {"permutation": True})


class ConcatenatedNonLinearity(EquivariantModule):
    """``f -> [sigma(f), sigma(-f)]`` per field, doubling the channels (layout in the module docs).

    Args:
        in_type: fields of signed-permutation representations (regular, quotient, trivial, sign...).
        function: ``'c_relu'`` (default), ``'c_elu'``, ``'c_leaky_relu'``, ``'c_sigmoid'``,
            ``'c_tanh'`` or an elementwise callable.
    """

    def __init__(self, in_type: FieldType, function: Activation = "c_relu") -> None:
        super().__init__()
        check_field_type(in_type)
        out_reps = []
        concatenated: dict[Representation, Representation] = {}  # one decomposition per distinct field
        for i, r in enumerate(in_type.representations):
            if r.is_permutation:
                out_reps += [r, r]
            elif is_signed_permutation(r):
                if r not in concatenated:
                    concatenated[r] = concatenated_representation(r)
                out_reps.append(concatenated[r])
            else:
                raise ValueError(
                    f"ConcatenatedNonLinearity needs signed-permutation representations, but field {i} of {in_type} "
                    f"has representation {r.name!r} ({r!r}); use NormNonLinearity or GatedNonLinearity1 instead"
                )
        self.in_type = in_type
        self.out_type = FieldType(in_type.gspace, out_reps)
        self.function, self.act = resolve_activation(function, "c")
        C = in_type.size
        idx = []
        for sl in field_slices(in_type):
            idx += list(range(sl.start, sl.stop)) + list(range(C + sl.start, C + sl.stop))
        self.register_buffer("output_index", torch.tensor(idx, dtype=torch.long), persistent=False)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        t = x.tensor
        return GeometricTensor(concatenated_activation(self.act(t), self.act(-t), self.output_index), self.out_type,
                               x.coords)

    def export(self) -> torch.nn.Module:
        """A :class:`~steerable.nn.exported.ConcatenatedActivation` (torch only)."""
        return ConcatenatedActivation(copy.deepcopy(self.act), self.output_index)

    def extra_repr(self) -> str:
        return f"{self.in_type} -> {self.out_type}, function={self.function}"
