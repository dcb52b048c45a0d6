"""Equivariant nonlinearities (escnn names).

* :class:`PointwiseNonLinearity`, :class:`ReLU`, :class:`ELU`, :class:`LeakyReLU`: channelwise,
  for permutation representations (regular, quotient, trivial).
* :class:`NormNonLinearity`: rescales each field by a function of its norm (any representation).
* :class:`GatedNonLinearity1`: invariant scalar gates multiply the other fields.
* :class:`ConcatenatedNonLinearity`: ``[sigma(f), sigma(-f)]`` for signed-permutation fields.
* :class:`TensorProductModule`: a learnable quadratic map through tensor squares of the fields.

* :class:`FourierPointwise`, :class:`FourierELU`: a pointwise function of band-limited signals
  sampled on a grid of the group (:mod:`.fourier`).

Every module's ``export()`` returns a module from :mod:`steerable.nn.exported` (or ``torch.nn``),
which imports nothing but torch.
"""
from .fourier import FourierELU, FourierPointwise
from .concatenated import ConcatenatedNonLinearity, concatenated_representation
from .gated import GATED_ID, GATES_ID, GatedNonLinearity1
from .norm import NormNonLinearity
from .pointwise import ELU, LeakyReLU, PointwiseNonLinearity, ReLU
from .tensor_product import TensorProductModule

__all__ = [
    "PointwiseNonLinearity", "ReLU", "ELU", "LeakyReLU", "NormNonLinearity", "GatedNonLinearity1", "GATES_ID",
    "GATED_ID", "ConcatenatedNonLinearity", "concatenated_representation", "TensorProductModule",
    "FourierPointwise", "FourierELU",
]
