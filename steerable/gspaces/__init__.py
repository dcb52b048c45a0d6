"""Groups acting on Euclidean base spaces R^0 (no_base_space), R^2 and R^3 (escnn-compatible constructor names)."""
from .gspace import (
    GSpace, GSpace0D, GSpace2D, GSpace3D, conicalOnR3, cylindricalOnR3, dihedralOnR3, flip2dOnR2, flipRot2dOnR2,
    flipRot3dOnR3, fullCylindricalOnR3, fullIcoOnR3, fullOctaOnR3, icoOnR3, invOnR3, mirOnR3, no_base_space,
    octaOnR3, rot2dOnR2, rot2dOnR3, rot3dOnR3, tetraOnR3, trivialOnR2, trivialOnR3,
)

__all__ = ["GSpace", "GSpace0D", "GSpace2D", "GSpace3D", "no_base_space",
           "rot2dOnR2", "flipRot2dOnR2", "flip2dOnR2", "trivialOnR2", "rot3dOnR3", "flipRot3dOnR3",
           "rot2dOnR3", "dihedralOnR3", "conicalOnR3", "invOnR3", "trivialOnR3", "octaOnR3", "icoOnR3", "tetraOnR3",
           "fullOctaOnR3", "fullIcoOnR3", "fullCylindricalOnR3", "cylindricalOnR3", "mirOnR3"]
