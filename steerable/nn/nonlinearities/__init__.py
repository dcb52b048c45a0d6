"""Equivariant nonlinearities (escnn names).

* :class:`PointwiseNonLinearity`, :class:`ReLU`, :class:`ELU`, :class:`LeakyReLU`: channelwise,
  for permutation representations (regular, quotient, trivial).
* :class:`NormNonLinearity`: rescales each field by a function of its norm (any representation).
* :class:`GatedNonLinearity1`, :class:`GatedNonLinearity2`, :class:`GatedNonLinearityUniform`: invariant
  scalar gates multiply the other fields (gates in the same tensor, in a second tensor, or inside each field).
* :class:`InducedNormNonLinearity`, :class:`InducedGatedNonLinearity1`: the same per block of induced fields.
* :class:`VectorFieldNonLinearity`: a regular field of ``C_N`` becomes the vector of its strongest rotation.
* :class:`ConcatenatedNonLinearity`: ``[sigma(f), sigma(-f)]`` for signed-permutation fields.
* :class:`TensorProductModule`: a learnable quadratic map through tensor squares of the fields.

* :class:`FourierPointwise`, :class:`FourierELU`: a pointwise function of band-limited signals
  sampled on a grid of the group (:mod:`.fourier`); :class:`QuotientFourierPointwise`,
  :class:`QuotientFourierELU` the same for signals on a quotient space ``G/H`` (:mod:`.quotient_fourier`).

Every module's ``export()`` returns a module from :mod:`steerable.nn.exported` (or ``torch.nn``),
which imports nothing but torch.
"""
from .fourier import FourierELU, FourierPointwise
from .concatenated import ConcatenatedNonLinearity, concatenated_representation
from .gated import GATED_ID, GATES_ID, GatedNonLinearity1, GatedNonLinearity2, GatedNonLinearityUniform
from .induced import InducedGatedNonLinearity1, InducedNormNonLinearity
from .norm import NormNonLinearity
from .quotient_fourier import QuotientFourierELU, QuotientFourierPointwise
from .pointwise import ELU, LeakyReLU, PointwiseNonLinearity, ReLU
from .tensor_product import TensorProductModule
from .vector_field import VectorFieldNonLinearity

__all__ = [
    "PointwiseNonLinearity", "ReLU", "ELU", "LeakyReLU", "NormNonLinearity", "GatedNonLinearity1", "GATES_ID",
    "GATED_ID", "ConcatenatedNonLinearity", "concatenated_representation", "TensorProductModule",
    "FourierPointwise", "FourierELU", "GatedNonLinearity2", "GatedNonLinearityUniform", "InducedNormNonLinearity",
    "InducedGatedNonLinearity1", "VectorFieldNonLinearity", "QuotientFourierPointwise", "QuotientFourierELU",
]
