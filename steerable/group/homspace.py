"""Homogeneous spaces ``X = G / H`` and the harmonic bases of the fields over them (escnn's ``HomSpace``).

A ``psi``-field over ``X`` (``psi`` an irrep of the stabiliser ``H``) is a *Mackey function*
``f: G -> V_psi`` with ``f(g h) = psi(h)^-1 f(g)``; ``G`` acts by ``(k . f)(g) = f(k^-1 g)``.
These functions form ``Ind_H^G psi``.  By Frobenius reciprocity its ``rho``-isotypic part (``rho``
an irrep of ``G``) is spanned by ``g -> rho(g) B`` for the ``H``-intertwiners
``B in Hom_H(psi, Res_H rho)``, i.e. ``rho(h) B = B psi(h)``; two intertwiners related by an
endomorphism of ``rho`` give the same isotypic copy, so the copies are counted by

    m = m_psi * e_psi / e_rho,    m_psi = multiplicity of psi in Res_H rho.

:meth:`HomSpace.basis` returns ``rho(g) B_j`` for ``m`` such intertwiners ``B_j``, chosen
orthonormal (Frobenius) with ``{E B_j : E in End(rho), j}`` linearly independent.  Guaranteed::

    basis(k g) = rho(k) basis(g)          (G-equivariance, first axis)
    basis(g h) = basis(g) psi(h)          (the Mackey condition, last axis)

Example:
    >>> from steerable.group import so3_group
    >>> X = so3_group(2).homspace(('so2',))   # the sphere S^2 = SO(3) / SO(2)
    >>> X.dimension_basis((2,), (0,))           # one copy of D^2 among the scalar functions on S^2
    (5, 1, 1)
"""
from __future__ import annotations

from typing import Any, Hashable, Sequence

import numpy as np

from .group import Group, GroupElement
from .homomorphisms import homomorphism_space
from .irrep import IrreducibleRepresentation
from .representation import Representation

__all__ = ["HomSpace"]


class HomSpace:
    """The homogeneous space ``G / H`` of the subgroup ``H = G.subgroup(sgid)``.

    Args:
        G: the group.
        sgid: the id of the stabiliser subgroup ``H``.

    Attributes:
        G, H, sgid: the group, the stabiliser and its id.
    """

    def __init__(self, G: Group, sgid: Hashable) -> None:
        if not isinstance(G, Group):
            raise TypeError(f"HomSpace needs a Group, got {type(G).__name__}")
        self.G = G
        self.sgid = sgid
        self.H, self._inclusion, self._restriction = G.subgroup(sgid)
        self._intertwiners: dict[tuple, np.ndarray] = {}  # per instance, never global

    def __repr__(self) -> str:
        return f"HomSpace[{self.G.name}/{self.H.name}]"

    def same_coset(self, g1: GroupElement, g2: GroupElement) -> bool:
        """Whether ``g1 H == g2 H``, i.e. ``g1^-1 g2 in H``."""
        self.G._check_element(g1)
        self.G._check_element(g2)
        return self._restriction(~g1 @ g2) is not None

    def _irreps(self, rho: Any, psi: Any) -> tuple[IrreducibleRepresentation, IrreducibleRepresentation]:
        rho = rho if isinstance(rho, IrreducibleRepresentation) else self.G.irrep(*rho)
        psi = psi if isinstance(psi, IrreducibleRepresentation) else self.H.irrep(*psi)
        if rho.group != self.G:
            raise ValueError(f"rho must be an irrep of {self.G.name}, got one of {rho.group.name}")
        if psi.group != self.H:
            raise ValueError(f"psi must be an irrep of the stabiliser {self.H.name}, got one of {psi.group.name}")
        return rho, psi

    def dimension_basis(self, rho: Any, psi: Any) -> tuple[int, int, int]:
        """``(dim rho, m, dim psi)``: the shape of :meth:`basis` (``m`` copies of ``rho`` in ``Ind psi``)."""
        rho, psi = self._irreps(rho, psi)
        m_psi = self.G.restrict_representation(self.sgid, rho).multiplicity(psi.id)
        m = m_psi * psi.sum_of_squares_constituents / rho.sum_of_squares_constituents
        if abs(m - round(m)) > 1e-9:  # pragma: no cover - Frobenius reciprocity makes it an integer
            raise ValueError(f"non-integer multiplicity {m} of {rho.name} in Ind {psi.name}")
        return rho.size, int(round(m)), psi.size

    def _dirac_basis(self, rho: IrreducibleRepresentation, psi: IrreducibleRepresentation) -> np.ndarray:
        """``B`` of shape ``(dim rho, m, dim psi)``: one H-intertwiner ``psi -> Res rho`` per copy."""
        key = (rho.id, psi.id)
        if key not in self._intertwiners:
            res = self.G.restrict_representation(self.sgid, rho)
            cand = homomorphism_space(psi, res)  # (m_psi e_psi, dim rho, dim psi), rho(h) X = X psi(h)
            E = rho.endomorphism_basis()
            chosen: list[np.ndarray] = []
            span = np.zeros((0, rho.size * psi.size))  # orthonormal rows, closed under End(rho)
            for X in cand:
                x = X.ravel() - span.T @ (span @ X.ravel())
                if np.linalg.norm(x) < 1e-8:
                    continue
                B = (x / np.linalg.norm(x)).reshape(X.shape)
                chosen.append(B)
                orbit = np.stack([(Ek @ B).ravel() for Ek in E])
                span = np.linalg.qr(np.concatenate([span, orbit]).T)[0].T
            out = np.stack(chosen, axis=1) if chosen else np.zeros((rho.size, 0, psi.size))
            self._intertwiners[key] = out
        return self._intertwiners[key]

    def basis(self, g: GroupElement, rho: Any, psi: Any) -> np.ndarray:
        """``rho(g) B``, shape ``(dim rho, m, dim psi)``: the ``rho``-isotypic ``psi``-fields over
        ``G / H`` (as Mackey functions on ``G``) sampled at ``g``.

        Args:
            g: an element of ``G``.
            rho: an irrep of ``G`` (or its id).
            psi: an irrep of ``H`` (or its id).
        """
        self.G._check_element(g)
        rho, psi = self._irreps(rho, psi)
        return np.einsum("oi,ijp->ojp", rho(g), self._dirac_basis(rho, psi))

    def scalar_basis(self, g: GroupElement, rho: Any) -> np.ndarray:
        """:meth:`basis` for scalar fields (``psi`` the trivial irrep of ``H``): shape ``(dim rho, m, 1)``."""
        return self.basis(g, rho, self.H.trivial_representation)

    def induced_representation(self, psi: Any = None, irreps: Sequence[Any] | None = None,
                               name: str | None = None) -> Representation:
        """The part of ``Ind_H^G psi`` (default ``psi``: trivial, i.e. functions on ``G / H``) made of
        the irreps ``irreps`` of ``G``, in the spectral basis: each ``rho`` repeated ``m`` times."""
        psi = self.H.trivial_representation if psi is None else psi
        if irreps is None:
            if self.G.continuous:
                raise ValueError(f"{self.G.name} is continuous: pass the irreps to keep (e.g. G.bl_irreps(L))")
            irreps = [p.id for p in self.G.irreps()]
        out = []
        for r in irreps:
            rho, psi_ = self._irreps(r, psi)
            out.extend([rho] * self.dimension_basis(rho, psi_)[1])
        psi_name = psi.name if isinstance(psi, Representation) else str(psi)
        return Representation(self.G, name or f"Ind[{self.H.name}]({psi_name})", out, None)
