"""Irreducible real representations.

A real irrep ``psi`` of dimension ``d`` has an endomorphism algebra
``End(psi) = {E : E psi(g) = psi(g) E for all g}`` of dimension ``e`` in {1, 2, 4}
(real, complex or quaternionic type).  Schur's lemma in the real case: every
intertwiner between two copies of ``psi`` lies in ``End(psi)``.  Kernel bases and
Fourier transforms use ``endomorphism_basis`` and ``type`` for exactly this reason.

Example:
    >>> from steerable.group import cyclic_group
    >>> psi = cyclic_group(8).irrep(1)
    >>> psi.size, psi.type
    (2, 'C')
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .representation import Representation

if TYPE_CHECKING:
    from .group import Group

__all__ = ["IrreducibleRepresentation"]

_J = np.array([[0.0, -1.0], [1.0, 0.0]])


class IrreducibleRepresentation(Representation):
    """An irrep, identified in its group by a tuple ``id``.

    Attributes:
        id: the identifier, e.g. ``(k,)`` for a frequency, ``(j, k)`` for dihedral groups.
        type: ``'R'``, ``'C'`` or ``'H'`` (dimension of the endomorphism algebra 1, 2, 4).
        irreps: ``[id]`` (an irrep is the sum of itself, as in escnn).
        attributes: e.g. ``{'frequency': k, 'flip_frequency': j}``.
    """

    def __init__(
        self,
        group: "Group",
        id: tuple,
        size: int,
        type: str = "R",
        attributes: dict[str, Any] | None = None,
        endomorphism_basis: np.ndarray | None = None,
    ) -> None:
        self.id = id
        self.type = type
        idstr = ",".join(str(i) for i in id)
        # Representation.__init__ would look the irrep up in its group; set the pieces by hand.
        self.group = group
        self.name = f"irrep_{idstr}"
        self.irreps = [id]
        self.irrep_objects = [self]
        self.size = size
        self.change_of_basis = np.eye(size)
        self.change_of_basis_inv = self.change_of_basis
        trivial = id == group._trivial_id()
        self.supported_nonlinearities = {"pointwise", "norm", "gated", "gate"} if trivial else {"norm", "gated"}
        self.attributes = dict(attributes or {})
        self.attributes["irrep"] = True
        if endomorphism_basis is None:
            if type == "R":
                endomorphism_basis = np.eye(size)[None]
            elif type == "C":
                if size != 2:
                    raise ValueError("complex-type irreps other than 2-dimensional need an explicit endomorphism basis")
                endomorphism_basis = np.stack([np.eye(2), _J])
            else:
                raise ValueError(f"irrep type {type!r} needs an explicit endomorphism basis")
        self._endomorphism_basis = np.asarray(endomorphism_basis, dtype=np.float64)

    def __reduce__(self):
        return _irrep_of, (self.group, self.id)

    def endomorphism_basis(self) -> np.ndarray:
        """``(e, d, d)`` spanning ``End(psi)``, orthonormal in the Frobenius inner product / ``d``
        (a copy: callers cannot corrupt the irrep)."""
        return self._endomorphism_basis.copy()

    @property
    def sum_of_squares_constituents(self) -> int:
        """``e``: the dimension of the endomorphism algebra."""
        return self._endomorphism_basis.shape[0]

    def _matrix(self, value: Any) -> np.ndarray:
        return self.group._irrep_matrix(self.id, value)

    def __call__(self, g) -> np.ndarray:  # type: ignore[override]
        self.group._check_element(g)
        return self._matrix(g.value)

    @property
    def is_permutation(self) -> bool:  # type: ignore[override]
        return self.size == 1 and self.is_trivial()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IrreducibleRepresentation) and other.group == self.group and other.id == self.id

    def __hash__(self) -> int:
        return hash((self.group.name, self.id))

    def __repr__(self) -> str:
        return f"{self.group.name}|[{self.name}]:{self.size}"


def _irrep_of(group: "Group", id: tuple) -> IrreducibleRepresentation:
    """Unpickling helper: the group's own (cached) irrep instance."""
    return group.irrep(*id)
