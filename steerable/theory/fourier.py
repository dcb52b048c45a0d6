"""Fourier-domain (Schur) decomposition of equivariant linear maps.

Let ``rho_in = Q_in (+)_i psi_i Q_in^T`` and ``rho_out = Q_out (+)_j psi_j Q_out^T`` (the
library's one representation model).  A matrix ``W`` with ``rho_out(g) W = W rho_in(g)`` for
all ``g`` is, in the irrep bases, zero between inequivalent irreps and, between the ``a``-th
output and ``b``-th input copy of the same irrep ``psi``, an element of ``End(psi)``
(Schur's lemma over R)::

    Q_out^T W Q_in = (+)_psi  sum_k  What_k(psi) (x) B_k(psi)          (up to ordering of copies)

with ``B_k(psi)``, ``k < c_psi``, the basis of ``End(psi)`` (``c_psi`` = 1, 2, 4 for real,
complex, quaternionic type) and ``What_k(psi)`` real ``m_out,psi x m_in,psi`` matrices.  For
complex type with ``B = (I, J)``, ``J^2 = -I``, ``What(psi) = What_0 + i What_1`` is a
complex matrix.  Exact identities (tested to 1e-10 in float64):

* ``||W||_2 = max_psi ||What(psi)||_2`` (the norm over the field ``R``, ``C`` or ``H``: the
  isotypic block is ``What(psi)`` realified and repeated ``d_psi / c_psi`` times),
* ``||W||_F^2 = sum_psi d_psi sum_k ||What_k(psi)||_F^2`` when ``||B_k||_F^2 = d_psi``
  (the basis the group classes give); in general ``sum_psi sum_k ||B_k||_F^2 ||What_k||_F^2``.

Example:
    >>> import numpy as np
    >>> from steerable.group import cyclic_group
    >>> G = cyclic_group(4)
    >>> rho = G.regular_representation
    >>> W = sum(np.random.default_rng(0).normal() * rho(g) for g in G.elements)  # an intertwiner
    >>> dec = schur_blocks(W, rho, rho)
    >>> bool(abs(dec.spectral_norm - np.linalg.norm(W, 2)) < 1e-10)
    True
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..group import Representation

__all__ = ["SchurBlock", "SchurDecomposition", "schur_blocks", "reconstruct", "sample_fourier_perturbation"]

_TYPE_DIM = {"R": 1, "C": 2, "H": 4}


@dataclass(frozen=True)
class SchurBlock:
    """The Fourier block ``What(psi)`` of one irrep.

    Attributes:
        irrep: the irrep id ``psi``.
        type: ``'R'``, ``'C'`` or ``'H'``.
        d: ``d_psi``, the irrep's dimension.
        c: ``c_psi = dim End(psi)`` (1, 2 or 4).
        m_out, m_in: multiplicities of ``psi`` in ``rho_out`` and ``rho_in``.
        coefficients: ``(c, m_out, m_in)``: ``What_k(psi)`` in the basis ``B_k`` of ``End(psi)``.
        spectral_norm: ``||What(psi)||_2`` over R, C or H.
        frobenius_sq: ``||isotypic block||_F^2 = sum_k ||B_k||_F^2 ||What_k||_F^2``.
    """

    irrep: tuple
    type: str
    d: int
    c: int
    m_out: int
    m_in: int
    coefficients: np.ndarray
    spectral_norm: float
    frobenius_sq: float


@dataclass(frozen=True)
class SchurDecomposition:
    """All blocks of one equivariant map, plus what does not fit the equivariant structure.

    Attributes:
        blocks: one :class:`SchurBlock` per irrep occurring in both ``rho_in`` and ``rho_out``.
        residual: ``||W - reconstruct(blocks)||_F / max(||W||_F, tiny)`` (0 for an exact intertwiner).
    """

    blocks: tuple[SchurBlock, ...]
    residual: float
    rho_in: Representation
    rho_out: Representation

    @property
    def spectral_norm(self) -> float:
        """``max_psi ||What(psi)||_2`` (= ``||W||_2`` of the intertwiner)."""
        return max((b.spectral_norm for b in self.blocks), default=0.0)

    @property
    def frobenius_norm(self) -> float:
        """``sqrt(sum_psi ||isotypic block||_F^2)`` (= ``||W||_F``)."""
        return float(np.sqrt(sum(b.frobenius_sq for b in self.blocks)))


def _copies(rho: Representation) -> tuple[dict[tuple, list[int]], dict[tuple, object]]:
    """Offsets of every copy of every irrep in the irrep basis of ``rho``."""
    offsets: dict[tuple, list[int]] = {}
    objs: dict[tuple, object] = {}
    p = 0
    for psi in rho.irrep_objects:
        offsets.setdefault(psi.id, []).append(p)
        objs[psi.id] = psi
        p += psi.size
    return offsets, objs


def _block_norm(coef: np.ndarray, B: np.ndarray, type_: str) -> float:
    """``||What||_2`` over the irrep's field, from the coefficients."""
    if type_ == "R":
        return float(np.linalg.norm(coef[0] * B[0, 0, 0], 2))
    if type_ == "C":
        d = B.shape[1]
        J = B[1] / np.sqrt((B[1] ** 2).sum() / d)
        I = B[0] / np.sqrt((B[0] ** 2).sum() / d)
        if np.allclose(I, np.eye(d), atol=1e-12) and np.allclose(J @ J, -np.eye(d), atol=1e-12):
            a, b = coef[0] * np.sqrt((B[0] ** 2).sum() / d), coef[1] * np.sqrt((B[1] ** 2).sum() / d)
            return float(np.linalg.norm(a + 1j * b, 2))
    # general case (quaternionic, or a non-standard complex basis): the realified isotypic block
    M = sum(np.kron(coef[k], B[k]) for k in range(B.shape[0]))
    return float(np.linalg.norm(M, 2))


def schur_blocks(W: np.ndarray, rho_in: Representation, rho_out: Representation, atol: float = 1e-6) -> SchurDecomposition:
    """Decompose an intertwiner ``W: rho_in -> rho_out`` into its Fourier blocks.

    Args:
        W: ``(rho_out.size, rho_in.size)`` real matrix (numpy or anything ``np.asarray`` reads).
        rho_in, rho_out: the representations ``W`` intertwines.
        atol: largest relative residual ``||W - W_equivariant||_F / ||W||_F`` accepted; a map
            further from equivariant raises ``ValueError`` (pass ``atol=np.inf`` to project).

    Returns:
        a :class:`SchurDecomposition`; ``reconstruct(dec)`` gives back ``W``'s equivariant part.

    Shape:
        ``W``: ``(n_out, n_in)``; block ``psi``: ``coefficients`` ``(c_psi, m_out,psi, m_in,psi)``.
    """
    for name, r in (("rho_in", rho_in), ("rho_out", rho_out)):
        if not isinstance(r, Representation):
            raise TypeError(f"{name} must be a Representation, got {type(r).__name__}")
    if rho_in.group is not rho_out.group and rho_in.group != rho_out.group:
        raise ValueError(f"rho_in and rho_out belong to different groups: {rho_in.group} and {rho_out.group}")
    W = np.asarray(W, dtype=np.float64)
    if W.shape != (rho_out.size, rho_in.size):
        raise ValueError(f"W must have shape (rho_out.size, rho_in.size) = {(rho_out.size, rho_in.size)}, got {W.shape}")
    Wp = rho_out.change_of_basis.T @ W @ rho_in.change_of_basis
    out_off, objs = _copies(rho_out)
    in_off, _ = _copies(rho_in)
    blocks = []
    for pid, oo in out_off.items():
        if pid not in in_off:
            continue
        psi = objs[pid]
        B = psi.endomorphism_basis()
        d, c = psi.size, B.shape[0]
        io = in_off[pid]
        sq = np.einsum("kij,kij->k", B, B)
        # every d x d block at once: (m_out, m_in, d, d) -> coefficients (c, m_out, m_in)
        R = np.stack([np.stack([Wp[a : a + d, b : b + d] for b in io]) for a in oo])
        coef = np.einsum("abij,kij->kab", R, B) / sq[:, None, None]
        blocks.append(SchurBlock(
            irrep=pid, type=psi.type, d=d, c=c, m_out=len(oo), m_in=len(io), coefficients=coef,
            spectral_norm=_block_norm(coef, B, psi.type),
            frobenius_sq=float(np.einsum("k,kab->", sq, coef**2)),
        ))
    dec = SchurDecomposition(tuple(blocks), 0.0, rho_in, rho_out)
    scale = max(float(np.linalg.norm(W)), 1e-300)
    residual = float(np.linalg.norm(W - reconstruct(dec))) / scale
    if residual > atol:
        raise ValueError(f"W is not an intertwiner {rho_in.name} -> {rho_out.name}: relative residual {residual:.2e} > atol={atol:g}")
    return SchurDecomposition(tuple(blocks), residual, rho_in, rho_out)


def reconstruct(dec: SchurDecomposition) -> np.ndarray:
    """``W = Q_out ((+)_psi sum_k What_k(psi) (x) B_k(psi)) Q_in^T`` from the blocks."""
    rho_in, rho_out = dec.rho_in, dec.rho_out
    out_off, objs = _copies(rho_out)
    in_off, _ = _copies(rho_in)
    Wp = np.zeros((rho_out.size, rho_in.size))
    for blk in dec.blocks:
        B = objs[blk.irrep].endomorphism_basis()
        d = blk.d
        R = np.einsum("kab,kij->abij", blk.coefficients, B)
        for ia, a in enumerate(out_off[blk.irrep]):
            for ib, b in enumerate(in_off[blk.irrep]):
                Wp[a : a + d, b : b + d] = R[ia, ib]
    return rho_out.change_of_basis @ Wp @ rho_in.change_of_basis.T


def sample_fourier_perturbation(rho_in: Representation, rho_out: Representation, sigma: float,
                                rng: np.random.Generator) -> np.ndarray:
    """A Gaussian intertwiner ``U = Q_out ((+)_psi sum_k Uhat_k (x) B_k / ||B_k||_F) Q_in^T``.

    Every real coefficient of ``Uhat_k(psi)`` is i.i.d. ``N(0, sigma^2)`` (``U`` is the isotropic
    Gaussian on the space of intertwiners, which has the orthonormal basis ``E_ab (x) B_k / ||B_k||_F``).
    """
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    out_off, objs = _copies(rho_out)
    in_off, _ = _copies(rho_in)
    blocks = []
    for pid, oo in out_off.items():
        if pid not in in_off:
            continue
        B = objs[pid].endomorphism_basis()
        nb = np.sqrt(np.einsum("kij,kij->k", B, B))
        coef = rng.normal(0.0, sigma, size=(B.shape[0], len(oo), len(in_off[pid]))) / nb[:, None, None]
        blocks.append(SchurBlock(pid, objs[pid].type, B.shape[1], B.shape[0], len(oo), len(in_off[pid]), coef, 0.0, 0.0))
    return reconstruct(SchurDecomposition(tuple(blocks), 0.0, rho_in, rho_out))


def intertwiner_tail_variance(rho_in: Representation, rho_out: Representation) -> float:
    """``v = max(||E U U^T||, ||E U^T U||) / sigma^2`` for :func:`sample_fourier_perturbation`.

    In the irrep basis ``E U U^T / sigma^2 = (+)_psi (c_psi m_in,psi / d_psi) I`` (each of the
    ``c_psi m_out m_in`` orthonormal basis elements ``E_ab (x) B_k/sqrt(d)`` contributes
    ``E_aa (x) I / d``), and likewise for ``U^T U``; so
    ``v = max_psi c_psi max(m_in,psi, m_out,psi) / d_psi``.  The dense i.i.d. Gaussian has
    ``v = max(n_in, n_out)`` instead.
    """
    out_off, objs = _copies(rho_out)
    in_off, _ = _copies(rho_in)
    v = 0.0
    for pid, oo in out_off.items():
        if pid in in_off:
            psi = objs[pid]
            c = _TYPE_DIM[psi.type]
            v = max(v, c * max(len(oo), len(in_off[pid])) / psi.size)
    return v
