"""Plain-PyTorch modules returned by ``export()`` of the equivariant layers (imports only torch).

* :mod:`.activations`: nonlinearities (norm, gated, concatenated, tensor-product, Fourier);
* :mod:`.adaptive`: the Fourier activations on adaptive (input-dependent) grids;
* :mod:`.layers`: containers, dropout, masks, invariant maps, pooling and normalisation.

The convolutions export to ``torch.nn.Conv2d``/``Conv3d`` and their transposes.
"""
from .activations import (
    ConcatenatedActivation, FourierActivation, GateActivation, Lambda, NormActivation, SeparateGateActivation,
    TensorProductMap, UniformGateActivation, VectorFieldActivation,
    activation_module, concatenated_activation, fourier_coefficients, fourier_samples, gate_activation,
    norm_activation, tensor_product_map,
)
from .adaptive import AdaptiveFourierActivation, Canonicalizer
from .layers import (
    BatchStatsNormMap, BlurPoolMap, BranchesMap, ChannelAffine, ChannelBlockMax, ChannelLinear, ChannelSelect,
    ChannelSplit, FieldDropoutMap, InducedNormPoolMap, FieldNormMap, FieldReduceMap, MaskMap, MergeMap, NormMaxPoolMap,
    QuadraticInvariantsMap,
)

__all__ = [
    "Lambda", "NormActivation", "GateActivation", "ConcatenatedActivation", "TensorProductMap", "FourierActivation",
    "activation_module", "norm_activation", "gate_activation", "concatenated_activation", "tensor_product_map",
    "fourier_samples", "fourier_coefficients", "SeparateGateActivation", "UniformGateActivation",
    "VectorFieldActivation", "AdaptiveFourierActivation", "Canonicalizer",
    "ChannelAffine", "ChannelLinear", "BranchesMap", "FieldDropoutMap", "MaskMap", "QuadraticInvariantsMap",
    "BlurPoolMap", "FieldReduceMap", "NormMaxPoolMap", "ChannelBlockMax", "BatchStatsNormMap", "FieldNormMap",
    "ChannelSelect", "ChannelSplit", "MergeMap", "InducedNormPoolMap",
]
