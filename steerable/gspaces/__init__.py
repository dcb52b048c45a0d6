"""Groups acting on Euclidean base spaces R^2 and R^3 (escnn-compatible constructor names)."""
from .gspace import (
    GSpace, conicalOnR3, dihedralOnR3, flip2dOnR2, flipRot2dOnR2, flipRot3dOnR3, invOnR3,
    icoOnR3, octaOnR3, rot2dOnR2, rot2dOnR3, rot3dOnR3, tetraOnR3, trivialOnR2, trivialOnR3,
)

__all__ = ["GSpace", "rot2dOnR2", "flipRot2dOnR2", "flip2dOnR2", "trivialOnR2", "rot3dOnR3", "flipRot3dOnR3",
           "rot2dOnR3", "dihedralOnR3", "conicalOnR3", "invOnR3", "trivialOnR3", "octaOnR3", "icoOnR3", "tetraOnR3"]
