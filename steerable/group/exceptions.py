"""Errors of harmonic analysis on groups (escnn's names), both ``ValueError`` subclasses so that
code catching ``ValueError`` keeps working.

Example:
    >>> from steerable.group import InsufficientIrrepsException, cyclic_group
    >>> issubclass(InsufficientIrrepsException, ValueError)
    True
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only
    from .group import Group

__all__ = ["InsufficientIrrepsException", "UnderconstrainedCGSystem"]


class InsufficientIrrepsException(ValueError):
    """The irreps available for ``G`` do not span a representation being decomposed (it holds
    irreps beyond the band limit, or it is not an orthogonal representation of ``G``).

    Args:
        G: the group.
        message: what was being decomposed and what was found.
    """

    def __init__(self, G: "Group", message: str | None = None) -> None:
        self.G = G
        super().__init__(message or f"the irreps of {G.name} available are not enough to decompose the representation")


class UnderconstrainedCGSystem(ValueError):
    """A Clebsch-Gordan decomposition ``psi_l (x) psi_j`` could not be determined.

    Args:
        G: the group.
        J: the output irrep id, or ``None`` when the whole decomposition failed.
        l, j: the ids of the two irreps tensored.
        S: the number of group elements (generators) constraining the system.
        message: the reason.
    """

    def __init__(self, G: "Group", J: Any, l: Any, j: Any, S: int,
                 message: str = "The algorithm to compute the CG coefficients failed due to an unsufficient number of "
                                "samples to constraint the problem") -> None:
        self.G, self.J, self.l, self.j, self.S = G, J, l, j, S
        super().__init__(f"{message} ({G.name}: {l} x {j}{'' if J is None else f' -> {J}'}, {S} samples)")
