"""Equivariant pooling.

* :mod:`.pointwise`: torch's max/average/adaptive pooling on every channel;
* :mod:`.antialiased`: Gaussian blur before subsampling (close to equivariant off the grid);
* :mod:`.fields`: one invariant per field (group max, norm) and norm-based max pooling;
* :mod:`.channels`: max over blocks of channels permuted among themselves by the group.
"""
from .antialiased import (
    PointwiseAvgPoolAntialiased, PointwiseAvgPoolAntialiased2D, PointwiseAvgPoolAntialiased3D,
    PointwiseMaxPoolAntialiased, PointwiseMaxPoolAntialiased2D, PointwiseMaxPoolAntialiased3D, gaussian_filter,
)
from .channels import MaxPoolChannels, block_representation
from .fields import GroupPooling, InducedNormPool, NormMaxPool, NormPool
from .pointwise import (
    PointwiseAdaptiveAvgPool, PointwiseAdaptiveAvgPool2D, PointwiseAdaptiveAvgPool3D, PointwiseAdaptiveMaxPool,
    PointwiseAdaptiveMaxPool2D, PointwiseAdaptiveMaxPool3D, PointwiseAvgPool, PointwiseAvgPool2D, PointwiseAvgPool3D,
    PointwiseMaxPool, PointwiseMaxPool2D, PointwiseMaxPool3D,
)

__all__ = [
    "PointwiseMaxPool2D", "PointwiseMaxPool3D", "PointwiseAvgPool2D", "PointwiseAvgPool3D",
    "PointwiseAvgPoolAntialiased2D", "PointwiseAvgPoolAntialiased3D", "PointwiseAvgPoolAntialiased",
    "PointwiseMaxPoolAntialiased2D", "PointwiseMaxPoolAntialiased3D", "PointwiseMaxPoolAntialiased",
    "PointwiseAdaptiveAvgPool2D", "PointwiseAdaptiveAvgPool3D", "PointwiseAdaptiveMaxPool2D", "PointwiseAdaptiveMaxPool3D",
    "PointwiseMaxPool", "PointwiseAvgPool", "PointwiseAdaptiveAvgPool", "PointwiseAdaptiveMaxPool",
    "NormMaxPool", "GroupPooling", "NormPool", "InducedNormPool", "MaxPoolChannels", "block_representation", "gaussian_filter",
]
