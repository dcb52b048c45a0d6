"""Adaptive sampling for the Fourier activations: the canonicalising element ``h(x)`` and its irreps.

``FourierPointwise(..., sampling="adaptive")`` (and the ELU and quotient forms) samples each
band-limited signal on the grid ``{h(x) g_i}`` with ``h(rho(g) x) = g h(x)``, which makes the layer
exactly equivariant for every ``g`` of ``SO(2)``, ``O(2)``, ``SO(3)``, ``O(3)`` and every grid that
determines the coefficients (the math is in :mod:`steerable.nn.exported.adaptive`).  This module
builds, once per layer, what the torch-only forward needs:

* ``h`` from vectors ``v`` in the standard representation: the coefficient chunks of the irrep
  equivalent to ``g -> standard_matrix(g)`` (frequency 1 in 2D, ``l = 1`` in 3D), mapped to the
  standard basis by an intertwiner.  ``SO(2)``: one vector (``h`` is the rotation by
  ``atan2(v_2, v_1)``); ``SO(3)``: two (Gram-Schmidt).  Where a field has fewer copies (signals on
  the sphere), ``T(c) v_1`` with the symmetric matrix ``T`` of a frequency-2 chunk is added.
  ``O(2)``/``O(3)``: the parity is the sign of a ``det``-irrep coefficient (or ``det[v_1, v_2]`` in 2D).
* the irreps ``psi(h)`` as products of smaller ones, ``psi = P^T (a kron b) P``, with isometric
  intertwiners ``P`` solved numerically from random elements (and checked on others).

Example:
    >>> import torch
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.nn import FourierELU, GeometricTensor
    >>> elu = FourierELU(rot2dOnR2(-1), 3, 2, N=5, sampling="adaptive")   # L = 2 at the minimum N = 2L + 1
    >>> y = elu(GeometricTensor(torch.randn(4, 15), elu.in_type))
    >>> int(elu.fallback_count)                                            # frames that fell back to the fixed grid
    0
"""
from __future__ import annotations

import functools
from typing import Callable, Sequence

import numpy as np
import torch

from ...group import Group, GroupElement, IrreducibleRepresentation, Representation
from ..exported.adaptive import AdaptiveFourierActivation, Canonicalizer

__all__ = ["SAMPLINGS", "CANONICALIZE", "ADAPTIVE_GROUPS", "check_sampling", "build_adaptive"]

SAMPLINGS = ("fixed", "adaptive")
CANONICALIZE = ("field", "location", "sample")
#: group name -> (dimension n of the standard representation, has reflections)
ADAPTIVE_GROUPS = {"SO(2)": (2, False), "O(2)": (2, True), "SO(3)": (3, False), "O(3)": (3, True)}

_TOL = 1e-8


def check_sampling(sampling: str, canonicalize: str, eps: float) -> None:
    """ValueErrors naming the allowed values of ``sampling``, ``canonicalize`` and ``eps``."""
    if sampling not in SAMPLINGS:
        raise ValueError(f"sampling must be one of {SAMPLINGS}, got {sampling!r}")
    if canonicalize not in CANONICALIZE:
        raise ValueError(f"canonicalize must be one of {CANONICALIZE}, got {canonicalize!r}")
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not eps > 0:
        raise ValueError(f"eps must be a positive float, got {eps!r}")


def _hom(K: Sequence[np.ndarray], Psi: Sequence[np.ndarray]) -> np.ndarray | None:
    """An isometry ``P`` with ``K_s P = P Psi_s`` for all samples ``s``, or None if there is none."""
    m, d = K[0].shape[0], Psi[0].shape[0]
    M = np.concatenate([np.kron(k, np.eye(d)) - np.kron(np.eye(m), p.T) for k, p in zip(K, Psi)])
    _, s, vt = np.linalg.svd(M)
    if len(s) == m * d and s[-1] > _TOL * max(1.0, s[0]):
        return None
    X = vt[-1].reshape(m, d)
    # X^T X commutes with Psi and is symmetric, so it is a multiple of the identity
    return X / np.sqrt(np.trace(X.T @ X) / d)


class _Recipe:
    """``psi(h)`` for a list of irreps as products of the slots trivial, det, standard (see the module docs)."""

    def __init__(self, G: Group, targets: Sequence[IrreducibleRepresentation]) -> None:
        rng = np.random.default_rng(0)
        fit = [G.sample(rng) for _ in range(6)]
        check = [G.sample(rng) for _ in range(3)]
        base: list[Callable[[GroupElement], np.ndarray]] = [
            lambda g: np.ones((1, 1)), lambda g: np.linalg.det(G.standard_matrix(g)).reshape(1, 1), G.standard_matrix]
        self.funcs = list(base)
        self.slot_a: list[int] = []
        self.slot_b: list[int] = []
        self.Ps: list[np.ndarray] = []
        self.index: dict[tuple, int] = {}
        for psi in sorted(set(targets), key=lambda p: (int(p.attributes.get("frequency", 0)), p.size)):
            self._add(psi, fit, check)

    def _add(self, psi: IrreducibleRepresentation, fit: list, check: list) -> None:
        Psi = [psi(g) for g in fit]
        pairs = sorted(((a, b) for a in range(len(self.funcs)) for b in range(a + 1)),
                       key=lambda ab: (self.funcs[ab[0]](fit[0]).size * self.funcs[ab[1]](fit[0]).size, -ab[0]))
        for a, b in pairs:
            P = _hom([np.kron(self.funcs[a](g), self.funcs[b](g)) for g in fit], Psi)
            if P is None:
                continue
            for g in check:
                if np.abs(P.T @ np.kron(self.funcs[a](g), self.funcs[b](g)) @ P - psi(g)).max() > 1e-7:
                    break
            else:
                self.slot_a.append(a)
                self.slot_b.append(b)
                self.Ps.append(P)
                self.index[psi.id] = len(self.Ps) - 1
                self.funcs.append(psi)
                return
        raise RuntimeError(f"could not write the irrep {psi.name} as a product of smaller ones")

    def tensors(self) -> tuple[list[int], list[int], list[int], torch.Tensor]:
        rows = max(P.shape[0] for P in self.Ps)
        cols = max(P.shape[1] for P in self.Ps)
        P_all = np.zeros((len(self.Ps), rows, cols))
        for k, P in enumerate(self.Ps):
            P_all[k, : P.shape[0], : P.shape[1]] = P
        return self.slot_a, self.slot_b, [P.shape[1] for P in self.Ps], torch.from_numpy(P_all)


@functools.lru_cache(maxsize=64)
def _recipe(G: Group, ids: tuple[tuple, ...]) -> _Recipe:
    return _Recipe(G, [G.irrep(*i) for i in ids])


def _equivalent(G: Group, target: Callable[[GroupElement], np.ndarray], psis: Sequence[IrreducibleRepresentation],
                want_frequency: int | None = None) -> tuple[IrreducibleRepresentation, np.ndarray] | None:
    """The first irrep of ``psis`` (of frequency ``want_frequency``) inside ``target`` and its isometry ``P``."""
    rng = np.random.default_rng(1)
    fit = [G.sample(rng) for _ in range(6)]
    for psi in psis:
        if want_frequency is not None and int(psi.attributes.get("frequency", -1)) != want_frequency:
            continue
        P = _hom([target(g) for g in fit], [psi(g) for g in fit])
        if P is not None:
            return psi, P
    return None


def build_adaptive(G: Group, rho: Representation, rho_out: Representation, A: np.ndarray, A_pinv: np.ndarray,
                   channels: int, act: torch.nn.Module, canonicalize: str, learnable_head: bool,
                   eps: float) -> AdaptiveFourierActivation:
    """The torch module computing ``rho_out(h) A_pinv act(A rho(h)^T c)`` (ValueError where not defined)."""
    if G.name not in ADAPTIVE_GROUPS:
        raise ValueError(f"adaptive sampling is defined for {sorted(ADAPTIVE_GROUPS)}, not for {G.name}; "
                         "use sampling='fixed'")
    n, parity = ADAPTIVE_GROUPS[G.name]
    if A.shape[0] < A.shape[1]:
        raise ValueError(f"a grid of {A.shape[0]} elements is below the Nyquist minimum of {A.shape[1]} samples for "
                         f"these {A.shape[1]} Fourier coefficients (SO(2): N >= 2L+1, O(2): N >= 2L+1 rotations "
                         "and as many reflections); use a larger N")
    psis_in = list(rho.irrep_objects)
    distinct = list(dict.fromkeys(psis_in))
    found = _equivalent(G, G.standard_matrix, distinct)
    if found is None:
        raise ValueError(f"adaptive sampling needs the frequency-1 coefficients (the irrep of {G.name} equivalent to "
                         f"its standard representation); the fields hold only {[p.name for p in distinct]}")
    psi_std, P_std = found
    offsets = np.cumsum([0] + [p.size for p in psis_in])[:-1].tolist()
    vec_offsets = [o for o, p in zip(offsets, psis_in) if p == psi_std]
    det = (lambda g: np.linalg.det(G.standard_matrix(g)).reshape(1, 1))
    pseudo = _equivalent(G, det, [p for p in distinct if p.size == 1]) if parity else None
    pseudo_offsets = [o for o, p in zip(offsets, psis_in) if pseudo is not None and p == pseudo[0]]
    need = n - 1 + (1 if parity and not pseudo_offsets else 0)
    quad_offset, quad_basis = -1, np.zeros((n * n, 1))
    if len(vec_offsets) < need:
        quad = _equivalent(G, lambda g: np.kron(G.standard_matrix(g), G.standard_matrix(g)), distinct, 2)
        if quad is None:
            raise ValueError(f"adaptive sampling on {G.name} needs {need} vectors per field; these fields have "
                             f"{len(vec_offsets)} frequency-1 copies and no frequency-2 coefficients to build more")
        quad_offset, quad_basis = offsets[psis_in.index(quad[0])], quad[1]
    if parity and not pseudo_offsets and n == 3:
        raise ValueError(f"adaptive sampling on {G.name} needs a pseudo-scalar (the det irrep) in the fields; "
                         f"they hold only {[p.name for p in distinct]}")
    canon = Canonicalizer(n, channels, rho.size, vec_offsets, torch.from_numpy(P_std), quad_offset,
                          torch.from_numpy(np.ascontiguousarray(quad_basis)), pseudo_offsets, parity and not pseudo_offsets,
                          parity, canonicalize, eps, learnable_head, persistent=False)
    recipe = _recipe(G, tuple(p.id for p in dict.fromkeys(psis_in + list(rho_out.irrep_objects))))
    slot_a, slot_b, dims, P_all = recipe.tensors()
    return AdaptiveFourierActivation(
        torch.from_numpy(np.ascontiguousarray(A)), torch.from_numpy(np.ascontiguousarray(A_pinv)), channels, act, canon,
        slot_a, slot_b, dims, P_all, [recipe.index[p.id] for p in psis_in],
        [recipe.index[p.id] for p in rho_out.irrep_objects], persistent=False)
