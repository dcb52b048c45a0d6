"""Equivariant neural network layers on ``GeometricTensor`` s (escnn-compatible names)."""
from .field_type import FieldType
from .geometric_tensor import GeometricTensor, directsum, tensor_directsum
from .module import EquivarianceError, EquivariantModule
from .basis_expansion import BlocksBasisExpansion
from .conv import R2Conv, R2ConvTransposed, R3Conv, R3ConvTransposed
from .linear import Linear

__all__ = [
    "FieldType", "GeometricTensor", "directsum", "tensor_directsum", "EquivariantModule", "EquivarianceError",
    "BlocksBasisExpansion", "R2Conv", "R2ConvTransposed", "R3Conv", "R3ConvTransposed", "Linear",
]
