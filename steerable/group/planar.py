"""The planar groups: cyclic ``C_N``, dihedral ``D_N``, ``SO(2)`` and ``O(2)``.

All four are subgroups of ``O(2)``; their elements are rotations ``r_theta`` possibly
followed by the flip ``f`` (the reflection ``(x, y) -> (x, -y)``), written ``(f, theta)``
with composition ``(f1, a)(f2, b) = (f1 + f2, a + (-1)^f1 b)``.  Their real irreps are

* ``psi_k(theta) = cos(k theta)`` (``k = 0``, or ``k = N/2`` for even ``N``), and
  ``psi_k(theta) = R(k theta)`` (2x2 rotation) otherwise, for ``C_N`` / ``SO(2)``;
* ``psi_(j,k)(f, theta) = (-1)^(j f) cos(k theta)`` for the 1-dimensional ones and
  ``psi_(1,k)(f, theta) = R(k theta) F^f`` with ``F = diag(1, -1)`` for ``D_N`` / ``O(2)``.

Example:
    >>> from steerable.group import dihedral_group
    >>> G = dihedral_group(4)
    >>> len(G.elements), [psi.size for psi in G.irreps()]
    (8, [1, 1, 2, 1, 1])
"""
from .cyclic_dihedral import CyclicGroup, DihedralGroup, cyclic_group, dihedral_group, trivial_group
from .so2_o2 import O2, SO2, o2_group, so2_group

__all__ = ["CyclicGroup", "DihedralGroup", "SO2", "O2", "cyclic_group", "dihedral_group", "so2_group", "o2_group",
           "trivial_group"]
