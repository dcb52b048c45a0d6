"""Groups, their elements and real orthogonal representations, with harmonic analysis.

Planar groups ``C_N``, ``D_N``, ``SO(2)``, ``O(2)`` and spatial groups ``SO(3)``, ``O(3)``;
every representation is stored as irreps plus an orthogonal change of basis.
"""
from .group import Group, GroupElement
from .irrep import IrreducibleRepresentation
from .representation import Representation, change_basis, directsum
from .compact import CompactGroup
from .constructions import tensor_product
from .planar import CyclicGroup, DihedralGroup, SO2, O2, cyclic_group, dihedral_group, o2_group, so2_group, trivial_group
from .spatial import SO3, O3, so3_group, o3_group
from .direct_product import (
    DirectProductGroup, DoubleGroup, cylinder_discrete_group, cylinder_group, direct_product, double_group,
    full_cylinder_discrete_group, full_cylinder_group, full_ico_group, full_octa_group, full_tetra_group,
)
from .finite_rotations import (
    FiniteRotationGroup, Icosahedral, Octahedral, ico_group, icosahedral_group, octa_group, octahedral_group,
    tetrahedral_group,
)
from .exceptions import InsufficientIrrepsException, UnderconstrainedCGSystem
from .homomorphisms import coordinate_blocks, disentangle, homomorphism_space
from .homspace import HomSpace
from .planar_matrices import chi, psi, psichi
from .clebsch_gordan import clebsch_gordan, decompose_irreps_tensor
from .decompose import decompose_representation, intertwiner_basis
from .fourier import FourierTransform, fourier_matrix, inverse_fourier_matrix

__all__ = [
    "Group", "CompactGroup", "GroupElement", "IrreducibleRepresentation", "Representation",
    "change_basis", "directsum", "tensor_product",
    "CyclicGroup", "DihedralGroup", "SO2", "O2", "SO3", "O3",
    "FiniteRotationGroup", "tetrahedral_group", "octahedral_group", "icosahedral_group", "octa_group", "ico_group",
    "cyclic_group", "dihedral_group", "so2_group", "o2_group", "so3_group", "o3_group", "trivial_group",
    "clebsch_gordan", "decompose_irreps_tensor", "decompose_representation", "intertwiner_basis",
    "FourierTransform", "fourier_matrix", "inverse_fourier_matrix",
    "DirectProductGroup", "direct_product", "full_octa_group", "full_ico_group", "full_tetra_group",
    "cylinder_group", "full_cylinder_group", "cylinder_discrete_group", "full_cylinder_discrete_group",
    "DoubleGroup", "double_group", "Octahedral", "Icosahedral", "InsufficientIrrepsException",
    "UnderconstrainedCGSystem", "homomorphism_space", "HomSpace", "disentangle", "coordinate_blocks", "psi", "chi", "psichi",
]
