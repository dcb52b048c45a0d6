"""Equivariant neural network layers on ``GeometricTensor`` s (escnn-compatible names)."""
from ..gspaces.field_type import FieldType
from ..gspaces.field_type import GeometricTensor, tensor_directsum
from .module import EquivarianceError, EquivariantModule
from .basis_expansion import BlocksBasisExpansion
from .conv import R2Conv, R2ConvTransposed, R3Conv, R3ConvTransposed
from .conv_ico import R3IcoConv, R3IcoConvTransposed
from .linear import Linear
from .graph import knn_graph, radius_graph
from .point_conv import PointConvBase, R2PointConv, R3PointConv
from .implicit import GatedBlock, ImplicitKernel
from .implicit_conv import ImplicitPointConv, ImplicitR2Conv, ImplicitR3Conv
from .harmonic_polynomial import HarmonicPolynomialR3
from . import init
from .nonlinearities import (
    ConcatenatedNonLinearity, ELU, FourierELU, FourierPointwise, GatedNonLinearity1, GatedNonLinearity2,
    GatedNonLinearityUniform, InducedGatedNonLinearity1, InducedNormNonLinearity, LeakyReLU, NormNonLinearity,
    PointwiseNonLinearity, QuotientFourierELU, QuotientFourierPointwise, ReLU, TensorProductModule,
    VectorFieldNonLinearity,
)
from .containers import (
    DisentangleModule, IdentityModule, MultipleModule, ReshuffleModule, RestrictionModule, SequentialModule,
)
from .branching import BranchingModule, MergeModule
from .dropout import FieldDropout, PointwiseDropout
from .upsampling import R2Upsampling, R3Upsampling
from .mask import MaskModule
from .invariant_maps import InvariantMaps
from .normalization import (
    FieldNorm, GNormBatchNorm, IIDBatchNorm1d, IIDBatchNorm2d, IIDBatchNorm3d, InducedNormBatchNorm, InnerBatchNorm,
    NormBatchNorm,
)
from .pooling import (
    GroupPooling, InducedNormPool, MaxPoolChannels, NormMaxPool, NormPool, PointwiseAdaptiveAvgPool, PointwiseAdaptiveAvgPool2D,
    PointwiseAdaptiveAvgPool3D, PointwiseAdaptiveMaxPool, PointwiseAdaptiveMaxPool2D, PointwiseAdaptiveMaxPool3D,
    PointwiseAvgPool, PointwiseAvgPool2D, PointwiseAvgPool3D, PointwiseAvgPoolAntialiased,
    PointwiseAvgPoolAntialiased2D, PointwiseAvgPoolAntialiased3D, PointwiseMaxPool, PointwiseMaxPool2D,
    PointwiseMaxPool3D, PointwiseMaxPoolAntialiased, PointwiseMaxPoolAntialiased2D, PointwiseMaxPoolAntialiased3D,
)

__all__ = [
    "FieldType", "GeometricTensor", "tensor_directsum", "EquivariantModule", "EquivarianceError",
    "BlocksBasisExpansion", "init", "R2Conv", "R2ConvTransposed", "R3Conv", "R3ConvTransposed", "R3IcoConv", "R3IcoConvTransposed", "Linear",
    "HarmonicPolynomialR3",
    "PointwiseNonLinearity", "ReLU", "ELU", "LeakyReLU", "NormNonLinearity", "GatedNonLinearity1",
    "ConcatenatedNonLinearity", "TensorProductModule", "FourierPointwise", "FourierELU",
    # normalisation, pooling, containers and misc layers
    "InnerBatchNorm", "NormBatchNorm", "IIDBatchNorm1d", "IIDBatchNorm2d", "IIDBatchNorm3d", "GNormBatchNorm", "FieldNorm",
    "PointwiseMaxPool2D", "PointwiseMaxPool3D", "PointwiseAvgPool2D", "PointwiseAvgPool3D",
    "PointwiseAvgPoolAntialiased2D", "PointwiseAvgPoolAntialiased3D", "PointwiseAdaptiveAvgPool2D",
    "PointwiseAdaptiveAvgPool3D", "PointwiseAdaptiveMaxPool2D", "PointwiseAdaptiveMaxPool3D", "PointwiseMaxPool",
    "PointwiseAvgPool", "PointwiseAdaptiveAvgPool", "PointwiseAdaptiveMaxPool", "NormMaxPool", "GroupPooling", "NormPool",
    "MaxPoolChannels", "SequentialModule", "MultipleModule", "IdentityModule", "RestrictionModule", "DisentangleModule",
    "PointwiseDropout", "FieldDropout", "R2Upsampling", "R3Upsampling", "MaskModule", "InvariantMaps",
    # escnn names added later
    "PointwiseAvgPoolAntialiased", "PointwiseMaxPoolAntialiased2D", "PointwiseMaxPoolAntialiased3D",
    "PointwiseMaxPoolAntialiased", "BranchingModule", "MergeModule", "ReshuffleModule",
    "GatedNonLinearity2", "GatedNonLinearityUniform", "InducedNormNonLinearity", "InducedGatedNonLinearity1",
    "VectorFieldNonLinearity", "InducedNormPool", "InducedNormBatchNorm", "QuotientFourierPointwise",
    "QuotientFourierELU",
    # point clouds
    "radius_graph", "knn_graph", "R2PointConv", "R3PointConv", "PointConvBase",
    "ImplicitKernel", "GatedBlock", "ImplicitPointConv", "ImplicitR2Conv", "ImplicitR3Conv",
]
